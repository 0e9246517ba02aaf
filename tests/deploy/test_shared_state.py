"""Two web processes (gunicorn, as in production) on one PostgreSQL and one Redis share
what users see: a session made on one is good on the other, a lockout made on one
holds on the other, and a token's API throttle counts requests to both."""

import os
import subprocess
import time

import pytest
import redis
import requests
from django.conf import settings
from django.db import connection

from annotator.models import ApiToken
from annotator.models.tokens import TokenScope
from tests import ROOT
from tests.factories import UserFactory
from tests.services import NEEDS_POSTGRES_AND_REDIS, free_port

PASSWORD = "secret-pass-1"

pytestmark = NEEDS_POSTGRES_AND_REDIS


@pytest.fixture
def two_servers(tmp_path):
    """Base URLs of two gunicorn processes on the test database and Redis."""
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "VAR_DIR": str(tmp_path / "var"),
        "SECRET_KEY": "shared-by-every-web-process-" + "x" * 30,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain http on loopback; the pages' static files need no collectstatic.
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "STATIC_MANIFEST": "false",
        "AXES_FAILURE_LIMIT": "2",
        "API_THROTTLE_RATE": "4/hour",
    }
    servers = []
    for n in range(2):
        port = free_port()
        gunicorn = [str(ROOT / ".venv/bin/gunicorn"), "annotator.wsgi"]
        with open(tmp_path / f"web{n}.log", "w") as log:
            process = subprocess.Popen(
                [*gunicorn, "-b", f"127.0.0.1:{port}", "-w", "1"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        servers.append((process, f"http://127.0.0.1:{port}", tmp_path / f"web{n}.log"))
    try:
        for process, url, log in servers:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, log.read_text()
                try:
                    if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except requests.RequestException:  # still starting
                    pass
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        yield [url for _, url, _ in servers]
    finally:
        for process, _, _ in servers:
            process.terminate()
            process.wait(timeout=30)


def log_in(url: str, username: str, password: str) -> requests.Response:
    client = requests.Session()
    client.get(f"{url}/accounts/login/", timeout=10)
    return client.post(
        f"{url}/accounts/login/",
        allow_redirects=False,
        timeout=10,
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
        },
    )


def get(url: str, **kwargs) -> requests.Response:
    return requests.get(url, allow_redirects=False, timeout=10, **kwargs)


@pytest.mark.django_db(transaction=True)
def test_it_shares_sessions_lockouts_and_throttles(two_servers):
    first, second = two_servers
    UserFactory(username="ann")
    UserFactory(username="guessed")
    _, key = ApiToken.issue(user=UserFactory(username="script"), name="s", scope=TokenScope.READ)

    # A session made on the first is good on the second.
    logged_in = log_in(first, "ann", PASSWORD)
    assert logged_in.status_code == 302, logged_in.text
    session = {"sessionid": logged_in.cookies["sessionid"]}
    assert get(f"{second}/account/", cookies=session).status_code == 200
    assert get(f"{second}/account/").status_code == 302  # not without it

    # Two wrong passwords on the first (the second one locks) lock the pair on the
    # second server too, right password or not.
    guesses = [log_in(first, "guessed", "wrong").status_code for _ in range(2)]
    assert guesses == [200, 429]
    assert log_in(second, "guessed", PASSWORD).status_code == 429
    assert log_in(second, "ann", PASSWORD).status_code == 302  # another user is not

    # Four requests an hour per token, counted across both servers.
    bearer = {"Authorization": f"Bearer {key}"}
    statuses = [
        get(f"{url}/api/v1/benchmarks", headers=bearer).status_code
        for url in (first, second, first, second, first, second)
    ]
    assert statuses == [200, 200, 200, 200, 429, 429]
