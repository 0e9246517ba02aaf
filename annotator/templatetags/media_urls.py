from django import template
from django.core.files.storage import FileSystemStorage
from django.urls import reverse

from annotator.models import Video

register = template.Library()


@register.simple_tag
def media_url(video: Video, field: str) -> str:
    """Where the browser fetches one of a video's files: a presigned URL when the
    storage is S3, else the app's own Range-capable, login-checked view. Neither
    names the model: files are stored by content hash, the view takes the public id."""
    fieldfile = getattr(video, field)
    if not fieldfile:
        return ""
    if isinstance(fieldfile.storage, FileSystemStorage):
        return reverse("video-media", args=[video.public_id, field])
    return fieldfile.url


@register.simple_tag
def video_url(video: Video) -> str:
    """What a player should load: the playable copy where one was made."""
    return media_url(video, "playable" if video.playable else "file")
