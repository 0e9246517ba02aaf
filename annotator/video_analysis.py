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
from typing import BinaryIO

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
            f"the file is {_megabytes(size)}, above the limit of {_megabytes(limits.max_bytes)}"
        )
    with _opened(source) as fh:
        try:
            info, end_of_data = _probe(fh, size, limits)
            if end_of_data is not None and end_of_data > size:
                raise MediaRejected(
                    "the file is truncated or damaged: it ends after "
                    f"{min(99, round(100 * size / end_of_data))}% of its data"
                )
            stills = _decode_stills(
                fh,
                info.frame_count,
                filmstrip_frames=filmstrip_frames,
                tile_width=tile_width,
                poster_width=poster_width,
                judge_max_side=judge_max_side,
            )
        except av.error.DecoderNotFoundError as exc:
            raise MediaRejected(f"not a readable video file ({_plain(exc)})") from exc
        except av.FFmpegError as exc:
            raise MediaRejected(
                f"the file is truncated or damaged: {_plain(exc, decoding=True)}"
            ) from exc
    if stills.frames_read < info.frame_count:
        info.frame_count = stills.frames_read
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
    if info.codec == "h264":
        if family != "mp4":
            reasons.append(f"H.264 in {family.upper()} is not played by browsers (only in MP4)")
        if info.pix_fmt not in ("yuv420p", "yuvj420p"):
            reasons.append(f"pixel format {info.pix_fmt} is not played by all browsers")
        if family == "mp4" and info.faststart is False:
            reasons.append("MP4 without faststart: browsers cannot seek before it has loaded")
    elif info.codec in ("vp8", "vp9", "av1"):
        if family != "webm":
            reasons.append(f"{info.codec.upper()} in {family.upper()} is not played well")
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


def _probe(fh: BinaryIO, size: int, limits: Limits) -> tuple[VideoInfo, int | None]:
    """The stream description, checked against the limits before anything is decoded,
    and, for MP4/MOV, where the file's data should end."""
    try:
        container = av.open(fh, "r")
    except av.FFmpegError as exc:
        raise MediaRejected(f"not a readable video file ({_plain(exc)})") from exc
    with container:
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
        frames = stream.frames
        if not frames:
            # Containers such as WebM do not say; counting packets reads the file but
            # decodes nothing.
            frames = _count_packets(container, stream)
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
        fps = float(rate) if rate else (frames / duration if duration else 0.0)
        format_name = container.format.name
        info = VideoInfo(
            duration=duration,
            fps=fps,
            frame_count=frames,
            width=width,
            height=height,
            codec=ctx.name,
            bitrate=container.bit_rate or ctx.bit_rate or None,
            pix_fmt=ctx.pix_fmt or "",
            container=format_name,
            faststart=None,
        )
    end_of_data = None
    if _container_family(format_name) == "mp4":
        info.faststart, end_of_data = _mp4_layout(fh, size)
    return info, end_of_data


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
    top-level box headers alone, and where the last box says the file ends."""
    offset, moov_at, mdat_at = 0, None, None
    fh.seek(0)
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
    if moov_at is None or mdat_at is None:
        faststart = None if moov_at is None else True
    else:
        faststart = moov_at < mdat_at
    return faststart, offset


# --- decoding ------------------------------------------------------------------------


@dataclass
class _Stills:
    judge: list[bytes]
    poster: bytes
    filmstrip: bytes
    tile: tuple[int, int]
    frames_read: int


def _decode_stills(
    fh: BinaryIO,
    frame_count: int,
    *,
    filmstrip_frames: int,
    tile_width: int,
    poster_width: int,
    judge_max_side: int,
) -> _Stills:
    judge_at = judge_frame_positions(frame_count)
    strip_at = filmstrip_positions(frame_count, filmstrip_frames)
    poster_at = judge_at[2]
    last = max(*judge_at, *strip_at)

    fh.seek(0)
    with av.open(fh, "r") as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        ctx = stream.codec_context
        # Display size, so that non-square pixels come out with the right shape.
        sar = stream.sample_aspect_ratio or ctx.sample_aspect_ratio
        shown_width = ctx.width * float(sar) if sar else ctx.width
        aspect = shown_width / ctx.height
        judge_size = _fit(shown_width, ctx.height, judge_max_side)
        poster_size = (poster_width, max(2, round(poster_width / aspect)))
        tile = (tile_width, max(2, round(tile_width / aspect / 2) * 2))

        judge: dict[int, bytes] = {}
        tiles: dict[int, Image.Image] = {}
        poster = b""
        wanted_judge, wanted_strip = set(judge_at), set(strip_at)
        index = -1
        for index, frame in enumerate(container.decode(stream)):
            if index in wanted_judge:
                judge[index] = _jpeg(_rgb(frame, judge_size), 90)
            if index == poster_at:
                poster = _jpeg(_rgb(frame, poster_size), 85)
            if index in wanted_strip:
                tiles[index] = _rgb(frame, tile)
            if index >= last:
                break
        frames_read = index + 1

    if frames_read <= last:
        if frames_read == 0:
            raise MediaRejected("the file is damaged: none of its frames could be decoded")
        if frames_read < MIN_FRAME_SHARE * frame_count:
            raise MediaRejected(
                "the file is truncated or damaged: only "
                f"{frames_read} of its {frame_count} frames could be read"
            )
        # A few frames short of the promise: take the stills from the frames there are.
        return _decode_stills(
            fh,
            frames_read,
            filmstrip_frames=filmstrip_frames,
            tile_width=tile_width,
            poster_width=poster_width,
            judge_max_side=judge_max_side,
        )

    sprite = Image.new("RGB", (tile[0] * filmstrip_frames, tile[1]))
    for k, position in enumerate(strip_at):
        sprite.paste(tiles[position], (k * tile[0], 0))
    return _Stills(
        judge=[judge[position] for position in judge_at],
        poster=poster,
        filmstrip=_jpeg(sprite, 80),
        tile=tile,
        frames_read=frame_count,
    )


def _fit(width: float, height: int, max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _rgb(frame: av.VideoFrame, size: tuple[int, int]) -> Image.Image:
    # swscale scales and converts in one step, much faster than converting the full frame
    # and resizing in Pillow.
    return frame.reformat(width=size[0], height=size[1], format="rgb24").to_image()


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


# --- rendition -----------------------------------------------------------------------


def _encode_rendition(fh: BinaryIO, dest: str) -> None:
    with av.open(fh, "r") as source:
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


def _megabytes(size: int) -> str:
    return f"{size / 1024**2:,.0f} MB"


def _clock(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d} min" if seconds >= 60 else f"{seconds} s"
