from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from annotator.core.errors import InputError
from annotator.core.htmx import AuthedHttpRequest
from annotator.core.permissions import generator_names_required
from annotator.models import Judgment
from annotator.selectors.agreement import judge_agreement
from annotator.selectors.leaderboard import Leaderboard, Source, leaderboard_compute
from annotator.selectors.verdicts import judges_of
from rubrics_app.choices import Dimension, Level
from rubrics_app.models import Benchmark
from rubrics_app.selectors import release_chosen


def _bar(value: float | None, interval: tuple[float, float] | None) -> dict[str, Any]:
    """A bar with its error bar, as chartjs-chart-error-bars reads it."""
    low, high = interval or (None, None)
    return {"y": value, "yMin": low, "yMax": high}


@generator_names_required
@require_safe
def leaderboard_page(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    benchmark = get_object_or_404(Benchmark, pk=pk)
    releases = list(benchmark.releases.all())
    release = release_chosen(releases, request.GET.get("release"))
    source = request.GET.get("source", Source.DRAFTS)
    if source not in Source.__members__.values():
        source = Source.DRAFTS
    judges = judges_of(Judgment.objects.filter(video__task__benchmark=benchmark))
    judge = request.GET.get("judge") or (judges[0] if judges else None)
    context = {
        "benchmark": benchmark,
        "releases": releases,
        "release": release,
        "source": source,
        "sources": [s.value for s in Source],
        "judges": judges,
        "judge": judge,
        "levels": Level.values,
        "dimensions": Dimension.values,
    }
    try:
        board = leaderboard_compute(
            benchmark=benchmark, release=release, source=source, judge_model=judge
        )
    except InputError as exc:
        return render(request, "annotator/leaderboard.html", {**context, "error": exc})
    context["board"] = board
    # Rendered with json_script: generator names come from uploads, S3 and the API.
    chart: dict[str, Any] = {
        "models": [row.generator for row in board.rows],
        "levels": {
            level: [_bar(row.by_level[level], row.by_level_ci.get(level)) for row in board.rows]
            for level in Level.values
        },
        "dimensions": {
            d: [_bar(row.by_dimension[d], row.by_dimension_ci.get(d)) for row in board.rows]
            for d in Dimension.values
        },
    }
    context["chart"] = chart
    if judge:
        # The judge against the experts: the ranking from each, and their agreement; and
        # the drafts corrected by the experts on a random sample (the drafts board's).
        drafts_board = leaderboard_compute(
            benchmark=benchmark, release=release, source=Source.DRAFTS, judge_model=judge
        )
        human_board = leaderboard_compute(
            benchmark=benchmark, release=release, source=Source.CONFIRMED
        )
        context["drafts_board"], context["human_board"] = drafts_board, human_board
        context["agreement"] = judge_agreement(benchmark=benchmark, judge_model=judge)
        chart["corrected"] = _corrected_chart(drafts_board, human_board)
    return render(request, "annotator/leaderboard.html", context)


def _corrected_chart(drafts: Leaderboard, human: Leaderboard) -> dict[str, Any] | None:
    """Per model: the drafts' score, the experts' (on what they chose to verify) and the
    human-corrected one (on the random sample), each with its interval."""
    if drafts.calibration is None:
        return None
    experts = {row.generator: row for row in human.rows}
    return {
        "models": [row.generator for row in drafts.rows],
        "drafts": [_bar(row.overall, row.overall_ci) for row in drafts.rows],
        "experts": [
            _bar(experts[r.generator].overall, experts[r.generator].overall_ci)
            if r.generator in experts
            else _bar(None, None)
            for r in drafts.rows
        ],
        "corrected": [
            _bar(row.corrected.estimate, row.corrected.interval)
            if row.corrected
            else _bar(None, None)
            for row in drafts.rows
        ],
    }
