from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from annotator.models.choices import MediaStatus
from annotator.services.media import videos_requeue_stale
from annotator.services.videos import dataset_clip_create
from annotator.tasks import MAX_RETRIES, video_process
from tests.factories import VideoFactory
from tests.videos import make_video

pytestmark = pytest.mark.django_db


@pytest.fixture
def video(tmp_path):
    return dataset_clip_create(path=make_video(tmp_path / "c.mp4")).video


def test_processing_twice_writes_the_same_files(video, media_storage):
    video_process.apply(args=[video.pk])
    video.refresh_from_db()
    first = sorted(p.relative_to(media_storage) for p in media_storage.rglob("*") if p.is_file())
    fields = (video.poster.name, video.filmstrip.name, list(video.judge_frames))
    video_process.apply(args=[video.pk])
    video.refresh_from_db()
    again = sorted(p.relative_to(media_storage) for p in media_storage.rglob("*") if p.is_file())
    assert first == again and len(first) == 1 + 2 + 8  # original, poster, filmstrip, judge
    assert (video.poster.name, video.filmstrip.name, list(video.judge_frames)) == fields


def test_infrastructure_errors_are_retried_then_reported(video):
    calls = []

    def broken(*, video_id):
        calls.append(video_id)
        raise OSError("storage unreachable")

    with mock.patch("annotator.services.media.video_process", side_effect=broken):
        result = video_process.apply(args=[video.pk])
    assert len(calls) == MAX_RETRIES + 1
    assert isinstance(result.result, OSError)
    video.refresh_from_db()
    assert video.media_status == MediaStatus.FAILED
    assert video.media_error == "processing failed: storage unreachable"


def test_a_deleted_video_is_no_error():
    assert video_process.apply(args=[10**9]).successful()


def test_the_sweep_requeues_videos_a_killed_worker_left_processing(
    video, django_capture_on_commit_callbacks
):
    old = timezone.now() - timedelta(hours=1)
    video.__class__.objects.filter(pk=video.pk).update(
        media_status=MediaStatus.PROCESSING, processing_started_at=old
    )
    busy = VideoFactory(
        media_status=MediaStatus.PROCESSING,
        file="videos/x.mp4",
        processing_started_at=timezone.now(),
    )
    with (
        mock.patch("annotator.tasks.video_process.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert videos_requeue_stale() == 1
    delay.assert_called_once_with(video.pk)
    video.refresh_from_db()
    busy.refresh_from_db()
    assert video.media_status == MediaStatus.QUEUED
    assert busy.media_status == MediaStatus.PROCESSING
