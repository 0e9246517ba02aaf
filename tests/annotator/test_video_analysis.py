import io
import random

import av
import numpy as np
import pytest
from PIL import Image

from annotator.video_analysis import (
    JUDGE_FRAMES,
    Analysis,
    Limits,
    MediaRejected,
    VideoInfo,
    analyse,
    judge_frame_positions,
    make_rendition,
    rendition_reason,
)
from tests.videos import make_video

FORMATS = {
    "h264": ("clip.mp4", "libx264"),
    "vp9": ("clip.webm", "libvpx-vp9"),
    "mjpeg": ("clip.avi", "mjpeg"),
}


def video(tmp_path, kind="h264", name=None, **options):
    filename, codec = FORMATS[kind]
    return make_video(tmp_path / (name or filename), codec=codec, **options)


def run(path, **options) -> Analysis:
    return analyse(path, size=path.stat().st_size, **options)


def rejection(path, **options) -> str:
    with pytest.raises(MediaRejected) as info:
        run(path, **options)
    return str(info.value)


def image(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    assert picture.format == "JPEG"
    return picture.convert("RGB")


def cut(path, share: float):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * share)])
    return path


def audio_only(path):
    """A second of silence in AAC: a real media file with no picture."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=44100)
        for n in range(44):
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, 1024), dtype=np.float32), format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts = 44100, n * 1024
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def bar_left_edge(picture: Image.Image) -> int:
    """Where the white bar of tests.videos.make_video starts: the only place with green."""
    green = np.asarray(picture)[:, :, 1].mean(axis=0)
    return int(np.flatnonzero(green > 128)[0])


# --- judge frame positions -----------------------------------------------------------


def test_it_places_the_judge_frames_in_the_middle_of_eight_slices():
    assert judge_frame_positions(240) == [15, 45, 75, 105, 135, 165, 195, 225]


def test_it_takes_every_frame_of_an_eight_frame_clip():
    assert judge_frame_positions(8) == [0, 1, 2, 3, 4, 5, 6, 7]


def test_it_repeats_frames_of_a_clip_shorter_than_eight_frames():
    assert judge_frame_positions(3) == [0, 0, 0, 1, 1, 2, 2, 2]
    assert judge_frame_positions(1) == [0] * JUDGE_FRAMES


def test_it_refuses_positions_for_no_frames():
    with pytest.raises(ValueError):
        judge_frame_positions(0)


# --- formats -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "faststart", "container", "expected_faststart", "pix_fmt"),
    [
        ("h264", True, "mov,mp4,m4a,3gp,3g2,mj2", True, "yuv420p"),
        ("h264", False, "mov,mp4,m4a,3gp,3g2,mj2", False, "yuv420p"),
        ("vp9", True, "matroska,webm", None, "yuv420p"),
        ("mjpeg", True, "avi", None, "yuvj420p"),
    ],
)
def test_it_analyses_each_format(tmp_path, kind, faststart, container, expected_faststart, pix_fmt):
    path = video(tmp_path, kind, frames=36, fps=12, width=96, height=64, faststart=faststart)

    result = run(path, filmstrip_frames=6, tile_width=48, poster_width=640)

    info = result.info
    assert info.codec == kind
    assert info.container == container
    assert info.faststart is expected_faststart
    assert info.pix_fmt == pix_fmt
    assert info.frame_count == 36  # counted for WebM, which does not say
    assert info.fps == 12
    assert info.duration == pytest.approx(3, abs=0.1)
    assert (info.width, info.height) == (96, 64)
    assert info.bitrate and info.bitrate > 0
    assert len(result.judge_frames) == JUDGE_FRAMES
    assert all(image(jpeg).size == (96, 64) for jpeg in result.judge_frames)
    assert image(result.poster).size == (96, 64)  # never upscaled
    assert result.filmstrip_frames == 6
    assert result.filmstrip_tile == (48, 32)
    assert image(result.filmstrip).size == (6 * 48, 32)


@pytest.mark.parametrize("kind", ["h264", "vp9", "mjpeg"])
def test_it_takes_the_judge_frames_at_the_published_positions(tmp_path, kind):
    frames, width = 40, 320  # the bar moves 8 pixels a frame
    path = video(tmp_path, kind, frames=frames, width=width, height=48)

    result = run(path)

    positions = judge_frame_positions(frames)
    found = [bar_left_edge(image(jpeg)) for jpeg in result.judge_frames]
    expected = [position * width // frames for position in positions]
    assert found == pytest.approx(expected, abs=2)
    assert bar_left_edge(image(result.poster)) == pytest.approx(expected[2], abs=2)


def test_it_lays_the_filmstrip_out_left_to_right_in_time(tmp_path):
    frames, width = 40, 320
    path = video(tmp_path, frames=frames, width=width, height=48)

    result = run(path, filmstrip_frames=4, tile_width=320)

    sprite = np.asarray(image(result.filmstrip))
    assert result.filmstrip_tile == (320, 48)
    for k in range(4):
        tile = Image.fromarray(sprite[:, k * 320 : (k + 1) * 320])
        position = int((k + 0.5) * frames / 4)
        assert bar_left_edge(tile) == pytest.approx(position * width // frames, abs=2)


def test_it_scales_the_judge_frames_down_to_the_longest_side_allowed(tmp_path):
    path = video(tmp_path, frames=10, width=320, height=240)

    result = run(path, judge_max_side=100)

    assert {image(jpeg).size for jpeg in result.judge_frames} == {(100, 75)}


def test_it_keeps_the_stills_of_a_very_tall_video_a_sensible_size(tmp_path):
    path = video(tmp_path, frames=4, width=16, height=1024)

    result = run(path)

    assert image(result.poster).size == (16, 1024)
    assert result.filmstrip_tile == (10, 640)
    assert image(result.filmstrip).size == (100, 640)
    assert {image(jpeg).size for jpeg in result.judge_frames} == {(16, 1024)}


def test_it_reads_an_open_file_as_it_reads_a_path(tmp_path):
    path = video(tmp_path, "vp9", frames=20)

    with path.open("rb") as fh:
        from_file = analyse(fh, size=path.stat().st_size)

    assert from_file == run(path)


def test_it_reads_a_clip_of_fewer_frames_than_judge_frames(tmp_path):
    path = video(tmp_path, frames=3, width=64, height=48)

    result = run(path)

    assert result.info.frame_count == 3
    assert len(result.judge_frames) == JUDGE_FRAMES
    assert result.judge_frames[0] == result.judge_frames[2]


# --- renditions ----------------------------------------------------------------------


def test_it_needs_no_rendition_for_h264_with_faststart_or_vp9(tmp_path):
    assert run(video(tmp_path, "h264")).rendition_reason == ""
    assert run(video(tmp_path, "vp9")).rendition_reason == ""


def test_it_says_why_mjpeg_needs_a_rendition(tmp_path):
    assert run(video(tmp_path, "mjpeg")).rendition_reason == (
        "codec mjpeg is not played by browsers"
    )


def test_it_says_why_an_mp4_without_faststart_needs_a_rendition(tmp_path):
    result = run(video(tmp_path, "h264", faststart=False))

    assert result.rendition_reason == (
        "MP4 without faststart: browsers cannot seek before it has loaded"
    )


def test_it_says_why_h264_outside_mp4_needs_a_rendition(tmp_path):
    path = make_video(tmp_path / "clip.avi", codec="libx264")

    assert run(path).rendition_reason == "H.264 in AVI is not played by all browsers"


def mp4_info(**changes) -> VideoInfo:
    fields = {
        "duration": 10.0,
        "fps": 24.0,
        "frame_count": 240,
        "width": 1920,
        "height": 1080,
        "codec": "h264",
        "bitrate": 8_000_000,
        "pix_fmt": "yuv420p",
        "container": "mov,mp4,m4a,3gp,3g2,mj2",
        "faststart": True,
    }
    return VideoInfo(**{**fields, **changes})


def test_it_says_why_a_heavy_or_unusual_h264_needs_a_rendition():
    assert rendition_reason(mp4_info()) == ""
    assert rendition_reason(mp4_info(bitrate=20_000_000)) == ""
    assert rendition_reason(mp4_info(bitrate=45_000_000)) == (
        "bitrate 45 Mbit/s is too high to stream"
    )
    assert rendition_reason(mp4_info(bitrate=None), size=50_000_000) == (
        "bitrate 40 Mbit/s is too high to stream"
    )
    assert rendition_reason(mp4_info(pix_fmt="yuv444p")) == (
        "pixel format yuv444p is not played by all browsers"
    )


@pytest.mark.parametrize("kind", ["mjpeg", "vp9"])
def test_it_makes_a_rendition_browsers_play(tmp_path, kind):
    source = video(tmp_path, kind, frames=30, width=66, height=50)
    dest = tmp_path / "out" / "rendition.mp4"
    dest.parent.mkdir()

    make_rendition(source, dest)

    result = run(dest)
    info = result.info
    assert (info.codec, info.pix_fmt, info.faststart) == ("h264", "yuv420p", True)
    assert info.frame_count == 30
    assert info.fps == 24
    assert (info.width, info.height) == (66, 50)
    assert result.rendition_reason == ""
    assert [p.name for p in dest.parent.iterdir()] == ["rendition.mp4"]


def test_it_rounds_odd_dimensions_down_for_the_rendition(tmp_path):
    source = make_video(tmp_path / "odd.avi", codec="mjpeg", frames=6, width=65, height=49)

    make_rendition(source, tmp_path / "rendition.mp4")

    info = run(tmp_path / "rendition.mp4").info
    assert (info.width, info.height) == (64, 48)


def test_it_leaves_nothing_behind_when_a_rendition_fails(tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    dest = tmp_path / "out" / "rendition.mp4"
    dest.parent.mkdir()

    with pytest.raises(MediaRejected):
        make_rendition(text, dest)

    assert list(dest.parent.iterdir()) == []


# --- hostile files -------------------------------------------------------------------


def test_it_rejects_an_empty_file(tmp_path):
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")

    assert rejection(path) == "the file is empty (0 bytes)"


def test_it_rejects_a_file_above_the_size_limit(tmp_path):
    path = video(tmp_path)

    message = rejection(path, limits=Limits(max_bytes=1024))

    assert message.startswith("the file is ")
    assert "above the limit of" in message


def test_it_rejects_a_renamed_text_file(tmp_path):
    path = tmp_path / "clip.mp4"
    path.write_text("Sample 12, slide 3: Paramecium, 40x.\n" * 50)

    assert rejection(path).startswith("not a readable video file (")


def test_it_rejects_a_truncated_mp4(tmp_path):
    path = cut(video(tmp_path, frames=48, width=320, height=240), 0.6)

    assert rejection(path) == "the file is truncated or damaged: it ends after 60% of its data"


def test_it_rejects_a_truncated_mp4_without_faststart(tmp_path):
    path = cut(video(tmp_path, frames=48, width=320, height=240, faststart=False), 0.6)

    assert rejection(path).startswith("the file is truncated or damaged")


def test_it_rejects_a_truncated_webm(tmp_path):
    path = cut(video(tmp_path, "vp9", frames=48, width=320, height=240), 0.6)

    assert rejection(path).startswith("the file is truncated or damaged")


def test_it_rejects_a_truncated_avi_whose_frames_run_out(tmp_path):
    path = cut(video(tmp_path, "mjpeg", frames=48, width=320, height=240), 0.6)

    message = rejection(path)

    assert message.startswith("the file is truncated or damaged: only ")
    assert message.endswith(" of its 48 frames could be read")


def test_it_rejects_absurd_dimensions_before_decoding(tmp_path):
    path = make_video(tmp_path / "tall.mp4", frames=2, width=16, height=4160)

    message = rejection(path, limits=Limits(max_height=4096))

    assert message == "the video is 16 x 4160 pixels, above the limit of 4096 x 4096"


def test_it_rejects_a_file_with_no_video_track(tmp_path):
    path = audio_only(tmp_path / "sound.m4a")

    assert rejection(path) == "the file has no video track"


def test_it_rejects_a_video_longer_than_the_limit(tmp_path):
    path = video(tmp_path, "vp9", frames=48)  # 2 s

    message = rejection(path, limits=Limits(max_seconds=1.5))

    assert message == "the video lasts 2 s, above the limit of 1.5 s"


@pytest.mark.parametrize("kind", ["h264", "vp9", "mjpeg"])
def test_it_raises_nothing_but_media_rejected_for_scrambled_files(tmp_path, kind):
    data = bytearray(video(tmp_path, kind, frames=24, width=96, height=64).read_bytes())
    rng = random.Random(kind)
    for n in range(12):
        scrambled = bytearray(data)
        start = rng.randrange(len(data))
        scrambled[start : start + 64] = rng.randbytes(64)
        path = tmp_path / f"scrambled{n}{FORMATS[kind][0][4:]}"
        path.write_bytes(bytes(scrambled))
        try:
            result = run(path)
        except MediaRejected:
            continue
        assert len(result.judge_frames) == JUDGE_FRAMES
