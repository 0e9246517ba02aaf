from typing import TYPE_CHECKING, TypedDict

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .choices import Level
from .models import Task

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations  # django-stubs, a dev dependency


class ReviewState(TypedDict):
    n_unapproved: int


class TaskFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    level = django_filters.ChoiceFilter(choices=Level.choices, empty_label=_("All levels"))
    review = django_filters.ChoiceFilter(
        method="by_review",
        empty_label=_("Any review state"),
        choices=[("pending", _("Has unapproved criteria")), ("approved", _("Approved"))],
    )

    class Meta:
        model = Task
        fields = ["q", "level", "review"]

    def by_review(
        self, queryset: "QuerySet[WithAnnotations[Task, ReviewState]]", name: str, value: str
    ) -> "QuerySet[WithAnnotations[Task, ReviewState]]":
        """Needs the n_unapproved annotation (selectors.tasks_with_review_state)."""
        if value == "pending":
            return queryset.filter(n_unapproved__gt=0)
        return queryset.filter(n_unapproved=0)

    def search(self, queryset: QuerySet[Task], name: str, value: str) -> QuerySet[Task]:
        value = value.strip()
        match = (
            Q(prompt__icontains=value)
            | Q(requirement__icontains=value)
            | Q(source_ref__icontains=value)
        )
        # An index too: ASCII digits that fit a number column. "²" is a digit to isdigit()
        # but no number to int(), and int() refuses 5,000 digits.
        if value.isascii() and value.isdigit() and len(value) <= 18:
            match |= Q(index=int(value))
        return queryset.filter(match)
