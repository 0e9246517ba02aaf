import mimetypes
from urllib.parse import quote
from uuid import UUID

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.files.storage import FileSystemStorage, Storage
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST, require_safe

from annotator.core import queue
from annotator.core.errors import InputError
from annotator.core.htmx import AuthedHttpRequest
from annotator.core.http import ranged_file_response
from annotator.core.permissions import admin_required, reviewer_required
from annotator.core.query_forms import cleaned_input
from annotator.filtersets import VideoFilter
from annotator.models import GeneratorModel, ImportBatch, Video
from annotator.models.choices import MediaStatus, VideoKind
from annotator.selectors.media import media_progress
from annotator.services.media import videos_reprocess
from annotator.services.videos import VIDEO_EXTENSIONS, batch_create, video_upload
from rubrics_app.models import Benchmark

# The files of a video that the browser may fetch.
SERVABLE_FIELDS = ("file", "playable", "poster", "filmstrip")
VIDEOS_PER_PAGE = 48


def _servable(video: Video, field: str) -> tuple[Storage, str]:
    """The storage and name of one of the video's files the browser may fetch: a file
    field, or judge-<k>, the k-th frame the judge saw (stored beside the video)."""
    if field.startswith("judge-") and field[6:].isdigit():
        k = int(field[6:])
        if k >= len(video.judge_frames):
            raise Http404(gettext("this video has no such judge frame"))
        return video.file.storage, video.judge_frames[k]
    if field not in SERVABLE_FIELDS:
        raise Http404(gettext("no such file"))
    fieldfile = getattr(video, field)
    if not fieldfile:
        raise Http404(gettext("this video has no such file yet"))
    return fieldfile.storage, fieldfile.name


@require_safe
def video_media(request: AuthedHttpRequest, public_id: UUID, field: str) -> HttpResponseBase:
    video = get_object_or_404(Video, public_id=public_id)
    if video.kind == VideoKind.REFERENCE and not request.user.is_reviewer:
        raise Http404(gettext("no such file"))  # a task's source video: reviewers and admins only
    storage, name = _servable(video, field)
    if not isinstance(storage, FileSystemStorage):
        return redirect(storage.url(name))  # presigned: the browser fetches straight from S3
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response: HttpResponseBase
    if settings.MEDIA_ACCEL_REDIRECT:
        # nginx streams the file, Range and all, from its internal location.
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.MEDIA_ACCEL_REDIRECT + quote(name)
    else:
        response = ranged_file_response(request, storage, name, content_type)
    # Names are derived from the content, so a URL's file only changes on re-processing.
    response["Cache-Control"] = "private, max-age=3600"
    return response


@reviewer_required
@require_safe
def video_list(request: AuthedHttpRequest) -> HttpResponse:
    videos = Video.objects.select_related("generator", "task__benchmark").order_by("-pk")
    filterset = VideoFilter(request.GET, queryset=videos)
    page = Paginator(filterset.qs, VIDEOS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"filter": filterset, "page": page, "progress": media_progress(filterset.qs)}
    template = "annotator/_video_grid.html" if request.htmx else "annotator/video_list.html"
    return render(request, template, context)


class ReprocessForm(forms.Form):
    video = forms.ModelChoiceField(queryset=Video.objects.all(), required=False)


class UploadForm(forms.Form):
    benchmark = forms.ModelChoiceField(queryset=Benchmark.objects.all(), required=False)


@admin_required
@require_POST
def videos_reprocess_view(request: AuthedHttpRequest) -> HttpResponse:
    if video := cleaned_input(ReprocessForm(request.POST))["video"]:
        videos = Video.objects.filter(pk=video.pk)
    else:
        videos = VideoFilter(request.POST, queryset=Video.objects.filter(media_status="failed")).qs
    with queue.watch_for_page(request):
        count = videos_reprocess(videos=videos)
    messages.info(
        request,
        ngettext(
            "%(n)d video queued for processing again.",
            "%(n)d videos queued for processing again.",
            count,
        )
        % {"n": count},
    )
    # Back to the list the form was on; never to another site (an open redirect).
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "video-list"
    return redirect(next_url)


@admin_required
@require_safe
def video_upload_page(request: AuthedHttpRequest) -> HttpResponse:
    context = {
        "benchmarks": Benchmark.objects.all(),
        "generators": GeneratorModel.objects.all(),
        "extensions": ",".join(sorted(VIDEO_EXTENSIONS)),
    }
    return render(request, "annotator/video_upload.html", context)


@admin_required
@require_POST
def batch_create_view(request: AuthedHttpRequest) -> HttpResponse:
    batch = batch_create(name=request.POST.get("name") or "browser upload", user=request.user)
    return JsonResponse({"id": batch.pk, "url": f"/videos/?batch={batch.pk}"}, status=201)


@admin_required
@require_POST
def batch_upload_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """One file per request, so the browser shows a progress bar per file."""
    batch = get_object_or_404(ImportBatch, pk=pk)
    upload = request.FILES.get("file")
    if upload is None:
        return JsonResponse({"error": "no file in the request"}, status=400)
    form = UploadForm(request.POST)
    if not form.is_valid():
        problem = " ".join(map(str, form.errors["benchmark"]))
        return JsonResponse({"error": f"benchmark: {problem}"}, status=400)
    benchmark = form.cleaned_data["benchmark"]
    try:
        with queue.watch() as delivery:
            added = video_upload(
                upload=upload,
                batch=batch,
                benchmark=benchmark,
                generator_name=request.POST.get("generator", "").strip(),
            )
    except InputError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    # Saved either way; with the job queue unreachable its processing waits (the sweep
    # queues it when the queue is back), and the page says so.
    message = queue.WAITING_NOTICE if delivery.waiting else added.message
    return JsonResponse(
        {
            "video": added.video.pk,
            "outcome": added.outcome,
            "message": message,
            "waiting": bool(delivery.waiting),
        },
        status=201 if added.outcome == "created" else 200,
    )


@admin_required
@require_safe
def batch_states(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The processing state of each video of an upload batch, and why one failed: the
    upload page follows each file's processing in its own row."""
    batch = get_object_or_404(ImportBatch, pk=pk)
    videos = batch.videos.values("pk", "media_status", "media_error")
    return JsonResponse(
        {
            "videos": {
                v["pk"]: {
                    "status": v["media_status"],
                    "label": MediaStatus(v["media_status"]).label,
                    "error": v["media_error"],
                }
                for v in videos
            }
        }
    )
