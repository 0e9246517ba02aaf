"""Known-bad copies of a clip, made with PyAV: the defects experts reject clips for,
put in on purpose so that gold items show whether a defect is caught. The copy keeps
the clip's size, frame rate and length, and is served as the clip is: a clip played
as uploaded gets a copy in its container and codec with its sound track (copied
unchanged); a clip served through a rendition (H.264 MP4 without sound, see
video_analysis.make_rendition) gets a copy of that shape. Nothing but the defect
tells the copy from a candidate."""

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
import numpy as np
from av.video.stream import VideoStream
from PIL import Image, ImageDraw, ImageFont

from annotator.models.choices import GoldDefect

MIN_FRAMES = 12  # fewer and a shuffle or a freeze is not told from a short clip
FROZEN_SHARE = 0.8  # of the frames: "frozen for most of its length"
BORDER_SHARE = 0.14  # of each side's length, black
# What burned-in text on the clips of such sets looks like: credits and subtitles.
BURNED_TEXTS = (
    "© Cell Biology Animations",
    "Figure 2. Mitosis, prophase",
    "www.bioanimations.example",
    "Subtitles: the membrane folds inward",
)


class GoldVideoError(Exception):
    """The clip cannot give a gold copy (too short, unreadable): the reason, in words."""


Frames = list[np.ndarray]  # RGB, height x width x 3


def _reversed(frames: Frames, seed: int) -> Frames:
    return frames[::-1]


def _frozen(frames: Frames, seed: int) -> Frames:
    moving = max(1, round(len(frames) * (1 - FROZEN_SHARE)))
    return frames[:moving] + [frames[moving - 1]] * (len(frames) - moving)


def _shuffled(frames: Frames, seed: int) -> Frames:
    # Thirds in the order 2, 1, 3: both joins are cuts, whatever the clip shows.
    third = len(frames) // 3
    return frames[third : 2 * third] + frames[:third] + frames[2 * third :]


def _borders(frames: Frames, seed: int) -> Frames:
    height, width = frames[0].shape[:2]
    dy, dx = round(height * BORDER_SHARE), round(width * BORDER_SHARE)
    inner = (width - 2 * dx, height - 2 * dy)
    out = []
    for frame in frames:
        canvas = np.zeros_like(frame)
        canvas[dy : dy + inner[1], dx : dx + inner[0]] = np.asarray(
            Image.fromarray(frame).resize(inner, Image.Resampling.BILINEAR)
        )
        out.append(canvas)
    return out


