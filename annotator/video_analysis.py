"""Reading one video file: what it is, the stills the app shows and judges, and whether
browsers can play it as it is. Django-free, so it runs anywhere PyAV does."""

from __future__ import annotations

import io
import os
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO, TypedDict

import av
from PIL import Image

JUDGE_FRAMES = 8
MAX_RENDITION_BITRATE = 20_000_000
# Decoding may end a few frames short of what the container promised (edit lists, a lost
# last packet); below this share the file is treated as cut off.
MIN_FRAME_SHARE = 0.9

Source = str | os.PathLike | BinaryIO


class MediaRejected(Exception):
    """The file is not a video we can use; the message is shown to people."""


@dataclass(frozen=True)
class Limits:
    """What the app accepts."""

    max_bytes: int = 2 * 1024**3
    max_seconds: float = 600
    max_width: int = 4096
    max_height: int = 4096


@dataclass
class VideoInfo:
    """What the file is, as its container and video track describe it."""

    duration: float
    fps: float
    frame_count: int
    width: int
    height: int
    codec: str
    bitrate: int | None
    pix_fmt: str
    container: str
    faststart: bool | None  # None when not an MP4/MOV


@dataclass
class Analysis:
    """Everything the app stores about one video."""

    info: VideoInfo
    poster: bytes
    filmstrip: bytes
    filmstrip_frames: int
    filmstrip_tile: tuple[int, int]
    judge_frames: list[bytes]
    rendition_reason: str  # "" when the source plays and seeks well in Chromium as it is


def judge_frame_positions(frame_count: int, n: int = JUDGE_FRAMES) -> list[int]:
    """The frame indices shown to judges: the middle of each of `n` equal slices.

    With fewer frames than `n` the positions repeat (they never pass frame_count - 1),
    so a judge always gets `n` images."""
    if frame_count < 1:
        raise ValueError("a video needs at least one frame")
    step = frame_count / n
    return [min(int(k * step + step / 2), frame_count - 1) for k in range(n)]


def filmstrip_positions(frame_count: int, n: int) -> list[int]:
    """The frame indices of the filmstrip tiles, spread evenly like the judge frames."""
    if frame_count < 1:
        raise ValueError("a video needs at least one frame")
    return [min(int((k + 0.5) * frame_count / n), frame_count - 1) for k in range(n)]


def analyse(
    source: Source,
    *,
    size: int,
    limits: Limits = Limits(),
    filmstrip_frames: int = 10,
    tile_width: int = 160,
    poster_width: int = 640,
    judge_max_side: int = 1024,
) -> Analysis:
    """Reads the video at `source` (a path or a binary file opened for reading, `size`
    bytes long) in one decoding pass. Raises MediaRejected, with a message for people,
    when the file is not a video the app can use."""
    if size == 0:
        raise MediaRejected("the file is empty (0 bytes)")
    if size > limits.max_bytes:
        raise MediaRejected(
            f"the file is {_file_size(size)}, above the limit of {_file_size(limits.max_bytes)}"
        )
    with _opened(source) as fh:
        try:
            container = _open_input(fh)
        except av.FFmpegError as exc:
            _reject_if_cut(fh, size)
            raise MediaRejected(f"not a readable video file ({_plain(exc)})") from exc
        try:
            info, end_of_data, packets_read = _probe(container, fh, size, limits)
            if end_of_data is not None and end_of_data > size:
                raise _cut(size, end_of_data)
            if packets_read:  # counting the frames read the file; start again
                container.close()
                container = _reopen(fh)
            sizes: _StillSizes = {
                "filmstrip_frames": filmstrip_frames,
                "tile_width": tile_width,
                "poster_width": poster_width,
                "judge_max_side": judge_max_side,
            }
            try:
                stills = _decode_stills(container, info.frame_count, **sizes)
            except _ShortOfFrames as short:
                # A few frames fewer than promised: take the stills from those there are.
                info.frame_count = short.frames_read
                container.close()
                container = _reopen(fh)
                stills = _decode_stills(container, info.frame_count, **sizes, exact=True)
        except av.error.DecoderNotFoundError as exc:
            raise MediaRejected(f"not a readable video file ({_plain(exc)})") from exc
        except av.FFmpegError as exc:
            raise MediaRejected(
                f"the file is truncated or damaged: {_plain(exc, decoding=True)}"
            ) from exc
        finally:
            container.close()
    return Analysis(
        info=info,
        poster=stills.poster,
        filmstrip=stills.filmstrip,
        filmstrip_frames=filmstrip_frames,
        filmstrip_tile=stills.tile,
        judge_frames=stills.judge,
        rendition_reason=rendition_reason(info, size),
    )


