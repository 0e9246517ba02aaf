"""Every verdict with its provenance, as JSONL or CSV, for downstream tools. Streamed in
constant memory: one query read a chunk at a time as plain tuples (no model instances,
no query per row), written out a chunk at a time."""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring
from typing import Any

from django.db.models import CharField, Func, QuerySet, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import NullIf

from annotator.models import GeneratorModel, Judgment
from rubrics_app.models import Benchmark, Release, ReleaseCriterion


class UtcIso(Func):
    """A time as ISO-8601 text in UTC ("2025-06-01T12:00:00.250000Z", as
    dataset_export.iso writes it), formatted by the database: parsing a datetime per
    row and formatting it again would be half the time of the export on SQLite."""

    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores times there as UTC text, "2025-06-01 12:00:00[.250000]".
        template = "replace(%(expressions)s, ' ', 'T') || 'Z'"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        # Without the microseconds when there are none, like datetime.isoformat().
        template = (
            "replace(to_char(%(expressions)s AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), '.000000Z', 'Z')"
        )
        return self.as_sql(compiler, connection, template=template, **extra)


# Output column and what it is read from, in output order: a draft has no user, an
# expert's verdict no judge model (null).
COLUMNS: dict[str, str | Combinable] = {
    "video_id": "video_id",
    "generator": "video__generator__name",
    "task_index": "criterion__task__index",
    "benchmark": "criterion__task__benchmark__name",
    "criterion_id": "criterion_id",
    "criterion_number": "criterion__number",
    "dimension": "criterion__dimension",
    "verdict": "verdict",
    "source": "source",
    "user": "user__username",
    "judge_model": NullIf("judge_model", Value("")),
    "status": "status",
    "time_mark": "time_mark",
    # What the expert had watched of the video when giving the verdict (null: not measured).
    "coverage": "watch_coverage",
    "replays": "watch_replays",
    "frame_steps": "watch_frame_steps",
    "seconds_on_task": "watch_seconds",
    "created_at": UtcIso("created_at"),
    "updated_at": UtcIso("updated_at"),
}
ROWS_PER_QUERY = 5000


@dataclass
class VerdictFilters:
    generator: GeneratorModel | None = None
    benchmark: Benchmark | None = None
    release: Release | None = None  # only the criteria frozen in it
    source: str | None = None
    status: str | None = None
    since: datetime | None = None  # updated at or after


def verdicts_filtered(filters: VerdictFilters) -> QuerySet[Judgment]:
    judgments = Judgment.objects.all()
    if filters.generator is not None:
        judgments = judgments.filter(video__generator=filters.generator)
    if filters.benchmark is not None:
        judgments = judgments.filter(criterion__task__benchmark=filters.benchmark)
    if filters.release is not None:
        frozen = ReleaseCriterion.objects.filter(release_task__release=filters.release)
        judgments = judgments.filter(criterion__in=frozen.values("criterion_id"))
    if filters.source:
        judgments = judgments.filter(source=filters.source)
    if filters.status:
        judgments = judgments.filter(status=filters.status)
    if filters.since is not None:
        judgments = judgments.filter(updated_at__gte=filters.since)
    return judgments


def verdict_rows(judgments: QuerySet[Judgment]) -> Iterator[tuple[Any, ...]]:
    """One tuple of COLUMNS values per verdict, oldest first, as the database gives
    them: nothing is done per row in Python."""
    return (
        judgments.order_by("pk").values_list(*COLUMNS.values()).iterator(chunk_size=ROWS_PER_QUERY)
    )


def _chunks(rows: Iterable[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    """Rows in lists of ROWS_PER_QUERY: written out one chunk at a time, not per row."""
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == ROWS_PER_QUERY:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# One JSON object per line, keys in COLUMNS order, filled in by _json_values.
_JSONL_LINE = "{" + ", ".join(f"{json.dumps(name)}: %s" for name in COLUMNS) + "}\n"


def _json_values(row: tuple[Any, ...]) -> tuple[str, ...]:
    # Numbers and text are all a row holds; formatting them here takes half the time
    # json.dumps of a dict per row would.
    return tuple(
        [
            "null" if v is None else encode_basestring(v) if isinstance(v, str) else str(v)
            for v in row
        ]
    )


def verdicts_jsonl(rows: Iterable[tuple[Any, ...]]) -> Iterator[bytes]:
    for chunk in _chunks(rows):
        yield "".join([_JSONL_LINE % _json_values(row) for row in chunk]).encode()


def verdicts_csv(rows: Iterable[tuple[Any, ...]]) -> Iterator[bytes]:
    """A header, then one line per verdict; None is written as an empty field."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    yield buffer.getvalue().encode()
    for chunk in _chunks(rows):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(chunk)
        yield buffer.getvalue().encode()
