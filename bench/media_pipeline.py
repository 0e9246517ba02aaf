"""Times annotator.video_analysis.analyse on generated 5-second 854x480 H.264 clips.

    .venv/bin/python bench/media_pipeline.py [--clips 10] [--throughput 100]

Ratio: analyse() against a bare PyAV loop that decodes the same frames (open, decode
up to the last frame analyse needs, convert nothing), both with the same decoder
threading, alternating on each clip, best of 3 each. Throughput: analyse() plus writing
the poster, the filmstrip and the judge JPEGs, in a pool of 2 processes.

Targets (issue 3): ratio <= 1.5, throughput >= 2 clips/s."""

import argparse
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.video_analysis import (  # noqa: E402
    analyse,
    filmstrip_positions,
    judge_frame_positions,
)

WIDTH, HEIGHT, FPS, SECONDS = 854, 480, 24, 5
BITRATE = 1_500_000
REPEATS = 3


def make_clip(path: Path, seed: int) -> Path:
    """A slowly panning textured background (a stand-in for a microscope field), a dozen
    drifting blobs and a little sensor noise, so the encoder has real work to do."""
    rng = np.random.default_rng(seed)
    texture = rng.normal(128, 40, (HEIGHT // 8 + 40, WIDTH // 8 + 40)).clip(0, 255)
    texture = np.kron(texture, np.ones((8, 8)))  # blocky, then softened below
    texture = (texture + np.roll(texture, 4, 0) + np.roll(texture, 4, 1)) / 3
    noise = [rng.normal(0, 6, (HEIGHT, WIDTH)) for _ in range(6)]
    blobs = rng.uniform([0, 0, -6, -4, 12], [WIDTH, HEIGHT, 6, 4, 40], (12, 5))
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.bit_rate = BITRATE
        for i in range(FPS * SECONDS):
            dx, dy = i % 300, (i // 2) % 300
            dx, dy = dx if dx < 150 else 300 - dx, dy if dy < 150 else 300 - dy
            luma = texture[dy // 2 : dy // 2 + HEIGHT, dx : dx + WIDTH] + noise[i % len(noise)]
            for x, y, vx, vy, r in blobs:
                cx, cy = int((x + vx * i) % WIDTH), int((y + vy * i) % HEIGHT)
                r = int(r)
                top, left = max(0, cy - r), max(0, cx - r)
                window = luma[top : cy + r, left : cx + r]  # drawn in its box, not the frame
                h, w = window.shape
                yy, xx = np.ogrid[top - cy : top - cy + h, left - cx : left - cx + w]
                window[xx * xx + yy * yy < r * r] = 235
            luma = luma.clip(0, 255).astype(np.uint8)
            rgb = np.stack([luma, luma, (luma * 0.8 + 40).astype(np.uint8)], axis=-1)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def bare_decode(path: Path, thread_type: str = "AUTO") -> int:
    """Decodes what analyse() needs and nothing else: no conversion, no encoding."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = thread_type
        frames = stream.frames
        last = max(*judge_frame_positions(frames), *filmstrip_positions(frames, 10))
        for index, _frame in enumerate(container.decode(stream)):
            if index >= last:
                return index + 1
    return 0


def run_analyse(path: Path) -> None:
    analyse(path, size=path.stat().st_size)


def best_of(fn, *args) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - start)
    return best


def process_one(args: tuple[Path, Path]) -> None:
    """What the Celery task does with one clip, minus the database."""
    path, out = args
    result = analyse(path, size=path.stat().st_size)
    out.mkdir()
    (out / "poster.jpg").write_bytes(result.poster)
    (out / "filmstrip.jpg").write_bytes(result.filmstrip)
    for k, jpeg in enumerate(result.judge_frames):
        (out / f"judge_{k}.jpg").write_bytes(jpeg)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=10)
    parser.add_argument("--throughput", type=int, default=100)
    args = parser.parse_args()

    print(f"PyAV {av.__version__}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        start = time.perf_counter()
        clips = [make_clip(tmp / f"clip{n:02d}.mp4", seed=n) for n in range(args.clips)]
        sizes = [clip.stat().st_size for clip in clips]
        mbits = statistics.mean(sizes) * 8 / SECONDS / 1e6
        print(
            f"{len(clips)} clips of {SECONDS} s, {WIDTH}x{HEIGHT} H.264 at {FPS} fps, "
            f"{mbits:.2f} Mbit/s on average (made in {time.perf_counter() - start:.1f} s)"
        )

        for clip in clips:  # warm the page cache and the libraries
            bare_decode(clip)
            run_analyse(clip)
        bare, bare_single, full = [], [], []
        for clip in clips:
            bare.append(best_of(bare_decode, clip))
            full.append(best_of(run_analyse, clip))
            bare_single.append(best_of(bare_decode, clip, "NONE"))
        per_clip = statistics.median(f / b for f, b in zip(full, bare, strict=True))
        print(
            f"bare decode (threads AUTO) median {statistics.median(bare) * 1000:6.1f} ms\n"
            f"bare decode (one thread)   median {statistics.median(bare_single) * 1000:6.1f} ms\n"
            f"analyse()                  median {statistics.median(full) * 1000:6.1f} ms\n"
            f"ratio analyse / bare: {statistics.median(full) / statistics.median(bare):.2f} "
            f"(median of per-clip ratios {per_clip:.2f}; target <= 1.5)"
        )

        jobs = []
        for n in range(args.throughput):
            # Copies of the generated clips: making 100 distinct ones would take longer
            # than the measurement, and they are alike anyway.
            copy = tmp / f"copy{n:03d}.mp4"
            shutil.copyfile(clips[n % len(clips)], copy)
            jobs.append((copy, tmp / f"out{n:03d}"))
        start = time.perf_counter()
        with multiprocessing.get_context("fork").Pool(2) as pool:
            for _ in pool.imap_unordered(process_one, jobs):
                pass
        elapsed = time.perf_counter() - start
        print(
            f"throughput: {len(jobs)} clips in {elapsed:.1f} s with 2 processes, "
            f"{len(jobs) / elapsed:.1f} clips/s (target >= 2)"
        )


if __name__ == "__main__":
    main()
