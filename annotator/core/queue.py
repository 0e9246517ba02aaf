"""Queuing Celery tasks so that an unreachable broker loses nothing: a transactional
outbox. Each call is written to the database with the work it starts; after the commit
it is sent and its row deleted. While the broker is unreachable the row stays and the
user is told the work waits; the sweep (outbox_flush, run by celery beat every
SWEEP_SECONDS) sends it once the broker is back. A message may thus be sent twice (a
process stopped between sending and deleting): every task is safe to run again."""

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import kombu.exceptions
import redis
from celery import Task
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from annotator.celery import app
from annotator.models import OutboxMessage

log = logging.getLogger(__name__)

# What publishing raises when the broker cannot be reached (kombu wraps most of it).
BROKER_ERRORS = (kombu.exceptions.OperationalError, redis.RedisError, OSError)
WAITING_NOTICE = _(
    "Saved. The job queue is unreachable: processing will start by itself when it is back."
)


@dataclass
class Delivery:
    """What the sends made inside a `watch()` block came to."""

    sent: int = 0
    waiting: int = 0


_delivery: ContextVar[Delivery | None] = ContextVar("queue_delivery", default=None)


@contextmanager
def watch() -> Iterator[Delivery]:
    """Counts the messages sent, and those left waiting for the broker, by the work
    done inside the block (a view tells its user when work waits)."""
    delivery = Delivery()
    token = _delivery.set(delivery)
    try:
        yield delivery
    finally:
        _delivery.reset(token)


@contextmanager
def watch_for_page(request: HttpRequest) -> Iterator[Delivery]:
    """watch() for a view that answers with a page: the user's messages then say when
    the work waits for the job queue."""
    with watch() as delivery:
        yield delivery
    if delivery.waiting:
        messages.warning(request, WAITING_NOTICE)


def enqueue(task: Task, calls: Iterable[Sequence[Any]]) -> None:
    """Queues task(*args) for each args in `calls` once the current transaction
    commits (at once outside one)."""
    messages = OutboxMessage.objects.bulk_create(
        [OutboxMessage(task=task.name, args=list(args)) for args in calls], batch_size=1000
    )
    if messages:
        transaction.on_commit(lambda: _send(messages))


def _send(messages: list[OutboxMessage]) -> int:
    """Sends the messages in order and deletes those sent; at the first broker error
    the rest stay for the sweep (the next ones would fail the same way, each after
    Celery's publish retries). Returns how many were sent."""
    sent: list[int] = []
    try:
        for message in messages:
            app.tasks[message.task].delay(*message.args)
            sent.append(message.pk)
    except BROKER_ERRORS as exc:
        waiting = [m.pk for m in messages[len(sent) :]]
        log.warning("job queue unreachable, %d task(s) wait in the outbox: %s", len(waiting), exc)
        OutboxMessage.objects.filter(pk__in=waiting).update(
            attempts=F("attempts") + 1, last_error=str(exc)[:1000]
        )
    finally:
        OutboxMessage.objects.filter(pk__in=sent).delete()
    if (delivery := _delivery.get()) is not None:
        delivery.sent += len(sent)
        delivery.waiting += len(messages) - len(sent)
    return len(sent)


def outbox_flush(*, older_than: timedelta | None = None, chunk: int = 500) -> int:
    """Sends the messages older than `older_than` (default SWEEP_SECONDS): those the
    broker refused, and those whose web process stopped before sending them. Locked
    rows are skipped, so sweeps running at once do not both send. Returns how many
    were sent."""
    if older_than is None:
        older_than = timedelta(seconds=settings.SWEEP_SECONDS)
    cutoff = timezone.now() - older_than
    total = 0
    while True:
        with transaction.atomic():
            messages = list(
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(created_at__lte=cutoff)
                .order_by("pk")[:chunk]
            )
            sent = _send(messages)
        total += sent
        if sent < chunk:  # all sent, or the broker is down again
            return total
