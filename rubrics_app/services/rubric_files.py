"""Importing and exporting rubric files and task metadata files."""

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from annotator.core.errors import InputError
from rubrics_app.choices import CriterionOrigin, CriterionStatus
from rubrics_app.models import Benchmark, Criterion, Task
from rubrics_app.rubric_format import (
    TaskMetadataRecord,
    TaskRecord,
    parse_rubric_file,
    parse_task_metadata,
    rubric_file,
    task_metadata_entry,
)
from rubrics_app.selectors import live_criteria
from rubrics_app.services.releases import ReleaseReport, release_create
from rubrics_app.signals import criteria_retired


@dataclass
class RubricImportReport:
    benchmark: Benchmark
    tasks_created: int = 0
    tasks_updated: int = 0
    tasks_unchanged: int = 0
    criteria_created: int = 0
    criteria_updated: int = 0
    criteria_unchanged: int = 0
    criteria_retired: int = 0
    tasks_not_in_file: int = 0
    warnings: list[str] = field(default_factory=list)
    release: ReleaseReport | None = None

    def summary(self) -> str:
        lines = [
            f"benchmark {self.benchmark.name}: tasks {self.tasks_created} created, "
            f"{self.tasks_updated} updated, {self.tasks_unchanged} unchanged; "
            f"criteria {self.criteria_created} created, {self.criteria_updated} updated, "
            f"{self.criteria_unchanged} unchanged, {self.criteria_retired} retired"
        ]
        if self.tasks_not_in_file:
            lines.append(
                f"{self.tasks_not_in_file} tasks of the benchmark are not in the file "
                "and were left as they are"
            )
        lines += [f"warning: {w}" for w in self.warnings]
        if self.release:
            lines.append(self.release.summary())
            if self.release.left_out:
                lines.append(f"warning: {self.release.warning()}")
        return "\n".join(lines)


def benchmark_get(name: str | None) -> Benchmark:
    """The named benchmark, or the only one when no name is given."""
    if name:
        try:
            return Benchmark.objects.get(name=name)
        except Benchmark.DoesNotExist:
            names = ", ".join(Benchmark.objects.values_list("name", flat=True)) or "none yet"
            raise InputError(
                gettext("no benchmark named %(name)s (benchmarks: %(names)s)")
                % {"name": repr(name), "names": names}
            ) from None
    benchmarks = list(Benchmark.objects.all()[:2])
    if len(benchmarks) == 1:
        return benchmarks[0]
    if not benchmarks:
        raise InputError(gettext("there is no benchmark yet: name one with --benchmark NAME"))
    names = ", ".join(Benchmark.objects.values_list("name", flat=True))
    raise InputError(
        gettext("several benchmarks exist (%(names)s): choose one with --benchmark NAME")
        % {"names": names}
    )


IMPORT_REASON = "import_rubrics"
_TASK_FIELDS = (
    "prompt",
    "requirement",
    "chinese_keys",
    "rubric_extra",
    "level",
    "source_ref",
    "metadata",
)
_CRITERION_FIELDS = ("text", "polarity", "weight", "position", "status", "version")


def rubrics_import(
    *,
    rubric_data: Any,
    tasks_data: Any | None = None,
    benchmark_name: str | None = None,
    status: str = CriterionStatus.APPROVED,
    release_name: str = "",
    weight_scheme: str = "",
) -> RubricImportReport:
    """Upserts tasks by index and criteria by (dimension, number): importing the same
    file twice changes nothing. Live criteria of an imported task that the file no
    longer has are retired, never deleted, since verdicts may refer to them. With a
    release name, the result is frozen as that release in the same transaction. Checks
    both files completely before writing; on any error raises InputError."""
    rubric = parse_rubric_file(rubric_data)
    metadata = parse_task_metadata(tasks_data) if tasks_data is not None else None
    warnings = list(rubric.warnings)

    with transaction.atomic():
        if benchmark_name:
            benchmark, _ = Benchmark.objects.get_or_create(name=benchmark_name)
        else:
            benchmark = benchmark_get(None)
        report = RubricImportReport(benchmark=benchmark, warnings=warnings)
        tasks = {t.index: t for t in benchmark.tasks.all()}

        wanted: dict[int, dict[str, Any]] = {}
        for record in rubric.records:
            wanted[record.index] = {
                "prompt": record.prompt,
                "requirement": record.requirement,
                "chinese_keys": record.chinese_keys,
                "rubric_extra": record.extra,
            }
        if metadata is not None:
            warnings.extend(metadata.warnings)
            for meta in metadata.records:
                if meta.index not in wanted and meta.index not in tasks:
                    warnings.append(
                        f"task {meta.index}: in the task metadata file but in "
                        "neither the rubric file nor the benchmark; ignored"
                    )
                    continue
                wanted.setdefault(meta.index, {}).update(_metadata_fields(meta))

        created, changed = [], []
        for index, fields in wanted.items():
            task = tasks.get(index)
            if task is None:
                task = Task(benchmark=benchmark, index=index, **fields)
                tasks[index] = task
                created.append(task)
            elif any(getattr(task, name) != value for name, value in fields.items()):
                for name, value in fields.items():
                    setattr(task, name, value)
                changed.append(task)
        bulk_create_with_history(created, Task, default_change_reason=IMPORT_REASON)
        bulk_update_with_history(changed, Task, _TASK_FIELDS, default_change_reason=IMPORT_REASON)
        report.tasks_created, report.tasks_updated = len(created), len(changed)
        report.tasks_unchanged = len(wanted) - len(created) - len(changed)
        report.tasks_not_in_file = len(tasks) - len(wanted)

        _import_criteria(report, tasks, rubric.records, status)
        if release_name:
            report.release = release_create(
                benchmark=benchmark, name=release_name, user=None, weight_scheme=weight_scheme
            )
    return report


