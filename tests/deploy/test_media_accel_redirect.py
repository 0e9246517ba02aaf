"""Local media behind nginx (MEDIA_ACCEL_REDIRECT): the app checks the request and
hands the file to nginx by name instead of streaming its bytes."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from tests.factories import VideoFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def video():
    video = VideoFactory()
    video.file.save("clip.mp4", ContentFile(b"\x00" * 1000))
    return video


@pytest.fixture
def accel(settings):
    settings.MEDIA_ACCEL_REDIRECT = "/protected-media/"


def url(video, field="file"):
    return reverse("video-media", args=[video.public_id, field])


def test_it_hands_the_file_to_nginx_after_the_check(client, annotator_user, video, accel):
    client.force_login(annotator_user)
    response = client.get(url(video), headers={"Range": "bytes=0-99"})
    assert response.status_code == 200  # nginx answers the Range itself
    assert response["X-Accel-Redirect"] == f"/protected-media/{video.file.name}"
    assert response["Content-Type"] == "video/mp4"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response.content == b""


def test_it_quotes_the_file_name(client, annotator_user, accel):
    video = VideoFactory()
    video.file.save("cells-1µm.mp4", ContentFile(b"\x00"))
    assert "µ" in video.file.name
    client.force_login(annotator_user)
    response = client.get(url(video))
    expected = "/protected-media/" + video.file.name.replace("µ", "%C2%B5")
    assert response["X-Accel-Redirect"] == expected


def test_it_gives_an_outsider_no_file(client, video, accel):
    response = client.get(url(video))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "X-Accel-Redirect" not in response


def test_it_names_no_file_for_a_missing_one(client, annotator_user, video, accel):
    client.force_login(annotator_user)
    response = client.get(url(video, "poster"))
    assert response.status_code == 404 and "X-Accel-Redirect" not in response


def test_it_streams_the_bytes_itself_when_unset(client, annotator_user, video):
    client.force_login(annotator_user)
    response = client.get(url(video))
    assert "X-Accel-Redirect" not in response
    assert b"".join(response.streaming_content) == b"\x00" * 1000
