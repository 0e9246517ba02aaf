"""Releases: frozen copies of a benchmark's approved rubrics, their export, and what
changed between two of them."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext

from annotator.core.errors import InputError
from annotator.models import User
from rubrics_app.choices import CriterionStatus, Dimension
from rubrics_app.models import (
    LIVE_CRITERIA,
    Benchmark,
    Criterion,
    Release,
    ReleaseCriterion,
    ReleaseTask,
)
from rubrics_app.rubric_format import rubric_file


@dataclass(frozen=True)
class LeftOut:
    """A live criterion a release could not freeze: it has no approved version."""

    task_index: int
    dimension: str
    number: int
    text: str

    def __str__(self) -> str:
        label = Dimension(self.dimension).label
        return f"task {self.task_index}, {label} #{self.number} “{self.text}”"


@dataclass
class ReleaseReport:
    release: Release
    tasks: int
    criteria: int
    # Criteria under review (edited, changes requested) frozen at their last approved
    # version instead of their current one.
    earlier_versions: int = 0
    left_out: list[LeftOut] = field(default_factory=list)

    def summary(self) -> str:
        line = (
            f"release {self.release.name} of {self.release.benchmark.name}: "
            f"{self.tasks} tasks, {self.criteria} approved criteria"
        )
        if self.earlier_versions:
            line += (
                f" ({self.earlier_versions} being edited or reviewed, frozen at their "
                "last approved version)"
            )
        return line

    def warning(self, limit: int | None = None) -> str:
        """Names the criteria left out ("" when none), the first `limit` of them."""
        if not self.left_out:
            return ""
        shown = self.left_out if limit is None else self.left_out[:limit]
        more = len(self.left_out) - len(shown)
        return (
            f"{len(self.left_out)} criteria have no approved version and are not in release "
            f"{self.release.name}: {'; '.join(map(str, shown))}"
            + (f"; and {more} more" if more else "")
        )


def _last_approved(criteria: QuerySet[Criterion]) -> dict[int, Any]:
    """Per criterion, its newest approved historical record, unless it was retired
    after that approval (bringing a retired criterion back is itself unapproved)."""
    records = (
        Criterion.history.filter(
            id__in=criteria.values("pk"),
            status__in=[CriterionStatus.APPROVED, CriterionStatus.RETIRED],
        )
        .order_by("id", "-history_date", "-history_id")
        .only("id", "status", "text", "polarity", "weight")
    )
    newest: dict[int, Any] = {}
    for record in records.iterator(chunk_size=2000):
        newest.setdefault(record.id, record)
    return {pk: r for pk, r in newest.items() if r.status == CriterionStatus.APPROVED}


def release_create(
    *,
    benchmark: Benchmark,
    name: str,
    user: User | None,
    weight_scheme: str = "",
    notes: str = "",
) -> ReleaseReport:
    """Freezes every live criterion at its last approved version: the current one when
    it is approved, else the newest approved one in its history (an edit in review
    must not shrink a dimension and so move the scores). Criteria never approved are
    left out and reported. Position and number are the current ones: order is not
    content (moving keeps the status), and the current order is the scoring order."""
    if user is not None and not user.is_reviewer:
        raise PermissionDenied(gettext("Only reviewers freeze releases."))
    name = name.strip()
    if not name:
        raise InputError(gettext("a release needs a name, for example v1.0"))
    live = Criterion.objects.filter(LIVE_CRITERIA, task__benchmark=benchmark)
    criteria = list(
        live.select_related("task").order_by("task__index", "dimension", "position", "number")
    )
    approved = _last_approved(live.exclude(status=CriterionStatus.APPROVED))
    try:
        with transaction.atomic():
            release = Release.objects.create(
                benchmark=benchmark,
                name=name,
                created_by=user,
                weight_scheme=weight_scheme,
                notes=notes,
            )
            tasks = {
                task.pk: ReleaseTask(
                    release=release,
                    task=task,
                    index=task.index,
                    prompt=task.prompt,
                    requirement=task.requirement,
                    level=task.level,
                    chinese_keys=task.chinese_keys,
                    rubric_extra=task.rubric_extra,
                )
                for task in benchmark.tasks.order_by("index")
            }
            ReleaseTask.objects.bulk_create(tasks.values())
            frozen, left_out = [], []
            for c in criteria:
                version = c if c.status == CriterionStatus.APPROVED else approved.get(c.pk)
                if version is None:
                    left_out.append(LeftOut(c.task.index, c.dimension, c.number, c.text))
                    continue
                frozen.append(
                    ReleaseCriterion(
                        release_task=tasks[c.task_id],
                        criterion=c,
                        dimension=c.dimension,
                        number=c.number,
                        position=c.position,
                        text=version.text,
                        polarity=version.polarity,
                        weight=version.weight,
                    )
                )
            ReleaseCriterion.objects.bulk_create(frozen, batch_size=2000)
    except IntegrityError:
        raise InputError(
            gettext("benchmark %(benchmark)s already has a release %(name)s")
            % {"benchmark": benchmark.name, "name": repr(name)}
        ) from None
    return ReleaseReport(release, len(tasks), len(frozen), len(approved), left_out)


def release_get(*, benchmark: Benchmark, name: str) -> Release:
    try:
        return benchmark.releases.get(name=name)
    except Release.DoesNotExist:
        names = ", ".join(benchmark.releases.values_list("name", flat=True)) or "none yet"
        raise InputError(
            gettext("benchmark %(benchmark)s has no release %(name)s (releases: %(names)s)")
            % {"benchmark": benchmark.name, "name": repr(name), "names": names}
        ) from None


def release_export(*, release: Release) -> list[dict[str, Any]]:
    """The release in the rubric file format: the same bytes whenever it is asked for."""
    return rubric_file(
        release.tasks.order_by("index"),
        ReleaseCriterion.objects.filter(release_task__release=release)
        .order_by("release_task_id", "dimension", "position", "number")
        .values_list("release_task_id", "dimension", "number", "text", "polarity", "weight"),
    )


@dataclass
class CriterionChange:
    task_index: int
    dimension: str
    number: int
    before: ReleaseCriterion | None
    after: ReleaseCriterion | None

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        if (self.before.text, self.before.polarity) != (self.after.text, self.after.polarity):
            return "changed"
        return "weight"

    @property
    def weight_delta(self) -> Decimal | None:
        if self.before is None or self.after is None:
            return None
        return self.after.weight - self.before.weight


@dataclass
class ReleaseComparison:
    old: Release
    new: Release
    changes: list[CriterionChange] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)


def _frozen(release: Release) -> dict[tuple[int, str, int], ReleaseCriterion]:
    rows = ReleaseCriterion.objects.filter(release_task__release=release).select_related(
        "release_task"
    )
    return {(c.release_task.index, c.dimension, c.number): c for c in rows}


def release_compare(*, old: Release, new: Release) -> ReleaseComparison:
    """Criteria added, removed, changed (text or polarity) and reweighted, matched by
    task index, dimension and criterion number."""
    before, after = _frozen(old), _frozen(new)
    comparison = ReleaseComparison(old, new)
    for key in sorted(before.keys() | after.keys()):
        a, b = before.get(key), after.get(key)
        if (
            a is not None
            and b is not None
            and (a.text, a.polarity, a.weight) == (b.text, b.polarity, b.weight)
        ):
            continue
        comparison.changes.append(CriterionChange(*key, before=a, after=b))
    return comparison
