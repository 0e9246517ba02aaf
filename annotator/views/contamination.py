"""Contamination reports of a benchmark against the training set: reviewers and admins
only (they list training clips beside tasks); annotators never see them."""

from django import forms
from django.db.models import Count
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from annotator.core.forms import StyledFieldsMixin
from annotator.core.htmx import AuthedHttpRequest
from annotator.core.permissions import admin_required, reviewer_required
from annotator.core.query_forms import ModelIdChoiceField, cleaned_input
from annotator.models import ContaminationFinding, ContaminationReport
from annotator.models.choices import OverlapDecision, ReportStatus, TrainingSet
from annotator.selectors.contamination import findings_by_task, report_as_dict, report_csv
from annotator.selectors.dataset_export import snapshot_parse
from annotator.services import contamination
from annotator.services.videos import reference_video_attach
from rubrics_app.models import Benchmark, Task

# Problems listed on the page before the download has them all.
PROBLEMS_SHOWN = 50


class ReportForm(StyledFieldsMixin, forms.Form):
    release = ModelIdChoiceField(
        queryset=None, required=False, empty_label=_("current tasks"), label=_("Tasks")
    )
    training_set = forms.ChoiceField(
        choices=TrainingSet.choices, initial=TrainingSet.CANDIDATES, label=_("Training set")
    )
    as_of = forms.CharField(
        label=_("As of"),
        required=False,
        help_text=_("snapshot time of the accepted set (ISO-8601; default now)"),
    )

    def __init__(self, *args, benchmark: Benchmark, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["release"].queryset = benchmark.releases.all()  # type: ignore[attr-defined]


@reviewer_required
@require_http_methods(["GET", "HEAD", "POST"])
def report_list(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    benchmark = get_object_or_404(Benchmark, pk=pk)
    form = ReportForm(request.POST or None, benchmark=benchmark)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        report = contamination.report_start(
            benchmark=benchmark,
            release=data["release"],
            training_set=data["training_set"],
            as_of=snapshot_parse(data["as_of"]) if data["as_of"] else None,
            user=request.user,
        )
        return redirect("contamination-report", pk=report.pk)
    reports = benchmark.contamination_reports.select_related("release", "created_by").annotate(
        n_findings=Count("findings")
    )
    context = {"benchmark": benchmark, "form": form, "reports": reports}
    status = 422 if form.errors else 200
    return render(request, "annotator/contamination_list.html", context, status=status)


@reviewer_required
@require_safe
def report_page(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(
        ContaminationReport.objects.select_related("benchmark", "release", "created_by"), pk=pk
    )
    running = report.status in (ReportStatus.QUEUED, ReportStatus.RUNNING)
    context = {
        "report": report,
        "running": running,
        "tasks": [] if running else findings_by_task(report),
        "problems": report.problems[:PROBLEMS_SHOWN],
        "decisions": OverlapDecision.choices,
    }
    template = "annotator/_contamination_report.html" if request.htmx else None
    return render(request, template or "annotator/contamination_report.html", context)


@reviewer_required
@require_safe
def report_download(request: AuthedHttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "json"):
        raise Http404(gettext("a report downloads as csv or json"))
    report = get_object_or_404(ContaminationReport.objects.select_related("benchmark"), pk=pk)
    name = f"contamination_{report.pk}"
    response: HttpResponse
    if fmt == "csv":
        response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    else:
        response = JsonResponse(report_as_dict(report), json_dumps_params={"indent": 2})
        response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    return response


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=OverlapDecision.choices)


@reviewer_required
@require_POST
def finding_decide_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    finding = get_object_or_404(
        ContaminationFinding.objects.select_related("task", "clip", "decided_by"), pk=pk
    )
    decision = cleaned_input(DecisionForm(request.POST))["decision"]
    contamination.finding_decide(finding=finding, decision=decision, user=request.user)
    if request.htmx:
        context = {"finding": finding, "decisions": OverlapDecision.choices}
        return render(request, "annotator/_contamination_finding.html", context)
    return redirect("contamination-report", pk=finding.report_id)


class ReferenceForm(forms.Form):
    file = forms.FileField()


@admin_required
@require_POST
def reference_upload(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Attaches the task's reference (source) video, replacing the one it had."""
    task = get_object_or_404(Task, pk=pk)
    form = ReferenceForm(request.POST, request.FILES)
    upload = cleaned_input(form)["file"]
    reference_video_attach(task=task, upload=upload)
    return redirect("task-detail", pk=task.pk)
