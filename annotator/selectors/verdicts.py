"""Which verdicts count (the judge's drafts, the experts', or both) and which judge."""

from enum import StrEnum

from django.db.models import QuerySet
from django.utils.translation import gettext

from annotator.core.errors import InputError
from annotator.models import Judgment
from annotator.models.choices import VerdictSource, VerdictStatus


class Source(StrEnum):
    """Which verdicts count: the judge's drafts, the experts', or the experts' where
    they gave one and the draft elsewhere."""

    DRAFTS = "drafts"
    CONFIRMED = "confirmed"
    CONFIRMED_ELSE_DRAFT = "confirmed-else-draft"


def verdicts_of(
    judgments: QuerySet[Judgment], source: Source, judge_model: str | None
) -> dict[tuple[int, int], int]:
    """One verdict per (video, criterion) among these judgments: one judge's draft,
    the newest human-confirmed verdict, or the confirmed one where there is one."""
    columns = ("video_id", "criterion_id", "verdict")
    verdicts: dict[tuple[int, int], int] = {}
    if source in (Source.DRAFTS, Source.CONFIRMED_ELSE_DRAFT):
        drafts = judgments.filter(source=VerdictSource.LLM, judge_model=judge_model or "")
        verdicts.update({(v, c): x for v, c, x in drafts.values_list(*columns)})
    if source in (Source.CONFIRMED, Source.CONFIRMED_ELSE_DRAFT):
        # Oldest first, so the newest confirmed verdict is the one that stays.
        confirmed = judgments.filter(
            source=VerdictSource.HUMAN, status=VerdictStatus.CONFIRMED
        ).order_by("updated_at", "pk")
        verdicts.update({(v, c): x for v, c, x in confirmed.values_list(*columns)})
    return verdicts


def judges_of(judgments: QuerySet[Judgment]) -> list[str]:
    """The judges whose drafts are among these judgments."""
    return sorted(
        judgments.filter(source=VerdictSource.LLM).values_list("judge_model", flat=True).distinct()
    )


def judge_choose(judgments: QuerySet[Judgment], judge_model: str | None) -> str | None:
    """The judge whose drafts count: the one named, else the only one there is."""
    if judge_model:
        return judge_model
    judges = judges_of(judgments)
    if len(judges) > 1:
        raise InputError(
            gettext("drafts from several judges (%(judges)s): choose one with --judge")
            % {"judges": ", ".join(judges)}
        )
    return judges[0] if judges else None
