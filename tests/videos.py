"""Small test videos made with PyAV, in the formats the app must handle."""

from pathlib import Path

import av
import numpy as np


def make_video(
    path: Path,
    *,
    codec: str = "libx264",
    frames: int = 24,
    fps: int = 24,
    width: int = 64,
    height: int = 48,
    faststart: bool = True,
    shade: int = 0,
) -> Path:
    """A clip whose frames differ (a bar moving across a gradient) so that seeking
    lands on distinguishable frames; `shade` makes otherwise equal clips differ."""
    pix_fmt = {"mjpeg": "yuvj420p"}.get(codec, "yuv420p")
    options = {"movflags": "+faststart"} if faststart and path.suffix == ".mp4" else {}
    with av.open(str(path), "w", options=options) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        base = np.tile(np.linspace(0, 255, width, dtype=np.uint8), (height, 1))
        for i in range(frames):
            frame = np.stack([base, np.full_like(base, shade % 256), base[:, ::-1]], axis=-1)
            x = (i * width) // frames
            frame[:, x : x + max(2, width // 16)] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def scenes(seed: int, n: int = 4) -> list[np.ndarray]:
    """`n` blocky random pictures, each different from the others."""
    rng = np.random.default_rng(seed)
    return [
        np.kron(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8), np.ones((16, 16, 1), np.uint8))
        for _ in range(n)
    ]


def write_video(path: Path, pictures: list[np.ndarray], frames_each: int = 12, scale=1.0) -> Path:
    height, width = (int(s * scale) // 2 * 2 for s in pictures[0].shape[:2])
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for picture in pictures:
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(width, height)
            for _ in range(frames_each):
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
