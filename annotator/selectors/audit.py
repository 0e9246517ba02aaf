"""The audit log: who changed what and when, read from the history django-simple-history
keeps of the models in KINDS (its rows outlive the objects they describe).

Entries are ordered newest first by (date, kind, history id) and read by keyset: per
kind one query for a page of rows past the cursor, merged by date in Python; then per
kind one query for the records the page's changes are compared with. However long the
history, a page reads a bounded number of rows in a bounded number of queries."""

import heapq
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any, cast

from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from annotator.models import Assignment, ClipDecision, GoldAnswer, Judgment, User
from rubrics_app.models import Criterion, Task

PAGE_SIZE = 50
# A page reads at most this many pages' worth of rows to skip saves that are no change.
READ_ROUNDS = 4
EXPORT_CHUNK = 1000
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _task(task: Any, task_id: int | None) -> str:
    """A task (or a historical record of one) as "<benchmark> #<index>"."""
    if task is None:
        return f"task {task_id} (deleted)"
    benchmark = task.benchmark.name if task.benchmark else f"benchmark {task.benchmark_id}"
    return f"{benchmark} #{task.index}"


def _criterion(criterion: Criterion | None, criterion_id: int | None) -> str:
    if criterion is None:
        return f"criterion {criterion_id} (deleted)"
    return (
        f"{_task(criterion.task, criterion.task_id)} "
        f"{criterion.get_dimension_display()} {criterion.number}"
    )


def _clip(record: Any) -> str:
    video = record.video
    return f"clip {video.external_id or video.pk}" if video else f"video {record.video_id}"


def _person(user: User | None, user_id: int | None) -> str:
    return user.get_username() if user else f"user {user_id}"


def _assignment(record: Any) -> str:
    item = _clip(record) if record.video_id else _task(record.task, record.task_id)
    batch = record.batch.name if record.batch else f"batch {record.batch_id}"
    return f"{batch}: {item} → {_person(record.user, record.user_id)}"


def _gold(record: Any) -> str:
    if record.criterion_id:
        return f"video {record.video_id} · {_criterion(record.criterion, record.criterion_id)}"
    return _clip(record)


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    model: type[models.Model]
    # select_related of the historical model: what the label reads.
    related: tuple[str, ...]
    describe: Callable[[Any], str]
    # The object's page; only linked while the object exists.
    url: Callable[[Any], str | None]
    # Fields shown for a "created" entry (a change shows what changed).
    on_create: tuple[str, ...]

    # Cached: the model's `history` descriptor builds a manager class on each access.
    # simple_history is untyped: the historical model and its `history` are Any.
    @cached_property
    def history(self) -> type[Any]:
        return cast(Any, self.model).history.model

    @cached_property
    def fields(self) -> list[str]:
        """The fields compared between records, as simple_history's diff does."""
        return [f.name for f in self.history.tracked_fields if f.editable]


KINDS = (
    Kind(
        "criterion",
        gettext_noop("criterion"),
        Criterion,
        ("task__benchmark",),
        lambda r: (
            f"{_task(r.task, r.task_id)} {r.get_dimension_display()} {r.number}: " + _short(r.text)
        ),
        lambda r: reverse("task-history", args=[r.task_id]) + f"?criterion={r.id}",
        ("text", "polarity", "weight", "status"),
    ),
    Kind(
        "task",
        gettext_noop("task"),
        Task,
        ("benchmark",),
        lambda r: f"{_task(r, r.id)}: {_short(r.prompt)}",
        lambda r: reverse("task-detail", args=[r.id]),
        ("prompt", "level"),
    ),
    Kind(
        "verdict",
        gettext_noop("verdict"),
        Judgment,
        ("criterion__task__benchmark", "user"),
        lambda r: f"video {r.video_id} · {_criterion(r.criterion, r.criterion_id)}",
        lambda r: reverse("judging-task", args=[r.criterion.task_id]) if r.criterion else None,
        ("verdict", "status", "user"),
    ),
    Kind(
        "clip_decision",
        gettext_noop("clip decision"),
        ClipDecision,
        ("video", "user"),
        lambda r: (
            f"{_clip(r)} by {_person(r.user, r.user_id)}"
            + (" (adjudication)" if r.adjudication else "")
        ),
        lambda r: reverse("adjudication-clip", args=[r.video_id]),
        ("decision", "reasons", "level", "caption"),
    ),
    Kind(
        "assignment",
        gettext_noop("assignment"),
        Assignment,
        ("batch", "user", "video", "task__benchmark"),
        _assignment,
        lambda r: reverse("batch-dashboard", args=[r.batch_id]),
        (),
    ),
    Kind(
        "gold",
        gettext_noop("gold answer"),
        GoldAnswer,
        ("video", "criterion__task__benchmark"),
        _gold,
        lambda r: None,
        ("decision", "verdict"),
    ),
    Kind(
        "user",
        gettext_noop("role/user"),
        User,
        (),
        lambda r: r.username,
        lambda r: reverse("admin:annotator_user_change", args=[r.id]),
        ("role", "email", "is_active"),
    ),
)
KIND_BY_KEY = {kind.key: kind for kind in KINDS}
_RANK = {kind.key: rank for rank, kind in enumerate(KINDS)}


