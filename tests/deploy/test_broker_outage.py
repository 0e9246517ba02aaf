"""A broker outage loses nothing: work saved while Redis is unreachable waits in the
outbox (annotator.core.queue), the user is told so instead of a 500, and the sweep
sends it once the broker is back. (With a real worker: tests/deploy/test_celery_worker.py.)"""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotator.celery import app as celery_app
from annotator.core import queue
from annotator.models import ImportBatch, Job, OutboxMessage, Video
from annotator.models.choices import MediaStatus, VideoKind
from annotator.services.clip_drafts import clip_drafts_start
from annotator.services.judge_drafts import judge_drafts_start
from annotator.tasks import video_process
from rubrics_app.models import Task
from rubrics_app.services.drafting import criteria_draft_start
from tests.api_callers import client_for
from tests.factories import ClipFactory, TaskFactory, VideoFactory
from tests.videos import make_video

pytestmark = pytest.mark.django_db
# Where a test reads what its request's sends came to, the database commits for real:
# on_commit callbacks then run when the service's transaction ends, inside the view,
# as in production (captured callbacks would run after the response).
committing = pytest.mark.django_db(transaction=True)


def upload(client, path):
    batch = ImportBatch.objects.create(name="outage")
    with open(path, "rb") as fh:
        data = {"file": SimpleUploadedFile(path.name, fh.read(), "video/mp4")}
    return client.post(reverse("batch-upload", args=[batch.pk]), data)


def broker_back(restore) -> None:
    """The broker answers again; here tasks run inline, as a worker would run them."""
    restore()
    celery_app.conf.task_always_eager = True


@committing
def test_it_saves_an_upload_says_it_waits_and_processes_it_once_the_broker_is_back(
    broker_down, tmp_path
):
    client = client_for("admin")
    response = upload(client, make_video(tmp_path / "clip.mp4"))
    assert response.status_code == 201
    answer = response.json()
    assert answer["waiting"] is True and answer["message"] == queue.WAITING_NOTICE
    video = Video.objects.get(pk=answer["video"])
    assert video.media_status == MediaStatus.QUEUED
    message = OutboxMessage.objects.get()
    assert (message.task, message.args, message.attempts) == (
        "annotator.tasks.video_process",
        [video.pk],
        1,
    )
    assert "Connection refused" in message.last_error

    broker_back(broker_down)
    assert queue.outbox_flush(older_than=timedelta(0)) == 1
    video.refresh_from_db()
    assert video.media_status == MediaStatus.READY
    assert not OutboxMessage.objects.exists()


@committing
def test_it_keeps_a_failure_reason_when_the_rerun_waits(broker_down):
    failed = VideoFactory(
        media_status=MediaStatus.FAILED, media_error="no video track", file="videos/b.mp4"
    )
    client = client_for("admin")
    response = client.post(reverse("videos-reprocess"), {"video": failed.pk}, follow=True)
    assert response.status_code == 200
    assert str(queue.WAITING_NOTICE) in response.content.decode()
    failed.refresh_from_db()
    assert failed.media_status == MediaStatus.QUEUED and failed.media_error == "no video track"
    assert OutboxMessage.objects.get().args == [failed.pk]
    html = client.get(reverse("video-list")).content.decode()
    assert "last failure: no video track" in html


def test_it_answers_the_api_while_the_cache_and_broker_are_down(broker_down):
    response = client_for("read_token").get(reverse("api-benchmark-list"))
    assert response.status_code == 200


@committing
def test_it_queues_every_job_kind_through_the_outbox(admin_user, broker_down, llm_server):
    clip = ClipFactory()
    generated = VideoFactory(kind=VideoKind.GENERATED)
    task = TaskFactory()
    with queue.watch() as delivery:
        judge = judge_drafts_start(videos=Video.objects.filter(pk=generated.pk), user=admin_user)
        clips = clip_drafts_start(videos=[clip], user=admin_user)
        criteria = criteria_draft_start(tasks=Task.objects.filter(pk=task.pk), user=admin_user)
    assert delivery.sent == 0 and delivery.waiting == judge.total + 2
    waiting = sorted((m.task, m.args[-1]) for m in OutboxMessage.objects.all())
    assert waiting == sorted(
        [("annotator.tasks.judge_draft_task", judge.pk)] * judge.total
        + [
            ("annotator.tasks.clip_draft_task", clips.pk),
            ("rubrics_app.tasks.criteria_draft_task", criteria.pk),
        ]
    )
    assert Job.objects.count() == 3


@committing
def test_it_sends_at_once_and_keeps_nothing_when_the_broker_answers():
    with queue.watch() as delivery:
        queue.enqueue(video_process, [(10**9,)])  # eager: runs, finds no such video
    assert (delivery.sent, delivery.waiting) == (1, 0)
    assert not OutboxMessage.objects.exists()


def test_it_leaves_young_messages_to_the_send_after_their_commit(settings):
    settings.SWEEP_SECONDS = 60
    OutboxMessage.objects.create(task="annotator.tasks.video_process", args=[10**9])
    assert queue.outbox_flush() == 0
    assert OutboxMessage.objects.count() == 1


def test_it_keeps_what_the_sweep_could_not_send(broker_down):
    OutboxMessage.objects.create(task="annotator.tasks.video_process", args=[10**9])
    assert queue.outbox_flush(older_than=timedelta(0)) == 0
    assert OutboxMessage.objects.get().attempts == 1
