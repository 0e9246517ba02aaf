"""Contamination reports: which clips of a training set overlap a benchmark's tasks,
and on what evidence. Four kinds, each with a strength in [0, 1]:

- the same source video (the video keys parsed out of the source references);
- the same channel and a similar title (rapidfuzz token-set ratio);
- a visual near-duplicate: a judge frame of the clip a few bits from one of the
  task's reference video (perceptual hashes, compared with numpy);
- similar text: the task's prompt and requirement against the clip's caption
  (TF-IDF cosine; scikit-learn, no model downloaded).

The same inputs give the same findings in the same order: nothing random, every
ordering explicit, strengths rounded."""

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from rapidfuzz import fuzz, process
from sklearn.feature_extraction.text import TfidfVectorizer

from annotator import source_refs
from annotator.core import queue
from annotator.core.errors import InputError
from annotator.models import ContaminationFinding, ContaminationReport, User, Video
from annotator.models.choices import (
    EvidenceKind,
    MediaStatus,
    OverlapDecision,
    ReportStatus,
    TrainingSet,
    VideoKind,
)
from annotator.selectors.dataset_export import accepted_clips
from annotator.services.frame_hashes import HASH_BITS, as_array, min_distances
from rubrics_app.models import Benchmark, Release, Task

log = logging.getLogger(__name__)

_PROGRESS_EVERY = 25  # tasks between progress writes
_EVIDENCE_ORDER = {kind: n for n, kind in enumerate(EvidenceKind)}


@dataclass(frozen=True)
class Thresholds:
    title_similarity: float  # rapidfuzz token-set ratio, 0-100
    hash_distance: int  # bits of 64
    text_similarity: float  # TF-IDF cosine, 0-1

    @classmethod
    def from_settings(cls) -> "Thresholds":
        return cls(
            title_similarity=settings.CONTAMINATION_TITLE_SIMILARITY,
            hash_distance=settings.CONTAMINATION_HASH_DISTANCE,
            text_similarity=settings.CONTAMINATION_TEXT_SIMILARITY,
        )


@dataclass
class TaskInput:
    pk: int
    index: int
    source_ref: str
    prompt: str
    requirement: str
    hashes: Sequence[str] = ()  # of its reference video's judge frames


@dataclass
class ClipInput:
    pk: int
    label: str  # its manifest id, else clip-<pk>
    source_ref: str
    caption: str
    hashes: Sequence[str] = ()


@dataclass
class Overlap:
    task_pk: int
    clip_pk: int
    evidence: list[dict[str, Any]] = field(default_factory=list)

    @property
    def strength(self) -> float:
        return max(e["strength"] for e in self.evidence)


def _evidence(kind: EvidenceKind, strength: float, detail: str) -> dict[str, Any]:
    return {"kind": kind.value, "strength": round(float(strength), 4), "detail": detail}


def find_overlaps(
    tasks: Sequence[TaskInput],
    clips: Sequence[ClipInput],
    thresholds: Thresholds,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Overlap], list[str]]:
    """Every (task, clip) pair with evidence of overlap, ordered by task index, then
    strongest first, then clip; and the references that could not be read, by task
    and clip. `progress(n)` is told every few tasks how many are done."""
    problems: list[str] = []
    parsed_tasks = [source_refs.parse(t.source_ref) for t in tasks]
    parsed_clips = [source_refs.parse(c.source_ref) for c in clips]
    for task, ref in zip(tasks, parsed_tasks, strict=True):
        if not ref.ok:
            problems.append(f"task {task.index}: {ref.problem}")
    for clip, ref in zip(clips, parsed_clips, strict=True):
        if not ref.ok:
            problems.append(f"clip {clip.label}: {ref.problem}")

    by_key: dict[str, list[int]] = {}
    by_channel: dict[str, list[int]] = {}
    for n, ref in enumerate(parsed_clips):
        if ref.video_key:
            by_key.setdefault(ref.video_key, []).append(n)
        if ref.channel and ref.title:
            by_channel.setdefault(ref.channel.casefold(), []).append(n)

    # Every clip's frame hashes in one array; owners[i] is the clip of pool[i].
    pool = as_array([h for c in clips for h in c.hashes])
    owners = np.repeat(np.arange(len(clips)), [len(c.hashes) for c in clips])

    similarities = _text_similarities(tasks, clips)

    overlaps: list[Overlap] = []
    for t, (task, ref) in enumerate(zip(tasks, parsed_tasks, strict=True)):
        found: dict[int, list[dict[str, Any]]] = {}
        if ref.video_key:
            for n in by_key.get(ref.video_key, []):
                found.setdefault(n, []).append(
                    _evidence(EvidenceKind.SAME_SOURCE, 1.0, f"both from {ref.video_key}")
                )
        if ref.channel and ref.title and (same := by_channel.get(ref.channel.casefold())):
            titles = [parsed_clips[n].title for n in same]
            for _, score, k in process.extract(
                ref.title,
                titles,
                scorer=fuzz.token_set_ratio,
                processor=str.casefold,
                score_cutoff=thresholds.title_similarity,
                limit=None,
            ):
                found.setdefault(same[k], []).append(
                    _evidence(
                        EvidenceKind.CHANNEL_TITLE,
                        score / 100,
                        f"channel {ref.channel}: title {titles[k]!r} ({score:.0f} of 100)",
                    )
                )
        if task.hashes:
            distances = min_distances(as_array(task.hashes), pool, owners, len(clips))
            for n in np.flatnonzero(distances <= thresholds.hash_distance).tolist():
                d = int(distances[n])
                found.setdefault(n, []).append(
                    _evidence(
                        EvidenceKind.VISUAL,
                        1 - d / HASH_BITS,
                        f"a judge frame {d} bits of {HASH_BITS} from the reference video's",
                    )
                )
        if similarities is not None:
            row = similarities.getrow(t)
            for n, cosine in zip(row.indices.tolist(), row.data.tolist(), strict=True):
                if cosine >= thresholds.text_similarity:
                    found.setdefault(n, []).append(
                        _evidence(EvidenceKind.TEXT, cosine, f"TF-IDF cosine {cosine:.2f}")
                    )
        for n, evidence in found.items():
            evidence.sort(key=lambda e: _EVIDENCE_ORDER[EvidenceKind(e["kind"])])
            overlaps.append(Overlap(task.pk, clips[n].pk, evidence))
        if progress and (t + 1) % _PROGRESS_EVERY == 0:
            progress(t + 1)
    order = {task.pk: task.index for task in tasks}
    overlaps.sort(key=lambda o: (order[o.task_pk], -o.strength, o.clip_pk))
    return overlaps, problems


