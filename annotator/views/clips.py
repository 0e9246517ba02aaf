"""Clip verification: an annotator's batches and queue, the single-clip workspace
(keyboard first, next clip preloaded, undo), grid triage and the reviewers'
adjudication queue. Batches and their dashboards are in annotator.views.work."""

from uuid import UUID

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST, require_safe

from annotator.core.errors import InputError
from annotator.core.htmx import AuthedHttpRequest, said
from annotator.core.permissions import reviewer_required
from annotator.core.query_forms import PublicIdListField, cleaned_input, posted_input
from annotator.models import Assignment, ClipDecision, RejectReason, Video, WorkBatch
from annotator.models.choices import Decision, VideoKind, WorkKind
from annotator.selectors.contamination import clip_overlaps, overlapping_tasks
from annotator.selectors.near_duplicates import queue_groups
from annotator.services import clip_drafts, clip_review
from rubrics_app.choices import Level

GRID_PAGE = 60
# (value, label, key): the level selector answers to one key per level.
LEVELS = [
    (Level.ORGAN, Level.ORGAN.label, "o"),
    (Level.CELLULAR, Level.CELLULAR.label, "c"),
    (Level.SUBCELLULAR, Level.SUBCELLULAR.label, "s"),
]


# Annotators' pages name clips by public id, never by row id: row ids follow the
# import order, so a gold clip (made from an accepted clip later) would stand out.
class ClipQuery(forms.Form):
    clip = forms.UUIDField(required=False)


class ClipPosted(forms.Form):
    video = forms.UUIDField()


class ClipsPosted(forms.Form):
    video = PublicIdListField(required=False)


def _video_ids(public_ids: list[UUID]) -> list[int]:
    """Their row ids; 0, which no assignment has, for an unknown one: the services then
    refuse it as not the user's."""
    rows = dict(Video.objects.filter(public_id__in=public_ids).values_list("public_id", "pk"))
    return [rows.get(public_id, 0) for public_id in public_ids]


def _video_id(public_id: UUID) -> int:
    return _video_ids([public_id])[0]


def _batch(request: AuthedHttpRequest, pk: int) -> WorkBatch:
    """A verification batch the user works on (reviewers see every batch)."""
    batches = WorkBatch.objects.filter(pk=pk, kind=WorkKind.VERIFY)
    if not request.user.is_reviewer:
        batches = batches.filter(
            Exists(Assignment.objects.filter(batch=OuterRef("pk"), user=request.user))
        )
    batch = batches.first()
    if batch is None:
        raise Http404(gettext("No such batch of yours."))
    return batch


class AnswerForm(forms.Form):
    """A decision on a clip as posted (the workspace's and the adjudication's); the
    service checks decision, reasons and level against each other."""

    decision = forms.CharField(required=False, strip=False)
    reasons = forms.Field(required=False, widget=forms.MultipleHiddenInput)  # a list
    caption = forms.CharField(required=False, strip=False)
    level = forms.CharField(required=False)
    seconds = forms.FloatField(required=False)


def _answer(data) -> clip_review.Answer:
    return clip_review.Answer(**posted_input(AnswerForm(data)))


@require_safe
def batch_list(request: AuthedHttpRequest) -> HttpResponse:
    """My batches (all of them for reviewers), with my progress in each."""
    mine = Count("assignments", filter=Q(assignments__user=request.user))
    done = Count(
        "assignments",
        filter=Q(assignments__user=request.user, assignments__done_at__isnull=False),
    )
    batches = WorkBatch.objects.filter(kind=WorkKind.VERIFY).annotate(mine=mine, done=done)
    if not request.user.is_reviewer:
        batches = batches.filter(mine__gt=0)
    context = {
        "batches": batches,
        "adjudication": clip_review.adjudication_queue().count() if request.user.is_reviewer else 0,
    }
    return render(request, "annotator/clip_batches.html", context)


