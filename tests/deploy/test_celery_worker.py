"""Drives a real Celery worker process through Redis (run by bin/test against
PostgreSQL and Redis; skipped where REDIS_URL is not set)."""

import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from annotator.celery import app as celery_app
from annotator.core.queue import outbox_flush
from annotator.models import OutboxMessage
from annotator.models.choices import MediaStatus
from annotator.services.media import videos_requeue_stale
from annotator.services.videos import dataset_clip_create
from tests import ROOT
from tests.services import NEEDS_POSTGRES_AND_REDIS
from tests.videos import make_video

pytestmark = NEEDS_POSTGRES_AND_REDIS


@pytest.fixture
def start_worker(media_storage, tmp_path):
    """Starts real worker processes (`celery -A annotator worker`) on the test database
    and media folder; each returns (process, log path)."""
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "MEDIA_ROOT": str(media_storage),
        "REDIS_URL": settings.REDIS_URL,
    }
    processes = []

    def start() -> tuple[subprocess.Popen, Path]:
        log = tmp_path / f"worker{len(processes)}.log"
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
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        processes.append(process)
        return process, log

    celery_app.conf.task_always_eager = False
    yield start
    for process in processes:
        process.kill()
        process.wait(timeout=30)


def wait_for(video, statuses, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        video.refresh_from_db()
        if video.media_status in statuses:
            return video.media_status
        time.sleep(0.05)
    return video.media_status


@pytest.mark.django_db(transaction=True)
def test_a_worker_processes_an_uploaded_clip(start_worker, tmp_path):
    _, log = start_worker()
    video = dataset_clip_create(path=make_video(tmp_path / "clip.mp4", frames=48)).video
    assert wait_for(video, {MediaStatus.READY, MediaStatus.FAILED}) == MediaStatus.READY, (
        log.read_text()[-3000:]
    )
    assert (video.frame_count, video.width, video.codec) == (48, 64, "h264")
    assert len(video.judge_frames) == 8 and video.poster and video.filmstrip
    assert "video_process" in log.read_text()


@pytest.mark.django_db(transaction=True)
def test_a_video_whose_worker_was_killed_is_processed_after_the_sweep(start_worker, tmp_path):
    worker, log = start_worker()
    # MJPEG needs a playable copy: long enough to kill the worker in the middle.
    path = make_video(tmp_path / "long.avi", codec="mjpeg", frames=480, width=640, height=480)
    video = dataset_clip_create(path=path).video
    assert wait_for(video, {MediaStatus.PROCESSING}) == MediaStatus.PROCESSING, log.read_text()
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    video.refresh_from_db()
    assert video.media_status == MediaStatus.PROCESSING  # what a killed worker leaves

    assert videos_requeue_stale(older_than=timedelta(0)) == 1
    _, log = start_worker()
    assert wait_for(video, {MediaStatus.READY, MediaStatus.FAILED}, 120) == MediaStatus.READY, (
        log.read_text()[-3000:]
    )
    assert video.playable
    assert processed(log) == 1


def processed(log: Path) -> int:
    """How many processing tasks the worker finished."""
    return len(re.findall(r"video_process\[[^\]]+\] succeeded", log.read_text()))


@pytest.mark.django_db(transaction=True)
def test_an_upload_saved_while_the_broker_was_down_is_processed_once_it_is_back(
    start_worker, broker_down, tmp_path
):
    video = dataset_clip_create(path=make_video(tmp_path / "late.mp4", frames=48)).video
    assert video.media_status == MediaStatus.QUEUED
    assert OutboxMessage.objects.get().args == [video.pk]

    broker_down()  # restores the real broker
    _, log = start_worker()
    assert outbox_flush(older_than=timedelta(0)) == 1
    assert wait_for(video, {MediaStatus.READY, MediaStatus.FAILED}) == MediaStatus.READY, (
        log.read_text()[-3000:]
    )
    assert not OutboxMessage.objects.exists() and processed(log) == 1
