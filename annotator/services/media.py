"""The media pipeline: what a stored video is, the images made from it, and a
browser-playable copy where the original would not play or seek well."""

import dataclasses
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import cast

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from annotator.models import Video
from annotator.models.choices import MediaStatus
from annotator.services.frame_hashes import frame_hashes
from annotator.services.videos import queue_processing
from annotator.video_analysis import (
    Analysis,
    Limits,
    MediaRejected,
    VideoInfo,
    analyse,
    make_rendition,
)

log = logging.getLogger(__name__)

# What the probe reports is stored field by field on the video (same names).
PROBED_FIELDS = [f.name for f in dataclasses.fields(VideoInfo)]
# Every field the pipeline writes; a re-run overwrites exactly these.
PIPELINE_FIELDS = [
    *PROBED_FIELDS,
    "size_bytes",
    "poster",
    "filmstrip",
    "filmstrip_frames",
    "filmstrip_tile_width",
    "filmstrip_tile_height",
    "judge_frames",
    "frame_hashes",
    "playable",
    "rendition_reason",
    "media_status",
    "media_error",
    "processed_at",
    "updated_at",
]


def limits() -> Limits:
    return Limits(
        max_bytes=settings.VIDEO_MAX_BYTES,
        max_seconds=settings.VIDEO_MAX_SECONDS,
        max_width=settings.VIDEO_MAX_WIDTH,
        max_height=settings.VIDEO_MAX_HEIGHT,
    )


@contextmanager
def local_copy(fieldfile: FieldFile) -> Iterator[Path]:
    """A path to the file on this machine: the file itself in local storage, else a
    temporary download (decoders seek a lot, which is slow over HTTP)."""
    if isinstance(fieldfile.storage, FileSystemStorage):
        yield Path(fieldfile.path)
        return
    name = cast(str, fieldfile.name)  # the caller passes a field with a file
    with tempfile.NamedTemporaryFile(suffix=Path(name).suffix) as tmp:
        with fieldfile.storage.open(name, "rb") as source:
            while chunk := source.read(1024 * 1024):
                tmp.write(chunk)
        tmp.flush()
        yield Path(tmp.name)


def _derived_name(video: Video, name: str) -> str:
    # Named after the content, so a re-run overwrites the same files.
    return f"derived/{video.sha256[:2]}/{video.sha256}/{name}"


def _save(fieldfile: FieldFile, name: str, content: bytes) -> str:
    return fieldfile.storage.save(name, ContentFile(content))


def _store_derived(video: Video, result: Analysis, path: Path) -> None:
    info = result.info
    for name in PROBED_FIELDS:
        setattr(video, name, getattr(info, name))
    video.size_bytes = path.stat().st_size
    video.poster.name = _save(video.poster, _derived_name(video, "poster.jpg"), result.poster)
    video.filmstrip.name = _save(
        video.filmstrip, _derived_name(video, "filmstrip.jpg"), result.filmstrip
    )
    video.filmstrip_frames = result.filmstrip_frames
    video.filmstrip_tile_width, video.filmstrip_tile_height = result.filmstrip_tile
    video.judge_frames = [
        _save(video.file, _derived_name(video, f"judge_{k}.jpg"), frame)
        for k, frame in enumerate(result.judge_frames)
    ]
    video.frame_hashes = frame_hashes(result.judge_frames)
    video.rendition_reason = result.rendition_reason
    video.playable.name = ""
    if result.rendition_reason:
        with tempfile.TemporaryDirectory() as tmp:
            rendition = Path(tmp) / "playable.mp4"
            make_rendition(path, rendition)
            video.playable.name = _save(
                video.playable, _derived_name(video, "playable.mp4"), rendition.read_bytes()
            )


def video_process(*, video_id: int) -> Video:
    """Validates and probes the video, makes its poster, filmstrip, judge frames and,
    where needed, a playable copy. Safe to run again: the same files are overwritten
    and the same fields rewritten. A file that is not a usable video ends failed,
    with the reason."""
    with transaction.atomic():
        video = Video.objects.select_for_update().get(pk=video_id)
        if not video.file:
            return video
        video.media_status = MediaStatus.PROCESSING
        video.processing_started_at = timezone.now()
        video.save(update_fields=["media_status", "processing_started_at", "updated_at"])
    try:
        with local_copy(video.file) as path:
            with open(path, "rb") as fh:
                result = analyse(fh, size=path.stat().st_size, limits=limits())
            _store_derived(video, result, path)
    except MediaRejected as exc:
        video.media_status, video.media_error = MediaStatus.FAILED, str(exc)
    else:
        video.media_status, video.media_error = MediaStatus.READY, ""
    video.processed_at = timezone.now()
    video.save(update_fields=PIPELINE_FIELDS)
    log.info("video %s: %s %s", video.pk, video.media_status, video.media_error)
    return video


def video_mark_failed(*, video_id: int, reason: str) -> None:
    """For a task that gave up after its retries: the video must not stay
    'processing', and the admin sees why."""
    Video.objects.filter(pk=video_id).update(
        media_status=MediaStatus.FAILED, media_error=reason, processed_at=timezone.now()
    )


def videos_reprocess(*, videos: QuerySet[Video]) -> int:
    """Queues the pipeline again, for example for failed videos once the cause is
    fixed (a raised limit, a repaired file). A failure's reason stays until the new
    run's outcome replaces it."""
    with transaction.atomic():
        ids = list(videos.exclude(file="").values_list("pk", flat=True))
        Video.objects.filter(pk__in=ids).update(media_status=MediaStatus.QUEUED)
        queue_processing(ids)
    return len(ids)


def videos_requeue_stale(*, older_than: timedelta | None = None) -> int:
    """Queues again the videos left 'processing' by a worker that was killed: with
    acks_late the broker redelivers such a task too, and whichever comes first does
    the work (processing is idempotent)."""
    if older_than is None:
        older_than = timedelta(seconds=settings.VIDEO_PROCESSING_TIMEOUT)
    stale = Video.objects.filter(
        media_status=MediaStatus.PROCESSING,
        processing_started_at__lt=timezone.now() - older_than,
    )
    return videos_reprocess(videos=stale)