def rendition_reason(info: VideoInfo, size: int | None = None) -> str:
    """Why browsers need a re-encoded copy of this video, or "" when Chromium plays and
    seeks the source well as it is."""
    reasons = []
    family = _container_family(info.container)
    shown_family = {"mp4": "MP4", "webm": "WebM/Matroska"}.get(family, family.upper())
    if info.codec == "h264":
        if family != "mp4":
            reasons.append(f"H.264 in {shown_family} is not played by all browsers")
        if info.pix_fmt not in ("yuv420p", "yuvj420p"):
            reasons.append(f"pixel format {info.pix_fmt} is not played by all browsers")
        if family == "mp4" and info.faststart is False:
            reasons.append("MP4 without faststart: browsers cannot seek before it has loaded")
    elif info.codec in ("vp8", "vp9", "av1"):
        if family != "webm":
            reasons.append(f"{info.codec.upper()} in {shown_family} is not played by all browsers")
    else:
        reasons.append(f"codec {info.codec} is not played by browsers")
    bitrate = info.bitrate
    if bitrate is None and size and info.duration > 0:
        bitrate = int(size * 8 / info.duration)
    if bitrate and bitrate > MAX_RENDITION_BITRATE:
        reasons.append(f"bitrate {bitrate / 1e6:.0f} Mbit/s is too high to stream")
    return "; ".join(reasons)


def make_rendition(source: Source, dest: str | os.PathLike) -> None:
    """Writes an H.264 MP4 of `source` to `dest` that every browser plays and seeks from
    the start: yuv420p, even dimensions, the same frames at the same rate, no audio.
    `dest` only ever holds a complete file."""
    dest = Path(dest)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.stem}-", suffix=".mp4")
    os.close(fd)
    try:
        with _opened(source) as fh:
            try:
                _encode_rendition(fh, tmp_name)
            except av.FFmpegError as exc:
                raise MediaRejected(f"the video could not be converted: {_plain(exc)}") from exc
        os.replace(tmp_name, dest)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


# --- probing -------------------------------------------------------------------------


def _probe(
    container: av.container.InputContainer, fh: BinaryIO, size: int, limits: Limits
) -> tuple[VideoInfo, int | None, bool]:
    """The stream description, checked against the limits before anything is decoded;
    for MP4/MOV, where the file's data should end; and whether packets were read."""
    if not container.streams.video:
        raise MediaRejected("the file has no video track")
    stream = container.streams.video[0]
    ctx = stream.codec_context
    if ctx is None or not ctx.width or not ctx.height:
        raise MediaRejected("not a readable video file (the picture size is unknown)")
    width, height = ctx.width, ctx.height
    if width > limits.max_width or height > limits.max_height:
        raise MediaRejected(
            f"the video is {width} x {height} pixels, above the limit of "
            f"{limits.max_width} x {limits.max_height}"
        )
    rate = stream.average_rate or stream.guessed_rate
    duration = None
    if stream.duration is not None and stream.time_base:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / av.time_base
    _check_duration(duration, limits)
    frames, packets_read = stream.frames, False
    if not frames:
        # Containers such as WebM do not say; counting packets reads the file but
        # decodes nothing.
        frames, packets_read = _count_packets(container, stream), True
        if duration and rate and frames < MIN_FRAME_SHARE * duration * rate:
            raise MediaRejected(
                "the file is truncated or damaged: it holds "
                f"{frames / float(rate):.1f} of its {duration:.1f} seconds"
            )
    if not frames:
        raise MediaRejected("the file has no video frames")
    if duration is None:
        duration = float(frames / Fraction(rate)) if rate else 0.0
        _check_duration(duration, limits)
    info = VideoInfo(
        duration=duration,
        fps=float(rate) if rate else (frames / duration if duration else 0.0),
        frame_count=frames,
        width=width,
        height=height,
        codec=ctx.name,
        bitrate=container.bit_rate or ctx.bit_rate or None,
        pix_fmt=ctx.pix_fmt or "",
        container=container.format.name,
        faststart=None,
    )
    end_of_data = None
    if _container_family(info.container) == "mp4":
        info.faststart, end_of_data = _mp4_layout(fh, size)
    return info, end_of_data, packets_read


def _check_duration(duration: float | None, limits: Limits) -> None:
    if duration is not None and duration > limits.max_seconds:
        raise MediaRejected(
            f"the video lasts {_clock(duration)}, above the limit of {_clock(limits.max_seconds)}"
        )


def _count_packets(container: av.container.InputContainer, stream: av.VideoStream) -> int:
    # The final packet demux() yields is an empty one that flushes the decoder.
    return sum(1 for packet in container.demux(stream) if packet.size)


