"""The media pipeline end to end: 100 distinct 5-second 854x480 H.264 clips stored as
dataset candidates, processed by a real Celery worker with 2 processes (prefork,
--concurrency 2) through Redis, recording into PostgreSQL; prints clips per second
from the first enqueue to the last video ready.

    .venv/bin/python bench/media_worker.py [--clips 100]

Needs PostgreSQL and Redis on 127.0.0.1 (as bin/test uses them). Target (issue 3):
at least 2 clips/s."""

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def distinct_copy(source: Path, dest: Path, n: int) -> None:
    """The same clip with a trailing MP4 'free' box holding n: a valid file whose sha256
    differs, so it is not taken for a duplicate."""
    shutil.copyfile(source, dest)
    payload = f"copy {n}".encode()
    with open(dest, "ab") as fh:
        fh.write(struct.pack(">I4s", 8 + len(payload), b"free") + payload)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=100)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()

    import media_pipeline
    from databases import fresh_postgres_database

    database_url = fresh_postgres_database(args.postgres, "mwa_bench_media")
    with tempfile.TemporaryDirectory() as var:
        env = {**os.environ, "VAR_DIR": var, "DATABASE_URL": database_url, "REDIS_URL": args.redis}
        os.environ.update(env)
        import django
        import redis

        redis.Redis.from_url(args.redis).flushdb()
        os.environ["DJANGO_SETTINGS_MODULE"] = "annotator.settings"
        django.setup()
        from django.core.management import call_command

        from annotator.models import Video
        from annotator.models.choices import MediaStatus
        from annotator.services.videos import dataset_clip_create

        call_command("migrate", verbosity=0)
        clips = Path(var) / "clips"
        clips.mkdir()
        originals = [media_pipeline.make_clip(clips / f"seed{s}.mp4", s) for s in range(10)]
        paths = []
        for n in range(args.clips):
            paths.append(clips / f"clip{n:03d}.mp4")
            distinct_copy(originals[n % len(originals)], paths[-1], n)
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "annotator",
                "worker",
                "--concurrency",
                "2",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            time.sleep(5)  # let the worker connect: its start-up is not the pipeline
            start = time.perf_counter()
            for path in paths:
                dataset_clip_create(path=path)
            stored = time.perf_counter() - start
            pending = Video.objects.exclude(
                media_status__in=[MediaStatus.READY, MediaStatus.FAILED]
            )
            while pending.exists():
                time.sleep(0.05)
            elapsed = time.perf_counter() - start
        finally:
            worker.terminate()
            worker.wait()
        failed = Video.objects.filter(media_status=MediaStatus.FAILED).count()
        print(
            f"{args.clips} clips of 5 s 854x480 H.264, real worker, --concurrency 2, Redis, "
            f"PostgreSQL"
        )
        print(f"storing them (sha256, copy, enqueue): {stored:.1f} s")
        print(
            f"all processed after {elapsed:.1f} s: {args.clips / elapsed:.1f} clips/s "
            f"(target >= 2); {failed} failed"
        )


if __name__ == "__main__":
    main()
