"""A release's export bodies (rubric file, JSONL, CSV), streamed in blocks."""

import csv
import itertools
import json
from collections.abc import Iterable, Iterator

from django.db.models import Case, Value, When

from rubrics_app.models import (
    Release,
    ReleaseCriterion,
)
from rubrics_app.rubric_format import DIMENSION_KEYS, encode, format_weight
from rubrics_app.services.releases import release_export

# Exports ---------------------------------------------------------------------------

EXPORTS = {
    "rubrics": ("application/json; charset=utf-8", "rubrics.json"),
    "jsonl": ("application/x-ndjson; charset=utf-8", "criteria.jsonl"),
    "csv": ("text/csv; charset=utf-8", "criteria.csv"),
}
ROW_COLUMNS = [
    "task_index",
    "level",
    "prompt",
    "requirement",
    "dimension",
    "number",
    "position",
    "text",
    "polarity",
    "weight",
]
CHUNK = 1 << 16


def chunks(pieces: Iterable[str]) -> Iterator[bytes]:
    """Pieces joined into blocks of about CHUNK characters: one write per block."""
    block: list[str] = []
    size = 0
    for piece in pieces:
        block.append(piece)
        size += len(piece)
        if size >= CHUNK:
            yield "".join(block).encode()
            block, size = [], 0
    yield "".join(block).encode()


def _criterion_rows(release: Release) -> Iterator[tuple]:
    """One row per frozen criterion, in file order (task, dimension, position)."""
    dimension_order = Case(
        *(When(dimension=d, then=Value(i)) for i, d in enumerate(DIMENSION_KEYS)),
        default=Value(len(DIMENSION_KEYS)),
    )
    return (
        ReleaseCriterion.objects.filter(release_task__release=release)
        .order_by("release_task__index", dimension_order, "position", "number")
        .values_list(
            "release_task__index",
            "release_task__level",
            "release_task__prompt",
            "release_task__requirement",
            "dimension",
            "number",
            "position",
            "text",
            "polarity",
            "weight",
        )
        .iterator(chunk_size=2000)
    )


def export_pieces(release: Release, kind: str) -> Iterable[str]:
    if kind == "rubrics":
        return encode(release_export(release=release))
    if kind == "jsonl":
        return (
            json.dumps(
                dict(zip(ROW_COLUMNS, (*row[:-1], float(row[-1])), strict=True)), ensure_ascii=False
            )
            + "\n"
            for row in _criterion_rows(release)
        )
    writer = csv.writer(_Echo())
    return itertools.chain(
        [writer.writerow(ROW_COLUMNS)],
        (writer.writerow((*row[:-1], format_weight(row[-1]))) for row in _criterion_rows(release)),
    )


class _Echo:
    """A file for csv.writer that hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value
