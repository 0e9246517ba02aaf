"""Rubric health of a benchmark or a release: the criteria that need a reviewer's look,
on a page and as CSV. It sets the judge's agreement beside each generator model, so it
is for those who may see the models (annotators judge blind)."""

import csv

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext
from django.views.decorators.http import require_safe

from annotator.core.errors import InputError
from annotator.core.htmx import AuthedHttpRequest
from annotator.core.permissions import generator_names_required
from annotator.models import Judgment
from annotator.selectors.rubric_health import ANY, Finding, RubricHealth, csv_rows, rubric_health
from annotator.selectors.verdicts import judges_of
from rubrics_app.models import Benchmark, Release
from rubrics_app.selectors import release_chosen

# Rows a section of the page shows before "show all" (the CSV has every one).
ROWS_SHOWN = 50


def _health(
    request: AuthedHttpRequest, pk: int
) -> tuple[Benchmark, list[Release], Release | None, list[str], RubricHealth]:
    """The health the query asks for: ?release=<id> (else the live criteria), ?judge=."""
    benchmark = get_object_or_404(Benchmark, pk=pk)
    releases = list(benchmark.releases.all())
    release = release_chosen(releases, request.GET.get("release"))
    judges = judges_of(Judgment.objects.filter(video__task__benchmark=benchmark))
    judge = request.GET.get("judge") or (judges[0] if judges else None)
    health = rubric_health(benchmark=benchmark, release=release, judge_model=judge)
    return benchmark, releases, release, judges, health


@generator_names_required
@require_safe
def rubric_health_page(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    benchmark, releases, release, judges, health = _health(request, pk)
    show = request.GET.get("show", "")
    sections = []
    for finding in Finding:
        rows = health.with_finding(finding)
        shown = rows if show == finding else rows[:ROWS_SHOWN]
        sections.append({"finding": finding, "rows": shown, "total": len(rows)})
    context = {
        "benchmark": benchmark,
        "releases": releases,
        "release": release,
        "judges": judges,
        "health": health,
        "sections": sections,
        "counts": health.counts(),
        # Two tables side by side: the rubric's groups, and the models.
        "aggregate_columns": [
            [(name, groups) for name, groups in health.aggregates().items() if name != "generator"],
            [("generator", health.by_generator)],
        ],
    }
    return render(request, "annotator/rubric_health.html", context)


@generator_names_required
@require_safe
def rubric_health_csv(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Every criterion with its figures and findings, or ?finding=any|<finding> only."""
    finding = request.GET.get("finding", "")
    if finding not in ("", ANY, *Finding):
        raise InputError(
            gettext("finding %(finding)s is unknown: one of %(findings)s.")
            % {"finding": repr(finding), "findings": ", ".join([ANY, *Finding])}
        )
    benchmark, _, release, _, health = _health(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    # Named by ids: a release's name is typed by reviewers and would go into a header.
    name = f"rubric_health_{benchmark.pk}" + (f"_release_{release.pk}" if release else "")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    csv.writer(response).writerows(csv_rows(health.select(finding)))
    return response
