"""LLM-drafted criteria: start drafts, follow their job, accept or reject suggestions."""

from typing import cast

from django import forms
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from annotator.core import queue
from annotator.core.errors import REFUSALS, Refusal, refusal
from annotator.core.htmx import AuthedHttpRequest
from annotator.core.llm import llm_configured
from annotator.core.permissions import reviewer_required
from annotator.core.query_forms import cleaned_input, posted_input
from annotator.core.visibility import visible_jobs
from annotator.models import Job, JobStatus, User
from rubrics_app.choices import SuggestionStatus
from rubrics_app.filtersets import TaskFilter
from rubrics_app.forms import CriterionFields
from rubrics_app.models import Benchmark, CriterionSuggestion, Task
from rubrics_app.selectors import dimension_blocks, may_author, tasks_with_review_state
from rubrics_app.services import drafting


def suggestions_context(task: Task, user: User, *, job: Job | None = None, error: str = "") -> dict:
    """What the suggestions panel shows; the task page includes it too (and its
    criteria blocks read can_author from it)."""
    return {
        "task": task,
        "job": job,
        "error": error,
        "can_author": may_author(user, task),
        "llm_configured": llm_configured(),
        "suggestions": task.suggestions.filter(status=SuggestionStatus.PENDING).order_by(
            "dimension", "pk"
        ),
        "last_draft": task.drafts.first(),
    }


def suggestions_panel(
    request, task: Task, *, job: Job | None = None, status: int = 200, error: str = ""
):
    return render(
        request,
        "rubrics_app/_suggestions.html",
        suggestions_context(task, request.user, job=job, error=error),
        status=status,
    )


def _refused(request: AuthedHttpRequest, task: Task, found: Refusal) -> HttpResponse:
    return suggestions_panel(request, task, status=found.page_status, error=found.message)


@require_POST
def task_draft(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(Task, pk=pk)
    try:
        job = drafting.criteria_draft_start(
            tasks=Task.objects.filter(pk=task.pk), user=request.user
        )
    except REFUSALS as exc:
        return _refused(request, task, refusal(exc))
    return suggestions_panel(request, task, job=job)


class SuggestionsQuery(forms.Form):
    job = forms.ModelChoiceField(queryset=Job.objects.none(), required=False)

    def __init__(self, *args, jobs: QuerySet[Job], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["job"]).queryset = jobs


@require_safe
def task_suggestions(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(Task, pk=pk)
    query = SuggestionsQuery(request.GET, jobs=visible_jobs(request.user))
    return suggestions_panel(request, task, job=cleaned_input(query)["job"])


@require_POST
def suggestion_decide(request: AuthedHttpRequest, pk: int, decision: str) -> HttpResponse:
    suggestion = get_object_or_404(CriterionSuggestion.objects.select_related("task"), pk=pk)
    task = suggestion.task
    try:
        if decision == "accept":
            drafting.suggestion_accept(
                suggestion_id=pk, user=request.user, **posted_input(CriterionFields(request.POST))
            )
        else:
            drafting.suggestion_reject(suggestion_id=pk, user=request.user)
    except REFUSALS as exc:
        return _refused(request, task, refusal(exc))
    response = suggestions_panel(request, task)
    if decision == "accept":
        # The accepted criterion joins its dimension: refresh that block too.
        (block,) = dimension_blocks(task, suggestion.dimension)
        block_html = render(
            request,
            "rubrics_app/_dimension.html",
            {"task": task, "block": block, "oob": True, "can_author": True},  # they just did
        ).content
        response.content += block_html
    return response


@reviewer_required
@require_POST
def benchmark_draft(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Drafts criteria for every task the benchmark page's filters select."""
    benchmark = get_object_or_404(Benchmark, pk=pk)
    tasks = TaskFilter(request.POST, queryset=tasks_with_review_state(benchmark.tasks.all())).qs
    with queue.watch_for_page(request):
        job = drafting.criteria_draft_start(tasks=tasks, user=request.user)
    return HttpResponseClientRedirect(reverse("job-detail", args=[job.pk]))


@require_safe
def job_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(visible_jobs(request.user).select_related("created_by"), pk=pk)
    template = "annotator/_job.html" if request.htmx else "annotator/job_detail.html"
    return render(request, template, {"job": job, "running": job.status != JobStatus.DONE})
