from decimal import Decimal

from django import template

from rubrics_app.rubric_format import format_weight

register = template.Library()


@register.filter
def weight(value: Decimal) -> str:
    """A weight as the rubric file writes it: 2, 0.7, 1.25."""
    return format_weight(value)


@register.filter
def changes(comparison, kind: str) -> int:
    """How many changes of a kind a release comparison holds."""
    return comparison.count(kind)
