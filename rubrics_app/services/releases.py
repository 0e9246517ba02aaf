"""Releases: frozen copies of a benchmark's approved rubrics, their export, and what
changed between two of them."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from annotator.errors import InputError
from annotator.models import User
from rubrics_app.choices import CriterionStatus
from rubrics_app.models import Benchmark, Criterion, Release, ReleaseCriterion, ReleaseTask
from rubrics_app.rubric_format import rubric_file


@dataclass
class ReleaseReport:
    release: Release
    tasks: int
    criteria: int
    tasks_with_unapproved: list[int]

    def summary(self) -> str:
        line = (
            f"release {self.release.name} of {self.release.benchmark.name}: "
            f"{self.tasks} tasks, {self.criteria} approved criteria"
        )
        if self.tasks_with_unapproved:
            shown = ", ".join(map(str, self.tasks_with_unapproved[:20]))
            line += (
                f"\nwarning: {len(self.tasks_with_unapproved)} tasks have criteria that "
                f"are not approved and were left out (tasks {shown}"
                f"{', ...' if len(self.tasks_with_unapproved) > 20 else ''})"
            )
        return line


def release_create(
    *,
    benchmark: Benchmark,
    name: str,
    user: User | None,
    weight_scheme: str = "",
    notes: str = "",
) -> ReleaseReport:
    """Freezes the approved criteria of every task. Criteria still in review are left
    out and their tasks reported."""
    if user is not None and not user.is_reviewer:
        raise PermissionDenied("Only reviewers freeze releases.")
    name = name.strip()
    if not name:
        raise InputError("a release needs a name, for example v1.0")
    criteria = list(
        Criterion.objects.filter(task__benchmark=benchmark)
        .exclude(status=CriterionStatus.RETIRED)
        .order_by("task__index", "dimension", "position", "number")
    )
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
            frozen = [
                ReleaseCriterion(
                    release_task=tasks[c.task_id],
                    criterion=c,
                    dimension=c.dimension,
                    number=c.number,
                    position=c.position,
                    text=c.text,
                    polarity=c.polarity,
                    weight=c.weight,
                )
                for c in criteria
                if c.status == CriterionStatus.APPROVED
            ]
            ReleaseCriterion.objects.bulk_create(frozen, batch_size=2000)
    except IntegrityError:
        raise InputError(f"benchmark {benchmark.name} already has a release {name!r}") from None
    unapproved = sorted(
        {tasks[c.task_id].index for c in criteria if c.status != CriterionStatus.APPROVED}
    )
    return ReleaseReport(release, len(tasks), len(frozen), unapproved)


def release_get(*, benchmark: Benchmark, name: str) -> Release:
    try:
        return benchmark.releases.get(name=name)
    except Release.DoesNotExist:
        names = ", ".join(benchmark.releases.values_list("name", flat=True)) or "none yet"
        raise InputError(
            f"benchmark {benchmark.name} has no release {name!r} (releases: {names})"
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