def _text(frames: Frames, seed: int) -> Frames:
    height, width = frames[0].shape[:2]
    text = BURNED_TEXTS[seed % len(BURNED_TEXTS)]
    font = ImageFont.load_default(size=max(8, height // 12))
    out = []
    for frame in frames:
        image = Image.fromarray(frame)
        draw = ImageDraw.Draw(image)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        x = max(2, (width - (right - left)) // 2)
        y = height - (bottom - top) - max(4, height // 16)
        draw.rectangle((x - 3, y - 2, x + right - left + 3, y + bottom + 2), fill=(0, 0, 0))
        draw.text((x, y - top), text, font=font, fill=(255, 255, 255))
        out.append(np.asarray(image))
    return out


SPOIL: dict[str, Callable[[Frames, int], Frames]] = {
    GoldDefect.REVERSED: _reversed,
    GoldDefect.FROZEN: _frozen,
    GoldDefect.SHUFFLED: _shuffled,
    GoldDefect.BORDERS: _borders,
    GoldDefect.TEXT: _text,
}


def _decoded(source: Path, max_frames: int) -> tuple[Frames, Fraction]:
    try:
        with av.open(str(source)) as container:
            if not container.streams.video:
                raise GoldVideoError("the clip has no video track")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            rate = Fraction(stream.average_rate or stream.guessed_rate or 25)
            width, height = stream.codec_context.width, stream.codec_context.height
            # Even sides: what yuv420p (and so every browser's H.264) needs.
            width, height = max(2, width // 2 * 2), max(2, height // 2 * 2)
            frames: Frames = []
            for frame in container.decode(stream):
                if len(frames) == max_frames:
                    raise GoldVideoError(
                        f"the clip is longer than {max_frames} frames "
                        "(GOLD_MAX_FRAMES): too long to copy in memory"
                    )
                frames.append(frame.reformat(width, height, "rgb24").to_ndarray())
    except av.FFmpegError as exc:
        raise GoldVideoError(f"the clip could not be decoded: {exc}") from exc
    if len(frames) < MIN_FRAMES:
        raise GoldVideoError(f"the clip has {len(frames)} frames; a gold copy needs {MIN_FRAMES}")
    return frames, rate.limit_denominator(1001)


# The containers a copy can follow (by file extension) and, per source codec, the
# encoder writing the same codec with its options: fast, visually close to the source.
CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".webm": "webm", ".mkv": "matroska"}
ENCODERS: dict[str, tuple[str, dict[str, str]]] = {
    "h264": ("libx264", {"crf": "20", "preset": "veryfast"}),
    "hevc": ("libx265", {"crf": "24", "preset": "veryfast"}),
    "vp8": ("libvpx", {"crf": "10", "b": "2M", "deadline": "realtime", "cpu-used": "8"}),
    "vp9": ("libvpx-vp9", {"crf": "32", "b": "0", "deadline": "realtime", "cpu-used": "8"}),
    "av1": ("libsvtav1", {"crf": "35", "preset": "10"}),
}
RENDITION = (".mp4", "h264")  # what a clip with a rendition is served as, without sound


def gold_suffix(name: str, *, follow_source: bool) -> str:
    """The file extension of the copy of a clip uploaded as `name`."""
    suffix = Path(name).suffix.lower()
    return suffix if follow_source and suffix in CONTAINERS else RENDITION[0]


def _encode(frames: Frames, rate: Fraction, dest: Path, source: Path, follow: bool) -> None:
    """The frames as `dest` (its extension names the container); with `follow`, in the
    source's codec and with the source's sound track copied packet by packet."""
    height, width = frames[0].shape[:2]
    with av.open(str(source)) as clip:
        codec = clip.streams.video[0].codec_context.name if follow else RENDITION[1]
        sound = clip.streams.audio[0] if follow and clip.streams.audio else None
        encoder, options = ENCODERS.get(codec, ENCODERS[RENDITION[1]])
        format_ = CONTAINERS.get(dest.suffix.lower(), "mp4")
        muxing = {"movflags": "+faststart"} if format_ in ("mp4", "mov") else {}
        with av.open(str(dest), "w", format=format_, options=muxing) as out:
            stream = cast(VideoStream, out.add_stream(encoder, rate=rate, options=options))
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            track = out.add_stream_from_template(sound) if sound is not None else None
            tick = 1 / rate
            for index, picture in enumerate(frames):
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgb24")
                frame.pts, frame.time_base = index, tick
                out.mux(stream.encode(frame.reformat(format="yuv420p")))
            out.mux(stream.encode(None))
            if track is not None:
                for packet in clip.demux(sound):
                    if packet.dts is not None:  # the demuxer's last, empty packet
                        packet.stream = track
                        out.mux(packet)


def gold_video_write(
    source: Path, dest: Path, defect: str, *, seed: int, max_frames: int, follow_source: bool
) -> None:
    """Writes to `dest` (named by gold_suffix) the clip at `source` spoiled by `defect`;
    `seed` picks among a defect's forms (which text); `follow_source` when the clip is
    served as uploaded (no rendition). Raises GoldVideoError saying why it cannot."""
    if defect not in SPOIL:
        raise GoldVideoError(f"no such defect: {defect}")
    frames, rate = _decoded(source, max_frames)
    try:
        _encode(SPOIL[defect](frames, seed), rate, dest, source, follow_source)
    except av.FFmpegError as exc:
        raise GoldVideoError(f"the copy could not be encoded: {exc}") from exc
