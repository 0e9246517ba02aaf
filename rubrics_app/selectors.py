from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from annotator.choices import VideoKind
from annotator.models import Video

from .choices import Dimension, Level
from .models import LIVE_CRITERIA, Benchmark, Criterion, Task

# Annotation-safe names for the levels ("Organ-level" is not an identifier).
LEVEL_KEYS = {"organ": Level.ORGAN, "cellular": Level.CELLULAR, "subcellular": Level.SUBCELLULAR}


def live_criteria() -> QuerySet[Criterion]:
    """Criteria that count: every status but retired, in scoring order (the i-th
    criterion of a dimension gets the i-th score of a judge reply)."""
    return Criterion.objects.filter(LIVE_CRITERIA).order_by(
        "task_id", "dimension", "position", "number"
    )


def count_of(queryset: QuerySet, field: str) -> Coalesce:
    """A correlated COUNT subquery: unlike Count() over joins, several of these in one
    query neither multiply rows nor aggregate rows outside the page."""
    counted = (
        queryset.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def tasks_with_counts(tasks: QuerySet[Task]) -> QuerySet[Task]:
    """Tasks with the number of live criteria per dimension and of videos."""
    live = Criterion.objects.filter(LIVE_CRITERIA)
    return tasks.annotate(
        **{
            f"n_{dimension}": count_of(live.filter(dimension=dimension), "task")
            for dimension in Dimension.values
        },
        n_videos=count_of(Video.objects.filter(kind=VideoKind.GENERATED), "task"),
    )


def benchmarks_with_counts() -> QuerySet[Benchmark]:
    """Benchmarks with their task count, per level and in all."""
    return Benchmark.objects.annotate(
        n_tasks=count_of(Task.objects.all(), "benchmark"),
        **{
            f"n_{key}": count_of(Task.objects.filter(level=level), "benchmark")
            for key, level in LEVEL_KEYS.items()
        },
        n_criteria=count_of(Criterion.objects.filter(LIVE_CRITERIA), "task__benchmark"),
    )
