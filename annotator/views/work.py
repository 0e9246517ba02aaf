"""Work management: admins hand out batches (plan first), annotators see their work
and go on in the right workspace, reviewers follow each batch's dashboard."""

import csv
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from annotator.core.forms import StyledFieldsMixin
from annotator.core.htmx import AuthedHttpRequest
from annotator.core.permissions import admin_required, reviewer_required
from annotator.core.query_forms import (
    ModelIdChoiceField,
    ModelIdMultipleChoiceField,
    cleaned_input,
)
from annotator.models import Assignment, GeneratorModel, User, Video, WorkBatch
from annotator.models.choices import BatchOrder, ClipStatus, GoldDefect, VideoKind, WorkKind
from annotator.selectors import batch_items, clip_stats, routing, work_stats
from annotator.services import assignments, gold_clips
from rubrics_app.choices import Level
from rubrics_app.models import Benchmark, Task


def _continue_url(batch: WorkBatch) -> str:
    """Where the user goes on with a batch: the workspace of its kind, serving only
    their own items."""
    if batch.kind == WorkKind.VERIFY:
        return reverse("clip-verify", args=[batch.pk])
    return reverse("work-next", args=[batch.pk])


@require_safe
def my_work(request: AuthedHttpRequest) -> HttpResponse:
    """The user's batches, with their counts and a way back into the work."""
    batches = (
        WorkBatch.objects.filter(assignments__user=request.user)
        .annotate(
            mine=Count("assignments", filter=Q(assignments__user=request.user)),
            done=Count(
                "assignments",
                filter=Q(assignments__user=request.user, assignments__done_at__isnull=False),
            ),
        )
        .order_by("-created_at")
    )
    rows = [(b, _continue_url(b)) for b in batches]
    return render(request, "annotator/my_work.html", {"rows": rows})