def _metadata_fields(meta: TaskMetadataRecord) -> dict[str, Any]:
    return {"level": meta.level, "source_ref": meta.source_ref, "metadata": meta.extra}


def _import_criteria(
    report: RubricImportReport, tasks: dict[int, Task], records: list[TaskRecord], status: str
) -> None:
    task_ids = [tasks[r.index].pk for r in records]
    existing = {
        (c.task_id, c.dimension, c.number): c
        for c in Criterion.objects.filter(task_id__in=task_ids)
    }
    created, changed = [], []
    seen: set[tuple[int, str, int]] = set()
    for record in records:
        task = tasks[record.index]
        positions: dict[str, int] = {}
        for c in sorted(record.criteria, key=lambda c: (c.dimension, c.number)):
            position = positions[c.dimension] = positions.get(c.dimension, -1) + 1
            key = (task.pk, c.dimension, c.number)
            seen.add(key)
            criterion = existing.get(key)
            if criterion is None:
                created.append(
                    Criterion(
                        task=task,
                        dimension=c.dimension,
                        number=c.number,
                        position=position,
                        text=c.text,
                        polarity=c.polarity,
                        weight=c.weight,
                        status=status,
                        origin=CriterionOrigin.IMPORTED,
                    )
                )
                continue
            values = {
                "text": c.text,
                "polarity": c.polarity,
                "weight": c.weight,
                "position": position,
            }
            content = ("text", "polarity", "weight")
            if criterion.status == CriterionStatus.RETIRED or any(
                getattr(criterion, name) != values[name] for name in content
            ):
                values["status"] = status
            if any(getattr(criterion, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(criterion, name, value)
                criterion.version += 1
                changed.append(criterion)
            else:
                report.criteria_unchanged += 1
    retired_in: set[int] = set()
    retired = 0
    for key, criterion in existing.items():
        if key not in seen and criterion.status != CriterionStatus.RETIRED:
            criterion.status = CriterionStatus.RETIRED
            criterion.version += 1
            changed.append(criterion)
            retired_in.add(criterion.task_id)
            retired += 1
    bulk_create_with_history(
        created, Criterion, batch_size=2000, default_change_reason=IMPORT_REASON
    )
    bulk_update_with_history(
        changed,
        Criterion,
        _CRITERION_FIELDS,
        batch_size=2000,
        default_change_reason=IMPORT_REASON,
    )
    if retired_in:
        criteria_retired.send(Criterion, task_ids=retired_in)
    report.criteria_created = len(created)
    report.criteria_updated = len(changed) - retired
    report.criteria_retired = retired


def rubrics_export(*, benchmark: Benchmark) -> list[dict[str, Any]]:
    """The benchmark's live criteria in the rubric file format."""
    return rubric_file(
        benchmark.tasks.order_by("index").only(
            "index", "prompt", "requirement", "chinese_keys", "rubric_extra"
        ),
        live_criteria()
        .filter(task__benchmark=benchmark)
        .values_list("task_id", "dimension", "number", "text", "polarity", "weight"),
    )


def task_metadata_export(*, benchmark: Benchmark) -> list[dict[str, Any]]:
    return [
        task_metadata_entry(index=index, level=level, source_ref=source_ref, extra=extra)
        for index, level, source_ref, extra in benchmark.tasks.order_by("index").values_list(
            "index", "level", "source_ref", "metadata"
        )
    ]
