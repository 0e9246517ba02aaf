"""Drives a real Celery worker process through Redis (run by bin/test against
PostgreSQL and Redis; skipped where REDIS_URL is not set)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from annotator.celery import app as celery_app
from annotator.choices import MediaStatus
from annotator.services.videos import dataset_clip_create
from tests.videos import make_video

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(
        not settings.REDIS_URL or connection.vendor != "postgresql",
        reason="needs REDIS_URL and PostgreSQL (bin/test sets both when they answer)",
    ),
]


@pytest.fixture
def worker(media_storage, tmp_path):
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "MEDIA_ROOT": str(media_storage),
        "REDIS_URL": settings.REDIS_URL,
    }
    log = tmp_path / "worker.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "annotator",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
            ],
            cwd=Path(__file__).resolve().parents[1],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    celery_app.conf.task_always_eager = False
    yield log
    process.terminate()
    process.wait(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_a_worker_processes_an_uploaded_clip(worker, tmp_path):
    video = dataset_clip_create(path=make_video(tmp_path / "clip.mp4", frames=48)).video
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        video.refresh_from_db()
        if video.media_status in (MediaStatus.READY, MediaStatus.FAILED):
            break
        time.sleep(0.2)
    assert video.media_status == MediaStatus.READY, worker.read_text()[-3000:]
    assert (video.frame_count, video.width, video.codec) == (48, 64, "h264")
    assert "video_process" in worker.read_text()
