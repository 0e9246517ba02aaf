"""Reading what a video file is: the first step of the media pipeline."""

import logging
from fractions import Fraction

import av
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from annotator.choices import MediaStatus
from annotator.models import Video

log = logging.getLogger(__name__)


class MediaRejected(Exception):
    """The file is not a video we can use; the message is shown to people."""


def _probe(video: Video) -> dict:
    size = video.file.size
    if size == 0:
        raise MediaRejected("the file is empty (0 bytes)")
    if size > settings.VIDEO_MAX_BYTES:
        raise MediaRejected(
            f"the file is {size / 1024**2:.0f} MB, above the limit of "
            f"{settings.VIDEO_MAX_BYTES / 1024**2:.0f} MB"
        )
    with video.file.open("rb") as fh:
        try:
            return _read_stream_info(av.open(fh), size)
        except av.FFmpegError as exc:
            raise MediaRejected(f"not a readable video file ({exc.strerror or exc})") from exc


def _read_stream_info(container: av.container.InputContainer, size: int) -> dict:
    with container:
        if not container.streams.video:
            raise MediaRejected("the file has no video track")
        stream = container.streams.video[0]
        fps = stream.average_rate or stream.guessed_rate
        duration = None
        if stream.duration is not None and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        frames = stream.frames
        if not frames:
            # Containers such as WebM do not say; count the packets instead.
            frames = sum(1 for packet in container.demux(stream) if packet.size)
        if duration is None and fps:
            duration = float(frames / Fraction(fps))
        return {
            "size_bytes": size,
            "duration": duration,
            "fps": float(fps) if fps else None,
            "frame_count": frames,
            "width": stream.codec_context.width,
            "height": stream.codec_context.height,
            "codec": stream.codec_context.name,
            "bitrate": container.bit_rate or None,
        }


def video_process(*, video_id: int) -> Video:
    """Probes the video and records what it is, or why it cannot be used. Safe to
    run again: it only overwrites the same fields."""
    with transaction.atomic():
        video = Video.objects.select_for_update().get(pk=video_id)
        if not video.file:
            return video
        video.media_status = MediaStatus.PROCESSING
        video.save(update_fields=["media_status", "updated_at"])
    try:
        fields = _probe(video)
    except MediaRejected as exc:
        fields, status, error = {}, MediaStatus.FAILED, str(exc)
    else:
        status, error = MediaStatus.READY, ""
    for name, value in fields.items():
        setattr(video, name, value)
    video.media_status, video.media_error = status, error
    video.processed_at = timezone.now()
    video.save(update_fields=[*fields, "media_status", "media_error", "processed_at", "updated_at"])
    log.info("video %s: %s %s", video.pk, status, error)
    return video