def _mp4_layout(fh: BinaryIO, size: int) -> tuple[bool | None, int]:
    """Whether the moov box (the index) comes before mdat (the frames), read from the
    top-level box headers alone, and where the last box says the file ends. Leaves the
    file where it was, as PyAV reads on from there."""
    was_at = fh.tell()
    offset, moov_at, mdat_at = 0, None, None
    try:
        for _ in range(10_000):  # a bound, in case of a hostile file of tiny boxes
            if offset + 8 > size:
                break
            fh.seek(offset)
            header = fh.read(16)
            if len(header) < 8:
                break
            box_size, box_type = struct.unpack(">I4s", header[:8])
            if box_size == 1 and len(header) == 16:
                box_size = struct.unpack(">Q", header[8:])[0]
            elif box_size == 0:  # runs to the end of the file
                box_size = size - offset
            if box_size < 8:
                break
            if box_type == b"moov" and moov_at is None:
                moov_at = offset
            elif box_type == b"mdat" and mdat_at is None:
                mdat_at = offset
            offset += box_size
    finally:
        fh.seek(was_at)
    if moov_at is None or mdat_at is None:
        faststart = None if moov_at is None else True
    else:
        faststart = moov_at < mdat_at
    return faststart, offset


def _reject_if_cut(fh: BinaryIO, size: int) -> None:
    """An MP4 cut short before its index cannot be opened at all; say why."""
    fh.seek(0)
    if fh.read(8)[4:] == b"ftyp":
        _, end_of_data = _mp4_layout(fh, size)
        if end_of_data > size:
            raise _cut(size, end_of_data)


def _cut(size: int, end_of_data: int) -> MediaRejected:
    share = min(99, round(100 * size / end_of_data))
    return MediaRejected(f"the file is truncated or damaged: it ends after {share}% of its data")


def _open_input(fh: BinaryIO) -> av.container.InputContainer:
    # Titles and tags in a damaged file are often not valid UTF-8; they are not worth
    # rejecting the video for.
    return av.open(fh, "r", metadata_errors="replace")


def _reopen(fh: BinaryIO) -> av.container.InputContainer:
    fh.seek(0)
    return _open_input(fh)


# --- decoding ------------------------------------------------------------------------


@dataclass
class _Stills:
    judge: list[bytes]
    poster: bytes
    filmstrip: bytes
    tile: tuple[int, int]


class _ShortOfFrames(Exception):
    def __init__(self, frames_read: int) -> None:
        super().__init__(frames_read)
        self.frames_read = frames_read


class _StillSizes(TypedDict):
    filmstrip_frames: int
    tile_width: int
    poster_width: int
    judge_max_side: int


def _decode_stills(
    container: av.container.InputContainer,
    frame_count: int,
    *,
    filmstrip_frames: int,
    tile_width: int,
    poster_width: int,
    judge_max_side: int,
    exact: bool = False,
) -> _Stills:
    """Decodes up to the last frame needed, converting only the frames kept. Raises
    _ShortOfFrames when the video ends a little early, unless `exact`."""
    judge_at = judge_frame_positions(frame_count)
    strip_at = filmstrip_positions(frame_count, filmstrip_frames)
    poster_at = judge_at[2]
    last = max(*judge_at, *strip_at)

    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    ctx = stream.codec_context
    # Display shape, so that non-square pixels come out right; a ratio outside 1:4..4:1
    # is damage, not a lens.
    sar = stream.sample_aspect_ratio or ctx.sample_aspect_ratio
    shown_width = ctx.width * float(sar) if sar and 0.25 <= sar <= 4 else ctx.width
    aspect = shown_width / ctx.height
    judge_size = _fit(shown_width, ctx.height, judge_max_side)
    poster_size = _fit_width(poster_width, aspect, even=False, at_most=shown_width)
    tile = _fit_width(tile_width, aspect, even=True, at_most=shown_width)

    judge: dict[int, bytes] = {}
    poster = b""
    sprite = Image.new("RGB", (tile[0] * filmstrip_frames, tile[1]))
    strip_slots: dict[int, list[int]] = {}
    for k, position in enumerate(strip_at):
        strip_slots.setdefault(position, []).append(k)
    index = -1
    for index, frame in enumerate(container.decode(stream)):
        if index in judge_at and index not in judge:
            judge[index] = _jpeg(_rgb(frame, judge_size), 90)
        if index == poster_at:
            poster = _jpeg(_rgb(frame, poster_size), 85)
        if index in strip_slots:
            picture = _rgb(frame, tile)
            for k in strip_slots[index]:
                sprite.paste(picture, (k * tile[0], 0))
        if index >= last:
            break

    frames_read = index + 1
    if frames_read <= last:
        if frames_read == 0:
            raise MediaRejected("the file is damaged: none of its frames could be decoded")
        if exact or frames_read < MIN_FRAME_SHARE * frame_count:
            raise MediaRejected(
                "the file is truncated or damaged: only "
                f"{frames_read} of its {frame_count} frames could be read"
            )
        raise _ShortOfFrames(frames_read)
    return _Stills(
        judge=[judge[position] for position in judge_at],
        poster=poster,
        filmstrip=_jpeg(sprite, 80),
        tile=tile,
    )