@dataclass(frozen=True)
class AuditFilter:
    kind: str = ""
    user: User | None = None
    start: date | None = None
    end: date | None = None  # inclusive

    @property
    def kinds(self) -> tuple[Kind, ...]:
        return (KIND_BY_KEY[self.kind],) if self.kind else KINDS


@dataclass
class Change:
    field: str
    before: str
    after: str


@dataclass
class Entry:
    when: datetime
    who: str
    kind: Kind
    object_id: int
    label: str
    live: bool  # the object still exists
    url: str | None
    action: str
    reason: str
    changes: list[Change] = field(default_factory=list)
    cursor: str = ""


@dataclass
class Page:
    entries: list[Entry]
    newer: str | None  # cursor for the page before this one (?after=)
    older: str | None  # cursor for the page after this one (?before=)


# A cursor is a row's sort key, "<microseconds since the epoch>.<kind>.<history id>".
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_Key = tuple[datetime, int, int]


def _encode(key: _Key) -> str:
    when, rank, history_id = key
    return f"{(when - _EPOCH) // timedelta(microseconds=1)}.{KINDS[rank].key}.{history_id}"


def _decode(cursor: str) -> _Key | None:
    """The key of a cursor; None for anything that is not one (a garbled link)."""
    try:
        micros, kind, history_id = cursor.split(".")
        return _EPOCH + timedelta(microseconds=int(micros)), _RANK[kind], int(history_id)
    except (ValueError, KeyError, OverflowError):
        return None


def _key(kind: Kind, record: Any) -> _Key:
    return record.history_date, _RANK[kind.key], record.history_id


def _records(kind: Kind, filters: AuditFilter) -> QuerySet:
    """The kind's history rows under the filters, each with the id of the record before
    it: a column, not a filter, so it is computed only for the rows read and the date
    index alone bounds the scan."""
    history = kind.history
    previous = (
        history.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
        .order_by("-history_id")
        .values("history_id")[:1]
    )
    records = history.objects.select_related("history_user", *kind.related).annotate(
        previous_id=Subquery(previous),
        live=Exists(kind.model._default_manager.filter(pk=OuterRef("id"))),
    )
    if filters.user is not None:
        records = records.filter(history_user=filters.user)
    tz = timezone.get_current_timezone()
    if filters.start:
        records = records.filter(history_date__gte=datetime.combine(filters.start, time.min, tz))
    if filters.end:
        day_after = filters.end + timedelta(days=1)
        records = records.filter(history_date__lt=datetime.combine(day_after, time.min, tz))
    return records


def _past(kind: Kind, records: QuerySet, key: _Key | None, newer: bool) -> QuerySet:
    """The records after `key` in the log's order (newest first), or before it when
    `newer`, nearest first. The date bound comes first so the date index serves it."""
    if key is not None:
        when, rank, history_id = key
        mine = _RANK[kind.key]
        if newer:
            bound = Q(history_date__gte=when) if mine > rank else Q(history_date__gt=when)
            if mine == rank:
                bound = Q(history_date__gte=when) & (
                    Q(history_date__gt=when) | Q(history_id__gt=history_id)
                )
        else:
            bound = Q(history_date__lte=when) if mine < rank else Q(history_date__lt=when)
            if mine == rank:
                bound = Q(history_date__lte=when) & (
                    Q(history_date__lt=when) | Q(history_id__lt=history_id)
                )
        records = records.filter(bound)
    if newer:
        return records.order_by("history_date", "history_id")
    return records.order_by("-history_date", "-history_id")


def _stream(
    kind: Kind, records: QuerySet, key: _Key | None, newer: bool, chunk: int
) -> Iterator[tuple[_Key, Kind, Any]]:
    """The kind's records past `key` in order, read `chunk` at a time by keyset."""
    while True:
        rows = list(_past(kind, records, key, newer)[:chunk])
        for row in rows:
            yield _key(kind, row), kind, row
        if len(rows) < chunk:
            return
        key = _key(kind, rows[-1])


