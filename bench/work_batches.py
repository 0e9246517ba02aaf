"""Work management at the published scale (issue 8 targets, SQLite and PostgreSQL):
creating a batch of 12,000 candidate clips with overlap 3 among 6 annotators (36,000
assignments, with their audit history) in at most 5 s; the batch's dashboard, two
thirds answered, in at most 300 ms with a constant number of queries (through the
whole Django stack).

    .venv/bin/python bench/work_batches.py [--clips 12000]"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def run(url: str, clips: int) -> dict:
    from databases import django_on

    django_on(url)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from annotator.models import Assignment, ClipDecision, User, Video
    from annotator.models.choices import MediaStatus, Role, VideoKind, WorkKind
    from annotator.services.assignments import work_batch_create

    videos = Video.objects.bulk_create(
        Video(kind=VideoKind.DATASET, external_id=f"c{n}", media_status=MediaStatus.READY)
        for n in range(clips)
    )
    users = [User.objects.create_user(f"expert{n}") for n in range(6)]
    start = time.perf_counter()
    batch = work_batch_create(
        name="round", kind=WorkKind.VERIFY, items=videos, users=users, overlap=3, created_by=None
    )
    created = time.perf_counter() - start
    # Two thirds answered (written directly: the dashboard reads, it does not decide).
    now = timezone.now()
    answered = list(
        Assignment.objects.filter(batch=batch, position__lt=2 * clips * 3 // 6 // 3).values_list(
            "pk", "user_id", "video_id"
        )
    )
    Assignment.objects.filter(pk__in=[a for a, _, _ in answered]).update(done_at=now)
    ClipDecision.objects.bulk_create(
        ClipDecision(
            video_id=v,
            user_id=u,
            batch=batch,
            decision="accept" if (u + v) % 4 else "reject",
            reasons=[] if (u + v) % 4 else ["duplicate"],
            caption="c",
            level="Cellular-level",
            seconds=5 + (u + v) % 20,
        )
        for _, u, v in answered
    )
    client = Client()
    client.force_login(User.objects.create_user("lead", role=Role.REVIEWER))
    url = reverse("batch-dashboard", args=[batch.pk])
    client.get(url)
    timings = []
    for _ in range(10):
        with CaptureQueriesContext(connection) as queries:
            begin = time.perf_counter()
            assert client.get(url).status_code == 200
            timings.append(time.perf_counter() - begin)
    return {
        "assignments": Assignment.objects.filter(batch=batch).count(),
        "answered": len(answered),
        "create_s": created,
        "dashboard_ms": statistics.median(timings) * 1000,
        "queries": len(queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=12000)
    parser.add_argument("--run", help="(internal) measure on this database URL")
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run(args.run, args.clips)))
        return
    from databases import results_per_database

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["VAR_DIR"] = tmp
        for name, r in results_per_database(__file__, tmp, "mwa_bench_work"):
            print(
                f"{name}: batch of {args.clips} clips x overlap 3 = {r['assignments']} "
                f"assignments created in {r['create_s']:.2f} s (target <= 5 s); dashboard with "
                f"{r['answered']} answers: median {r['dashboard_ms']:.0f} ms, {r['queries']} "
                "queries (target <= 300 ms)"
            )


if __name__ == "__main__":
    main()
