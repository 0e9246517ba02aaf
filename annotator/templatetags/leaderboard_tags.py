from django import template

from annotator.selectors.agreement import Agreement, JudgeAgreement
from annotator.selectors.leaderboard import Leaderboard, ModelScores

register = template.Library()
MISSING = "\N{EN DASH}"


@register.filter
def score(value: float | None) -> str:
    return MISSING if value is None else f"{value:.2f}"


@register.filter
def interval(value: tuple[float, float] | None) -> str:
    """A 95% interval as "68.10 (en dash) 76.02", or a dash."""
    return MISSING if value is None else f"{value[0]:.2f}{MISSING}{value[1]:.2f}"


@register.filter
def ranks(value: tuple[int, int] | None) -> str:
    """A rank interval: "2" when every resample agrees, "1 (en dash) 3" otherwise."""
    if value is None:
        return MISSING
    return str(value[0]) if value[0] == value[1] else f"{value[0]}{MISSING}{value[1]}"


@register.filter
def item(mapping: dict, key: str):
    return mapping.get(key)


@register.filter
def percent(value: float | None) -> str:
    return MISSING if value is None else f"{100 * value:.1f}%"


@register.filter
def row_for(board: Leaderboard, generator: str) -> ModelScores | None:
    return next((row for row in board.rows if row.generator == generator), None)


@register.filter
def rank_of(board: Leaderboard, generator: str) -> int | None:
    ranked = [row.generator for row in board.rows if row.overall is not None]
    return ranked.index(generator) + 1 if generator in ranked else None


@register.filter
def agreement_rows(agreement: JudgeAgreement) -> list[tuple[str, Agreement]]:
    return [
        ("all", agreement.overall),
        *((f"dimension {d}", a) for d, a in sorted(agreement.by_dimension.items())),
        *((f"model {g}", a) for g, a in sorted(agreement.by_generator.items())),
    ]
