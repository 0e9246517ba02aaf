from typing import cast

from django import template
from django.core.files.storage import FileSystemStorage
from django.urls import reverse

from annotator.models import Video
from annotator.services.verdicts import VideoChecklist
from annotator.video_analysis import judge_frame_positions

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


def judge_frame_url(video: Video, k: int) -> str:
    """Where the browser fetches the k-th frame the judge saw (see media_url)."""
    storage = video.file.storage
    if isinstance(storage, FileSystemStorage):
        return reverse("video-media", args=[video.public_id, f"judge-{k}"])
    return storage.url(video.judge_frames[k])


@register.simple_tag
def timeline(checklist: VideoChecklist) -> list[dict[str, object]]:
    """What a video's bar marks: the frames the judge saw, at the protocol's positions
    (each with its image), and the expert's time marks, each at its share of the
    video's length."""
    video = checklist.video
    if not (video.duration and video.frame_count):
        return []
    marks: list[dict[str, object]] = []
    if len(video.judge_frames) == len(judge_frame_positions(video.frame_count)):
        for k, position in enumerate(judge_frame_positions(video.frame_count)):
            marks.append(
                {
                    "kind": "judge",
                    "time": position / video.frame_count * video.duration,
                    "url": judge_frame_url(video, k),
                    "label": f"judge frame {k + 1}",
                }
            )
    for check in checklist.time_marks:
        marks.append(
            {
                "kind": "time",
                "time": check.time_mark,
                "label": f"{check.criterion.dimension} {check.criterion.number}",
                "text": check.criterion.text,
                "criterion": check.criterion.pk,
            }
        )
    for mark in marks:
        mark["percent"] = min(100.0, 100 * cast(float, mark["time"]) / video.duration)
    return marks
