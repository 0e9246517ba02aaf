"""The leaderboard: per generator model, the benchmark score overall, per level and per
dimension (PRODUCT.md, "Scoring"), from a chosen source of verdicts, over a frozen
release's criteria or, without one, the current approved criteria; every score with its
95% interval, and the ranking with each model's rank interval and how often each model
stays ahead of the next (rubrics_app.uncertainty: a paired bootstrap over tasks); from the
drafts, once experts verified a calibration sample, each model's human-corrected score
(annotator.selectors.calibration)."""

import itertools
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from statistics import fmean
from typing import Any, cast

import numpy as np

from annotator.models import Judgment, Video
from annotator.models.choices import VideoKind
from annotator.selectors.calibration import Calibration, Corrected, corrected_scores
from annotator.selectors.verdicts import Source, judge_choose, verdicts_of
from rubrics_app.choices import CriterionStatus, Dimension, Level
from rubrics_app.models import Benchmark, Release, ReleaseCriterion
from rubrics_app.scoring import Points, dimension_points, task_percent
from rubrics_app.selectors import live_criteria
from rubrics_app.uncertainty import (
    METHOD,
    Bootstrap,
    ahead_share,
    intervals,
    rank_intervals,
    resampled_means,
)

# (criterion id, polarity, weight) in scoring order, per (task id, dimension).
Rubric = dict[tuple[int, str], list[tuple[int, int, float]]]
Interval = tuple[float, float] | None


@dataclass
class ModelScores:
    generator: str
    overall: float | None
    by_level: dict[str, float | None]
    by_dimension: dict[str, float | None]
    tasks_counted: int
    tasks_total: int
    overall_ci: Interval = None
    by_level_ci: dict[str, Interval] = field(default_factory=dict)
    by_dimension_ci: dict[str, Interval] = field(default_factory=dict)
    rank_interval: tuple[int, int] | None = None
    # The human-corrected score (drafts only, once a calibration sample is drawn).
    corrected: Corrected | None = None


@dataclass
class Ahead:
    """How often, over the resamples, `upper` (ranked just above) beats `lower`."""

    upper: str
    lower: str
    share: float


@dataclass
class Leaderboard:
    benchmark: str
    release: str | None
    source: str
    judge_model: str | None
    rows: list[ModelScores] = field(default_factory=list)
    ahead: list[Ahead] = field(default_factory=list)
    uncertainty: dict[str, Any] = field(default_factory=dict)
    calibration: Calibration | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _mean(values: list[float]) -> float | None:
    return round(fmean(values), 2) if values else None


def _rounded(interval: tuple[float, float] | None) -> Interval:
    return (round(interval[0], 2), round(interval[1], 2)) if interval else None


def rubric_of(benchmark: Benchmark, release: Release | None) -> tuple[Rubric, dict[int, str]]:
    """The criteria that score, and each task's level."""
    rubric: Rubric = defaultdict(list)
    levels: dict[int, str] = {}
    if release is not None:
        rows = (
            ReleaseCriterion.objects.filter(release_task__release=release)
            .order_by("release_task__index", "dimension", "position", "number")
            .values_list(
                "release_task__task_id",
                "dimension",
                "criterion_id",
                "polarity",
                "weight",
            )
        )
        for task_id, dimension, criterion_id, polarity, weight in rows:
            if task_id is not None and criterion_id is not None:
                rubric[(task_id, dimension)].append((criterion_id, polarity, float(weight)))
        for task_id, level in release.tasks.values_list("task_id", "level"):
            if task_id is not None:
                levels[task_id] = level
    else:
        live = (
            live_criteria()
            .filter(task__benchmark=benchmark, status=CriterionStatus.APPROVED)
            .values_list("task_id", "dimension", "pk", "polarity", "weight")
        )
        for task_id, dimension, criterion_id, polarity, weight in live:
            rubric[(task_id, dimension)].append((criterion_id, polarity, float(weight)))
        levels = dict(benchmark.tasks.values_list("pk", "level"))
    return rubric, levels


@dataclass(frozen=True)
class ScoredVideo:
    """A model's video of a task, with its points in each dimension."""

    video_id: int
    dimensions: dict[str, Points]


def scored_videos(
    benchmark: Benchmark, rubric: Rubric, verdicts: dict[tuple[int, int], int]
) -> dict[str, dict[int, ScoredVideo]]:
    """Per generator model (every one with a generated video in the benchmark), per
    task, its video that counts: one with a verdict on every criterion of the three
    dimensions."""
    scored: dict[str, dict[int, ScoredVideo]] = defaultdict(dict)
    # Each task's criteria per dimension, split once for all the models' videos of it.
    shapes: dict[int, list[tuple[str, list[int], list[tuple[int, float]]]]] = {}
    for task_id in {task_id for task_id, _ in rubric}:
        shapes[task_id] = [
            (
                dimension,
                [criterion_id for criterion_id, _, _ in rubric.get((task_id, dimension), [])],
                [(p, w) for _, p, w in rubric.get((task_id, dimension), [])],
            )
            for dimension in Dimension.values
        ]
    videos = Video.objects.filter(kind=VideoKind.GENERATED, task__benchmark=benchmark)
    for video_id, generator, task_id in videos.values_list("pk", "generator__name", "task_id"):
        tasks = scored[generator]
        if task_id not in shapes:
            continue
        dimensions: dict[str, Points] = {}
        for dimension, criterion_ids, weights in shapes[task_id]:
            given = [verdicts.get((video_id, c)) for c in criterion_ids]
            if None in given:
                break  # a video counts only when all three dimensions have verdicts
            dimensions[dimension] = dimension_points(weights, cast(list[int], given))
        else:
            tasks[task_id] = ScoredVideo(video_id, dimensions)
    return scored


