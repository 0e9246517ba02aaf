"""The judging workspace: a task's generated videos side by side, each with its
checklist, verdicts saved as they are given."""

from datetime import datetime
from typing import cast
from uuid import UUID

from django import forms
from django.core import signing
from django.core.exceptions import BadRequest, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import reswap, retarget, trigger_client_event

from annotator.core.htmx import AuthedHttpRequest, said
from annotator.core.query_forms import IdField, cleaned_input
from annotator.core.visibility import names_shown
from annotator.models import BatchItem, User, Video
from annotator.selectors.batch_items import item_served
from annotator.selectors.calibration import items_assigned
from annotator.services import verdicts
from annotator.services.watch import Watched, watch_parse
from rubrics_app.models import Benchmark, Task


def _blind(request: AuthedHttpRequest) -> bool:
    """Model names are hidden unless a reviewer asks to see them."""
    return not names_shown(request.user, asked=request.GET.get("reveal") == "1")


class ItemQuery(forms.Form):
    """The batch item a page is open at (work-next serves a batch item by item), which
    saves post back to learn whether they finished it."""

    item = IdField(required=False)


def _item(request: AuthedHttpRequest, item_id: int | None, task_id: int) -> BatchItem | None:
    if item_id is None:
        return None
    item = item_served(request.user, task_id, item_id)
    if item is None:
        raise Http404(gettext("No such item of yours in this task."))
    return item


@require_safe
def judging_home(request: AuthedHttpRequest) -> HttpResponse:
    """The menu's Judging: per benchmark the expert may judge, their progress and the
    way on to their next task."""
    overview = verdicts.judging_overview(request.user)
    return render(request, "annotator/judging_home.html", {"overview": overview})


