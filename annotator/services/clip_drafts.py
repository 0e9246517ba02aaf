"""Optional LLM drafts for candidate clips: from a clip's 8 judge frames and its source
video's title, the configured model writes a caption and suggests a decision and a
level. They are stored as ClipSuggestions and shown to the experts as suggestions: a
draft never decides a clip nor changes its caption, level or status.

Requests go the way the GPT judge's do (judge_drafts): the same frames and payload
compression, the same endpoint settings and retries, and the same "judge" queue."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext

from annotator.core import queue
from annotator.core.jobs import job_create, job_item_finished
from annotator.core.llm import LLMNotConfigured, llm_configured
from annotator.models import ClipSuggestion, Job, RejectReason, User, Video
from annotator.models.choices import CLIP_KINDS, Decision, EvaluationStatus
from annotator.services.judge_drafts import (
    ItemFailure,
    Outcome,
    ask_with_frames,
    check_can_start,
    judge_frames_read,
)
from annotator.video_analysis import JUDGE_FRAMES
from rubrics_app.choices import Level

JOB_KIND = "clip_drafts"
LEVEL_SCOPES = {
    Level.ORGAN: "organs, tissues or whole organisms",
    Level.CELLULAR: "individual cells and what they do",
    Level.SUBCELLULAR: "organelles, molecules and molecular machines",
}
CLIP_PROMPT = """\
You are an expert biologist checking a candidate clip for a training set of videos of
microscale biology. You are shown {frames} frames taken evenly across the clip, in order
from first to last.

Title of the video the clip was cut from: {title}

1. Write a caption of about 150 words: the structures shown, what they do, how they move
   and change over the clip, and the kind of footage (microscopy, animation,
   simulation). Describe what the frames show; the title is context, not evidence.
2. Decide whether the clip belongs in the training set: "accept" or "reject". Reject it
   for any of these reasons, giving their codes:
{reasons}
3. Give its level, one of:
{levels}

