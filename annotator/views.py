import mimetypes

from django.core.files.storage import FileSystemStorage
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_safe

from annotator.models import Video
from annotator.range_response import ranged_file_response

# The file fields of a video that the browser may fetch.
SERVABLE_FIELDS = ("file",)


@require_safe
def video_media(request, pk: int, field: str):
    if field not in SERVABLE_FIELDS:
        raise Http404("no such file")
    fieldfile = getattr(get_object_or_404(Video, pk=pk), field)
    if not fieldfile:
        raise Http404("this video has no file yet")
    if not isinstance(fieldfile.storage, FileSystemStorage):
        return redirect(fieldfile.url)  # presigned: the browser fetches straight from S3
    content_type = mimetypes.guess_type(fieldfile.name)[0] or "application/octet-stream"
    response = ranged_file_response(request, fieldfile.storage, fieldfile.name, content_type)
    # Files are content-addressed, so a name never changes meaning.
    response["Cache-Control"] = "private, max-age=86400"
    return response