def _text_similarities(tasks: Sequence[TaskInput], clips: Sequence[ClipInput]):
    """The tasks x clips TF-IDF cosine matrix (sparse): per pair the better of the
    prompt's and the requirement's (a caption is short like a prompt, a requirement
    long). None when there is no text."""
    n = len(tasks)
    documents = [t.prompt for t in tasks] + [t.requirement for t in tasks]
    documents += [c.caption for c in clips]
    if not tasks or not clips or not any(d.strip() for d in documents):
        return None
    vectoriser = TfidfVectorizer(stop_words="english", sublinear_tf=True)
    try:
        matrix = vectoriser.fit_transform(documents)
    except ValueError:  # only stop words
        return None
    captions = matrix[2 * n :].T
    return (matrix[:n] @ captions).maximum(matrix[n : 2 * n] @ captions).tocsr()


def report_start(
    *,
    benchmark: Benchmark,
    release: Release | None = None,
    training_set: str = TrainingSet.CANDIDATES,
    as_of: datetime | None = None,
    user: User | None = None,
) -> ContaminationReport:
    """A new report with its inputs and the threshold settings, computed by a worker.
    Always a new one: an earlier report that failed or never finished blocks nothing."""
    from annotator.tasks import contamination_report_task

    if release is not None and release.benchmark_id != benchmark.pk:
        raise InputError(gettext("That release is not one of this benchmark's."))
    if training_set not in TrainingSet.values:
        raise InputError(
            gettext("unknown training set %(training_set)s") % {"training_set": repr(training_set)}
        )
    if training_set == TrainingSet.ACCEPTED and as_of is None:
        as_of = timezone.now().replace(microsecond=0)
    with transaction.atomic():
        report = ContaminationReport.objects.create(
            benchmark=benchmark,
            release=release,
            training_set=training_set,
            as_of=as_of if training_set == TrainingSet.ACCEPTED else None,
            thresholds=asdict(Thresholds.from_settings()),
            created_by=user,
        )
        queue.enqueue(contamination_report_task, [(report.pk,)])
    return report


def training_clips(report: ContaminationReport) -> QuerySet[Video]:
    if report.training_set == TrainingSet.ACCEPTED and report.as_of is not None:
        return accepted_clips(as_of=report.as_of)
    return Video.objects.filter(kind=VideoKind.DATASET).order_by("pk")


def _task_inputs(report: ContaminationReport) -> tuple[list[TaskInput], list[str]]:
    references = dict(
        Video.objects.filter(
            kind=VideoKind.REFERENCE,
            task__benchmark=report.benchmark_id,
            media_status=MediaStatus.READY,
        ).values_list("task_id", "frame_hashes")
    )
    problems: list[str] = []
    if report.release_id is not None:
        rows = report.release.tasks.order_by("index").values_list(  # type: ignore[union-attr]
            "task_id", "index", "task__source_ref", "prompt", "requirement"
        )
    else:
        rows = (
            Task.objects.filter(benchmark=report.benchmark_id)
            .order_by("index")
            .values_list("pk", "index", "source_ref", "prompt", "requirement")
        )
    tasks = []
    for pk, index, ref, prompt, requirement in rows:
        if pk is None:  # a release keeps the tasks deleted since
            problems.append(f"task {index}: deleted since the release; left out")
            continue
        hashes = references.get(pk) or []
        tasks.append(TaskInput(pk, index, ref or "", prompt, requirement, hashes))
    return tasks, problems


