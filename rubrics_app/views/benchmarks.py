from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from annotator.core.htmx import AuthedHttpRequest
from annotator.core.visibility import labelled, may_see_generator
from annotator.models import Assignment
from annotator.models.choices import VideoKind, WorkKind
from rubrics_app.choices import Dimension
from rubrics_app.filtersets import TaskFilter
from rubrics_app.models import Task
from rubrics_app.selectors import (
    LEVEL_KEYS,
    benchmarks_with_counts,
    dimension_blocks,
    tasks_with_counts,
    tasks_with_review_state,
)
from rubrics_app.views.drafting import suggestions_context

TASKS_PER_PAGE = 50


def benchmark_list(request: AuthedHttpRequest) -> HttpResponse:
    benchmarks = list(benchmarks_with_counts())
    for benchmark in benchmarks:
        benchmark.level_counts = [  # type: ignore[attr-defined]  # for the template only
            (level.label, getattr(benchmark, f"n_{key}")) for key, level in LEVEL_KEYS.items()
        ]
    return render(request, "rubrics_app/benchmark_list.html", {"benchmarks": benchmarks})


def benchmark_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    benchmark = get_object_or_404(benchmarks_with_counts(), pk=pk)
    tasks = tasks_with_review_state(benchmark.tasks.order_by("index"))
    filterset = TaskFilter(request.GET, queryset=tasks)
    page = Paginator(tasks_with_counts(filterset.qs), TASKS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "benchmark": benchmark,
        "filter": filterset,
        "page": page,
        "dimensions": Dimension.choices,
    }
    template = (
        "rubrics_app/_task_table.html" if request.htmx else "rubrics_app/benchmark_detail.html"
    )
    return render(request, template, context)


def task_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(Task.objects.select_related("benchmark"), pk=pk)
    siblings = Task.objects.filter(benchmark_id=task.benchmark_id)
    context = {
        "task": task,
        "dimensions": dimension_blocks(task),
        **suggestions_context(task, request.user),  # can_author and llm_configured too
        # Labelled as on the judging page: blind for annotators (the same letters).
        "videos": labelled(
            task.videos.filter(kind=VideoKind.GENERATED).select_related("generator"),
            request.user,
            names=True,
        ),
        # The task's source video: reviewers and admins only (services/contamination.py).
        "reference": task.videos.filter(kind=VideoKind.REFERENCE).first()
        if request.user.is_reviewer
        else None,
        "names": may_see_generator(request.user),
        "previous": siblings.filter(index__lt=task.index).order_by("-index").first(),
        "next": siblings.filter(index__gt=task.index).order_by("index").first(),
        # The user's authoring assignment of this task, if any: they mark it done here.
        "authoring": Assignment.objects.filter(
            user=request.user, task=task, batch__kind=WorkKind.AUTHOR
        ).first(),
    }
    return render(request, "rubrics_app/task_detail.html", context)
