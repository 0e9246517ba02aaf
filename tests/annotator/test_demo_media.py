"""Synthetic demo videos: valid, seekable H.264 MP4s that are deterministic per variant."""

import pathlib

import av
import numpy as np
import pytest

from annotator.demo.media import SCENES, iter_frames, render_video

WIDTH, HEIGHT, FPS, SECONDS = 96, 64, 12, 0.5
N_FRAMES = int(SECONDS * FPS)

SCENE_NAMES = [
    "blocked_artery",
    "capillary_flow",
    "mitosis",
    "chemotaxis",
    "vesicle_transport",
    "transcription",
]


def _render(tmp_path: pathlib.Path, scene: str, name: str, **kwargs: object) -> pathlib.Path:
    path = tmp_path / name
    options = {"seconds": SECONDS, "fps": FPS, "width": WIDTH, "height": HEIGHT} | kwargs
    render_video(path, scene, **options)  # type: ignore[arg-type]
    return path


def test_it_offers_exactly_the_documented_scenes() -> None:
    assert sorted(SCENES) == sorted(SCENE_NAMES)
    assert all(callable(fn) for fn in SCENES.values())


@pytest.mark.parametrize("scene", SCENE_NAMES)
def test_it_renders_a_seekable_h264_video_of_the_requested_shape(
    tmp_path: pathlib.Path, scene: str
) -> None:
    path = _render(tmp_path, scene, "clip.mp4")

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = list(container.decode(stream))
    assert len(frames) == N_FRAMES
    assert {(f.width, f.height) for f in frames} == {(WIDTH, HEIGHT)}
    assert {f.format.name for f in frames} == {"yuv420p"}

    data = path.read_bytes()
    assert data.find(b"moov") != -1 and data.find(b"mdat") != -1
    assert data.find(b"moov") < data.find(b"mdat")  # faststart: index before the media data
    assert not list(tmp_path.glob(".*.part")), "temporary file left behind"


@pytest.mark.parametrize("scene", SCENE_NAMES)
def test_it_is_deterministic_and_variants_differ(tmp_path: pathlib.Path, scene: str) -> None:
    first = _render(tmp_path, scene, "a.mp4", variant=0, seed=3).read_bytes()
    again = _render(tmp_path, scene, "b.mp4", variant=0, seed=3).read_bytes()
    assert first == again

    variants = {
        _render(tmp_path, scene, f"v{v}.mp4", variant=v, seed=3).read_bytes() for v in range(3)
    }
    assert len(variants) == 3


@pytest.mark.parametrize("scene", SCENE_NAMES)
def test_it_draws_moving_frames_of_the_right_shape(scene: str) -> None:
    frames = list(iter_frames(scene, seconds=0.5, fps=8, width=80, height=60))
    assert len(frames) == 4
    for frame in frames:
        assert frame.shape == (60, 80, 3)
        assert frame.dtype == np.uint8
        assert frame.std() > 5  # a scene, not a flat colour
    assert not np.array_equal(frames[0], frames[-1])  # something moves


def test_it_rejects_odd_sizes_unknown_scenes_and_empty_clips(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ValueError, match="even"):
        render_video(tmp_path / "odd.mp4", "mitosis", width=95, height=64)
    with pytest.raises(ValueError, match="unknown scene"):
        render_video(tmp_path / "nope.mp4", "teleportation")
    with pytest.raises(ValueError, match="frame"):
        render_video(tmp_path / "empty.mp4", "mitosis", seconds=0.01, fps=24)
    assert not list(tmp_path.iterdir())