def leaderboard_compute(
    *,
    benchmark: Benchmark,
    release: Release | None = None,
    source: str = Source.DRAFTS,
    judge_model: str | None = None,
    bootstrap: Bootstrap | None = None,
) -> Leaderboard:
    source = Source(source)
    bootstrap = bootstrap or Bootstrap()
    judgments = Judgment.objects.filter(video__task__benchmark=benchmark)
    judge = judge_choose(judgments, judge_model) if source != Source.CONFIRMED else None
    rubric, levels = rubric_of(benchmark, release)
    verdicts = verdicts_of(Judgment.objects.filter(video__task__benchmark=benchmark), source, judge)
    scored_tasks = {task_id for task_id, _ in rubric}
    tasks_total = len(scored_tasks)

    # Per model: task id -> the task's score, and per dimension task id -> its score.
    per_model: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"tasks": {}, "dimensions": defaultdict(dict)}
    )
    scored = scored_videos(benchmark, rubric, verdicts)
    for generator, videos in scored.items():
        scores = per_model[generator]
        for task_id, video in videos.items():
            scores["tasks"][task_id] = task_percent(video.dimensions.values())
            for dimension, points in video.dimensions.items():
                scores["dimensions"][dimension][task_id] = points.percent

    board = Leaderboard(
        benchmark.name,
        release.name if release else None,
        source,
        judge,
        uncertainty={
            "method": METHOD,
            "resamples": bootstrap.resamples,
            "seed": bootstrap.seed,
            "confidence": bootstrap.confidence,
            "tasks": tasks_total,
        },
    )
    by_level = {
        level: {t for t in scored_tasks if levels.get(t) == level} for level in Level.values
    }
    for generator, scores in per_model.items():
        tasks = scores["tasks"]
        board.rows.append(
            ModelScores(
                generator=generator,
                overall=_mean(list(tasks.values())),
                by_level={
                    level: _mean([v for t, v in tasks.items() if t in by_level[level]])
                    for level in Level.values
                },
                by_dimension={
                    d: _mean(list(scores["dimensions"][d].values())) for d in Dimension.values
                },
                tasks_counted=len(tasks),
                tasks_total=tasks_total,
            )
        )
    board.rows.sort(key=lambda row: (row.overall is None, -(row.overall or 0), row.generator))
    if source == Source.DRAFTS and judge:
        # The judge's score corrected by the experts on a random sample of its items.
        board.calibration, corrected = corrected_scores(
            benchmark=benchmark,
            release=release,
            judge_model=judge,
            scored=scored,
            task_scores={g: scores["tasks"] for g, scores in per_model.items()},
            rubric=rubric,
        )
        for row in board.rows:
            row.corrected = corrected.get(row.generator)
    _uncertainty(board, per_model, sorted(scored_tasks), by_level, bootstrap)
    return board


def _uncertainty(
    board: Leaderboard,
    per_model: dict[str, dict[str, Any]],
    tasks: list[int],
    by_level: dict[str, set[int]],
    bootstrap: Bootstrap,
) -> None:
    """Fills in the intervals of every score, the rank intervals and the shares ahead."""
    if not board.rows or not tasks:
        return
    column = {task_id: k for k, task_id in enumerate(tasks)}
    counts = bootstrap.counts(len(tasks))

    def matrix(dimension: str | None = None) -> np.ndarray:
        """(models in board order, tasks): the task scores, or a dimension's; NaN: none."""
        out = np.full((len(board.rows), len(tasks)), np.nan)
        for i, row in enumerate(board.rows):
            scores = per_model[row.generator]
            for task_id, value in (
                scores["dimensions"][dimension] if dimension else scores["tasks"]
            ).items():
                out[i, column[task_id]] = value
        return out

    def cis(samples: np.ndarray) -> list[Interval]:
        return [_rounded(ci) for ci in intervals(samples, bootstrap.confidence)]

    overall = matrix()
    samples = resampled_means(overall, counts)
    ranked = rank_intervals(samples, bootstrap.confidence)
    overall_cis = cis(samples)
    levels = {
        level: cis(
            resampled_means(
                np.where([t in by_level[level] for t in tasks], overall, np.nan), counts
            )
        )
        for level in by_level
    }
    dimensions = {d: cis(resampled_means(matrix(d), counts)) for d in Dimension.values}
    for i, row in enumerate(board.rows):
        row.overall_ci = overall_cis[i]
        row.rank_interval = ranked[i] if row.overall is not None else None
        row.by_level_ci = {level: levels[level][i] for level in levels}
        row.by_dimension_ci = {d: dimensions[d][i] for d in dimensions}
    scored = [i for i, row in enumerate(board.rows) if row.overall is not None]
    for upper, lower in itertools.pairwise(scored):
        share = round(ahead_share(samples, upper, lower), 3)
        board.ahead.append(Ahead(board.rows[upper].generator, board.rows[lower].generator, share))
