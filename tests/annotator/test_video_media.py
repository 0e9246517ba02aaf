import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from tests.factories import VideoFactory

pytestmark = pytest.mark.django_db

CONTENT = bytes(range(256)) * 40  # 10,240 bytes


@pytest.fixture
def video():
    video = VideoFactory()
    video.file.save("clip.mp4", ContentFile(CONTENT))
    return video


def url(video, field="file"):
    return reverse("video-media", args=[video.public_id, field])


def body(response):
    return b"".join(response.streaming_content)


def test_it_serves_the_whole_file_and_says_it_accepts_ranges(client, annotator_user, video):
    client.force_login(annotator_user)
    response = client.get(url(video))
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "video/mp4"
    assert response["Content-Length"] == str(len(CONTENT))
    assert body(response) == CONTENT


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=5000-", 5000, 10239),
        ("bytes=-240", 10000, 10239),
        ("bytes=10200-99999", 10200, 10239),
    ],
)
def test_it_answers_a_range_with_206(client, annotator_user, video, header, start, end):
    client.force_login(annotator_user)
    response = client.get(url(video), headers={"Range": header})
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{len(CONTENT)}"
    assert response["Content-Length"] == str(end - start + 1)
    assert body(response) == CONTENT[start : end + 1]


def test_a_range_outside_the_file_gets_416(client, annotator_user, video):
    client.force_login(annotator_user)
    response = client.get(url(video), headers={"Range": "bytes=20000-"})
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(CONTENT)}"


def test_several_ranges_get_the_whole_file(client, annotator_user, video):
    client.force_login(annotator_user)
    response = client.get(url(video), headers={"Range": "bytes=0-1,5-6"})
    assert response.status_code == 200 and body(response) == CONTENT


def test_it_requires_login(client, video):
    response = client.get(url(video), headers={"Range": "bytes=0-99"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_unknown_fields_and_missing_files_are_404(client, annotator_user, video):
    client.force_login(annotator_user)
    assert client.get(url(video, "secret")).status_code == 404
    assert client.get(url(VideoFactory())).status_code == 404
