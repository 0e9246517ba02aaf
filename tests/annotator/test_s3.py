"""Media in S3, against a real S3 endpoint on loopback (moto's server mode)."""

import urllib.request
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse

from annotator.models import Video
from annotator.models.choices import MediaStatus
from annotator.services.s3 import s3_client, s3_configure_cors
from annotator.services.videos import dataset_clip_create
from tests.factories import TaskFactory
from tests.videos import make_video

pytestmark = pytest.mark.django_db


def fetch(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers, response.read()


def test_a_video_in_s3_is_processed_and_its_files_live_in_s3(
    s3_storage, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        video = dataset_clip_create(path=make_video(tmp_path / "c.avi", codec="mjpeg")).video
    video.refresh_from_db()
    assert video.media_status == MediaStatus.READY, video.media_error
    keys = {o["Key"] for o in s3_client().list_objects_v2(Bucket=s3_storage)["Contents"]}
    assert {
        video.file.name,
        video.poster.name,
        video.filmstrip.name,
        video.playable.name,
        *video.judge_frames,
    } <= keys
    assert len(video.judge_frames) == 8
    assert video.playable.name.endswith("playable.mp4")  # MJPEG does not play in browsers


def test_a_presigned_url_answers_a_range_request_with_206(s3_storage, tmp_path):
    path = make_video(tmp_path / "c.mp4", frames=48)
    video = dataset_clip_create(path=path).video
    url = default_storage.url(video.file.name)
    assert "Signature" in url or "X-Amz-Signature" in url
    status, headers, body = fetch(url, {"Range": "bytes=100-199"})
    assert status == 206
    assert headers["Content-Range"] == f"bytes 100-199/{path.stat().st_size}"
    assert body == path.read_bytes()[100:200]


def test_cors_lets_the_app_origin_fetch_media(s3_storage, tmp_path):
    video = dataset_clip_create(path=make_video(tmp_path / "c.mp4")).video
    s3_configure_cors(bucket=s3_storage, origins=["http://annotator.test"])
    url = default_storage.url(video.file.name)
    _, headers, _ = fetch(url, {"Origin": "http://annotator.test", "Range": "bytes=0-9"})
    assert headers["Access-Control-Allow-Origin"] == "http://annotator.test"


def test_the_media_view_sends_the_browser_to_a_presigned_url(
    s3_storage, client, annotator_user, tmp_path
):
    video = dataset_clip_create(path=make_video(tmp_path / "c.mp4")).video
    client.force_login(annotator_user)
    response = client.get(reverse("video-media", args=[video.public_id, "file"]))
    assert response.status_code == 302 and s3_storage in response["Location"]


def test_import_s3_brings_in_a_prefix(s3_storage, tmp_path):
    TaskFactory(index=1)
    client = s3_client()
    for key, shade in (
        ("run1/Sora/1.mp4", 1),
        ("run1/Sora/9.mp4", 2),
        ("run1/Veo/1.mp4", 3),
        ("other/Veo/1.mp4", 4),
    ):
        client.upload_file(str(make_video(tmp_path / f"{shade}.mp4", shade=shade)), s3_storage, key)
    out = StringIO()
    call_command("import_s3", "run1/", stdout=out)
    assert "videos 2 created" in out.getvalue()
    assert "warning: Sora/9.mp4: task 9 is not in benchmark" in out.getvalue()
    assert sorted(Video.objects.values_list("generator__name", flat=True)) == ["Sora", "Veo"]
    call_command("import_s3", "run1", stdout=(again := StringIO()))
    assert "videos 0 created, 0 replaced, 2 unchanged" in again.getvalue()
