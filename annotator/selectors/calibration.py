"""The human-corrected score: the judge's drafts over every task, corrected by what
experts found on a random calibration sample of (video, dimension) items
(rubrics_app/calibration.py has the statistics and why they hold).

The population of one model is the items of its videos that count on the drafts
leaderboard (drafts on every criterion of the three dimensions), less those whose
verdicts cannot move the score (a dimension without a weighted criterion, or a task
whose maximum is 0). An item is verified when an expert the calibration batch gave it
to has a confirmed verdict on each of its criteria; with several such experts, their
values are averaged. Only the drawn items count: verdicts that experts gave elsewhere,
on videos they chose themselves, would make a sample of what experts chose to look at,
not of the benchmark, and never enter the estimate. All samples drawn for the same
benchmark, criteria (release) and judge are pooled: each new draw takes items the
earlier ones left, so together they are one larger uniform sample."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import fmean
from typing import TYPE_CHECKING, Any

from annotator.models import Assignment, BatchItem, CalibrationSample, Judgment, WorkBatch
from annotator.models.choices import VerdictSource, VerdictStatus
from rubrics_app.calibration import CONFIDENCE, METHOD, item_value, ppi_estimate
from rubrics_app.choices import Dimension
from rubrics_app.models import Benchmark, Release
from rubrics_app.scoring import dimension_points

if TYPE_CHECKING:  # the leaderboard imports this module
    from annotator.selectors.leaderboard import Rubric, ScoredVideo

Interval = tuple[float, float] | None
NOTE = (
    "Only the randomly drawn calibration items enter this estimate: verdicts experts gave "
    "on videos they chose themselves are not a random sample and are left out."
)


@dataclass(frozen=True)
class Item:
    """One (video, dimension) of a model's population, with the judge's value of it."""

    video_id: int
    task_id: int
    dimension: str
    judge: float
    task_maximum: float


def population(
    scored: Mapping[str, Mapping[int, ScoredVideo]], rubric: Rubric
) -> dict[str, list[Item]]:
    """Per model, its items in a fixed order (by video, then dimension), the order the
    draw indexes them in."""
    out: dict[str, list[Item]] = {}
    for generator, tasks in scored.items():
        items = []
        for task_id, video in sorted(tasks.items(), key=lambda kv: kv[1].video_id):
            maximum = sum(points.maximum for points in video.dimensions.values())
            if not maximum:
                continue  # the task scores 0 whatever the verdicts
            for dimension in Dimension.values:
                if not any(weight for _, _, weight in rubric.get((task_id, dimension), [])):
                    continue  # no weighted criterion: the verdicts cannot move the score
                raw = video.dimensions[dimension].raw
                items.append(
                    Item(video.video_id, task_id, dimension, item_value(raw, maximum), maximum)
                )
        out[generator] = items
    return out


def samples_of(
    benchmark: Benchmark, release: Release | None, judge_model: str
) -> list[CalibrationSample]:
    return list(
        CalibrationSample.objects.filter(
            benchmark=benchmark, release=release, judge_model=judge_model
        ).select_related("batch")
    )


def drawn_items(samples: list[CalibrationSample]) -> set[tuple[int, str]]:
    """The (video, dimension) items these samples drew."""
    return set(
        BatchItem.objects.filter(batch__calibration__in=samples).values_list(
            "video_id", "dimension"
        )
    )


@dataclass
class Corrected:
    """One model's human-corrected score, with what it rests on."""

    estimate: float | None
    interval: Interval
    judge: float | None
    correction: float | None
    sampled: int
    verified: int
    population: int
    more_to_halve: int | None
    # Tasks the judge scores 0 because their pooled raw score is negative: there the
    # items do not add up to the task score (rubrics_app/calibration.py, ITEM).
    judge_clipped_tasks: int


