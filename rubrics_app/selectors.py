from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from annotator.models import Assignment, User, Video
from annotator.models.choices import VideoKind, WorkKind

from .choices import CriterionStatus, Dimension, Level
from .models import LIVE_CRITERIA, Benchmark, Criterion, Release, Task
from .scoring import dimension_max

# Annotation-safe names for the levels ("Organ-level" is not an identifier).
LEVEL_KEYS = {"organ": Level.ORGAN, "cellular": Level.CELLULAR, "subcellular": Level.SUBCELLULAR}


def authorable_tasks(user: User) -> QuerySet[Task]:
    """The tasks whose criteria the user may write (add, edit, move, retire, propose a
    set, decide on the model's suggestions): every task for reviewers and admins, for
    annotators only the tasks assigned to them in authoring batches."""
    if user.is_reviewer:
        return Task.objects.all()
    assigned = Assignment.objects.filter(user=user, batch__kind=WorkKind.AUTHOR)
    return Task.objects.filter(pk__in=assigned.values("task_id"))


def may_author(user: User, task: Task) -> bool:
    """Whether the user may write the task's criteria (see authorable_tasks)."""
    return user.is_reviewer or authorable_tasks(user).filter(pk=task.pk).exists()


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


@dataclass
class DimensionBlock:
    key: str
    label: str
    criteria: list[Criterion]

    @property
    def max_score(self) -> Decimal:
        return dimension_max(self.criteria)


def dimension_blocks(task: Task, dimension: str | None = None) -> list[DimensionBlock]:
    """The task's live criteria by dimension (one query), for the task page and the
    editor's partial updates."""
    criteria = live_criteria().filter(task=task).select_related("updated_by")
    if dimension is not None:
        criteria = criteria.filter(dimension=dimension)
    rows = list(criteria)
    return [
        DimensionBlock(key, str(label), [c for c in rows if c.dimension == key])
        for key, label in Dimension.choices
        if dimension is None or key == dimension
    ]


def tasks_with_review_state(tasks: QuerySet[Task]) -> QuerySet[Task]:
    """Tasks with n_unapproved: live criteria not yet approved (0: the task is approved)."""
    pending = Criterion.objects.filter(LIVE_CRITERIA).exclude(status=CriterionStatus.APPROVED)
    return tasks.annotate(n_unapproved=count_of(pending, "task"))


def release_chosen(releases: Iterable[Release], asked: str | None) -> Release | None:
    """The release a query asks for, by name or by id, on the pages and in the API
    alike (a name first: a release named "2" is the one asked for by ?release=2);
    None when it names none of them."""
    releases = list(releases)
    return next((r for r in releases if r.name == asked), None) or next(
        (r for r in releases if str(r.pk) == asked), None
    )
