"""Synthetic gold clips: known-bad copies of accepted clips (annotator/gold_video.py),
each with the reject reason it should get, hidden among the candidates of verification
batches. A copy is stored and processed exactly like an upload and carries its clip's
caption, level, source and names, so annotators cannot tell it from a candidate; its
kind (gold) keeps it out of every export and report of the training set."""

import random
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import cast

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext, ngettext

from annotator.core import queue
from annotator.core.errors import InputError
from annotator.core.jobs import job_create, job_item_finished
from annotator.gold_video import GoldVideoError, gold_suffix, gold_video_write
from annotator.models import (
    Assignment,
    ClipDecision,
    GoldAnswer,
    GoldVariant,
    Job,
    RejectReason,
    User,
    Video,
)
from annotator.models.choices import (
    ClipStatus,
    Decision,
    GoldDefect,
    MediaStatus,
    ReportStatus,
    VideoKind,
    WorkKind,
)
from annotator.services.clip_drafts import latest_suggestions
from annotator.services.media import local_copy
from annotator.services.videos import Outcome, video_add

JOB_KIND = "gold_clips"
MAX_SHARE = 0.5  # of a batch's items: more gold than candidates is not a batch of clips

# The reason (RejectReason code) each defect should be rejected for.
DEFECT_REASONS = {
    GoldDefect.REVERSED: "inconsistent",
    GoldDefect.FROZEN: "frozen",
    GoldDefect.SHUFFLED: "scene-cut",
    GoldDefect.BORDERS: "black-borders",
    GoldDefect.TEXT: "text-overlay",
}


def _reasons(defects: Sequence[str]) -> dict[str, RejectReason]:
    unknown = sorted(set(defects) - set(GoldDefect.values))
    if unknown:
        raise InputError(gettext("No such defect: %(defects)s.") % {"defects": ", ".join(unknown)})
    if not defects:
        raise InputError(gettext("Choose at least one defect to put in."))
    reasons = {r.code: r for r in RejectReason.objects.filter(active=True)}
    missing = [
        DEFECT_REASONS[GoldDefect(d)]
        for d in defects
        if DEFECT_REASONS[GoldDefect(d)] not in reasons
    ]
    if missing:
        raise InputError(
            ngettext(
                "The reject reason %(reasons)s that these defects should get is retired or"
                " missing: restore it first.",
                "The reject reasons %(reasons)s that these defects should get are retired or"
                " missing: restore them first.",
                len(missing),
            )
            % {"reasons": ", ".join(missing)}
        )
    return {d: reasons[DEFECT_REASONS[GoldDefect(d)]] for d in defects}


def gold_variants_start(
    *, sources: QuerySet[Video] | Sequence[Video], defects: Sequence[str], user: User | None
) -> Job:
    """One job making, for every accepted clip given, a copy with each defect (one task
    per copy on the media workers). Copies made already are kept; failed ones are tried
    again. Only accepted clips whose media is ready can be copied."""
    reasons = _reasons(defects)
    ids = [v.pk for v in sources]
    clips = Video.objects.filter(
        pk__in=ids,
        kind=VideoKind.DATASET,
        clip_status=ClipStatus.ACCEPTED,
        media_status=MediaStatus.READY,
    ).exclude(file="")
    clip_ids = list(clips.order_by("pk").values_list("pk", flat=True))
    if not clip_ids:
        raise InputError(
            gettext("None of these clips is accepted with its media ready: nothing to copy.")
        )
    from annotator.tasks import gold_variant_task

    with transaction.atomic():
        existing = {
            (v.source_id, v.defect): v
            for v in GoldVariant.objects.select_for_update().filter(
                source_id__in=clip_ids, defect__in=defects
            )
        }
        todo = []
        for clip_id in clip_ids:
            for defect in defects:
                variant = existing.get((clip_id, defect))
                if variant is None:
                    variant = GoldVariant.objects.create(
                        source_id=clip_id, defect=defect, reason=reasons[defect], created_by=user
                    )
                elif variant.status == ReportStatus.DONE:
                    continue
                todo.append(variant.pk)
        if not todo:
            raise InputError(gettext("These clips have these gold copies already."))
        GoldVariant.objects.filter(pk__in=todo).update(status=ReportStatus.QUEUED, error="")
        n = len(todo)
        job = job_create(
            kind=JOB_KIND,
            total=n,
            user=user,
            description=f"gold clips: {n} cop{'ies' if n != 1 else 'y'} of {len(clip_ids)} clips",
        )
        queue.enqueue(gold_variant_task, [(pk, job.pk) for pk in todo])
    return job


def gold_variant_mark_failed(*, variant_id: int, job_id: int | None, reason: str) -> None:
    """For a task that gave up after its retries: the copy must not stay running."""
    _failed(GoldVariant.objects.get(pk=variant_id), reason, job_id)


def _failed(variant: GoldVariant, error: str, job_id: int | None) -> GoldVariant:
    with transaction.atomic():
        variant.status, variant.error = ReportStatus.FAILED, error
        variant.save(update_fields=["status", "error"])
        if job_id is not None:
            job_item_finished(job_id=job_id, item=str(variant.pk), failure=f"{variant}: {error}")
    return variant


