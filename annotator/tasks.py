from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from annotator.models import Video
from annotator.services import media

MAX_RETRIES = 3


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=settings.VIDEO_PROCESSING_TIMEOUT,
    time_limit=settings.VIDEO_PROCESSING_TIMEOUT + 30,
)
def video_process(self, video_id: int) -> None:
    try:
        media.video_process(video_id=video_id)
    except Video.DoesNotExist:
        return  # deleted since it was queued
    except SoftTimeLimitExceeded:
        media.video_mark_failed(
            video_id=video_id,
            reason=f"processing took longer than {settings.VIDEO_PROCESSING_TIMEOUT} s",
        )
    except Exception as exc:
        # Bad files end in MediaRejected inside the service; what reaches here is
        # infrastructure (database, storage): retried, then reported on the video.
        if self.request.retries >= MAX_RETRIES:
            media.video_mark_failed(video_id=video_id, reason=f"processing failed: {exc}")
            raise
        raise self.retry(exc=exc, countdown=2**self.request.retries) from exc


@shared_task
def videos_requeue_stale() -> int:
    return media.videos_requeue_stale()