def _clip_inputs(report: ContaminationReport) -> list[ClipInput]:
    rows = training_clips(report).values_list(
        "pk", "external_id", "source_ref", "final_caption", "caption", "frame_hashes"
    )
    return [
        ClipInput(pk, external_id or f"clip-{pk}", ref, final or draft, hashes or [])
        for pk, external_id, ref, final, draft, hashes in rows
    ]


def report_compute(*, report_id: int) -> ContaminationReport:
    """Computes the report's findings from its stored inputs. Safe to run again (a
    redelivered task): its findings are replaced. Decisions reviewers made on the
    same (task, clip) in earlier reports of the benchmark carry over."""
    report = ContaminationReport.objects.get(pk=report_id)
    report.status, report.note, report.tasks_done = ReportStatus.RUNNING, "", 0
    report.save(update_fields=["status", "note", "tasks_done"])
    tasks, problems = _task_inputs(report)
    clips = _clip_inputs(report)
    report.tasks_total, report.clips_total = len(tasks), len(clips)
    report.save(update_fields=["tasks_total", "clips_total"])

    def progress(done: int) -> None:
        ContaminationReport.objects.filter(pk=report.pk).update(tasks_done=done)

    overlaps, parse_problems = find_overlaps(
        tasks, clips, Thresholds(**report.thresholds), progress
    )
    notes = []
    if not clips:
        notes.append("The training set has no clips: there is nothing to compare the tasks with.")
    if not tasks:
        notes.append("The benchmark (or release) has no tasks.")
    with transaction.atomic():
        decided = _decisions(report)  # this report's own too, should it run again
        report.findings.all().delete()
        findings = ContaminationFinding.objects.bulk_create(
            [
                ContaminationFinding(
                    report=report,
                    task_id=o.task_pk,
                    clip_id=o.clip_pk,
                    evidence=o.evidence,
                    strength=o.strength,
                )
                for o in overlaps
            ],
            batch_size=1000,
        )
        _carry_decisions(findings, decided)
        report.status = ReportStatus.DONE
        report.tasks_done = len(tasks)
        report.problems = problems + parse_problems
        report.note = " ".join(notes)
        report.finished_at = timezone.now()
        report.save()
    log.info("contamination report %s: %d findings", report.pk, len(findings))
    return report


Decided = dict[tuple[int, int], tuple[str, int | None, datetime | None]]


def _decisions(report: ContaminationReport) -> Decided:
    """The latest decision on each (task, clip) in the benchmark's reports."""
    decided = (
        ContaminationFinding.objects.filter(report__benchmark=report.benchmark_id)
        .exclude(decision=OverlapDecision.OPEN)
        .order_by("decided_at", "pk")
        .values_list("task_id", "clip_id", "decision", "decided_by", "decided_at")
    )
    return {(t, c): (d, by, at) for t, c, d, by, at in decided}  # the last one wins


def _carry_decisions(findings: list[ContaminationFinding], decided: Decided) -> None:
    carried = []
    for finding in findings:
        if (known := decided.get((finding.task_id, finding.clip_id))) is not None:
            finding.decision, finding.decided_by_id, finding.decided_at = known
            carried.append(finding)
    ContaminationFinding.objects.bulk_update(
        carried, ["decision", "decided_by", "decided_at"], batch_size=1000
    )


def report_mark_failed(*, report_id: int, reason: str) -> None:
    ContaminationReport.objects.filter(pk=report_id).update(
        status=ReportStatus.FAILED, note=reason, finished_at=timezone.now()
    )


def finding_decide(*, finding: ContaminationFinding, decision: str, user: User) -> int:
    """A reviewer's decision on an overlap, for that (task, clip) in every report of
    the benchmark (so exports and pages agree whichever report they read). Each
    change is kept in the findings' history. Returns how many findings changed."""
    if decision not in OverlapDecision.values:
        raise InputError(gettext("unknown decision %(decision)s") % {"decision": repr(decision)})
    now = timezone.now()
    with transaction.atomic():
        same = ContaminationFinding.objects.select_for_update().filter(
            task_id=finding.task_id, clip_id=finding.clip_id
        )
        changed = 0
        for row in same:
            if row.decision == decision:
                continue
            row.decision = decision
            row.decided_by = None if decision == OverlapDecision.OPEN else user
            row.decided_at = None if decision == OverlapDecision.OPEN else now
            row._history_user = user  # type: ignore[attr-defined]
            row.save(update_fields=["decision", "decided_by", "decided_at"])
            changed += 1
    finding.refresh_from_db()
    return changed
