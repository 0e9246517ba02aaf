import os

import pytest

from annotator.celery import app as celery_app
from annotator.choices import Role
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
            "OPTIONS": {"location": media},
        },
    }
    return media


@pytest.fixture(autouse=True)
def eager_celery():
    """Tasks run inline unless a test drives a real worker."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def annotator_user(db):
    return UserFactory(username="ann", role=Role.ANNOTATOR)


@pytest.fixture
def reviewer_user(db):
    return UserFactory(username="rev", role=Role.REVIEWER)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="boss", role=Role.ADMIN, is_superuser=True)
