from collections.abc import Callable

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from annotator.core import queue
from annotator.core.llm import LLMNotConfigured
from annotator.core.rate_limit import (
    JUDGE_ENDPOINT_TASK,
    RateLimited,
    TaskOptions,
    retry_when_rate_limited,
)
from annotator.models import ContaminationReport, GoldVariant, Video
from annotator.services import clip_drafts, contamination, gold_clips, judge_drafts, media

MAX_RETRIES = 3


# One file decoded (and encoded) per task, within the media processing time.
MEDIA_TASK: TaskOptions = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "max_retries": MAX_RETRIES,
    "soft_time_limit": settings.VIDEO_PROCESSING_TIMEOUT,
    "time_limit": settings.VIDEO_PROCESSING_TIMEOUT + 30,
}


def _media_work(
    task: Task, work: Callable[[], object], gone: type[Exception], failed: Callable[[str], None]
) -> None:
    """Runs one media item. A file that cannot be used ends failed inside the service;
    what reaches here is infrastructure (database, storage): retried, then recorded as
    failed with `failed(reason)`, as is running out of time. `gone`: the item was
    deleted since it was queued."""
    try:
        work()
    except gone:
        return
    except SoftTimeLimitExceeded:
        failed(f"took longer than {settings.VIDEO_PROCESSING_TIMEOUT} s")
    except Exception as exc:
        if task.request.retries >= MAX_RETRIES:
            failed(f"failed: {exc}")
            raise
        raise task.retry(exc=exc, countdown=2**task.request.retries) from exc


@shared_task(**MEDIA_TASK)
def video_process(self, video_id: int) -> None:
    _media_work(
        self,
        lambda: media.video_process(video_id=video_id),
        Video.DoesNotExist,
        lambda reason: media.video_mark_failed(video_id=video_id, reason=f"processing {reason}"),
    )


# The sweeps, run by celery beat every SWEEP_SECONDS (CELERY_BEAT_SCHEDULE).
@shared_task
def videos_requeue_stale() -> int:
    return media.videos_requeue_stale()


@shared_task
def outbox_flush() -> int:
    return queue.outbox_flush()


@shared_task(**JUDGE_ENDPOINT_TASK)
def judge_draft_task(self, video_id: int, dimension: str, job_id: int) -> None:
    # 429, 5xx and timeouts retry inside the openai client, 413 inside the service; a
    # failed reply is recorded on the evaluation and the job, not retried here. Only
    # the database failing (OperationalError) retries the task.
    try:
        judge_drafts.judge_video_dimension(video_id=video_id, dimension=dimension, job_id=job_id)
    except (Video.DoesNotExist, LLMNotConfigured):
        return  # counted on the job as a failure, saying why
    except RateLimited as exc:
        retry_when_rate_limited(self, exc)


# Caption drafts for dataset clips share the judge's endpoint, so they go the same way:
# the "judge" queue (CELERY_TASK_ROUTES) and the judge task's pacing and retries.
@shared_task(**JUDGE_ENDPOINT_TASK)
def clip_draft_task(self, video_id: int, job_id: int) -> None:
    try:
        clip_drafts.clip_draft(video_id=video_id, job_id=job_id)
    except (Video.DoesNotExist, LLMNotConfigured):
        return  # counted on the job as a failure, saying why
    except RateLimited as exc:
        retry_when_rate_limited(self, exc)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def contamination_report_task(self, report_id: int) -> None:
    # The service replaces the report's findings, so a redelivered or retried task
    # does the work again cleanly; once the retries are spent the report says why,
    # and a new report can be started at any time.
    try:
        contamination.report_compute(report_id=report_id)
    except ContaminationReport.DoesNotExist:
        return
    except Exception as exc:
        if self.request.retries >= MAX_RETRIES:
            contamination.report_mark_failed(report_id=report_id, reason=f"failed: {exc}")
            raise
        raise self.retry(exc=exc, countdown=2**self.request.retries) from exc


@shared_task(**MEDIA_TASK)
def gold_variant_task(self, variant_id: int, job_id: int) -> None:
    _media_work(
        self,
        lambda: gold_clips.gold_variant_make(variant_id=variant_id, job_id=job_id),
        GoldVariant.DoesNotExist,
        lambda reason: gold_clips.gold_variant_mark_failed(
            variant_id=variant_id, job_id=job_id, reason=reason
        ),
    )
