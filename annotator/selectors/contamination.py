"""Reading contamination reports: per task its overlapping clips, the rows of the CSV
and JSON downloads, and the confirmed overlaps that exports and pages act on."""

import csv
import io
import json
from itertools import groupby
from typing import Any

from django.db.models import QuerySet

from annotator.models import ContaminationFinding, ContaminationReport, Video
from annotator.models.choices import OverlapDecision

CSV_COLUMNS = [
    "task_index",
    "task_source_ref",
    "clip",
    "clip_source_ref",
    "strength",
    "evidence",
    "details",
    "decision",
    "decided_by",
    "decided_at",
]


def report_findings(report: ContaminationReport) -> QuerySet[ContaminationFinding]:
    return report.findings.select_related("task", "clip", "decided_by").order_by(
        "task__index", "-strength", "clip_id"
    )


def findings_by_task(
    report: ContaminationReport,
) -> list[tuple[Any, list[ContaminationFinding]]]:
    """(task, its findings) for the tasks with any, in task order."""
    return [
        (task, list(rows)) for task, rows in groupby(report_findings(report), key=lambda f: f.task)
    ]


def _row(finding: ContaminationFinding) -> dict[str, Any]:
    return {
        "task_index": finding.task.index,
        "task_source_ref": finding.task.source_ref,
        "clip": finding.clip.external_id or f"clip-{finding.clip_id}",
        "clip_source_ref": finding.clip.source_ref,
        "strength": finding.strength,
        "evidence": [e["kind"] for e in finding.evidence],
        "details": [e["detail"] for e in finding.evidence],
        "decision": finding.decision,
        "decided_by": finding.decided_by.username if finding.decided_by else "",
        "decided_at": finding.decided_at.isoformat() if finding.decided_at else "",
    }


def report_as_dict(report: ContaminationReport) -> dict[str, Any]:
    """The report with its inputs: what the JSON download and the API return."""
    return {
        "id": report.pk,
        "benchmark": report.benchmark.name,
        "release": report.release.name if report.release else None,
        "training_set": report.training_set,
        "as_of": report.as_of.isoformat() if report.as_of else None,
        "thresholds": report.thresholds,
        "status": report.status,
        "created_at": report.created_at.isoformat(),
        "finished_at": report.finished_at.isoformat() if report.finished_at else None,
        "tasks": report.tasks_total,
        "tasks_done": report.tasks_done,
        "clips": report.clips_total,
        "note": report.note,
        "problems": report.problems,
        "findings": [_row(f) for f in report_findings(report)],
    }


def report_csv(report: ContaminationReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for finding in report_findings(report):
        row = _row(finding)
        row["evidence"] = ";".join(row["evidence"])
        row["details"] = json.dumps(row["details"], ensure_ascii=False)
        writer.writerow(row[c] for c in CSV_COLUMNS)
    return out.getvalue()


def confirmed_overlap_clips() -> QuerySet[ContaminationFinding, Any]:
    """The clip ids (values) with a confirmed overlap in any report: what an export
    with exclude_overlaps leaves out."""
    return ContaminationFinding.objects.filter(decision=OverlapDecision.CONFIRMED).values("clip_id")


def clip_overlaps(clip: Video) -> list[ContaminationFinding]:
    """The clip's overlaps not ruled out, one per task (from its latest report)."""
    seen: set[int] = set()
    overlaps = []
    for finding in (
        clip.overlaps.exclude(decision=OverlapDecision.NOT_OVERLAP)
        .select_related("task__benchmark", "report")
        .order_by("-report__created_at", "-report_id")
    ):
        if finding.task_id not in seen:
            seen.add(finding.task_id)
            overlaps.append(finding)
    return overlaps


def overlapping_tasks(clip_ids: list[int]) -> dict[int, list[int]]:
    """Per clip of `clip_ids`, the indexes of the tasks it overlaps (not ruled out),
    in one query: the grid's badges."""
    tasks: dict[int, set[int]] = {}
    rows = (
        ContaminationFinding.objects.filter(clip_id__in=clip_ids)
        .exclude(decision=OverlapDecision.NOT_OVERLAP)
        .values_list("clip_id", "task__index")
    )
    for clip_id, index in rows:
        tasks.setdefault(clip_id, set()).add(index)
    return {clip_id: sorted(indexes) for clip_id, indexes in tasks.items()}
