import copy
import os

import pytest
from django.utils import translation

from annotator.celery import app as celery_app
from annotator.models.choices import Role
from tests.factories import UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop


@pytest.fixture(autouse=True)
def media_storage(settings, tmp_path):
    """Each test stores media in its own folder."""
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": media, "allow_overwrite": True},
        },
    }
    return media


@pytest.fixture(autouse=True)
def default_language():
    """LocaleMiddleware activates a request's language for the thread and leaves it
    there: each test starts in the default language, as a command or a task does."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(scope="session", autouse=True)
def served_as_in_development():
    """Tests run with DEBUG off, hence production's defaults; two do not fit a test
    server. Static files as they are, found by whitenoise in the apps' folders: the
    hashed-name storage needs collectstatic's manifest (test_static_files.py and the
    production smoke test run that one). Plain http: no redirect to https. For the
    whole session, before the live server builds its middleware, which reads these
    once."""
    from django.conf import settings
    from django.test import override_settings

    with override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        WHITENOISE_USE_FINDERS=True,
        WHITENOISE_AUTOREFRESH=True,
        SECURE_SSL_REDIRECT=False,
    ):
        yield


@pytest.fixture(autouse=True)
def eager_celery():
    """Tasks run inline unless a test drives a real worker."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def use_broker(url: str) -> None:
    """Points the app's Celery at `url`, dropping the connections it holds."""
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down(settings):
    """Celery (not eager) and the cache pointed at a loopback port where nothing
    listens, as when Redis is unreachable. Yields the restore function: the real
    broker back."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = f"redis://127.0.0.1:{port}/0"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": dead}
    }
    real = celery_app.conf.broker_url
    celery_app.conf.task_always_eager = False
    use_broker(dead)
    yield lambda: use_broker(real)
    use_broker(real)


@pytest.fixture
def annotator_user(db):
    return UserFactory(username="ann", role=Role.ANNOTATOR)


@pytest.fixture
def reviewer_user(db):
    return UserFactory(username="rev", role=Role.REVIEWER)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="boss", role=Role.ADMIN, is_superuser=True)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A new page; the test errs if the Content-Security-Policy blocked anything the
    app served (a script, a style or a media file the page then lacks)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    blocked = []
    page.on(
        "console",
        lambda m: (
            "Content Security Policy" in m.text
            and blocked.append(f"{m.location.get('url') or page.url}: {m.text}")
        ),
    )
    yield page
    context.close()
    assert not blocked, "the Content-Security-Policy blocked:\n" + "\n".join(blocked)


@pytest.fixture(scope="session")
def s3_server():
    """A real S3 endpoint on loopback (moto's server mode)."""
    import socket

    from moto.server import ThreadedMotoServer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_storage(settings, s3_server, monkeypatch):
    """Media in a fresh bucket of the S3 server, as with S3_BUCKET set."""
    import uuid

    import boto3

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    bucket = f"media-{uuid.uuid4().hex[:12]}"
    options = {
        "bucket_name": bucket,
        "endpoint_url": s3_server,
        "access_key": "testing",
        "secret_key": "testing",
        "region_name": "us-east-1",
        "querystring_auth": True,
        "file_overwrite": True,
        "signature_version": "s3v4",
    }
    boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1").create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    settings.S3_BUCKET = bucket
    # As settings.CSP_MEDIA_ORIGINS would: the browser loads media from the endpoint.
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    for directive in ("img-src", "media-src"):
        policy["DIRECTIVES"][directive].append(s3_server)
    settings.CONTENT_SECURITY_POLICY = policy
    return bucket


@pytest.fixture
def llm_server(settings):
    """A chat-completions endpoint on loopback, configured as the app's LLM."""
    from tests.llm_server import ChatServer

    server = ChatServer()
    settings.LLM_BASE_URL, settings.LLM_API_KEY, settings.LLM_MODEL = server.url, "k", "test-vlm"
    settings.LLM_TIMEOUT, settings.LLM_MAX_RETRIES = 2, 2
    yield server
    server.close()
