from django import template

from annotator.selectors.agreement import Agreement, JudgeAgreement
from annotator.selectors.leaderboard import Leaderboard, ModelScores

register = template.Library()
MISSING = "\N{EN DASH}"


@register.filter
def score(value: float | None) -> str:
    return MISSING if value is None else f"{value:.2f}"


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
