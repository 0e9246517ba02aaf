"""Draft judgments by the GPT judge: start them for one video, one generator model or
a whole benchmark, follow their jobs, re-run their failures. Admins only."""

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from annotator.choices import VideoKind
from annotator.errors import InputError
from annotator.llm import LLMNotConfigured, llm_configured
from annotator.models import GeneratorModel, Job, JobStatus, Video
from annotator.permissions import admin_required
from annotator.services import judge_drafts
from rubrics_app.models import Benchmark

RECENT_JOBS = 20


@admin_required
@require_safe
def judge_drafts_page(request):
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


def _chosen(model, value: str, what: str):
    if not value:
        return None
    try:
        return model.objects.get(pk=int(value))
    except (ValueError, model.DoesNotExist):
        raise InputError(f"{what} {value!r}: there is no such {what}.") from None


def _videos(videos: QuerySet[Video]) -> str:
    n = videos.count()
    return f"{n} video{'s' if n != 1 else ''}"


def selected_videos(data: QueryDict) -> tuple[QuerySet[Video], str]:
    """The generated videos a start form names, and a description for the job."""
    generated = Video.objects.filter(kind=VideoKind.GENERATED)
    scope = data.get("scope")
    if scope == "video":
        video = _chosen(Video, data.get("video", "").strip(), "video")
        if video is None:
            raise InputError("Give the id of a video.")
        if video.kind != VideoKind.GENERATED:
            raise InputError(
                f"Video {video.pk} is a dataset clip: only generated videos are judged."
            )
        return generated.filter(pk=video.pk), f"draft judgments: video {video.pk} ({video})"
    benchmark = _chosen(Benchmark, data.get("benchmark", ""), "benchmark")
    if scope == "generator":
        generator = _chosen(GeneratorModel, data.get("generator", ""), "model")
        if generator is None:
            raise InputError("Choose a generator model.")
        videos = generated.filter(generator=generator)
        where = f" in {benchmark.name}" if benchmark else ""
        if benchmark:
            videos = videos.filter(task__benchmark=benchmark)
        return videos, f"draft judgments: {generator.name}{where}, {_videos(videos)}"
    if scope == "benchmark":
        if benchmark is None:
            raise InputError("Choose a benchmark.")
        videos = generated.filter(task__benchmark=benchmark)
        return videos, f"draft judgments: {benchmark.name}, {_videos(videos)}"
    raise InputError("Choose a video, a model or a benchmark.")


@admin_required
@require_POST
def judge_drafts_start_view(request):
    try:
        videos, description = selected_videos(request.POST)
        if not videos.exists():
            raise InputError("No generated videos there: nothing to judge.")
        job = judge_drafts.judge_drafts_start(
            videos=videos, user=request.user, description=description
        )
    except (InputError, LLMNotConfigured) as exc:
        messages.error(request, str(exc))
        return redirect("judge-drafts")
    messages.success(request, f"Job #{job.pk} started: {job.total} requests queued.")
    return redirect("judge-drafts")


@admin_required
@require_POST
def judge_drafts_rerun_view(request, pk: int):
    job = get_object_or_404(Job, pk=pk, kind=judge_drafts.JOB_KIND)
    if not judge_drafts.failed_pairs(job):
        messages.info(request, f"Job #{job.pk} has no failure left to re-run.")
        return redirect("judge-drafts")
    try:
        rerun = judge_drafts.judge_drafts_rerun(job=job, user=request.user)
    except LLMNotConfigured as exc:
        messages.error(request, str(exc))
        return redirect("judge-drafts")
    messages.success(
        request, f"Job #{rerun.pk} started: {rerun.total} failed requests of job #{job.pk} again."
    )
    return redirect("judge-drafts")