def _fit(width: float, height: int, max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _fit_width(width: int, aspect: float, *, even: bool, at_most: float) -> tuple[int, int]:
    """`width` wide, unless that makes a very tall video's picture more than four times
    as tall as wide (or taller than JPEG allows): then narrower, keeping the shape.
    Never wider than `at_most`, the video's own width: upscaled stills only cost bytes."""
    height = width / aspect
    if height > 4 * width:
        height = 4 * width
        width = max(1, round(height * aspect))
    if width > at_most:
        width, height = max(1, round(at_most)), height * at_most / width
    height = max(2, round(height / 2) * 2) if even else max(1, round(height))
    return width, height


def _rgb(frame: av.VideoFrame, size: tuple[int, int]) -> Image.Image:
    # swscale scales and converts in one step, faster than converting the whole frame and
    # resizing in Pillow; and a view on the RGB plane is ten times quicker than to_image(),
    # which copies it row by row.
    rgb = frame.reformat(width=size[0], height=size[1], format="rgb24")
    plane = rgb.planes[0]
    # Pillow reads any buffer, the plane's uncopied; its annotation lists only bytes.
    return Image.frombuffer(
        "RGB",
        size,
        plane,  # type: ignore[arg-type]
        "raw",
        "RGB",
        plane.line_size,
        1,
    )


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


# --- rendition -----------------------------------------------------------------------


def _encode_rendition(fh: BinaryIO, dest: str) -> None:
    with _open_input(fh) as source:
        if not source.streams.video:
            raise MediaRejected("the file has no video track")
        stream = source.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        # Frames are numbered anew at a constant rate: a browser seeks that reliably.
        rate = Fraction(rate).limit_denominator(1001)
        ctx = stream.codec_context
        width, height = max(2, ctx.width // 2 * 2), max(2, ctx.height // 2 * 2)
        with av.open(dest, "w", format="mp4", options={"movflags": "+faststart"}) as out:
            video = out.add_stream(
                "libx264", rate=rate, options={"crf": "23", "preset": "veryfast"}
            )
            video.width, video.height, video.pix_fmt = width, height, "yuv420p"
            video.thread_type = "AUTO"
            tick = 1 / rate  # not video.time_base: the muxer changes that once it starts
            for index, frame in enumerate(source.decode(stream)):
                picture = frame.reformat(width=width, height=height, format="yuv420p")
                picture.pts, picture.time_base = index, tick
                out.mux(video.encode(picture))
            out.mux(video.encode(None))


# --- helpers -------------------------------------------------------------------------


@contextmanager
def _opened(source: Source) -> Iterator[BinaryIO]:
    """A binary file at its start, for a path or an already open file; closes only what
    it opened itself."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fh:
            yield fh
    else:
        source.seek(0)
        yield source


def _container_family(format_name: str) -> str:
    names = format_name.split(",")
    if "mp4" in names or "mov" in names:
        return "mp4"
    if "webm" in names or "matroska" in names:
        return "webm"
    return names[0]


def _plain(exc: av.FFmpegError, *, decoding: bool = False) -> str:
    """FFmpeg's complaint in words a biologist follows, where we know them."""
    if isinstance(exc, av.error.InvalidDataError):
        if decoding:
            return "part of its video data is invalid"
        return "its contents are not in any video format we know"
    if isinstance(exc, av.error.DecoderNotFoundError):
        return "its video codec is not supported"
    if isinstance(exc, av.error.EOFError):
        return "it ends unexpectedly"
    return str(exc.strerror or exc).rstrip(".").lower()


def _file_size(size: int) -> str:
    if size >= 1024**3:
        return f"{size / 1024**3:.3g} GB"
    if size >= 1024**2:
        return f"{size / 1024**2:.3g} MB"
    return f"{size / 1024:.3g} KB"


def _clock(seconds: float) -> str:
    if seconds < 60:
        return f"{round(seconds, 1):g} s"
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}:{seconds:02d} min"
    return f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d} h"
