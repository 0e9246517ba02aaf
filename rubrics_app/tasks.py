from celery import shared_task

from annotator.core.rate_limit import JUDGE_ENDPOINT_TASK, RateLimited, retry_when_rate_limited
from rubrics_app.services import drafting


@shared_task(**JUDGE_ENDPOINT_TASK)
def criteria_draft_task(self, task_id: int, job_id: int) -> None:
    # The model request retries inside the openai client; a failed reply is
    # recorded on the draft and the job, not retried here.
    try:
        drafting.criteria_draft_run(task_id=task_id, job_id=job_id)
    except RateLimited as exc:
        retry_when_rate_limited(self, exc)