@require_safe
def work_next(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The user's next unfinished item of a batch: the task of a judging or authoring
    batch, the (video, dimension) of one served item by item."""
    batch = get_object_or_404(WorkBatch, pk=pk)
    mine = batch.assignments.filter(user=request.user)
    if not mine.exists():
        raise Http404(gettext("No such batch of yours."))
    if batch.kind == WorkKind.VERIFY:  # clips, not tasks: their own workspace
        return redirect("clip-verify", pk=batch.pk)
    if batch.kind == WorkKind.JUDGE and batch.stop_below is not None:
        left = routing.remaining_wrong(batch)
        if left.below:
            messages.info(
                request,
                _(
                    "%(batch)s: about %(wrong).1f wrong drafts are estimated to be left, below"
                    " the threshold of %(threshold)g its reviewers set; no more work is suggested."
                )
                % {"batch": batch.name, "wrong": left.wrong, "threshold": left.threshold},
            )
            return redirect("my-work")
    if batch.served_by_item:  # a calibration draw, a routed batch: its items one by one
        item = batch_items.next_item(batch, request.user)
        if item is not None:
            url = reverse("judging-task", args=[item.video.task_id])
            return redirect(f"{url}?item={item.pk}")
    # Else (or with work left outside the items: a video added since) task by task.
    upcoming = mine.filter(done_at__isnull=True).select_related("task").order_by("position").first()
    if upcoming is None:
        messages.success(
            request, _("All your items of %(batch)s are done.") % {"batch": batch.name}
        )
        return redirect("my-work")
    if batch.kind in (WorkKind.JUDGE, WorkKind.CALIBRATE):
        return redirect("judging-task", pk=upcoming.task_id)
    return redirect("task-detail", pk=upcoming.task_id)


@require_POST
def authoring_done(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The annotator says their authoring work on a task is done (or not yet)."""
    assignment = get_object_or_404(
        Assignment, pk=pk, user=request.user, batch__kind=WorkKind.AUTHOR
    )
    assignment.done_at = None if assignment.done_at else timezone.now()
    assignment.save(update_fields=["done_at"])
    if assignment.done_at:
        return redirect("work-next", pk=assignment.batch_id)
    return redirect("task-detail", pk=assignment.task_id)


def _dashboard_context(batch: WorkBatch, user: User) -> dict[str, Any]:
    people = work_stats.annotator_progress(batch)
    over_time = work_stats.done_over_time(batch)
    context: dict[str, Any] = {
        "batch": batch,
        "people": people,
        "assigned": sum(p.assigned for p in people),
        "done": sum(p.done for p in people),
        "chart": {
            "over_time": {
                "moments": [t.strftime("%Y-%m-%d %H:%M") for t, _ in over_time],
                "done": [n for _, n in over_time],
            }
        },
    }
    if batch.kind == WorkKind.VERIFY:
        stats = clip_stats.clip_stats(batch)
        context["clips"] = stats
        context["chart"]["outcome"] = {
            str(ClipStatus(k).label): v for k, v in stats.outcome.items()
        }
        context["chart"]["reasons"] = dict(stats.reasons)
        if user.is_admin:  # which clips are gold is for admins' eyes, as gold accuracy
            context["gold_catch"] = work_stats.gold_catch_rates(batch)
            context["defects"] = GoldDefect.choices
    elif batch.kind == WorkKind.JUDGE:
        context["judging"] = work_stats.judging_agreement(batch)
        context["judge"] = work_stats.judge_versus_experts(batch)
        context["remaining"] = routing.remaining_wrong(batch)
        context["threshold_form"] = ThresholdForm(initial={"stop_below": batch.stop_below})
    elif batch.kind == WorkKind.CALIBRATE:
        context["calibration"] = batch.calibration  # the draw: seed, sizes, strata
    if batch.kind in work_stats.JUDGING_KINDS:
        context["watch_min"] = settings.WATCH_COVERAGE_MIN
    return context


class DashboardQuery(forms.Form):
    # Lists the verdicts given without watching (the column's filter).
    unwatched = forms.BooleanField(required=False)


@reviewer_required
@require_safe
def batch_dashboard(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    unwatched = cleaned_input(DashboardQuery(request.GET))["unwatched"]
    return _dashboard(request, get_object_or_404(WorkBatch, pk=pk), unwatched=unwatched)


def _dashboard(
    request: AuthedHttpRequest, batch: WorkBatch, status: int = 200, *, unwatched: bool = False
) -> HttpResponse:
    context = _dashboard_context(batch, request.user)
    watching = unwatched and batch.kind in work_stats.JUDGING_KINDS
    context["unwatched"] = work_stats.unwatched_verdicts(batch) if watching else None
    context["others"] = User.objects.filter(is_active=True).order_by("username")
    return render(request, "annotator/work_dashboard.html", context, status=status)


class ThresholdForm(StyledFieldsMixin, forms.Form):
    stop_below = forms.FloatField(
        min_value=0,
        required=False,
        label=_("Stop suggesting work below"),
        error_messages={
            "invalid": _("The threshold is a number of wrong drafts, such as 5 or 2.5."),
            "min_value": _("The threshold cannot be negative."),
        },
    )


@reviewer_required
@require_POST
def batch_threshold(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """A reviewer sets (or, left empty, clears) the estimated wrong drafts left below
    which a judging batch no longer sends its experts on."""
    batch = get_object_or_404(WorkBatch, pk=pk)
    if batch.kind != WorkKind.JUDGE:
        messages.error(request, _("Only a judging batch has a threshold of wrong drafts."))
        return _dashboard(request, batch, status=422)
    form = ThresholdForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return _dashboard(request, batch, status=422)
    batch.stop_below = form.cleaned_data["stop_below"]
    batch.save(update_fields=["stop_below"])
    if batch.stop_below is None:
        messages.success(request, _("Threshold cleared: experts are sent on until the end."))
    else:
        messages.success(
            request,
            _("Work stops being suggested below %(threshold)g.") % {"threshold": batch.stop_below},
        )
    return redirect("batch-dashboard", pk=batch.pk)


@reviewer_required
@require_safe
def batch_dashboard_csv(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The per-annotator table of the dashboard, as CSV."""
    batch = get_object_or_404(WorkBatch, pk=pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="batch_{batch.pk}_progress.csv"'
    writer = csv.writer(response)
    gold = request.user.is_admin  # accuracy on gold items is for admins' eyes
    watching = batch.kind in work_stats.JUDGING_KINDS
    writer.writerow(
        ["annotator", "assigned", "done", "remaining", "items_per_hour", "median_seconds"]
        + (["gold_correct", "gold_total"] if gold else [])
        + (["unwatched", "watch_measured"] if watching else [])
    )
    for p in work_stats.annotator_progress(batch):
        writer.writerow(
            [
                p.username,
                p.assigned,
                p.done,
                p.remaining,
                "" if p.items_per_hour is None else f"{p.items_per_hour:.1f}",
                "" if p.median_seconds is None else f"{p.median_seconds:.1f}",
            ]
            + ([p.gold_correct, p.gold_total] if gold else [])
            + ([p.unwatched, p.watch_measured] if watching else [])
        )
    return response


class ReassignForm(forms.Form):
    leaving = ModelIdChoiceField(
        queryset=User.objects.all(),
        error_messages={
            "required": _("Choose who leaves."),
            "invalid_choice": _("Choose who leaves."),
        },
    )
    to = ModelIdMultipleChoiceField(queryset=User.objects.all(), required=False)


@admin_required
@require_POST
def batch_reassign_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(WorkBatch, pk=pk)
    form = ReassignForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("batch-dashboard", pk=batch.pk)
    leaving = form.cleaned_data["leaving"]
    n = assignments.batch_reassign(batch=batch, leaving=leaving, to=list(form.cleaned_data["to"]))
    messages.success(
        request,
        ngettext(
            "%(n)d unfinished item of %(user)s reassigned.",
            "%(n)d unfinished items of %(user)s reassigned.",
            n,
        )
        % {"n": n, "user": leaving.username},
    )
    return redirect("batch-dashboard", pk=batch.pk)


class PeopleField(ModelIdMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.username} ({obj.get_role_display()})"


class BatchForm(StyledFieldsMixin, forms.Form):
    """A batch to hand out: its kind and name, the filters that choose its items, the
    annotators and the overlap."""

    name = forms.CharField(max_length=200, required=False, label=_("Name"))
    # Calibration samples are drawn, never chosen: their own page (views/calibration.py).
    kind = forms.ChoiceField(
        choices=[(k, label) for k, label in WorkKind.choices if k != WorkKind.CALIBRATE],
        initial=WorkKind.VERIFY,
        label=_("Work"),
    )
    overlap = forms.IntegerField(min_value=1, initial=1, label=_("Overlap k"))
    sample = forms.IntegerField(min_value=1, required=False, label=_("Random sample of"))
    level = forms.ChoiceField(
        choices=[("", _("any")), *Level.choices], required=False, label=_("Level")
    )
    status = forms.ChoiceField(
        choices=[("", _("any")), *ClipStatus.choices], required=False, label=_("Clip status")
    )
    benchmark = ModelIdChoiceField(
        queryset=Benchmark.objects.order_by("name"),
        required=False,
        empty_label=_("(choose)"),
        label=_("Benchmark"),
    )
    generator = ModelIdChoiceField(
        queryset=GeneratorModel.objects.order_by("name"),
        required=False,
        empty_label=_("any model"),
        label=_("With videos of"),
    )
    order = forms.ChoiceField(
        choices=BatchOrder.choices,
        initial=BatchOrder.TASK,
        required=False,
        label=_("Order (judging)"),
        error_messages={"invalid_choice": _("Order by task or by expected draft errors.")},
    )
    gold = forms.IntegerField(
        min_value=0,
        max_value=round(gold_clips.MAX_SHARE * 100),
        required=False,
        label=_("Gold clips %"),
        help_text=_("share of the batch's clips that are synthetic gold clips"),
    )
    unassigned = forms.BooleanField(
        required=False, initial=True, label=_("only items in no batch of this kind yet")
    )
    users = PeopleField(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Annotators"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("unassigned", "users"):  # checkboxes, not text boxes
            self.fields[name].widget.attrs["class"] = "form-check-input"

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("kind") != WorkKind.VERIFY and not data.get("benchmark"):
            self.add_error("benchmark", "Choose the benchmark whose tasks to hand out.")
        data["order"] = data.get("order") or BatchOrder.TASK
        if data["order"] == BatchOrder.ERRORS and data.get("kind") != WorkKind.JUDGE:
            self.add_error("order", "Only a judging batch can be ordered by expected draft errors.")
        data["gold_share"] = (data.get("gold") or 0) / 100
        if data["gold_share"] and data.get("kind") != WorkKind.VERIFY:
            self.add_error("gold", "Only a verification batch holds gold clips.")
        return data


@admin_required
def batch_new(request: AuthedHttpRequest) -> HttpResponse:
    """An admin hands out work: its kind, the items by filters, the annotators and
    the overlap; each annotator's load is shown before the batch is created."""
    form = BatchForm(request.POST if request.method == "POST" else None)
    plan, n_gold = None, 0
    if form.is_valid():
        data = form.cleaned_data
        items = items_chosen(data)
        users = list(data["users"])
        try:
            if "create" in request.POST:
                batch = assignments.work_batch_create(
                    name=data["name"],
                    kind=data["kind"],
                    items=items,
                    users=users,
                    overlap=data["overlap"],
                    created_by=request.user,
                    order=data["order"],
                    gold_share=data["gold_share"],
                )
                messages.success(request, _("Batch %(name)s created.") % {"name": batch.name})
                return redirect("batch-dashboard", pk=batch.pk)
            n_gold = gold_clips.gold_count(len(items), data["gold_share"])
            gold_clips.gold_for_batch(n=n_gold, users=users)  # refused now, not on create
            plan = assignments.plan(len(items) + n_gold, users, data["overlap"])
        except ValidationError as exc:
            form.add_error(None, exc)
    status = 422 if form.errors else 200
    return render(
        request,
        "annotator/work_batch_new.html",
        {"form": form, "plan": plan, "n_gold": n_gold},
        status=status,
    )


def items_chosen(data: dict[str, Any]) -> list[Video] | list[Task]:
    """The items a batch form's filters select: candidate clips by status and draft
    level, or a benchmark's tasks by level and generator model; optionally only those
    in no batch of this kind yet; optionally a random sample of N."""
    kind = data["kind"]
    if kind == WorkKind.VERIFY:
        items: QuerySet = Video.objects.filter(kind=VideoKind.DATASET)
        if data["status"]:
            items = items.filter(clip_status=data["status"])
        taken = Assignment.objects.filter(batch__kind=kind, video__isnull=False).values_list(
            "video_id", flat=True
        )
    else:
        items = Task.objects.filter(benchmark=data["benchmark"])
        if data["generator"]:
            items = items.filter(
                videos__generator=data["generator"], videos__kind=VideoKind.GENERATED
            )
        taken = Assignment.objects.filter(batch__kind=kind, task__isnull=False).values_list(
            "task_id", flat=True
        )
    if data["level"]:
        items = items.filter(level=data["level"])
    if data["unassigned"]:
        items = items.exclude(pk__in=taken)
    if data["sample"]:
        return list(items.order_by("?")[: data["sample"]])
    return list(items.order_by("pk"))
