"""/readyz: 200 when the database, migrations, broker and storage are usable, else 503
naming what is not, quickly, and never a 500."""

import threading
from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.migration import Migration

from annotator.celery import app as celery_app
from annotator.core import readiness

pytestmark = pytest.mark.django_db


def test_it_answers_ok_without_login(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "database": "ok",
        "migrations": "ok",
        "broker": "ok",
        "storage": "ok",
    }


def test_it_names_an_unreachable_database(client):
    refused = mock.patch.object(
        BaseDatabaseWrapper, "ensure_connection", side_effect=OperationalError("refused")
    )
    with refused:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable (OperationalError)"
    assert response.json()["broker"] == "ok"


def test_it_names_unapplied_migrations(client):
    pending = [(Migration("0099_future", "annotator"), False)]
    with mock.patch.object(MigrationExecutor, "migration_plan", return_value=pending):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["migrations"] == "1 unapplied (annotator.0099_future)"
    assert response.json()["database"] == "ok"


def test_it_names_an_unreachable_broker(client, broker_down):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("unavailable")
    assert response.json()["database"] == "ok"


def test_it_names_a_missing_queue_folder(client, tmp_path, monkeypatch):
    conf = celery_app.conf
    options = {**conf.broker_transport_options, "data_folder_in": str(tmp_path / "gone")}
    monkeypatch.setitem(conf, "broker_url", "filesystem://")
    monkeypatch.setitem(conf, "broker_transport_options", options)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable (OSError)"


def test_it_names_a_media_folder_that_cannot_be_made(client, settings, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": blocker / "media"},
        },
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["storage"] == "unavailable (NotADirectoryError)"


def test_it_checks_the_s3_bucket(client, s3_storage):
    assert client.get("/readyz").json()["storage"] == "ok"


def test_it_names_a_missing_s3_bucket(client, settings, s3_storage):
    options = settings.STORAGES["default"]["OPTIONS"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {**options, "bucket_name": "gone"}},
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["storage"] == "unavailable (ClientError)"


def test_it_answers_in_time_when_a_check_hangs(client, settings, monkeypatch, caplog):
    settings.READYZ_TIMEOUT = 0.2
    release = threading.Event()
    monkeypatch.setitem(readiness.CHECKS, "broker", lambda: release.wait(30))
    try:
        response = client.get("/readyz")
    finally:
        release.set()
    assert response.status_code == 503
    assert response.json()["broker"] == "timed out after 0.2 s"
    assert response.json()["database"] == "ok"
    assert "not ready: {'broker': 'timed out after 0.2 s'}" in caplog.text
