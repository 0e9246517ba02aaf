"""The leaderboard: per generator model, the benchmark score overall, per level and per
dimension (PRODUCT.md, "Scoring"), from a chosen source of verdicts, over a frozen
release's criteria or, without one, the current approved criteria."""

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from statistics import fmean
from typing import Any

from annotator.models import Judgment, Video
from annotator.models.choices import VideoKind
from annotator.selectors.verdicts import Source, judge_choose, verdicts_of
from rubrics_app.choices import CriterionStatus, Dimension, Level
from rubrics_app.models import Benchmark, Release, ReleaseCriterion
from rubrics_app.scoring import Points, dimension_points, task_percent
from rubrics_app.selectors import live_criteria

# (criterion id, polarity, weight) in scoring order, per (task id, dimension).
Rubric = dict[tuple[int, str], list[tuple[int, int, float]]]


@dataclass
class ModelScores:
    generator: str
    overall: float | None
    by_level: dict[str, float | None]
    by_dimension: dict[str, float | None]
    tasks_counted: int
    tasks_total: int


@dataclass
class Leaderboard:
    benchmark: str
    release: str | None
    source: str
    judge_model: str | None
    rows: list[ModelScores] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _mean(values: list[float]) -> float | None:
    return round(fmean(values), 2) if values else None


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
        rows = (
            live_criteria()
            .filter(task__benchmark=benchmark, status=CriterionStatus.APPROVED)
            .values_list("task_id", "dimension", "pk", "polarity", "weight")
        )
        for task_id, dimension, criterion_id, polarity, weight in rows:
            rubric[(task_id, dimension)].append((criterion_id, polarity, float(weight)))
        levels = dict(benchmark.tasks.values_list("pk", "level"))
    return rubric, levels


def leaderboard_compute(
    *,
    benchmark: Benchmark,
    release: Release | None = None,
    source: str = Source.DRAFTS,
    judge_model: str | None = None,
) -> Leaderboard:
    source = Source(source)
    judgments = Judgment.objects.filter(video__task__benchmark=benchmark)
    judge = judge_choose(judgments, judge_model) if source != Source.CONFIRMED else None
    rubric, levels = rubric_of(benchmark, release)
    verdicts = verdicts_of(Judgment.objects.filter(video__task__benchmark=benchmark), source, judge)
    scored_tasks = {task_id for task_id, _ in rubric}
    tasks_total = len(scored_tasks)

    per_model: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"tasks": [], "levels": defaultdict(list), "dimensions": defaultdict(list)}
    )
    videos = Video.objects.filter(kind=VideoKind.GENERATED, task__benchmark=benchmark)
    for video_id, generator, task_id in videos.values_list("pk", "generator__name", "task_id"):
        scores = per_model[generator]
        if task_id not in scored_tasks:
            continue
        dimensions: dict[str, Points] = {}
        for dimension in Dimension.values:
            criteria = rubric.get((task_id, dimension), [])
            given = [verdicts.get((video_id, criterion_id)) for criterion_id, _, _ in criteria]
            if None in given:
                break  # a video counts only when all three dimensions have verdicts
            dimensions[dimension] = dimension_points([(p, w) for _, p, w in criteria], given)
        else:
            percent = task_percent(dimensions.values())
            scores["tasks"].append(percent)
            scores["levels"][levels.get(task_id, "")].append(percent)
            for dimension, points in dimensions.items():
                scores["dimensions"][dimension].append(points.percent)

    board = Leaderboard(benchmark.name, release.name if release else None, source, judge)
    for generator, scores in per_model.items():
        board.rows.append(
            ModelScores(
                generator=generator,
                overall=_mean(scores["tasks"]),
                by_level={level: _mean(scores["levels"][level]) for level in Level.values},
                by_dimension={d: _mean(scores["dimensions"][d]) for d in Dimension.values},
                tasks_counted=len(scores["tasks"]),
                tasks_total=tasks_total,
            )
        )
    board.rows.sort(key=lambda row: (row.overall is None, -(row.overall or 0), row.generator))
    return board