def _workspace(
    request: AuthedHttpRequest,
    batch: WorkBatch,
    *,
    video_id: int | None = None,
    prefill: ClipDecision | clip_review.Answer | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """The single-clip workspace: the clip asked for (or the first of the queue), the
    next one to preload, and the user's progress. A fixed number of queries."""
    # The first two of the queue: the current clip (unless one is asked for) and the next.
    first = list(clip_review.queue(batch, request.user).select_related("video")[:2])
    if video_id is None:
        current = first[0] if first else None
    else:
        current = clip_review.assignment_of(batch, request.user, video_id)
    upcoming = next((a for a in first if a != current), None) if current else None
    counts = batch.assignments.filter(user=request.user).aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(done_at__isnull=False))
    )
    # Loaded with the assignment (select_related); set on every verification assignment.
    clip = current.video if current is not None else None
    if clip is not None and prefill is None:
        prefill = ClipDecision.objects.filter(
            video=clip, user=request.user, adjudication=False
        ).first()
    suggestions = clip_drafts.latest_suggestions([clip.pk] if clip else [])
    context = {
        "batch": batch,
        "current": current,
        "suggestion": suggestions.get(clip.pk) if clip else None,
        "clip": clip,
        "upcoming": upcoming.video if upcoming else None,
        "counts": counts,
        "prefill": prefill,
        "reasons": RejectReason.objects.filter(active=True),
        "levels": LEVELS,
        "error": error,
        # The tasks the clip may overlap (contamination reports): reviewers only.
        "overlaps": clip_overlaps(clip) if clip and request.user.is_reviewer else [],
    }
    template = "annotator/_clip_workspace.html" if request.htmx else "annotator/clip_verify.html"
    response = render(request, template, context, status=status)
    if request.htmx and clip is not None and status == 200:
        response["HX-Push-Url"] = f"{reverse('clip-verify', args=[batch.pk])}?clip={clip.public_id}"
    return response


