from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.models import ImportBatch, Video
from annotator.models.choices import MediaStatus, Role, VideoKind
from tests.factories import TaskFactory, UserFactory, VideoFactory
from tests.videos import make_video

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(admin_user):
    return ImportBatch.objects.create(name="b", created_by=admin_user)


def upload(client, batch, path, **fields):
    with open(path, "rb") as fh:
        data = {"file": SimpleUploadedFile(path.name, fh.read()), **fields}
    return client.post(reverse("batch-upload", args=[batch.pk]), data)


@pytest.mark.parametrize("role", [Role.ANNOTATOR])
def test_the_video_list_is_for_reviewers_and_admins(client, role):
    client.force_login(UserFactory(role=role))
    assert client.get(reverse("video-list")).status_code == 403
    client.force_login(UserFactory(role=Role.REVIEWER))
    assert client.get(reverse("video-list")).status_code == 200


@pytest.mark.parametrize("role", [Role.ANNOTATOR, Role.REVIEWER])
def test_only_admins_upload_and_reprocess(client, batch, role, tmp_path):
    client.force_login(UserFactory(role=role))
    assert client.get(reverse("video-upload")).status_code == 403
    assert client.post(reverse("batch-create")).status_code == 403
    assert upload(client, batch, make_video(tmp_path / "a.mp4")).status_code == 403
    assert client.post(reverse("videos-reprocess")).status_code == 403
    assert client.get(reverse("batch-states", args=[batch.pk])).status_code == 403
    assert not Video.objects.exists()


def test_an_empty_file_is_refused_at_once_and_a_failure_is_told_with_its_reason(
    client, admin_user, batch, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    refused = upload(client, batch, empty)
    assert refused.status_code == 400
    assert refused.json()["error"] == "empty.mp4: the file is empty (0 bytes)"
    renamed = tmp_path / "notes.mp4"
    renamed.write_text("not a video\n" * 100)
    with django_capture_on_commit_callbacks(execute=True):
        stored = upload(client, batch, renamed)
    assert stored.json()["outcome"] == "created"  # stored: only decoding tells
    states = client.get(reverse("batch-states", args=[batch.pk])).json()["videos"]
    state = states[str(stored.json()["video"])]
    assert state["status"] == "failed" and state["label"] == "failed"
    assert state["error"] == Video.objects.get().media_error != ""


def test_an_upload_stores_each_file_and_reports_duplicates(
    client, admin_user, batch, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    assert client.get(reverse("video-upload")).status_code == 200
    created = client.post(reverse("batch-create"), {"name": "my upload"})
    assert created.status_code == 201
    batch = ImportBatch.objects.get(pk=created.json()["id"])
    path = make_video(tmp_path / "cells.mp4")
    with django_capture_on_commit_callbacks(execute=True):
        first = upload(client, batch, path)
    assert first.status_code == 201 and first.json()["outcome"] == "created"
    video = Video.objects.get(pk=first.json()["video"])
    assert video.kind == VideoKind.DATASET and video.batch == batch
    assert video.media_status == MediaStatus.READY
    again = upload(client, batch, path)
    assert again.json()["outcome"] == "duplicate"
    assert "not stored again" in again.json()["message"]
    assert Video.objects.count() == 1


def test_a_generated_upload_goes_to_the_task_its_name_gives(client, admin_user, batch, tmp_path):
    task = TaskFactory(index=12)
    client.force_login(admin_user)
    fields = {"generator": "Sora", "benchmark": task.benchmark.pk}
    answer = upload(client, batch, make_video(tmp_path / "12.mp4"), **fields)
    video = Video.objects.get(pk=answer.json()["video"])
    assert (video.task, video.generator.name) == (task, "Sora")
    refused = upload(client, batch, make_video(tmp_path / "13.mp4", shade=5), **fields)
    assert refused.status_code == 400
    assert refused.json()["error"] == f"Sora/13.mp4: task 13 is not in benchmark {task.benchmark}"
    text = tmp_path / "notes.txt"
    text.write_text("x")
    assert "not a video file" in upload(client, batch, text).json()["error"]


def test_the_list_shows_progress_and_polls_only_while_unfinished(client, admin_user):
    client.force_login(admin_user)
    VideoFactory(media_status=MediaStatus.READY)
    failed = VideoFactory(
        media_status=MediaStatus.FAILED, media_error="the file has no video track"
    )
    response = client.get(reverse("video-list"))
    html = response.content.decode()
    assert response.context["progress"].done == 2
    assert "every 2s" not in html and "the file has no video track" in html
    assert "Re-run the 1 failed" in html
    queued = VideoFactory(media_status=MediaStatus.QUEUED)
    html = client.get(reverse("video-list")).content.decode()
    assert "every 2s" in html and "2 of 3 processed" in html
    assert failed.pk and queued.pk


def test_reprocessing_queues_the_failed_videos_again(
    client, admin_user, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    ok = VideoFactory(media_status=MediaStatus.READY, file="videos/a.mp4")
    failed = VideoFactory(media_status=MediaStatus.FAILED, media_error="x", file="videos/b.mp4")
    with (
        mock.patch("annotator.tasks.video_process.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(reverse("videos-reprocess"), {"next": "/videos/"})
    assert response.status_code == 302
    delay.assert_called_once_with(failed.pk)
    failed.refresh_from_db()
    ok.refresh_from_db()
    # The reason stays until the new run's outcome replaces it.
    assert failed.media_status == MediaStatus.QUEUED and failed.media_error == "x"
    assert ok.media_status == MediaStatus.READY


def test_the_video_list_runs_the_same_queries_whatever_the_size(client, admin_user):
    client.force_login(admin_user)
    counts = []
    for n in (1, 30):
        for _ in range(n):
            VideoFactory(media_status=MediaStatus.READY, task=TaskFactory())
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("video-list"))
        counts.append(len(queries))
    assert counts[0] == counts[1]