@require_safe
def judging_task(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    # Annotators judge only the tasks assigned to them; others are not found, on a page
    # that says where their work is (not the debug 404 of a development server).
    task = verdicts.judgeable_tasks(request.user).select_related("benchmark").filter(pk=pk).first()
    if task is None:
        return render(request, "annotator/judging_not_yours.html", status=404)
    blind = _blind(request)
    item = _item(request, cleaned_input(ItemQuery(request.GET))["item"], task.pk)
    # The expert's calibration items of this task, and the item served: their videos
    # are shown wherever they come, and the page says which (video, dimension) to verify.
    calibration = items_assigned(request.user, task.pk)
    include = {c.video_id for c in calibration} | ({item.video_id} if item else set())
    checklists = verdicts.workspace(task=task, user=request.user, blind=blind, include=include)
    labels = {checklist.video.pk: checklist.label for checklist in checklists}
    context = {
        "task": task,
        "checklists": checklists,
        "blind": blind,
        "calibration": [(c.batch, labels.get(c.video_id, ""), c.dimension) for c in calibration],
        "item": item,
        "item_label": labels.get(item.video_id, "") if item else "",
        "item_done": any(_finished(item, checklist) for checklist in checklists),
    }
    return render(request, "annotator/judging.html", context)


@require_safe
def judging_progress(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The expert's progress through the benchmark, which the judging page loads right
    after itself: counting it reads all their verdicts in the benchmark, which grows
    with their work, while the page's own work does not."""
    benchmark = get_object_or_404(Benchmark, pk=pk)
    queue = verdicts.judging_queue(benchmark=benchmark, user=request.user)
    return HttpResponse(
        gettext("%(done)d of %(total)d tasks done") % {"done": queue.done, "total": queue.total}
    )


class NextQuery(forms.Form):
    after = forms.ModelChoiceField(queryset=Task.objects.none(), required=False)

    def __init__(self, *args, benchmark: Benchmark, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["after"]).queryset = benchmark.tasks.all()


@require_safe
def judging_next(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    benchmark = get_object_or_404(Benchmark, pk=pk)
    # From a task's page: the next unfinished task after that one.
    after = cleaned_input(NextQuery(request.GET, benchmark=benchmark))["after"]
    queue = verdicts.judging_queue(benchmark=benchmark, user=request.user, after=after)
    if queue.next_task is None:
        return render(
            request, "annotator/judging_done.html", {"benchmark": benchmark, "queue": queue}
        )
    return redirect("judging-task", pk=queue.next_task.pk)


def _checklist(
    request: AuthedHttpRequest,
    video: Video,
    *,
    status: int = 200,
    error: str = "",
    item: BatchItem | None = None,
) -> HttpResponse:
    """The video's whole checklist, labelled as on the page; with the page's item,
    out of band, whether it is finished."""
    blind = not names_shown(request.user, asked=request.POST.get("blind", "1") == "0")
    checklist = verdicts.video_checklist(video, request.user, blind=blind)
    context = {
        "checklist": checklist,
        "error": error,
        "blind": blind,
        "item": item,
        "item_done": _finished(item, checklist),
    }
    return render(request, "annotator/_checklist.html", context, status=status)


def _finished(item: BatchItem | None, checklist: verdicts.VideoChecklist) -> bool:
    """Whether the expert's verdicts in this checklist finish the page's item."""
    if item is None or item.video_id != checklist.video.pk:
        return False
    checks = checklist.dimensions.get(item.dimension, [])
    return bool(checks) and all(c.mine is not None for c in checks)


def _video(request: AuthedHttpRequest, public_id: UUID) -> Video:
    """A generated video the user may judge; others are not found."""
    video = verdicts.judgeable_video(request.user, public_id)
    if video is None:
        raise Http404(gettext("No such video of yours."))
    return video


class WatchField(forms.JSONField):
    """What the expert had watched of each video of the page (static/js/watch.js),
    posted with every save that gives verdicts; absent from other callers."""

    def clean(self, value: object) -> dict[UUID, Watched]:
        data = super().clean(value)
        return {} if data is None else watch_parse(data)


class WatchPosted(ItemQuery):
    watch = WatchField(required=False)


def _watched(posted: dict, videos: list[Video]) -> dict[int, Watched]:
    """The posted measure of each of these videos that has one, by video id."""
    report = posted["watch"]
    return {v.pk: report[v.public_id] for v in videos if v.public_id in report}


class VerdictPosted(WatchPosted):
    criterion = IdField()
    verdict = forms.IntegerField()  # 0 or 1: the service says so


@require_POST
def verdict_save(request: AuthedHttpRequest, public_id: UUID) -> HttpResponse:
    """Answered with the saved row and the video's score (out of band): a save is most
    of the load an expert puts on the server. A refused one shows the whole checklist
    with the reason in place of the row."""
    video = _video(request, public_id)
    posted = cleaned_input(VerdictPosted(request.POST))
    item = _item(request, posted["item"], cast(int, video.task_id))
    criterion_id = posted["criterion"]
    try:
        checklist = verdicts.verdict_set(
            video=video,
            criterion_id=criterion_id,
            user=request.user,
            verdict=posted["verdict"],
            watched=posted["watch"].get(video.public_id),
        )
    except ValidationError as exc:
        response = _checklist(request, video, status=422, error=" ".join(exc.messages))
        return reswap(retarget(response, f"#checklist-{video.public_id}"), "outerHTML")
    context = {
        "checklist": checklist,
        "checks": [checklist.check_of(criterion_id)],
        "item": item,
        "item_done": _finished(item, checklist),
    }
    response = render(request, "annotator/_check_saved.html", context)
    if checklist.completed:  # the video's last verdict: the task may be done
        trigger_client_event(response, "progress-changed")
    return response


class MarkPosted(forms.Form):
    criterion = IdField()
    seconds = forms.FloatField(required=False)  # empty: take the mark off


@require_POST
def verdict_mark(request: AuthedHttpRequest, public_id: UUID) -> HttpResponse:
    """A time mark on the expert's verdict (key t at the current time): answered with
    the row, and the video's bar out of band."""
    video = get_object_or_404(
        verdicts.judgeable_videos(request.user).only(*verdicts.PLAYER_FIELDS, "task_id"),
        public_id=public_id,
    )
    posted = cleaned_input(MarkPosted(request.POST))
    try:
        checklist = verdicts.verdict_time_mark(
            video=video,
            criterion_id=posted["criterion"],
            user=request.user,
            seconds=posted["seconds"],
        )
    except ValidationError as exc:
        message = " ".join(exc.messages)
        return said(reswap(HttpResponse(message, status=422), "none"), message, ok=False)
    context = {
        "checklist": checklist,
        "checks": [checklist.check_of(posted["criterion"])],
        "marked": True,
    }
    response = render(request, "annotator/_check_saved.html", context)
    seconds = posted["seconds"]
    if seconds is None:
        return said(response, gettext("mark taken off"))
    return said(response, gettext("marked at %(seconds).2f s") % {"seconds": seconds})


# Undo tokens: signed, so that an expert's undo takes back only what their bulk write created.
_UNDO_SALT = "judging.bulk-undo"


def _bulk_said(
    response: HttpResponse, confirmed: verdicts.Confirmed, task_id: int, *, done: str, none: str
) -> HttpResponse:
    """A bulk write's answer says what it did (or that there was nothing to do) and
    carries its undo; the progress count is asked again when it may have changed."""
    if not confirmed.count:
        return said(response, none, ok=None)
    token = signing.dumps(
        {"task": task_id, "ids": confirmed.ids, "at": confirmed.at.isoformat()}, salt=_UNDO_SALT
    )
    trigger_client_event(response, "undo-ready", {"token": token})
    trigger_client_event(response, "progress-changed")
    return said(response, f"{done} · {gettext('u undoes')}")


@require_POST
def drafts_confirm_view(request: AuthedHttpRequest, public_id: UUID) -> HttpResponse:
    """The drafts of one dimension of the video (`c`), or of all its dimensions
    (`v`), taken as the expert's verdicts."""
    video = _video(request, public_id)
    posted = cleaned_input(WatchPosted(request.POST))
    item = _item(request, posted["item"], cast(int, video.task_id))
    try:
        confirmed = verdicts.drafts_confirm(
            videos=[video],
            user=request.user,
            dimension=request.POST.get("dimension") or None,
            watched=_watched(posted, [video]),
        )
    except ValidationError as exc:
        return _checklist(request, video, status=422, error=" ".join(exc.messages))
    return _bulk_said(
        _checklist(request, video, item=item),
        confirmed,
        cast(int, video.task_id),
        done=ngettext("confirmed %(n)d draft", "confirmed %(n)d drafts", confirmed.count)
        % {"n": confirmed.count},
        none=gettext("nothing to confirm"),
    )


@require_POST
def dimension_absent_view(request: AuthedHttpRequest, public_id: UUID) -> HttpResponse:
    """Every open criterion of one dimension of the video set to 0 (`0`)."""
    video = _video(request, public_id)
    posted = cleaned_input(WatchPosted(request.POST))
    item = _item(request, posted["item"], cast(int, video.task_id))
    try:
        confirmed = verdicts.dimension_absent(
            video=video,
            dimension=request.POST.get("dimension", ""),
            user=request.user,
            watched=posted["watch"].get(video.public_id),
        )
    except ValidationError as exc:
        return _checklist(request, video, status=422, error=" ".join(exc.messages))
    return _bulk_said(
        _checklist(request, video, item=item),
        confirmed,
        cast(int, video.task_id),
        done=ngettext(
            "set %(n)d criterion to not met / absent",
            "set %(n)d criteria to not met / absent",
            confirmed.count,
        )
        % {"n": confirmed.count},
        none=gettext("nothing to set: each criterion has a draft or your verdict"),
    )


def _checklists(
    request: AuthedHttpRequest, task: Task, video_ids: set[int], item: BatchItem | None
) -> HttpResponse:
    """The checklists of these videos of the task, each out of band in its place
    (labelled as on the page), and the state of the page's item."""
    blind = not names_shown(request.user, asked=request.POST.get("blind", "1") == "0")
    checklists = [
        checklist
        for checklist in verdicts.workspace(
            task=task, user=request.user, blind=blind, include=video_ids
        )
        if checklist.video.pk in video_ids
    ]
    # The item's banner too when its video is among them: finished, or open again (undo).
    served = next((c for c in checklists if item and c.video.pk == item.video_id), None)
    context = {
        "checklists": checklists,
        "blind": blind,
        "item": item if served else None,
        "item_label": served.label if served else "",
        "item_done": served is not None and _finished(item, served),
    }
    return render(request, "annotator/_checklists_oob.html", context)


class VideosPosted(WatchPosted):
    video = forms.ModelMultipleChoiceField(queryset=Video.objects.none(), to_field_name="public_id")

    def __init__(self, *args, task: Task, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["video"]).queryset = (
            verdicts.judgeable_videos(user).filter(task=task).only("pk", "public_id", "task_id")
        )


@require_POST
def task_confirm_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Every draft of the videos the page shows (`Shift+C`) taken as the expert's
    verdicts."""
    task = get_object_or_404(verdicts.judgeable_tasks(request.user), pk=pk)
    posted = cleaned_input(VideosPosted(request.POST, task=task, user=request.user))
    item = _item(request, posted["item"], task.pk)
    videos = list(posted["video"])
    confirmed = verdicts.drafts_confirm(
        videos=videos, user=request.user, watched=_watched(posted, videos)
    )
    return _bulk_said(
        _checklists(request, task, {v.pk for v in videos}, item),
        confirmed,
        task.pk,
        done=ngettext(
            "confirmed %(n)d draft of %(videos)s",
            "confirmed %(n)d drafts of %(videos)s",
            confirmed.count,
        )
        % {
            "n": confirmed.count,
            "videos": ngettext("%(n)d video", "%(n)d videos", len(videos)) % {"n": len(videos)},
        },
        none=gettext("nothing to confirm"),
    )


class UndoPosted(ItemQuery):
    token = forms.CharField()


@require_POST
def bulk_undo_view(request: AuthedHttpRequest) -> HttpResponse:
    """Takes back the expert's last bulk write (`u`), which its answer handed the page."""
    posted = cleaned_input(UndoPosted(request.POST))
    try:
        # Made for a page open now (a day is ample); the service takes back only the
        # poster's own verdicts among those it names.
        undo = signing.loads(posted["token"], salt=_UNDO_SALT, max_age=86400)
        task_id = int(undo["task"])
        confirmed = verdicts.Confirmed(
            [int(pk) for pk in undo["ids"]], datetime.fromisoformat(undo["at"])
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise BadRequest(gettext("Malformed input. token: not an undo of this site's.")) from None
    task = get_object_or_404(verdicts.judgeable_tasks(request.user), pk=task_id)
    item = _item(request, posted["item"], task.pk)
    video_ids = verdicts.bulk_undo(user=request.user, confirmed=confirmed)
    response = _checklists(request, task, video_ids, item)
    trigger_client_event(response, "progress-changed")
    return said(
        response,
        ngettext("undid %(n)d verdict", "undid %(n)d verdicts", confirmed.count)
        % {"n": confirmed.count},
    )
