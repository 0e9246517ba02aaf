"""How a clip verification batch is going: progress and pace per annotator, the
outcome so far, reasons given, and agreement between annotators."""

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy
from django.db.models import Count, Q
from statsmodels.stats.inter_rater import fleiss_kappa

from annotator.choices import ClipStatus, Decision
from annotator.models import Assignment, ClipDecision, RejectReason, Video, WorkBatch


@dataclass
class AnnotatorProgress:
    username: str
    assigned: int
    done: int
    seconds: list[float] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        return self.assigned - self.done

    @property
    def median_seconds(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None

    @property
    def clips_per_hour(self) -> float | None:
        """Over the time spent on the clips (as the workspace measured it), not the
        wall-clock time between the first and last answer, which includes breaks."""
        total = sum(self.seconds)
        return len(self.seconds) * 3600 / total if total else None


@dataclass
class BatchStats:
    annotators: list[AnnotatorProgress]
    outcome: dict[str, int]
    reasons: list[tuple[str, int]]
    kappa: float | None
    kappa_clips: int

    @property
    def assigned(self) -> int:
        return sum(a.assigned for a in self.annotators)

    @property
    def done(self) -> int:
        return sum(a.done for a in self.annotators)

    @property
    def accept_rate(self) -> float | None:
        decided = self.outcome[ClipStatus.ACCEPTED] + self.outcome[ClipStatus.REJECTED]
        return self.outcome[ClipStatus.ACCEPTED] / decided if decided else None


def fleiss(answers_per_item: list[list[str]], categories: list[str]) -> float | None:
    """Fleiss' kappa over items that have the same number (at least 2) of answers;
    None when it is undefined (no items, or every answer the same category)."""
    if not answers_per_item:
        return None
    table = [[answers.count(c) for c in categories] for answers in answers_per_item]
    with numpy.errstate(invalid="ignore", divide="ignore"):  # 0/0 when all agree
        kappa = fleiss_kappa(table, method="fleiss")
    return None if math.isnan(kappa) else float(kappa)


def batch_stats(batch: WorkBatch) -> BatchStats:
    """A fixed number of queries, whatever the batch's size."""
    rows = (
        Assignment.objects.filter(batch=batch)
        .values("user_id", "user__username")
        .annotate(assigned=Count("pk"), done=Count("pk", filter=Q(done_at__isnull=False)))
        .order_by("user__username")
    )
    annotators = {
        r["user_id"]: AnnotatorProgress(r["user__username"], r["assigned"], r["done"]) for r in rows
    }
    per_clip: dict[int, list[str]] = defaultdict(list)
    reasons: Counter[str] = Counter()
    for user_id, video_id, decision, codes, seconds in ClipDecision.objects.filter(
        batch=batch, adjudication=False
    ).values_list("user_id", "video_id", "decision", "reasons", "seconds"):
        per_clip[video_id].append(decision)
        reasons.update(codes)
        if seconds is not None and user_id in annotators:
            annotators[user_id].seconds.append(seconds)
    outcome = dict.fromkeys(ClipStatus.values, 0)
    outcome.update(
        Video.objects.filter(assignments__batch=batch)
        .values_list("clip_status")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    )
    labels = dict(RejectReason.objects.values_list("code", "label"))
    complete = [answers for answers in per_clip.values() if len(answers) == batch.overlap]
    return BatchStats(
        annotators=list(annotators.values()),
        outcome=outcome,
        reasons=[(labels.get(code, code), n) for code, n in reasons.most_common()],
        kappa=fleiss(complete, Decision.values) if batch.overlap >= 2 else None,
        kappa_clips=len(complete) if batch.overlap >= 2 else 0,
    )
