"""The per-token API throttle: exact under concurrent clients (real Redis), and the API
still answers when its cache is unreachable."""

import logging
import threading
import uuid
from types import SimpleNamespace

import pytest
import redis
from django.conf import settings
from django.urls import reverse

from annotator.api.throttling import TokenRateThrottle
from annotator.models import ApiToken
from tests.api_callers import client_for
from tests.services import free_port

REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"


def redis_answers() -> bool:
    if not settings.REDIS_URL:
        return False
    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.mark.services
@pytest.mark.skipif(not redis_answers(), reason="needs REDIS_URL answering (bin/test sets it)")
def test_it_holds_its_limit_with_eight_clients_at_once(settings, monkeypatch):
    settings.CACHES = {
        "default": {
            "BACKEND": REDIS_CACHE,
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"throttle-test-{uuid.uuid4().hex}",
        }
    }
    settings.API_THROTTLE_RATE = "100/min"
    # Every call in the same minute: a window boundary in the middle would be a second
    # allowance, not a race.
    monkeypatch.setattr(TokenRateThrottle, "timer", staticmethod(lambda: 6_000_030.0))
    request = SimpleNamespace(auth=ApiToken(pk=1), user=None)
    start = threading.Barrier(8)
    allowed = []

    def client() -> None:
        start.wait()
        passed = sum(TokenRateThrottle().allow_request(request, None) for _ in range(50))
        allowed.append(passed)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(allowed) == 100


@pytest.mark.django_db
def test_it_answers_with_the_cache_unreachable(settings, caplog):
    settings.CACHES = {
        "default": {"BACKEND": REDIS_CACHE, "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}
    }
    client = client_for("read_token")
    with caplog.at_level(logging.WARNING, logger="annotator.api.throttling"):
        response = client.get(reverse("api-benchmark-list"))
    assert response.status_code == 200
    assert "throttle not applied" in caplog.text


@pytest.mark.django_db
def test_it_says_when_to_retry(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": str(uuid.uuid4()),
        }
    }
    settings.API_THROTTLE_RATE = "1/h"
    client = client_for("read_token")
    assert client.get(reverse("api-benchmark-list")).status_code == 200
    refused = client.get(reverse("api-benchmark-list"))
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
