"""What is particular to a clip verification batch: the clips' outcome so far, the
reasons given, and agreement on decisions (Fleiss' kappa, Krippendorff's alpha)."""

import math
from collections import Counter
from dataclasses import dataclass

import numpy
from django.db.models import Count
from statsmodels.stats.inter_rater import fleiss_kappa

from annotator.models import Assignment, ClipDecision, RejectReason, Video, WorkBatch
from annotator.models.choices import ClipStatus, Decision, VideoKind
from annotator.selectors.work_stats import clip_answers, krippendorff_alpha


@dataclass
class ClipStats:
    outcome: dict[str, int]
    reasons: list[tuple[str, int]]
    kappa: float | None
    kappa_clips: int
    alpha: float | None

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


def clip_stats(batch: WorkBatch) -> ClipStats:
    """A fixed number of queries, whatever the batch's size. Outcome and reasons are
    the candidates', without the gold clips hidden among them (gold_catch_rates)."""
    reasons: Counter[str] = Counter()
    for codes in (
        ClipDecision.objects.filter(batch=batch, adjudication=False, decision=Decision.REJECT)
        .exclude(video__kind=VideoKind.GOLD)
        .values_list("reasons", flat=True)
    ):
        reasons.update(codes)
    outcome = dict.fromkeys(ClipStatus.values, 0)
    outcome.update(
        Video.objects.filter(pk__in=Assignment.objects.filter(batch=batch).values("video_id"))
        .exclude(kind=VideoKind.GOLD)
        .values_list("clip_status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    labels = dict(RejectReason.objects.values_list("code", "label"))
    answers = clip_answers(batch)
    # Fleiss' kappa needs the same number of raters per clip: clips with all k answers.
    complete = [list(a.values()) for a in answers if len(a) == batch.overlap]
    several = batch.overlap >= 2
    return ClipStats(
        outcome=outcome,
        reasons=[(labels.get(code, code), n) for code, n in reasons.most_common()],
        kappa=fleiss(complete, Decision.values) if several else None,
        kappa_clips=len(complete) if several else 0,
        alpha=krippendorff_alpha(answers) if several else None,
    )
