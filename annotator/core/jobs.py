"""Progress of long operations: each item reports once, the last one closes the job."""

from django.db import transaction
from django.utils import timezone

from annotator.models import Job, JobItem, JobStatus, User


def job_create(*, kind: str, total: int, user: User | None, description: str = "") -> Job:
    return Job.objects.create(
        kind=kind,
        total=total,
        created_by=user,
        description=description,
        status=JobStatus.QUEUED if total else JobStatus.DONE,
    )


def job_item_finished(*, job_id: int, item: str, failure: str = "") -> Job:
    """Counts the item named `item` as done (or failed, saying why); finishes the job
    with its last item. Row-locked, so items finishing at once on several workers all
    count. An item finishing again (a task delivered twice, because its worker was lost
    before acknowledging it) replaces its earlier outcome rather than counting twice."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        earlier = job.items.filter(key=item).first()
        if earlier is None:
            JobItem.objects.create(job=job, key=item, failure=failure)
        else:
            if earlier.failure:
                job.failed -= 1
                if earlier.failure in job.failures:
                    job.failures.remove(earlier.failure)
            else:
                job.succeeded -= 1
            earlier.failure = failure
            earlier.save(update_fields=["failure"])
        if failure:
            job.failed += 1
            job.failures.append(failure)
        else:
            job.succeeded += 1
        job.status = JobStatus.DONE if job.finished >= job.total else JobStatus.RUNNING
        if job.status == JobStatus.DONE and job.finished_at is None:
            job.finished_at = timezone.now()
        job.save()
    return job
