"""The benchmark's scoring formula (PRODUCT.md, "Scoring")."""

from collections.abc import Iterable
from decimal import Decimal

from .choices import Polarity
from .models import Criterion


def dimension_max(criteria: Iterable[Criterion]) -> Decimal:
    """M: the most a dimension can earn, the sum of its positive points' weights."""
    return sum((c.weight for c in criteria if c.polarity == Polarity.POSITIVE), Decimal(0))