def _merged(
    filters: AuditFilter, key: _Key | None, newer: bool, chunk: int
) -> Iterator[tuple[_Key, Kind, Any]]:
    streams = [_stream(kind, _records(kind, filters), key, newer, chunk) for kind in filters.kinds]
    return heapq.merge(*streams, key=lambda item: item[0], reverse=not newer)


def _shown(model_field: models.Field, value: Any) -> str:
    """A field's value as a person reads it."""
    if value is None or value == "":
        return "—"
    if model_field.flatchoices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if model_field.is_relation:
        return f"#{value}"
    return str(value)


def _entries(items: list[tuple[_Key, Kind, Any]]) -> list[Entry]:
    """Entries for the rows, with their changes against the previous record (one query
    per kind with changed rows). Saves that changed no tracked field (a login's
    last_login, a verdict given again) are left out: they are not changes."""
    wanted: dict[Kind, list[int]] = {}
    for _, kind, record in items:
        if record.history_type == "~" and record.previous_id:
            wanted.setdefault(kind, []).append(record.previous_id)
    previous = {
        (kind.key, row.history_id): row
        for kind, ids in wanted.items()
        for row in kind.history.objects.filter(history_id__in=ids)
    }
    entries = []
    for key, kind, record in items:
        meta = kind.history._meta
        changes = []
        before = previous.get((kind.key, record.previous_id))
        if record.history_type == "~" and before is not None:
            delta = record.diff_against(before, included_fields=kind.fields)
            if not delta.changes:
                continue
            changes = [
                Change(
                    str(meta.get_field(c.field).verbose_name),
                    _shown(meta.get_field(c.field), c.old),
                    _shown(meta.get_field(c.field), c.new),
                )
                for c in delta.changes
            ]
        elif record.history_type == "+":
            changes = [
                Change(
                    str(meta.get_field(name).verbose_name),
                    "",
                    _shown(meta.get_field(name), getattr(record, meta.get_field(name).attname)),
                )
                for name in kind.on_create
            ]
        user = record.history_user
        entries.append(
            Entry(
                when=record.history_date,
                who=user.get_username() if user else "system",
                kind=kind,
                object_id=record.id,
                label=kind.describe(record),
                live=record.live,
                url=kind.url(record) if record.live else None,
                action=ACTIONS[record.history_type],
                reason=record.history_change_reason or "",
                changes=changes,
                cursor=_encode(key),
            )
        )
    return entries


def _walk(
    filters: AuditFilter, key: _Key | None, newer: bool, size: int
) -> tuple[list[Entry], _Key | None]:
    """Up to size + 1 entries past `key`, nearest first. Rows that are no change are
    skipped, and more read in their place, up to READ_ROUNDS times the page: a long run
    of them ends the page early, with the key of the last row read to go on from
    (else None)."""
    merged = _merged(filters, key, newer, size + 1)
    entries: list[Entry] = []
    for _ in range(READ_ROUNDS):
        wanted = size + 1 - len(entries)
        items = list(itertools.islice(merged, wanted))
        entries += _entries(items)
        if len(entries) > size or len(items) < wanted:
            return entries, None
        key = items[-1][0]
    return entries, key


def audit_page(
    filters: AuditFilter, *, before: str = "", after: str = "", size: int = PAGE_SIZE
) -> Page:
    """One page of the log: the newest entries, or those older than the cursor
    `before`, or the nearest newer than the cursor `after`."""
    if after and (key := _decode(after)) is not None:
        found, stopped = _walk(filters, key, True, size)
        entries = found[:size][::-1]
        more = entries[0].cursor if len(found) > size else None
        return Page(
            entries,
            newer=more or (_encode(stopped) if stopped else None),
            older=entries[-1].cursor if entries else after,
        )
    key = _decode(before) if before else None
    found, stopped = _walk(filters, key, False, size)
    entries = found[:size]
    more = entries[-1].cursor if len(found) > size else None
    return Page(
        entries,
        newer=(entries[0].cursor if entries else before) if key is not None else None,
        older=more or (_encode(stopped) if stopped else None),
    )


def audit_entries(filters: AuditFilter, chunk: int = EXPORT_CHUNK) -> Iterator[Entry]:
    """Every entry under the filters, newest first, read `chunk` rows at a time."""
    merged: Iterable = _merged(filters, None, False, chunk)
    while items := list(itertools.islice(merged, chunk)):
        yield from _entries(items)
