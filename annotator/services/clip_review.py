"""Verifying candidate clips: each assigned expert accepts, rejects (with reasons) or
flags a clip, with their caption and level; when a batch's k answers agree the clip's
outcome is final, otherwise a reviewer adjudicates and their answer is final."""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from rapidfuzz import fuzz

from annotator.core.errors import InputError
from annotator.models import (
    Assignment,
    ClipDecision,
    GoldAnswer,
    RejectReason,
    User,
    Video,
    WorkBatch,
)
from annotator.models.choices import ClipStatus, Decision, MediaStatus, VideoKind
from annotator.selectors.near_duplicates import queue_groups
from rubrics_app.choices import Level

# Captions this similar (rapidfuzz ratio, 0-100, after normalising whitespace) count
# as the same caption: fixing a typo is not a disagreement, rewriting a sentence is.
SAME_CAPTION = 95
MAX_SECONDS = 3600.0


@dataclass(frozen=True)
class Answer:
    decision: str
    reasons: Sequence[str] = ()
    caption: str = ""
    level: str = ""
    seconds: float | None = None


def _normalised(text: str) -> str:
    return " ".join(text.split())


def captions_agree(a: str, b: str) -> bool:
    return fuzz.ratio(_normalised(a), _normalised(b)) >= SAME_CAPTION


def _checked(video: Video, answer: Answer) -> Answer:
    """The answer, cleaned; InputError says what is wrong with it."""
    if answer.decision not in Decision.values:
        raise InputError(
            gettext("Unknown decision %(decision)s.") % {"decision": repr(answer.decision)}
        )
    reasons = sorted(set(answer.reasons))
    if answer.decision == Decision.REJECT:
        if not reasons:
            raise InputError(gettext("A rejection needs at least one reason."))
        known = set(RejectReason.objects.filter(code__in=reasons).values_list("code", flat=True))
        if unknown := [r for r in reasons if r not in known]:
            raise InputError(
                gettext("Unknown reject reason: %(reasons)s.") % {"reasons": ", ".join(unknown)}
            )
    else:
        reasons = []
    if answer.level and answer.level not in Level.values:
        raise InputError(gettext("Unknown level %(level)s.") % {"level": repr(answer.level)})
    if answer.decision == Decision.ACCEPT:
        if video.media_status != MediaStatus.READY:
            raise InputError(
                gettext("This clip's media is %(status)s: only a clip that plays can be accepted.")
                % {"status": video.get_media_status_display()}
            )
        if not answer.level:
            raise InputError(gettext("An accepted clip needs a level."))
        if not answer.caption.strip():
            raise InputError(gettext("An accepted clip needs a caption."))
    seconds = answer.seconds
    if seconds is not None:
        # nan passed max()/min() and showed as "nan" on the dashboards.
        if not math.isfinite(seconds) or seconds < 0:
            raise InputError(
                gettext("seconds %(seconds)s is not a time spent: give 0 or more seconds.")
                % {"seconds": repr(seconds)}
            )
        seconds = min(float(seconds), MAX_SECONDS)
    return Answer(answer.decision, reasons, answer.caption.strip(), answer.level, seconds)


def outcome_update(video: Video, overlap: int) -> None:
    """Sets the clip's status from its answers: final when a reviewer adjudicated or
    `overlap` answers agree (decision; for acceptances also level and caption);
    awaiting adjudication as soon as one is a flag, or when they disagree; else
    pending."""
    answers = list(video.clip_decisions.order_by("created_at", "pk"))
    final = next((a for a in answers if a.adjudication), None)
    experts = [a for a in answers if not a.adjudication]
    if final is None and any(a.decision == Decision.FLAG for a in experts):
        video.clip_status = ClipStatus.ADJUDICATION
    elif final is None and len(experts) >= overlap:
        first = experts[0]
        agreed = all(a.decision == first.decision for a in experts) and (
            first.decision == Decision.REJECT
            or (
                first.decision == Decision.ACCEPT
                and all(a.level == first.level for a in experts)
                and all(captions_agree(a.caption, first.caption) for a in experts)
            )
        )
        if agreed:
            final = first
        else:
            video.clip_status = ClipStatus.ADJUDICATION
    elif final is None:
        video.clip_status = ClipStatus.PENDING
    if final is not None:
        accepted = final.decision == Decision.ACCEPT
        video.clip_status = ClipStatus.ACCEPTED if accepted else ClipStatus.REJECTED
        video.final_caption = final.caption if accepted else ""
        video.final_level = final.level if accepted else ""
        video.decided_at = timezone.now()
    else:
        video.final_caption, video.final_level, video.decided_at = "", "", None
    video.save(update_fields=["clip_status", "final_caption", "final_level", "decided_at"])


class NotAssigned(InputError):
    """The clip is not the user's to answer in this batch."""


def assignment_of(
    batch: WorkBatch, user: User, video_id: int, *, with_video: bool = True
) -> Assignment:
    """The user's assignment of this clip in this batch (with its clip, unless told
    otherwise); annotators may only answer clips given to them."""
    assignments = Assignment.objects.filter(batch=batch, user=user, video_id=video_id)
    assignment = (assignments.select_related("video") if with_video else assignments).first()
    if assignment is None:
        raise NotAssigned(gettext("This clip is not assigned to you in this batch."))
    return assignment