def gold_variant_make(*, variant_id: int, job_id: int | None = None) -> GoldVariant:
    """Encodes one gold copy and stores it as a gold clip queued for the media
    pipeline, with its known answer and its clip's newest suggestion. Done again it
    does nothing new; a copy that cannot be made is recorded as failed, with why, and
    nothing is inserted."""
    variant = GoldVariant.objects.select_related("source").get(pk=variant_id)
    if _done(variant, job_id):
        return variant
    GoldVariant.objects.filter(pk=variant.pk).update(status=ReportStatus.RUNNING)
    source = variant.source
    with tempfile.TemporaryDirectory() as tmp, local_copy(source.file) as path:
        # Served as the clip is: as uploaded, or like its rendition.
        follow = not source.playable
        name = source.original_name or cast(str, source.file.name)
        copy = Path(tmp) / f"{Path(name).stem or 'clip'}{gold_suffix(name, follow_source=follow)}"
        try:
            gold_video_write(
                path,
                copy,
                variant.defect,
                seed=variant.pk,
                max_frames=settings.GOLD_MAX_FRAMES,
                follow_source=follow,
            )
        except GoldVideoError as exc:
            return _failed(variant, str(exc), job_id)
        with transaction.atomic():
            # A second delivery of the task may have stored the copy meanwhile.
            variant = (
                GoldVariant.objects.select_for_update().select_related("source").get(pk=variant_id)
            )
            if _done(variant, job_id):
                return variant
            added = video_add(
                path=copy,
                name=copy.name,
                kind=VideoKind.GOLD,
                clip_fields={
                    "caption": source.caption,
                    "level": source.level,
                    "source_ref": source.source_ref,
                    "extra": source.extra,
                    "external_id": source.external_id,
                },
            )
            if added.outcome != Outcome.DUPLICATE:
                _gold_stored(variant, added.video, job_id)
    if added.outcome == Outcome.DUPLICATE:
        return _failed(variant, added.message, job_id)
    return variant


def _done(variant: GoldVariant, job_id: int | None) -> bool:
    """Whether the copy is made already (then counted on the job again, once)."""
    if variant.status != ReportStatus.DONE or not variant.video_id:
        return False
    if job_id is not None:
        job_item_finished(job_id=job_id, item=str(variant.pk))
    return True


def _gold_stored(variant: GoldVariant, video: Video, job_id: int | None) -> None:
    # The name it came with, not the copy's temporary path: what an upload shows.
    video.source_path = variant.source.source_path
    video.save(update_fields=["source_path"])
    GoldAnswer.objects.create(video=video, decision=Decision.REJECT, created_by=variant.created_by)
    suggestion = latest_suggestions([variant.source_id]).get(variant.source_id)
    if suggestion is not None:  # the candidates around it show one: so does it
        suggestion.pk, suggestion.video = None, video
        suggestion.save()
    variant.video, variant.status, variant.error = video, ReportStatus.DONE, ""
    variant.save(update_fields=["video", "status", "error"])
    if job_id is not None:
        job_item_finished(job_id=job_id, item=str(variant.pk))


def gold_count(n_items: int, share: float) -> int:
    """How many gold clips make `share` of a batch of `n_items` candidates plus them."""
    if not 0 <= share <= MAX_SHARE:
        raise InputError(
            gettext("The gold share is between 0 and %(max_share)s.")
            % {"max_share": format(MAX_SHARE, ".0%")}
        )
    return max(1, round(n_items * share / (1 - share))) if share else 0


def gold_for_batch(*, n: int, users: Sequence[User]) -> list[int]:
    """`n` gold clips (video ids), in random order, for a new verification batch: ready,
    in no verification batch yet, at most one per clip (two copies of a clip would show
    as near duplicates) and none copied from a clip these annotators answered on (they
    would know it). Refused, saying how many there are, when there are fewer."""
    if not n:
        return []
    answered = ClipDecision.objects.filter(user__in=users).values("video_id")
    used = Assignment.objects.filter(batch__kind=WorkKind.VERIFY, video__isnull=False).values(
        "video_id"
    )
    rows = (
        GoldVariant.objects.filter(status=ReportStatus.DONE, video__media_status=MediaStatus.READY)
        .exclude(video_id__in=used)
        .exclude(source_id__in=answered)
        .values_list("source_id", "video_id")
    )
    by_source: dict[int, list[int]] = {}
    for source_id, video_id in rows:
        by_source.setdefault(source_id, []).append(video_id)
    rng = random.Random()
    pool = [rng.choice(videos) for videos in by_source.values()]
    if len(pool) < n:
        raise InputError(
            gettext(
                "The gold share needs %(needed)s gold clips; %(ready)s are ready, unused and "
                "unknown to these annotators. Make more on the gold clips page, or lower the share."
            )
            % {"needed": n, "ready": len(pool)}
        )
    return rng.sample(pool, n)


def gold_mixed_in(item_ids: list[int], gold_ids: list[int]) -> list[int]:
    """The batch's items with the gold clips at random places among them."""
    rng = random.Random()
    mixed = list(item_ids)
    for gold_id in gold_ids:
        mixed.insert(rng.randrange(len(mixed) + 1), gold_id)
    return mixed


def clips_to_copy(n: int) -> list[Video]:
    """`n` accepted clips at random, with their media ready and no gold copy yet."""
    return list(
        Video.objects.filter(
            kind=VideoKind.DATASET,
            clip_status=ClipStatus.ACCEPTED,
            media_status=MediaStatus.READY,
            gold_sources__isnull=True,
        )
        .exclude(file="")
        .order_by("?")[:n]
    )