@require_safe
def clip_verify(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    clip = cleaned_input(ClipQuery(request.GET))["clip"]
    try:
        return _workspace(request, batch, video_id=_video_id(clip) if clip else None)
    except InputError:
        raise Http404(gettext("This clip is not assigned to you in this batch.")) from None


@require_POST
def clip_decide_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    video_id = _video_id(cleaned_input(ClipPosted(request.POST))["video"])
    answer = None  # a malformed answer keeps nothing but the error
    try:
        answer = _answer(request.POST)
        clip_review.clip_decide(batch=batch, user=request.user, video_id=video_id, answer=answer)
    except clip_review.NotAssigned as exc:
        # Not theirs: the error over their own queue, as the clip cannot be shown.
        return _workspace(request, batch, error=str(exc), status=422)
    except InputError as exc:
        return _workspace(
            request, batch, video_id=video_id, prefill=answer, error=str(exc), status=422
        )
    return _workspace(request, batch)


@require_POST
def clip_undo_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    try:
        undone = clip_review.decision_undo(batch=batch, user=request.user)
    except InputError as exc:
        return _workspace(request, batch, error=str(exc), status=422)
    if undone is None:
        return said(_workspace(request, batch), gettext("nothing to undo"), ok=None)
    response = _workspace(request, batch, video_id=undone.video_id, prefill=undone)
    clip = undone.video
    name = clip.external_id or clip.original_name
    return said(
        response,
        gettext("undid your answer on %(clip)s (%(decision)s)")
        % {"clip": name, "decision": undone.get_decision_display()},
    )


@require_safe
def clip_grid(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """A page of unanswered clips as filmstrip thumbnails, for rejecting many at once."""
    batch = _batch(request, pk)
    queue = clip_review.queue(batch, request.user).select_related("video")
    page = Paginator(queue, GRID_PAGE).get_page(request.GET.get("page"))
    context = {
        "batch": batch,
        "page": page,
        "reasons": RejectReason.objects.filter(active=True),
        "overlaps": overlapping_tasks([a.video_id for a in page if a.video_id])
        if request.user.is_reviewer
        else {},
        # video id -> (group number, clips in the group), over all pages of the grid
        "duplicates": {
            video_id: (number, len(group))
            for number, group in enumerate(queue_groups(batch, request.user), start=1)
            for video_id in group
        },
    }
    return render(request, "annotator/clip_grid.html", context)


@require_POST
def clip_grid_keep(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Keeps the posted clip of a near-duplicate group, rejects the rest as duplicates."""
    batch = _batch(request, pk)
    keep = _video_id(cleaned_input(ClipPosted(request.POST))["video"])
    n = clip_review.duplicates_reject(batch=batch, user=request.user, keep_id=keep)
    messages.success(
        request,
        ngettext(
            "Kept one clip; rejected %(n)d near duplicate.",
            "Kept one clip; rejected %(n)d near duplicates.",
            n,
        )
        % {"n": n},
    )
    return redirect(f"{reverse('clip-grid', args=[batch.pk])}?page={request.POST.get('page', 1)}")


@require_POST
def clip_grid_reject(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    ids = _video_ids(cleaned_input(ClipsPosted(request.POST))["video"])
    n = clip_review.clips_reject(
        batch=batch, user=request.user, video_ids=ids, reasons=request.POST.getlist("reasons")
    )
    messages.success(
        request, ngettext("Rejected %(n)d clip.", "Rejected %(n)d clips.", n) % {"n": n}
    )
    return redirect(f"{reverse('clip-grid', args=[batch.pk])}?page={request.POST.get('page', 1)}")


@reviewer_required
@require_safe
def adjudication_list(request: AuthedHttpRequest) -> HttpResponse:
    clips = clip_review.adjudication_queue().annotate(n_answers=Count("clip_decisions"))
    page = Paginator(clips, 100).get_page(request.GET.get("page"))
    return render(request, "annotator/adjudication_list.html", {"page": page})


@reviewer_required
def adjudication_clip(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """All answers on a clip side by side; the reviewer's answer is final."""
    clip = get_object_or_404(Video, pk=pk, kind=VideoKind.DATASET)
    error, prefill = "", None
    if request.method == "POST":
        try:
            prefill = _answer(request.POST)
            clip_review.adjudicate(
                video=clip,
                reviewer=request.user,
                answer=prefill,
                gold=request.POST.get("gold") == "1",
            )
        except InputError as exc:
            error = str(exc)
        else:
            # Said on the page the reviewer lands on: the next clip, or the emptied queue.
            final = {
                (Decision.ACCEPT, False): gettext("%(clip)s: accepted as the final decision."),
                (Decision.REJECT, False): gettext("%(clip)s: rejected as the final decision."),
                (Decision.ACCEPT, True): gettext(
                    "%(clip)s: accepted as the final decision, kept as a gold item."
                ),
                (Decision.REJECT, True): gettext(
                    "%(clip)s: rejected as the final decision, kept as a gold item."
                ),
            }[(Decision(prefill.decision), request.POST.get("gold") == "1")]
            done = final % {"clip": clip.external_id or clip.original_name}
            upcoming = clip_review.adjudication_queue().first()
            if upcoming is None:
                messages.success(
                    request, " ".join((done, gettext("The adjudication queue is empty.")))
                )
                return redirect("adjudication-list")
            messages.success(request, " ".join((done, gettext("Next in the queue:"))))
            return redirect("adjudication-clip", pk=upcoming.pk)
    answers = list(
        clip.clip_decisions.select_related("user").order_by("adjudication", "created_at")
    )
    context = {
        "clip": clip,
        "answers": answers,
        "prefill": prefill or next((a for a in answers if not a.adjudication), None),
        "overlaps": clip_overlaps(clip),  # reviewers only, as the page is
        "reasons": RejectReason.objects.filter(active=True),
        "levels": LEVELS,
        "error": error,
    }
    return render(
        request, "annotator/adjudication_clip.html", context, status=422 if error else 200
    )