def _not_adjudicated(video: Video) -> None:
    """A reviewer's adjudication is final: the experts' answers no longer change."""
    if video.clip_decisions.filter(adjudication=True).exists():
        raise InputError(gettext("A reviewer has already made the final decision on this clip."))


def _answer_save(
    video: Video,
    user: User,
    answer: Answer,
    *,
    adjudication: bool = False,
    batch: WorkBatch | None = None,
) -> ClipDecision:
    """The user's one answer of this kind on the clip, created or replaced."""
    defaults: dict[str, object] = {
        "decision": answer.decision,
        "reasons": list(answer.reasons),
        "caption": answer.caption,
        "level": answer.level,
        "seconds": answer.seconds,
    }
    if batch is not None:
        defaults["batch"] = batch
    # The callers hold the clip's row lock, so no other answer on it can come between
    # this read and the write: no savepoints (update_or_create takes two, four round trips).
    decision = ClipDecision.objects.filter(
        video=video, user=user, adjudication=adjudication
    ).first()
    if decision is None:
        return ClipDecision.objects.create(
            video=video, user=user, adjudication=adjudication, **defaults
        )
    for name, value in defaults.items():
        setattr(decision, name, value)
    decision.save(update_fields=[*defaults, "updated_at"])
    return decision


def clip_decide(*, batch: WorkBatch, user: User, video_id: int, answer: Answer) -> ClipDecision:
    """Records (or replaces) the user's answer on an assigned clip; NotAssigned when
    it is not theirs."""
    with transaction.atomic():
        assignment = assignment_of(batch, user, video_id, with_video=False)
        # assignment_of found the assignment by this video.
        video = Video.objects.select_for_update().get(pk=video_id)
        _not_adjudicated(video)
        decision = _answer_save(video, user, _checked(video, answer), batch=batch)
        assignment.done_at = timezone.now()
        assignment.save(update_fields=["done_at"])
        outcome_update(video, batch.overlap)
    return decision


def clips_reject(
    *, batch: WorkBatch, user: User, video_ids: Sequence[int], reasons: Sequence[str]
) -> int:
    """Grid triage: rejects many assigned clips with the same reasons, all or none."""
    if not video_ids:
        raise InputError(gettext("Select at least one clip."))
    with transaction.atomic():
        for video_id in video_ids:
            video = assignment_of(batch, user, video_id).video
            assert video is not None  # assignment_of found the assignment by this video
            clip_decide(
                batch=batch,
                user=user,
                video_id=video_id,
                answer=Answer(Decision.REJECT, reasons, caption=video.caption, level=video.level),
            )
    return len(video_ids)


DUPLICATE = "duplicate"  # the reject reason (migration 0006)


def duplicates_reject(*, batch: WorkBatch, user: User, keep_id: int) -> int:
    """Keeps one clip of a near-duplicate group in the user's queue (left for them to
    decide) and rejects the others as duplicates, like a grid rejection (audited)."""
    group = next((g for g in queue_groups(batch, user) if keep_id in g), None)
    if group is None:
        raise InputError(gettext("This clip has no near duplicates left among your clips."))
    others = [video_id for video_id in group if video_id != keep_id]
    return clips_reject(batch=batch, user=user, video_ids=others, reasons=[DUPLICATE])


def decision_undo(*, batch: WorkBatch, user: User) -> ClipDecision | None:
    """Takes back the user's latest answer in this batch (it stays in the history)
    and puts the clip back in their queue; returns the answer taken back, or None
    when there is nothing to undo."""
    with transaction.atomic():
        last = (
            ClipDecision.objects.filter(batch=batch, user=user, adjudication=False)
            .order_by("-updated_at", "-pk")
            .first()
        )
        if last is None:
            return None
        video = Video.objects.select_for_update().get(pk=last.video_id)
        _not_adjudicated(video)
        last.delete()
        Assignment.objects.filter(batch=batch, user=user, video=video).update(done_at=None)
        outcome_update(video, batch.overlap)
    return last


def adjudicate(*, video: Video, reviewer: User, answer: Answer, gold: bool = False) -> ClipDecision:
    """A reviewer's final answer on a clip (flagged or disputed, or any other); with
    `gold`, an admin also keeps it as the clip's known answer, against which
    annotators' decisions are scored."""
    if gold and not reviewer.is_admin:
        raise InputError(gettext("Only admins set gold answers."))
    if not reviewer.is_reviewer:
        raise InputError(gettext("Only reviewers and admins adjudicate."))
    if answer.decision == Decision.FLAG:
        raise InputError(gettext("An adjudication accepts or rejects the clip."))
    with transaction.atomic():
        video = Video.objects.select_for_update().get(pk=video.pk)
        answer = _checked(video, answer)
        decision = _answer_save(video, reviewer, answer, adjudication=True)
        outcome_update(video, overlap=1)
        if gold:
            GoldAnswer.objects.update_or_create(
                video=video,
                criterion=None,
                defaults={"decision": answer.decision, "created_by": reviewer},
            )
    return decision


def queue(batch: WorkBatch, user: User) -> QuerySet[Assignment]:
    """The user's unanswered clips in this batch, in their order."""
    return Assignment.objects.filter(batch=batch, user=user, done_at__isnull=True).order_by(
        "position"
    )


def adjudication_queue() -> QuerySet[Video]:
    return Video.objects.filter(
        kind=VideoKind.DATASET, clip_status=ClipStatus.ADJUDICATION
    ).order_by("pk")
