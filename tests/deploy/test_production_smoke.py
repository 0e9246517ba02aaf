"""The production service for real: bin/run migrate, then gunicorn, a Celery worker per
queue and beat started through bin/run (as bin/serve, compose and Kubernetes start
them) on PostgreSQL (a database of its own), Redis and S3 (moto's server), DEBUG off,
and headless Chromium using it as an expert would.

Every production setting is on, SECURE_SSL_REDIRECT included: nothing here speaks TLS,
so the browser plays the proxy that ends it, adding X-Forwarded-Proto: https
(SECURE_PROXY_SSL_HEADER) to its requests to the app, whose origin is then a
CSRF_TRUSTED_ORIGINS entry (the page is http, the request says https). Chromium keeps
Secure cookies for 127.0.0.1 over http. Plain requests without that header are what a
probe sends.

Marked `services` and not `browser`: bin/test runs it in its PostgreSQL and Redis leg,
which leaves the browser tests out; it is skipped where those services are not set."""

import os
import re
import secrets
import subprocess
import sys
import time

import boto3
import psycopg
import pytest
import redis
import requests
from django.conf import settings
from django.db import connection

from tests import ROOT
from tests.production_seed import PASSWORD, USERNAME
from tests.services import NEEDS_POSTGRES_AND_REDIS, free_port
from tests.videos import make_video

ROLES = {
    "web": ["web"],
    "media": ["worker", "media"],
    "judge": ["worker", "judge"],
    "default": ["worker", "default"],
    "beat": ["beat"],
}

pytestmark = NEEDS_POSTGRES_AND_REDIS


@pytest.fixture(scope="module")
def smoke_database():
    """A fresh PostgreSQL database beside the test run's, dropped afterwards."""
    db = connection.settings_dict
    server = {
        "host": db["HOST"],
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
    }
    name = f"{db['NAME']}_smoke"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{server['password']}" if server["password"] else ""
    yield f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def production(smoke_database, s3_server, tmp_path_factory):
    """The deployment's processes; yields (base URL, task id to judge)."""
    var = tmp_path_factory.mktemp("production")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    bucket = "smoke-media"
    boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=bucket)
    # The run's own Redis database, which no other test uses meanwhile.
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(var),
        "VAR_DIR": str(var),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
        "CSRF_TRUSTED_ORIGINS": base,
        "DATABASE_URL": smoke_database,
        "REDIS_URL": settings.REDIS_URL,
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": s3_server,
        "S3_ACCESS_KEY_ID": "testing",
        "S3_SECRET_ACCESS_KEY": "testing",
        "S3_REGION": "us-east-1",
        "PORT": str(port),
        # Small, for a machine that runs the rest of the suite too.
        "WEB_CONCURRENCY": "2",
        "MEDIA_CONCURRENCY": "1",
        "JUDGE_CONCURRENCY": "1",
        "DEFAULT_CONCURRENCY": "1",
    }

    def run(*args: str) -> str:
        result = subprocess.run(
            args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
        )
        assert result.returncode == 0, f"{args}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        return result.stdout

    run("bin/run", "migrate")
    task = int(run(sys.executable, "-m", "tests.production_seed").strip().splitlines()[-1])
    run(sys.executable, "manage.py", "configure_s3_cors", base)

    processes = {}
    for name, role in ROLES.items():
        with open(var / f"{name}.log", "w") as log:
            processes[name] = subprocess.Popen(
                ["bin/run", *role], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                pass  # not listening yet, or loading the app
            assert time.monotonic() < deadline, (var / "web.log").read_text()[-3000:]
            time.sleep(0.3)
        yield base, task
    finally:
        for process in processes.values():
            process.terminate()
        for name, process in processes.items():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            # Shown by pytest when the test failed.
            print(f"== {name}\n{(var / f'{name}.log').read_text()[-2000:]}")


@pytest.fixture
def app_page(browser, production):
    """A page whose requests to the app say https, as the TLS proxy's would; collects
    console errors and uncaught exceptions."""
    base, _ = production

    def as_proxied(route):
        route.continue_(headers={**route.request.headers, "x-forwarded-proto": "https"})

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.route(f"{base}/**", as_proxied)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(f"{page.url}: {m.text}"))
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    yield page, errors
    context.close()


def test_it_answers_probes_over_plain_http_and_redirects_the_rest(production):
    base, _ = production
    assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
    response = requests.get(f"{base}/accounts/login/", allow_redirects=False, timeout=5)
    assert response.status_code == 301
    assert response.headers["Location"] == base.replace("http:", "https:") + "/accounts/login/"


def test_an_expert_works_on_the_production_service(app_page, production, tmp_path):
    page, errors = app_page
    base, task = production

    response = page.goto(f"{base}/accounts/login/")
    headers = response.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/benchmarks/")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["sessionid"]["secure"] and cookies["sessionid"]["httpOnly"]
    assert cookies["csrftoken"]["secure"]

    # Styled: Bootstrap's stylesheet, under its hashed name, applied.
    assert page.locator("nav.navbar").evaluate("n => getComputedStyle(n).display") == "flex"
    stylesheet = page.get_attribute("link[rel=stylesheet]", "href")
    assert re.fullmatch(r"/static/vendor/bootstrap/bootstrap\.min\.[0-9a-f]{12}\.css", stylesheet)
    static = requests.get(
        f"{base}{stylesheet}",
        headers={"Accept-Encoding": "br", "X-Forwarded-Proto": "https"},
        timeout=5,
    )
    assert static.headers["Cache-Control"] == "max-age=315360000, public, immutable"
    assert static.headers["Content-Encoding"] == "br"

    # The seeded video, processed by the media worker from S3.
    page.goto(f"{base}/videos/")
    page.wait_for_selector(".thumb-card .badge.media-ready", timeout=60_000)

    page.goto(f"{base}/judging/tasks/{task}/")
    check = page.locator(".judging-card").nth(0).locator(".check").first
    assert check.get_attribute("data-state") == "draft"
    check.click()
    page.wait_for_selector("#save-state.text-success")
    assert page.text_content("#save-state") == "saved"
    page.reload()
    check = page.locator(".judging-card").nth(0).locator(".check").first
    assert check.get_attribute("data-state") == "confirmed"

    page.goto(f"{base}/videos/upload/")
    page.set_input_files("#files", [str(make_video(tmp_path / "upload.mp4", shade=7))])
    page.wait_for_selector("tr[data-outcome]")
    assert page.get_attribute("tr[data-outcome]", "data-outcome") == "created"
    page.goto(f"{base}/videos/")
    page.wait_for_function(
        "() => document.querySelectorAll('.thumb-card .badge.media-ready').length == 2",
        timeout=60_000,
    )
    assert not errors, "\n".join(errors)
