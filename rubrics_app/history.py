"""Readable history: every recorded change of a task's criteria as before/after, with
word-level differences for texts."""

import difflib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rubrics_app.models import Criterion

TRACKED = ("text", "polarity", "weight", "status", "position", "dimension")
_HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}


@dataclass
class FieldChange:
    field: str
    before: Any
    after: Any

    @property
    def words(self) -> list[tuple[str, str]]:
        """(op, words) segments, op in equal/delete/insert, for showing a text diff."""
        old, new = str(self.before).split(), str(self.after).split()
        segments = []
        for op, a1, a2, b1, b2 in difflib.SequenceMatcher(a=old, b=new).get_opcodes():
            if op == "equal":
                segments.append(("equal", " ".join(old[a1:a2])))
                continue
            if a2 > a1:
                segments.append(("delete", " ".join(old[a1:a2])))
            if b2 > b1:
                segments.append(("insert", " ".join(new[b1:b2])))
        return segments


@dataclass
class HistoryRow:
    when: datetime
    who: str
    criterion_id: int
    label: str
    kind: str
    reason: str
    changes: list[FieldChange]


def history_rows(records: Iterable[Any]) -> list[HistoryRow]:
    """Rows, newest first, from historical criterion records (with history_user
    selected), comparing each record with the previous one of the same criterion."""
    by_criterion: dict[int, list[Any]] = defaultdict(list)
    for record in records:
        by_criterion[record.id].append(record)
    rows = []
    for versions in by_criterion.values():
        versions.sort(key=lambda r: (r.history_date, r.history_id))
        previous = None
        for record in versions:
            changes = [
                FieldChange(
                    name, getattr(previous, name) if previous else None, getattr(record, name)
                )
                for name in TRACKED
                if previous is None or getattr(previous, name) != getattr(record, name)
            ]
            if previous is None:
                changes = [
                    c for c in changes if c.field in ("text", "polarity", "weight", "status")
                ]
            user = record.history_user
            rows.append(
                HistoryRow(
                    when=record.history_date,
                    who=user.get_username() if user else "import",
                    criterion_id=record.id,
                    label=f"{Criterion(dimension=record.dimension).get_dimension_display()} "
                    f"#{record.number}",
                    kind=_HISTORY_TYPES[record.history_type],
                    reason=record.history_change_reason or "",
                    changes=changes,
                )
            )
            previous = record
    rows.sort(key=lambda r: r.when, reverse=True)
    return rows
