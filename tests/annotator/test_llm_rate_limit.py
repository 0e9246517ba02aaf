"""JUDGE_REQUESTS_PER_MINUTE is one budget for every process (annotator.core.rate_limit):
a request waits for its slot or, beyond JUDGE_RATE_MAX_WAIT, its task comes back later."""

import os
import subprocess
import sys

import pytest
import redis

from annotator.core import rate_limit
from annotator.core.llm import chat_json
from annotator.models import Job
from rubrics_app.models import CriteriaDraft, Task
from rubrics_app.services.drafting import criteria_draft_start
from tests import ROOT
from tests.factories import TaskFactory
from tests.llm_server import CRITERIA_DRAFT, Reply

REDIS_URL = os.environ.get("REDIS_URL", "")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL")


@pytest.fixture(params=["process", pytest.param("redis", marks=[needs_redis])])
def bucket(request, settings, monkeypatch):
    """An empty bucket, in the process or in Redis."""
    monkeypatch.setattr(rate_limit, "_local", rate_limit.LocalBucket())
    settings.REDIS_URL = REDIS_URL if request.param == "redis" else ""
    if settings.REDIS_URL:
        redis.Redis.from_url(settings.REDIS_URL).delete(rate_limit.KEY)
    return request.param


MESSAGES = [{"role": "user", "content": "hello"}]


def test_it_refuses_a_request_beyond_the_wait(settings, bucket, llm_server):
    settings.JUDGE_REQUESTS_PER_MINUTE, settings.JUDGE_RATE_MAX_WAIT = 60, 0
    chat_json(MESSAGES)
    with pytest.raises(rate_limit.RateLimited) as refused:
        chat_json(MESSAGES)
    assert 0.5 < refused.value.retry_after <= 1.0  # one request per second
    assert len(llm_server.requests) == 1


def test_it_waits_for_a_slot_within_the_wait(settings, bucket, llm_server):
    settings.JUDGE_REQUESTS_PER_MINUTE, settings.JUDGE_RATE_MAX_WAIT = 1200, 5
    for _ in range(3):
        chat_json(MESSAGES)
    assert len(llm_server.requests) == 3


def test_it_sends_without_limit_at_zero(settings, bucket, llm_server):
    settings.JUDGE_REQUESTS_PER_MINUTE, settings.JUDGE_RATE_MAX_WAIT = 0, 0
    for _ in range(5):
        chat_json(MESSAGES)
    assert len(llm_server.requests) == 5


def test_it_falls_back_to_the_process_when_redis_is_down(settings, bucket, llm_server):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # the discard port: nothing listens
    settings.JUDGE_REQUESTS_PER_MINUTE, settings.JUDGE_RATE_MAX_WAIT = 60, 0
    chat_json(MESSAGES)
    with pytest.raises(rate_limit.RateLimited):
        chat_json(MESSAGES)


@pytest.mark.django_db
def test_it_brings_a_task_back_later_instead_of_failing_it(
    settings, bucket, llm_server, admin_user, django_capture_on_commit_callbacks
):
    settings.JUDGE_REQUESTS_PER_MINUTE, settings.JUDGE_RATE_MAX_WAIT = 300, 0
    llm_server.replies = [Reply(CRITERIA_DRAFT), Reply(CRITERIA_DRAFT)]
    TaskFactory.create_batch(2)
    with django_capture_on_commit_callbacks(execute=True):
        job = criteria_draft_start(tasks=Task.objects.all(), user=admin_user)
    job = Job.objects.get(pk=job.pk)
    assert (job.succeeded, job.failed, job.failures) == (2, 0, [])
    assert CriteriaDraft.objects.filter(ok=True).count() == 2
    assert len(llm_server.requests) == 2


# Each process sends its requests once the test says go (so that they overlap), after a
# first one that opens its connection (so that each later one reaches the server as
# soon as it has its slot).
CALLER = """
import sys
import django
django.setup()
from annotator.core.llm import chat_json
chat_json([{"role": "user", "content": "warm-up"}])
print("ready", flush=True)
sys.stdin.readline()
for _ in range(int(sys.argv[1])):
    chat_json([{"role": "user", "content": "hello"}])
"""


@pytest.mark.services
@needs_redis
def test_two_processes_together_stay_under_the_limit(llm_server, tmp_path):
    redis.Redis.from_url(REDIS_URL).delete(rate_limit.KEY)
    per_minute, each = 600, 12  # 10 a second, 24 requests
    processes = []
    for n in range(2):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "annotator.settings",
            "VAR_DIR": str(tmp_path / f"var{n}"),
            "REDIS_URL": REDIS_URL,
            "LLM_BASE_URL": llm_server.url,
            "LLM_API_KEY": f"caller{n}",
            "LLM_MODEL": "test-vlm",
            "JUDGE_REQUESTS_PER_MINUTE": str(per_minute),
            "JUDGE_RATE_MAX_WAIT": "30",
        }
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", CALLER, str(each)],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    try:
        for process in processes:
            assert process.stdout.readline().strip() == "ready"
        warm_ups = len(llm_server.requests)
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        for process in processes:
            assert process.wait(timeout=30) == 0
    finally:
        for process in processes:
            process.kill()
    sent = llm_server.requests[warm_ups:]
    arrivals = [r["at"] for r in sent]
    assert len(arrivals) == 2 * each
    assert {r["authorization"] for r in sent} == {
        "Bearer caller0",
        "Bearer caller1",
    }
    # About a second's worth in any second (a request that its process sends late,
    # descheduled on a busy machine, arrives next to the following one); each process
    # pacing only itself, the two together would send twice as many.
    per_second = per_minute // 60
    busiest = max(sum(t <= u < t + 1 for u in arrivals) for t in arrivals)
    assert busiest <= per_second + 2, arrivals
    assert arrivals[-1] - arrivals[0] > 0.9 * (len(arrivals) - 1) / per_second
