"""Server time of the clip verification queue (issue 6 targets, SQLite): the
single-clip page an annotator gets next, and deciding a clip (which answers with the
next clip), each at most 50 ms; a grid page of 60 filmstrip thumbnails at most 100 ms.
12,000 candidate clips in one batch with overlap 3 among 6 annotators, each clip
with a poster, filmstrip and an LLM suggestion; timed through the whole Django stack
(the test client, middleware included), with the page's query count.

    .venv/bin/python bench/clip_queue.py [--clips 12000] [--pages 200]"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def summary(what: str, timings: list[float], queries: int, target_ms: float) -> str:
    timings = sorted(timings)
    return (
        f"{what}: median {statistics.median(timings) * 1000:.1f} ms, "
        f"p95 {timings[int(0.95 * (len(timings) - 1))] * 1000:.1f} ms, {queries} queries "
        f"(target: at most {target_ms:.0f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=12000)
    parser.add_argument("--pages", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var:
        os.environ.update(
            {
                "VAR_DIR": var,
                "DJANGO_SETTINGS_MODULE": "annotator.settings",
                "ALLOWED_HOSTS": "testserver",
            }
        )
        os.environ.pop("DATABASE_URL", None)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from django.urls import reverse

        from annotator.models import ClipSuggestion, User, Video
        from annotator.models.choices import EvaluationStatus, MediaStatus, VideoKind, WorkKind
        from annotator.services.assignments import work_batch_create

        call_command("migrate", verbosity=0)
        clips = Video.objects.bulk_create(
            Video(
                kind=VideoKind.DATASET,
                external_id=f"clip{n:05d}",
                file=f"videos/{n:064x}.mp4",
                poster=f"derived/{n}/poster.jpg",
                filmstrip=f"derived/{n}/filmstrip.jpg",
                filmstrip_frames=10,
                caption="Red blood cells squeeze through a capillary, deforming. " * 12,
                level="Cellular-level",
                source_ref=f"https://example.org/source/{n}",
                media_status=MediaStatus.READY,
                width=854,
                height=480,
                duration=5.0,
                fps=24.0,
            )
            for n in range(args.clips)
        )
        ClipSuggestion.objects.bulk_create(
            ClipSuggestion(
                video=clip,
                judge_model="vlm",
                status=EvaluationStatus.OK,
                caption="A suggested caption " * 20,
                decision="accept",
                level="Cellular-level",
            )
            for clip in clips
        )
        users = [User.objects.create_user(f"expert{n}") for n in range(6)]
        start = time.perf_counter()
        batch = work_batch_create(
            kind=WorkKind.VERIFY, name="round", items=clips, users=users, overlap=3, created_by=None
        )
        created = time.perf_counter() - start
        print(
            f"batch of {args.clips} clips, overlap 3, 6 annotators "
            f"({args.clips * 3} assignments) created in {created:.2f} s"
        )
        client = Client()
        client.force_login(users[0])
        page_url = reverse("clip-verify", args=[batch.pk])
        decide_url = reverse("clip-decide", args=[batch.pk])
        grid_url = reverse("clip-grid", args=[batch.pk])

        def timed(request) -> tuple[float, int]:
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = request()
                elapsed = time.perf_counter() - start
            assert response.status_code == 200, response.status_code
            return elapsed, len(queries)

        for _ in range(5):  # warm up: templates compiled, connection open
            timed(lambda: client.get(page_url))
        pages = [timed(lambda: client.get(page_url)) for _ in range(args.pages)]
        print(summary("next-clip page", [t for t, _ in pages], pages[-1][1], 50))

        queue = list(batch.assignments.filter(user=users[0]).order_by("position")[: args.pages])
        decisions = [
            timed(
                lambda a=a: client.post(
                    decide_url,
                    {
                        "video": a.video_id,
                        "decision": "reject",
                        "reasons": "duplicate",
                        "seconds": "3",
                    },
                    headers={"HX-Request": "true"},
                )
            )
            for a in queue
        ]
        print(
            summary(
                "deciding a clip (answered with the next one)",
                [t for t, _ in decisions],
                decisions[-1][1],
                50,
            )
        )
        grids = [timed(lambda n=n: client.get(f"{grid_url}?page={n % 20 + 1}")) for n in range(100)]
        print(summary("grid page of 60 thumbnails", [t for t, _ in grids], grids[-1][1], 100))


if __name__ == "__main__":
    main()
