"""Draft judgments by the GPT judge: start them for one video, one generator model or
a whole benchmark, follow their jobs, re-run their failures. Admins only."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from annotator.core import queue
from annotator.core.htmx import AuthedHttpRequest
from annotator.core.llm import LLMNotConfigured, llm_configured
from annotator.core.permissions import admin_required
from annotator.models import GeneratorModel, Job, JobStatus
from annotator.services import judge_drafts
from rubrics_app.models import Benchmark

RECENT_JOBS = 20


@admin_required
@require_safe
def judge_drafts_page(request: AuthedHttpRequest) -> HttpResponse:
    jobs = list(
        Job.objects.filter(kind=judge_drafts.JOB_KIND).select_related("created_by")[:RECENT_JOBS]
    )
    context = {
        "llm_configured": llm_configured(),
        "not_configured": str(LLMNotConfigured()),
        "llm_model": settings.LLM_MODEL,
        "prompt_version": judge_drafts.JUDGE_PROMPT_VERSION,
        "concurrency": settings.JUDGE_CONCURRENCY,
        "per_minute": settings.JUDGE_REQUESTS_PER_MINUTE,
        "benchmarks": Benchmark.objects.all(),
        "generators": GeneratorModel.objects.all(),
        "jobs": jobs,
        "running": any(job.status != JobStatus.DONE for job in jobs),
    }
    return render(request, "annotator/judge_drafts.html", context)


@admin_required
@require_POST
def judge_drafts_start_view(request: AuthedHttpRequest) -> HttpResponse:
    videos, description = judge_drafts.videos_chosen(request.POST)
    with queue.watch_for_page(request):
        job = judge_drafts.judge_drafts_start(
            videos=videos, user=request.user, description=description
        )
    messages.success(
        request,
        _("Job #%(job)s started: %(total)d requests queued.") % {"job": job.pk, "total": job.total},
    )
    return redirect("judge-drafts")


@admin_required
@require_POST
def judge_drafts_rerun_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=pk, kind=judge_drafts.JOB_KIND)
    if not judge_drafts.failed_pairs(job):
        messages.info(request, _("Job #%(job)s has no failure left to re-run.") % {"job": job.pk})
        return redirect("judge-drafts")
    with queue.watch_for_page(request):
        rerun = judge_drafts.judge_drafts_rerun(job=job, user=request.user)
    messages.success(
        request,
        _("Job #%(job)s started: %(total)d failed requests of job #%(old)s again.")
        % {"job": rerun.pk, "total": rerun.total, "old": job.pk},
    )
    return redirect("judge-drafts")
