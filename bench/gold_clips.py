"""Times the synthetic gold copies (annotator/gold_video.py) of generated 5-second
854x480 H.264 clips, each defect on its own: decode, spoil, encode.

    .venv/bin/python bench/gold_clips.py [--clips 3]

No target in the issue; the figure says what a gold job costs the media workers beside
processing the same clip (bench/media_pipeline.py)."""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")
import django  # noqa: E402

django.setup()  # the defects are the models' choices

from media_pipeline import FPS, HEIGHT, SECONDS, WIDTH, make_clip  # noqa: E402

from annotator.gold_video import SPOIL, gold_video_write  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.clips} clips of {SECONDS} s, {WIDTH}x{HEIGHT} at {FPS} fps")
    with tempfile.TemporaryDirectory() as tmp:
        clips = [make_clip(Path(tmp) / f"clip{k}.mp4", seed=k) for k in range(args.clips)]
        for defect in SPOIL:
            seconds = []
            for k, clip in enumerate(clips):
                start = time.perf_counter()
                gold_video_write(
                    clip,
                    Path(tmp) / "copy.mp4",
                    defect,
                    seed=k,
                    max_frames=1800,
                    follow_source=False,
                )
                seconds.append(time.perf_counter() - start)
            print(f"  {defect}: median {statistics.median(seconds):.2f} s a copy")


if __name__ == "__main__":
    main()
