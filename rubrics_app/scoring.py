"""The benchmark's scoring formula (PRODUCT.md, "Scoring"), in floats as the published
scoring code computes it, so that the numbers agree with the published ones."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from .choices import Polarity
from .models import Criterion


def dimension_max(criteria: Iterable[Criterion]) -> Decimal:
    """M: the most a dimension can earn, the sum of its positive points' weights."""
    return sum((c.weight for c in criteria if c.polarity == Polarity.POSITIVE), Decimal(0))


@dataclass(frozen=True)
class Points:
    """S (signed, weighted verdicts) and M (the positive weights) of one dimension."""

    raw: float
    maximum: float

    @property
    def percent(self) -> float:
        """max(0, S / M) * 100, and 0 when M = 0."""
        return max(0.0, self.raw / self.maximum) * 100 if self.maximum else 0.0


def dimension_points(criteria: Sequence[tuple[int, float]], verdicts: Sequence[int]) -> Points:
    """criteria: (polarity, weight) in criterion order; verdicts: 0/1 in the same order.
    For a penalty point, verdict 1 means the error is present and charges its weight."""
    if len(criteria) != len(verdicts):
        raise ValueError(f"{len(verdicts)} verdicts for {len(criteria)} criteria")
    raw = sum(
        polarity * weight * verdict
        for (polarity, weight), verdict in zip(criteria, verdicts, strict=True)
    )
    maximum = sum(weight for polarity, weight in criteria if polarity == Polarity.POSITIVE)
    return Points(float(raw), float(maximum))


def task_percent(dimensions: Iterable[Points]) -> float:
    """Pooled over the dimensions: max(0, sum S / sum M) * 100, not the mean of the
    dimension scores."""
    dimensions = list(dimensions)
    return Points(sum(d.raw for d in dimensions), sum(d.maximum for d in dimensions)).percent