@dataclass
class Calibration:
    """What the human-corrected scores of a leaderboard are drawn from."""

    method: str
    confidence: float
    note: str
    sampled: int
    verified: int
    batches: list[dict[str, Any]] = field(default_factory=list)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def corrected_scores(
    *,
    benchmark: Benchmark,
    release: Release | None,
    judge_model: str,
    scored: Mapping[str, Mapping[int, ScoredVideo]],
    task_scores: Mapping[str, Mapping[int, float]],
    rubric: Rubric,
) -> tuple[Calibration | None, dict[str, Corrected]]:
    """The models' human-corrected scores from every calibration sample of this
    benchmark, criteria and judge; (None, {}) when none was drawn. One query then,
    four otherwise, whatever the size."""
    samples = samples_of(benchmark, release, judge_model)
    if not samples:
        return None, {}
    batch_of: dict[tuple[int, str], int] = {}
    for video_id, dimension, batch_id in BatchItem.objects.filter(
        batch__calibration__in=samples
    ).values_list("video_id", "dimension", "batch_id"):
        batch_of.setdefault((video_id, dimension), batch_id)
    experts: dict[tuple[int, int | None], set[int]] = defaultdict(set)
    for batch_id, task_id, user_id in Assignment.objects.filter(
        batch__in=[s.batch for s in samples]
    ).values_list("batch_id", "task_id", "user_id"):
        experts[(batch_id, task_id)].add(user_id)
    human: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
    for video_id, criterion_id, user_id, verdict in (
        # Subqueries, not joins: a join through the items and assignments would repeat
        # each verdict once per item of its video and per task of its expert.
        Judgment.objects.filter(
            source=VerdictSource.HUMAN,
            status=VerdictStatus.CONFIRMED,
            video__in=BatchItem.objects.filter(batch__calibration__in=samples).values("video_id"),
            user__in=Assignment.objects.filter(batch__calibration__in=samples).values("user_id"),
        ).values_list("video_id", "criterion_id", "user_id", "verdict")
    ):
        human[(video_id, user_id)][criterion_id] = verdict

    def human_value(item: Item, batch_id: int) -> float | None:
        """The mean over the item's experts who verified all of its criteria."""
        criteria = rubric.get((item.task_id, item.dimension), [])
        values = []
        for user_id in experts.get((batch_id, item.task_id), ()):
            mine = human.get((item.video_id, user_id), {})
            given = [mine.get(criterion_id) for criterion_id, _, _ in criteria]
            if all(v is not None for v in given):
                points = dimension_points(
                    [(p, w) for _, p, w in criteria], [v for v in given if v is not None]
                )
                values.append(item_value(points.raw, item.task_maximum))
        return fmean(values) if values else None

    rows: dict[str, Corrected] = {}
    sampled_total = verified_total = 0
    for generator, items in population(scored, rubric).items():
        differences = []
        sampled = 0
        for item in items:
            drawn_in = batch_of.get((item.video_id, item.dimension))
            if drawn_in is None:
                continue
            sampled += 1
            value = human_value(item, drawn_in)
            if value is not None:
                differences.append(value - item.judge)
        scores = list(task_scores.get(generator, {}).values())
        estimate = ppi_estimate(scores, len(items), differences)
        clipped = sum(
            1
            for video in scored[generator].values()
            if sum(points.raw for points in video.dimensions.values()) < 0
        )
        rows[generator] = Corrected(
            estimate=_round(estimate.estimate) if estimate else None,
            interval=(
                (round(estimate.interval[0], 2), round(estimate.interval[1], 2))
                if estimate and estimate.interval
                else None
            ),
            judge=_round(estimate.judge) if estimate else None,
            correction=_round(estimate.correction) if estimate else None,
            sampled=sampled,
            verified=len(differences),
            population=len(items),
            more_to_halve=estimate.more_to_halve if estimate else None,
            judge_clipped_tasks=clipped,
        )
        sampled_total += sampled
        verified_total += len(differences)
    summary = Calibration(
        method=METHOD,
        confidence=CONFIDENCE,
        note=NOTE,
        sampled=sampled_total,
        verified=verified_total,
        batches=[_batch_summary(s) for s in samples],
    )
    return summary, rows


def _batch_summary(sample: CalibrationSample) -> dict[str, Any]:
    return {
        "batch": sample.batch_id,
        "name": sample.batch.name,
        "seed": sample.seed,
        "size": sample.size,
        "drawn_at": sample.created_at.isoformat(),
    }


@dataclass
class Assigned:
    """A calibration item as an expert sees it in the judging workspace."""

    batch: WorkBatch
    video_id: int
    dimension: str


def items_assigned(user: Any, task_id: int) -> list[Assigned]:
    """The calibration items of this task given to the user, in draw order."""
    assigned = Assignment.objects.filter(
        user=user, task_id=task_id, batch__calibration__isnull=False
    )
    rows = (
        BatchItem.objects.filter(batch__in=assigned.values("batch_id"), video__task_id=task_id)
        .select_related("batch")
        .order_by("batch_id", "position")
    )
    return [Assigned(row.batch, row.video_id, row.dimension) for row in rows]