Answer with strict JSON only, no other text, in this shape:
{{"caption": "<about 150 words>", "decision": "accept" or "reject",
 "reasons": [<codes of the reasons above; empty unless rejected>],
 "level": "<one of the levels above>", "reasoning": "<why, in a few sentences>"}}"""


@dataclass
class ClipDraft:
    caption: str
    decision: str
    reasons: list[str]
    level: str
    reasoning: str


def clip_title(video: Video) -> str:
    return (video.extra or {}).get("title") or video.source_ref or video.original_name


def prompt_text(video: Video, reasons: list[RejectReason]) -> str:
    return CLIP_PROMPT.format(
        frames=JUDGE_FRAMES,
        title=clip_title(video) or "(none)",
        reasons="\n".join(f"   - {r.code}: {r.label}" for r in reasons),
        levels="\n".join(f'   - "{level}": {scope}' for level, scope in LEVEL_SCOPES.items()),
    )


def parse_draft(data: Any, reason_codes: set[str]) -> ClipDraft:
    """The draft in a reply; ValueError says what does not fit. Nothing is guessed: a
    decision, level or reason code that is not one of ours fails the reply."""
    if not isinstance(data, dict):
        raise ValueError('expected a JSON object {"caption": ..., "decision": ..., ...}')
    caption, decision, level = data.get("caption"), data.get("decision"), data.get("level")
    reasons = data.get("reasons") or []
    if not isinstance(caption, str) or not caption.strip():
        raise ValueError(f"caption: expected some text, got {caption!r:.200}")
    if decision not in (Decision.ACCEPT, Decision.REJECT):
        raise ValueError(f'decision: expected "accept" or "reject", got {decision!r:.200}')
    if level not in Level.values:
        raise ValueError(f"level: expected one of {', '.join(Level.values)}, got {level!r:.200}")
    if not isinstance(reasons, list) or any(
        not isinstance(r, str) or r not in reason_codes for r in reasons
    ):
        raise ValueError(
            f"reasons: expected codes among {', '.join(sorted(reason_codes))}, got {reasons!r:.200}"
        )
    if reasons and decision == Decision.ACCEPT:
        raise ValueError(f"reasons {reasons!r:.200} given for an accepted clip")
    reasoning = data.get("reasoning", "")
    return ClipDraft(
        caption=caption.strip(),
        decision=decision,
        reasons=reasons,
        level=level,
        reasoning=reasoning if isinstance(reasoning, str) else str(reasoning),
    )


def clip_draft(*, video_id: int, job_id: int | None = None) -> ClipSuggestion:
    """Asks the configured model about one clip and stores its answer as a new
    suggestion: ok with the draft, or failed with the error and raw text. Earlier
    suggestions stay; the newest ok one is shown. With a job, the clip is counted on it
    in the same transaction as the suggestion."""
    video = Video.objects.filter(pk=video_id, kind__in=CLIP_KINDS).first()
    if video is None:
        if job_id is not None:
            failure = f"clip {video_id}: not a dataset clip"
            job_item_finished(job_id=job_id, item=str(video_id), failure=failure)
        raise Video.DoesNotExist(f"no dataset clip {video_id}")
    if not llm_configured():
        if job_id is not None:
            failure = f"{_where(video)}: {LLMNotConfigured()}"
            job_item_finished(job_id=job_id, item=str(video_id), failure=failure)
        raise LLMNotConfigured()

    reasons = list(RejectReason.objects.filter(active=True))
    codes = {r.code for r in reasons}
    outcome: Outcome[ClipDraft]
    try:
        outcome = ask_with_frames(
            prompt_text(video, reasons),
            judge_frames_read(video),
            lambda data: parse_draft(data, codes),
        )
    except ItemFailure as exc:
        outcome = Outcome(error=str(exc))
    reply, draft, error = outcome.reply, outcome.result, outcome.error
    with transaction.atomic():
        suggestion = ClipSuggestion.objects.create(
            video=video,
            # The configured name, as the judge stores it, rather than a dated snapshot.
            judge_model=settings.LLM_MODEL or (reply.model if reply else ""),
            status=EvaluationStatus.FAILED if draft is None else EvaluationStatus.OK,
            caption=draft.caption if draft else "",
            decision=draft.decision if draft else "",
            level=draft.level if draft else "",
            reasons=draft.reasons if draft else [],
            reasoning=draft.reasoning if draft else "",
            raw_response=outcome.raw,
            error=error,
            prompt_tokens=reply.prompt_tokens if reply else None,
            completion_tokens=reply.completion_tokens if reply else None,
        )
        if job_id is not None:
            failure = error and f"{_where(video)}: {error}"
            job_item_finished(job_id=job_id, item=str(video_id), failure=failure)
    return suggestion


def _where(video: Video) -> str:
    return f"clip {video.pk} ({video})"


def _clip_ids(videos: Iterable[Video]) -> list[int]:
    if not isinstance(videos, QuerySet):
        videos = Video.objects.filter(pk__in=[v.pk for v in videos])
    # Gold clips too: they must look like the candidates around them, drafts and all.
    return list(videos.filter(kind__in=CLIP_KINDS).order_by("pk").values_list("pk", flat=True))


def _job(video_ids: list[int], user: User | None, description: str) -> Job:
    # No user: a management command, run by whoever has the server's shell.
    if user is not None:
        check_can_start(user, gettext("caption drafts"))
    elif not llm_configured():
        raise LLMNotConfigured()
    n = len(video_ids)
    return job_create(
        kind=JOB_KIND,
        total=n,
        user=user,
        description=(description or f"caption drafts: {n} clip{'s' if n != 1 else ''}")[:200],
    )


def clip_drafts_start(*, videos: Iterable[Video], user: User | None, description: str = "") -> Job:
    """One job drafting every dataset clip given: one task (one model request) per clip
    on the workers of the "judge" queue, paced like the judge's."""
    from annotator.tasks import clip_draft_task

    video_ids = _clip_ids(videos)
    with transaction.atomic():
        job = _job(video_ids, user, description)
        queue.enqueue(clip_draft_task, [(v, job.pk) for v in video_ids])
    return job


def clip_drafts_run(
    *,
    videos: Iterable[Video],
    user: User | None,
    on_clip: Callable[[ClipSuggestion], None] | None = None,
) -> Job:
    """The same job run here, one clip after the other, without workers."""
    video_ids = _clip_ids(videos)
    job = _job(video_ids, user, "")
    for video_id in video_ids:
        try:
            suggestion = clip_draft(video_id=video_id, job_id=job.pk)
        except Video.DoesNotExist:
            continue  # deleted meanwhile: counted on the job as a failure, saying so
        if on_clip is not None:
            on_clip(suggestion)
    job.refresh_from_db()
    return job


def latest_suggestions(video_ids: Iterable[int]) -> dict[int, ClipSuggestion]:
    """The newest ok suggestion of each clip that has one, in one query."""
    newest = (
        ClipSuggestion.objects.filter(video=OuterRef("video"), status=EvaluationStatus.OK)
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    rows = ClipSuggestion.objects.filter(video_id__in=list(video_ids), pk=Subquery(newest))
    return {s.video_id: s for s in rows}
