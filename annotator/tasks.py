from celery import shared_task
from django.db import OperationalError

from annotator.services import media


@shared_task(
    acks_late=True, autoretry_for=(OperationalError, OSError), retry_backoff=True, max_retries=3
)
def video_process(video_id: int) -> None:
    media.video_process(video_id=video_id)
