from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_safe

from annotator.core.htmx import AuthedHttpRequest
from annotator.core.query_forms import cleaned_input, posted_input
from annotator.models import ContaminationFinding
from annotator.models.choices import OverlapDecision
from rubrics_app.models import Benchmark, Release
from rubrics_app.rubric_format import download_name, encode
from rubrics_app.services.releases import release_compare, release_create, release_export

# A page message names this many left-out criteria, then counts the rest.
WARNING_NAMES = 20


class ReleaseForm(forms.Form):
    """A release to freeze; the service checks the name (its rule holds for the
    command and the API too), the form the columns' lengths."""

    name = forms.CharField(required=False, max_length=Release._meta.get_field("name").max_length)
    weight_scheme = forms.CharField(
        required=False, max_length=Release._meta.get_field("weight_scheme").max_length
    )
    notes = forms.CharField(required=False)


@require_http_methods(["GET", "POST"])
def release_list(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    benchmark = get_object_or_404(Benchmark, pk=pk)
    if request.method == "POST":
        report = release_create(
            benchmark=benchmark, user=request.user, **posted_input(ReleaseForm(request.POST))
        )
        messages.success(request, report.summary())
        if report.left_out:
            messages.warning(request, report.warning(limit=WARNING_NAMES))
        return redirect("release-list", pk=benchmark.pk)
    # Newest first, so that compare preselects the one before it as old.
    releases = (
        benchmark.releases.select_related("created_by")
        .annotate(
            n_criteria=Count("tasks__criteria"),
            # Tasks with a confirmed overlap with a training clip (contamination reports).
            n_overlapping=Count(
                "tasks",
                filter=Q(
                    tasks__task__in=ContaminationFinding.objects.filter(
                        decision=OverlapDecision.CONFIRMED
                    ).values("task_id")
                ),
                distinct=True,
            ),
        )
        .order_by("-created_at", "-pk")
    )
    return render(
        request, "rubrics_app/release_list.html", {"benchmark": benchmark, "releases": releases}
    )


@require_safe
def release_download(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    release = get_object_or_404(Release.objects.select_related("benchmark"), pk=pk)
    body = "".join(encode(release_export(release=release)))
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = download_name(benchmark=release.benchmark.name, release=release.name)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class CompareQuery(forms.Form):
    old = forms.ModelChoiceField(queryset=Release.objects.select_related("benchmark"))
    new = forms.ModelChoiceField(queryset=Release.objects.all())

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        old, new = data.get("old"), data.get("new")
        if old and new and old.benchmark_id != new.benchmark_id:
            raise forms.ValidationError(
                gettext("old and new are releases of different benchmarks.")
            )
        return data


@require_safe
def release_compare_view(request: AuthedHttpRequest) -> HttpResponse:
    query = cleaned_input(CompareQuery(request.GET))
    old, new = query["old"], query["new"]
    return render(
        request,
        "rubrics_app/release_compare.html",
        {"comparison": release_compare(old=old, new=new)},
    )
