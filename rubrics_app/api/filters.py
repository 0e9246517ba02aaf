"""The rubric API's query filters (django-filter)."""

from datetime import datetime

import django_filters
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from rubrics_app.choices import CriterionStatus, Dimension, Level
from rubrics_app.filtersets import TaskFilter
from rubrics_app.models import (
    LIVE_CRITERIA,
    Benchmark,
    Criterion,
    Release,
    ReleaseCriterion,
    ReleaseTask,
    Task,
)

# Filters ---------------------------------------------------------------------------


def task_criteria(dimension: str | None = None, status: str | None = None) -> Prefetch:
    """A task's criteria in file order: the live ones, or those in `status`."""
    criteria = Criterion.objects.order_by("dimension", "position", "number")
    criteria = criteria.filter(status=status) if status else criteria.filter(LIVE_CRITERIA)
    if dimension:
        criteria = criteria.filter(dimension=dimension)
    return Prefetch("criteria", queryset=criteria)


class TaskApiFilter(TaskFilter):
    """The task list page's filters, plus what a synchronising tool needs."""

    benchmark = django_filters.ModelChoiceFilter(queryset=Benchmark.objects.all())
    updated_since = django_filters.IsoDateTimeFilter(
        method="changed_since", label="the task or one of its criteria changed at or after"
    )
    dimension = django_filters.ChoiceFilter(
        choices=Dimension.choices, method="nested", label="only the criteria of this dimension"
    )
    status = django_filters.ChoiceFilter(
        choices=CriterionStatus.choices, method="nested", label="only criteria in this status"
    )

    class Meta(TaskFilter.Meta):
        fields = [*TaskFilter.Meta.fields, "benchmark", "updated_since", "dimension", "status"]

    def changed_since(self, queryset: QuerySet[Task], name: str, value: datetime) -> QuerySet:
        edited = Criterion.objects.filter(task=OuterRef("pk"), updated_at__gte=value)
        return queryset.filter(Q(updated_at__gte=value) | Exists(edited))

    def nested(self, queryset: QuerySet[Task], name: str, value: str) -> QuerySet[Task]:
        return queryset  # applied to the prefetched criteria in filter_queryset

    def filter_queryset(self, queryset: QuerySet[Task]) -> QuerySet[Task]:
        queryset = super().filter_queryset(queryset)
        wanted = self.form.cleaned_data
        return queryset.prefetch_related(
            task_criteria(dimension=wanted.get("dimension"), status=wanted.get("status"))
        )


class CriterionApiFilter(django_filters.FilterSet):
    benchmark = django_filters.ModelChoiceFilter(
        field_name="task__benchmark", queryset=Benchmark.objects.all()
    )
    task = django_filters.ModelChoiceFilter(queryset=Task.objects.all())
    level = django_filters.ChoiceFilter(field_name="task__level", choices=Level.choices)
    dimension = django_filters.ChoiceFilter(choices=Dimension.choices)
    status = django_filters.ChoiceFilter(choices=CriterionStatus.choices)
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Criterion
        fields = ["benchmark", "task", "level", "dimension", "status", "updated_since"]


class ReleaseFilter(django_filters.FilterSet):
    benchmark = django_filters.ModelChoiceFilter(queryset=Benchmark.objects.all())

    class Meta:
        model = Release
        fields = ["benchmark"]


class ReleaseTaskFilter(django_filters.FilterSet):
    release = django_filters.ModelChoiceFilter(queryset=Release.objects.all())
    level = django_filters.ChoiceFilter(choices=Level.choices)
    dimension = django_filters.ChoiceFilter(
        choices=Dimension.choices, method="nested", label="only the criteria of this dimension"
    )

    class Meta:
        model = ReleaseTask
        fields = ["release", "level", "dimension"]

    def nested(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # applied to the prefetched criteria in filter_queryset

    def filter_queryset(self, queryset: QuerySet[ReleaseTask]) -> QuerySet[ReleaseTask]:
        queryset = super().filter_queryset(queryset)
        criteria = ReleaseCriterion.objects.order_by("dimension", "position", "number")
        if dimension := self.form.cleaned_data.get("dimension"):
            criteria = criteria.filter(dimension=dimension)
        return queryset.prefetch_related(Prefetch("criteria", queryset=criteria))
