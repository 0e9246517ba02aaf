"""Times export_dataset over 10,000 accepted clips with two decisions each (rows
bulk-created; the manifest and JSONL need no files), on SQLite and, when it answers,
PostgreSQL.

    .venv/bin/python bench/dataset_export.py [--postgres postgres://postgres@127.0.0.1:5432/test]

On PostgreSQL it works in a database of its own (mwa_bench_export), made anew each run.

Target (issue 6): the manifest <= 2 s on each database; JSONL and CSV are reported."""

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from databases import django_on, results_per_database

ROOT = Path(__file__).resolve().parents[1]
CLIPS = 10_000
REPEATS = 3


def populate(clips: int, as_of: datetime) -> None:
    from annotator.models import ClipDecision, User, Video
    from annotator.models.choices import ClipStatus, Decision, VideoKind
    from rubrics_app.choices import Level

    users = [User.objects.create(username=f"expert{n}") for n in range(4)]
    Video.objects.bulk_create(
        (
            Video(
                kind=VideoKind.DATASET,
                file=f"videos/{n % 256:02x}/{n:064x}.mp4",
                external_id=f"clip{n:06d}",
                caption=f"Draft caption of clip {n}. " * 3,
                source_ref=f"https://example.org/source/{n // 10}",
                extra={"title": f"Source {n // 10}", "start": n % 10 * 5.0},
                clip_status=ClipStatus.ACCEPTED,
                final_caption=f"Verified caption of clip {n}, a cell dividing. " * 3,
                final_level=Level.CELLULAR,
                decided_at=as_of - timedelta(minutes=n % 600),
            )
            for n in range(clips)
        ),
        batch_size=1000,
    )
    ClipDecision.objects.bulk_create(
        (
            ClipDecision(
                video_id=pk,
                user=users[(i + k) % len(users)],
                decision=Decision.ACCEPT,
                reasons=[] if k else ["blurry"],
                caption=f"Caption {pk} by expert {k}",
                level=Level.CELLULAR,
                seconds=20.0 + k,
            )
            for i, pk in enumerate(Video.objects.values_list("pk", flat=True))
            for k in range(2)
        ),
        batch_size=1000,
    )


def run_one(database_url: str) -> dict:
    """In a child process: a fresh database, then the timings."""
    django_on(database_url)
    from django.core.management import call_command

    as_of = datetime.now(UTC).replace(microsecond=0)
    populate(CLIPS, as_of)
    timings: dict[str, list[float]] = {}
    sizes = {}
    null = open(os.devnull, "w")  # noqa: SIM115
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(REPEATS):
            for fmt in ("manifest", "jsonl", "csv"):
                out = Path(tmp) / f"export.{fmt}"
                start = time.perf_counter()
                call_command(
                    "export_dataset",
                    f"--format={fmt}",
                    f"--as-of={as_of.isoformat()}",
                    f"--out={out}",
                    stdout=null,
                )
                timings.setdefault(fmt, []).append(time.perf_counter() - start)
                sizes[fmt] = out.stat().st_size
    return {
        "timings": {fmt: min(seconds) for fmt, seconds in timings.items()},
        "sizes": sizes,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(args.run)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{CLIPS:,} accepted clips, 2 decisions each; best of {REPEATS} runs")
        for name, result in results_per_database(__file__, tmp, "mwa_bench_export", args.postgres):
            print(f"{name}:")
            for fmt, seconds in result["timings"].items():
                size = result["sizes"][fmt] / 1e6
                print(f"  {fmt:10} {seconds * 1000:8.0f} ms  {size:6.1f} MB")


if __name__ == "__main__":
    main()
