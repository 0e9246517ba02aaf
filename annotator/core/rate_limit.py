"""The model endpoint's requests-per-minute limit (JUDGE_REQUESTS_PER_MINUTE), one
budget for every worker on every machine: a token bucket in Redis, updated by one Lua
script so that concurrent takers never both get the same token, timed by Redis's clock
so that machines whose clocks differ agree. Without Redis (the filesystem broker of
development) the bucket lives in the process; an unreachable Redis falls back to it too.

A taker reserves the next free slot and sleeps until it comes, as long as that is
within the wait it accepts; beyond, it reserves nothing and learns when to come back
(a Celery task is then retried later instead of holding its worker)."""

import functools
import logging
import threading
import time
from typing import Literal, NoReturn, Required, TypedDict

import redis
from celery import Task
from django.conf import settings
from django.db import OperationalError

log = logging.getLogger(__name__)

KEY = "llm:requests"

# KEYS[1]: the bucket; ARGV: rate (tokens per second), capacity, longest wait (s).
# Returns the seconds to sleep before the request (the token is then reserved), or
# minus the seconds until a token would be free within the wait (nothing reserved).
_TAKE = """
local rate, capacity, max_wait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local wait = math.max(0, (1 - tokens) / rate)
if wait > max_wait then
  return tostring(-(wait - max_wait))
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil((capacity + 1) / rate + max_wait) + 1)
return tostring(wait)
"""


class RateLimited(Exception):
    """No request slot within the accepted wait; `retry_after` seconds from now one
    should be free."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"the model endpoint's rate limit: next slot in {retry_after:.1f} s")
        self.retry_after = retry_after


class LocalBucket:
    """The same bucket for one process (threads share it)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tokens: float | None = None
        self.at = 0.0

    def take(self, rate: float, capacity: float, max_wait: float) -> float:
        with self.lock:
            now = time.monotonic()
            tokens = capacity if self.tokens is None else self.tokens
            tokens = min(capacity, tokens + max(0.0, now - self.at) * rate)
            wait = max(0.0, (1 - tokens) / rate)
            if wait > max_wait:
                return -(wait - max_wait)
            self.tokens, self.at = tokens - 1, now
            return wait


_local = LocalBucket()


@functools.lru_cache(maxsize=2)
def _script(url: str):
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    return client.register_script(_TAKE)


def _take(rate: float, capacity: float, max_wait: float) -> float:
    if settings.REDIS_URL:
        try:
            return float(_script(settings.REDIS_URL)(keys=[KEY], args=[rate, capacity, max_wait]))
        except (redis.RedisError, OSError) as exc:
            log.warning("model requests paced per process, Redis is unreachable: %s", exc)
    return _local.take(rate, capacity, max_wait)


def llm_request_slot(max_wait: float | None = None) -> None:
    """Returns when this process may send one request to the model endpoint, waiting
    up to `max_wait` seconds (JUDGE_RATE_MAX_WAIT); raises RateLimited beyond."""
    per_minute = settings.JUDGE_REQUESTS_PER_MINUTE
    if not per_minute:
        return
    # Capacity 1: requests are spread evenly, never a burst of a minute's worth.
    rate, capacity = per_minute / 60, 1.0
    wait = _take(rate, capacity, settings.JUDGE_RATE_MAX_WAIT if max_wait is None else max_wait)
    if wait < 0:
        raise RateLimited(-wait)
    time.sleep(wait)


def retry_when_rate_limited(task: Task, exc: RateLimited) -> NoReturn:
    """Hands the task back to the broker until the endpoint's global budget has a slot,
    rather than holding a worker. Waiting is not failing: it never uses up the retries
    kept for a failing database."""
    if task.request.is_eager:
        time.sleep(exc.retry_after)  # no broker to come back from: the retry runs now
    raise task.retry(
        exc=exc, countdown=exc.retry_after, max_retries=task.request.retries + 1
    ) from exc


# Requests to the model endpoint, routed to the "judge" queue (CELERY_TASK_ROUTES): its
# worker's --concurrency is how many are in flight (JUDGE_CONCURRENCY); how many start
# per minute, across every worker, is JUDGE_REQUESTS_PER_MINUTE (annotator.core.rate_limit).
# Acknowledged after they ran (a lost worker's task is delivered again; jobs count each
# item once), retried when the database fails or the budget has no slot.
class TaskOptions(TypedDict, total=False):
    """The options shared_task is given, typed so that its overloads can be chosen."""

    bind: Required[Literal[True]]
    acks_late: bool
    reject_on_worker_lost: bool
    autoretry_for: tuple[type[BaseException], ...]
    retry_backoff: bool
    max_retries: int
    soft_time_limit: int
    time_limit: int


JUDGE_ENDPOINT_TASK: TaskOptions = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "max_retries": 3,
}
