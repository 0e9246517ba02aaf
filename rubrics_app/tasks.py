from celery import shared_task
from django.db import OperationalError

from rubrics_app.services import drafting


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def criteria_draft_task(task_id: int, job_id: int) -> None:
    # The model request retries inside the openai client; a failed reply is
    # recorded on the draft and the job, not retried here.
    drafting.criteria_draft_run(task_id=task_id, job_id=job_id)
