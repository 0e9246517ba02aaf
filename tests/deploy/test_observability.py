"""What operators see: request ids and JSON log lines, Prometheus metrics behind a
token (latencies, queue lengths, job outcomes), Sentry only with a DSN."""

import gzip
import json
import logging
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import brotli
import pytest
from django.test import Client

from annotator.celery import app as celery_app
from annotator.core.jobs import job_create, job_item_finished
from tests import ROOT
from tests.conftest import use_broker
from tests.factories import VideoFactory

TOKEN = "metrics-secret"


def run_django(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """Runs `code` in a fresh process set up with the app's settings and `env`."""
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    return subprocess.run(
        [sys.executable, "-c", "import django\ndjango.setup()\n" + code],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "annotator.settings",
            "VAR_DIR": str(tmp_path / "var"),
            "ALLOWED_HOSTS": "testserver",
            "STATIC_MANIFEST": "false",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_echoes_the_proxys_request_id(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="edge-7f3a.42")
    assert response["X-Request-ID"] == "edge-7f3a.42"


@pytest.mark.parametrize("sent", [None, "forged\nline", "x" * 200])
def test_it_makes_its_own_request_id_without_a_usable_one(client, sent):
    headers = {} if sent is None else {"HTTP_X_REQUEST_ID": sent}
    assert re.fullmatch(r"[0-9a-f]{32}", client.get("/healthz", **headers)["X-Request-ID"])


@pytest.mark.django_db
def test_it_logs_each_request_with_its_user_and_duration(client, annotator_user, caplog):
    client.force_login(annotator_user)
    with caplog.at_level(logging.INFO, logger="annotator.requests"):
        response = client.get("/account/", HTTP_X_REQUEST_ID="req-1")
        Client().get("/healthz")
    first, second = [r for r in caplog.records if r.name == "annotator.requests"]
    assert (first.method, first.path, first.status) == ("GET", "/account/", 200)
    assert first.user_id == annotator_user.pk and first.request_id == "req-1"
    assert isinstance(first.duration_ms, float) and response["X-Request-ID"] == "req-1"
    assert second.user_id is None


def test_it_writes_json_lines_when_asked(tmp_path):
    done = run_django(
        "import logging\n"
        "from django.test import Client\n"
        "Client().get('/healthz', HTTP_X_REQUEST_ID='req-42')\n"
        "logging.getLogger('annotator.x').warning('outside a request')\n",
        tmp_path,
        LOG_FORMAT="json",
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    request = next(line for line in lines if line["logger"] == "annotator.requests")
    assert request["message"] == "GET /healthz 200" and request["level"] == "INFO"
    assert request["request_id"] == "req-42" and request["time"]
    assert (request["method"], request["path"], request["status"]) == ("GET", "/healthz", 200)
    assert request["user_id"] is None and request["duration_ms"] >= 0
    assert {"logger": "annotator.x", "message": "outside a request", "request_id": ""}.items() <= (
        lines[-1].items()
    )


def test_it_refuses_a_bad_log_format(tmp_path):
    done = run_django("", tmp_path, LOG_FORMAT="xml")
    assert "LOG_FORMAT must be text or json, got 'xml'" in done.stderr


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape(client, token=TOKEN):
    return client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_it_has_no_metrics_without_a_token_set(client):
    assert scrape(client).status_code == 404


@pytest.mark.django_db
def test_it_refuses_metrics_without_the_token(client, metrics_on, admin_user):
    client.force_login(admin_user)  # a session is not enough
    assert client.get("/metrics").status_code == 401
    refused = scrape(client, "guess")
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_it_answers_metrics_with_the_token(client, metrics_on):
    job = job_create(kind="judge_drafts", total=3, user=None)
    job_item_finished(job_id=job.pk, item="1", failure="")
    job_item_finished(job_id=job.pk, item="2", failure="")
    job_item_finished(job_id=job.pk, item="3", failure="video 3: no reply")
    VideoFactory(media_status="failed")
    client.get("/healthz")
    response = scrape(client)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    assert re.search(
        r'django_http_requests_latency_seconds_by_view_method_bucket\{le="[\d.]+",'
        r'method="GET",view="healthz"\} [1-9]',
        text,
    )
    assert 'annotator_job_items_total{kind="judge_drafts",outcome="succeeded"} 2.0' in text
    assert 'annotator_job_items_total{kind="judge_drafts",outcome="failed"} 1.0' in text
    assert 'annotator_videos{status="failed"} 1.0' in text
    assert re.search(r'annotator_queue_length\{queue="judge"\} \d+\.0', text)


@pytest.fixture
def own_queue_folder(tmp_path):
    """The filesystem broker in a folder of this test's own."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.broker_transport_options
    folder = str(tmp_path / "queue")
    os.makedirs(folder)
    conf.broker_transport_options = {
        "data_folder_in": folder,
        "data_folder_out": folder,
        "processed_folder": folder,
        "control_folder": str(tmp_path),
    }
    use_broker("filesystem://")
    yield
    conf.broker_transport_options = saved[1]
    use_broker(saved[0])


@pytest.mark.django_db
def test_it_counts_the_tasks_waiting_in_each_queue(client, metrics_on, own_queue_folder):
    for queue in ("judge", "judge", "media"):
        celery_app.send_task("annotator.tasks.outbox_flush", queue=queue)
    text = scrape(client).content.decode()
    assert 'annotator_queue_length{queue="judge"} 2.0' in text
    assert 'annotator_queue_length{queue="media"} 1.0' in text
    assert 'annotator_queue_length{queue="default"} 0.0' in text


@pytest.mark.django_db
def test_it_answers_metrics_while_the_broker_is_down(client, metrics_on, broker_down):
    response = scrape(client)
    assert response.status_code == 200
    text = response.content.decode()
    assert "annotator_queue_length{" not in text and "annotator_job_items" in text


class FakeSentry:
    """An HTTP endpoint that takes Sentry's envelopes."""

    def __init__(self) -> None:
        self.envelopes: list[bytes] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                encoding = self.headers.get("Content-Encoding")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "br":
                    body = brotli.decompress(body)
                server.envelopes.append(body)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.dsn = f"http://public@127.0.0.1:{self.httpd.server_address[1]}/1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


REPORT = (
    "import sentry_sdk\n"
    "print(sentry_sdk.get_client().is_active())\n"
    "sentry_sdk.capture_message('observability test')\n"
    "sentry_sdk.flush(timeout=10)\n"
)


def test_it_reports_to_sentry_with_a_dsn(tmp_path):
    sentry = FakeSentry()
    done = run_django(REPORT, tmp_path, SENTRY_DSN=sentry.dsn, SENTRY_ENVIRONMENT="lab")
    sentry.httpd.shutdown()
    assert done.returncode == 0 and done.stdout.strip() == "True", done.stderr
    (envelope,) = sentry.envelopes
    event = json.loads(envelope.splitlines()[2])
    assert event["message"] == "observability test" and event["environment"] == "lab"


def test_it_reports_nothing_without_a_dsn(tmp_path):
    done = run_django(REPORT, tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == "False", done.stderr
