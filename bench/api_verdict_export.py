"""The verdict export of the API (GET /api/v1/verdicts through the whole Django stack,
test client, the streamed response consumed fully) over 10 models x 459 tasks x 15
criteria: the judge's drafts and two experts' verdicts, 206,550 verdicts. Compared with
serializing the same rows straight from one raw SQL query (cursor, json.dumps per row).
On SQLite and, when it answers, PostgreSQL.

    .venv/bin/python bench/api_verdict_export.py [--postgres postgres://postgres@127.0.0.1:5432/test]

Target (issue 7): >= 50,000 rows/s in JSONL; the ratio to raw SQL is reported."""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from databases import django_on, results_per_database

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
MODELS = 10
EXPERTS = 2
REPEATS = 3

# The export's columns read straight from the tables, for the raw SQL comparison.
RAW_SQL = """
SELECT j.video_id, g.name, t."index", b.name, j.criterion_id, c.number, c.dimension,
       j.verdict, j.source, u.username, j.judge_model, j.status, j.time_mark,
       j.watch_coverage, j.watch_replays, j.watch_frame_steps, j.watch_seconds,
       j.created_at, j.updated_at
FROM annotator_judgment j
JOIN annotator_video v ON v.id = j.video_id
LEFT JOIN annotator_generatormodel g ON g.id = v.generator_id
JOIN rubrics_app_criterion c ON c.id = j.criterion_id
JOIN rubrics_app_task t ON t.id = c.task_id
JOIN rubrics_app_benchmark b ON b.id = t.benchmark_id
LEFT JOIN annotator_user u ON u.id = j.user_id
ORDER BY j.id
"""


def populate() -> int:
    """The benchmark, its videos, and every verdict written by INSERT ... SELECT."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from rubrics_io import TASKS, rubric_file

    from annotator.models import GeneratorModel, Judgment, User, Video
    from annotator.models.choices import VerdictSource, VerdictStatus, VideoKind
    from rubrics_app.models import Benchmark

    with tempfile.TemporaryDirectory() as tmp, open(os.devnull, "w") as null:
        path = Path(tmp) / "rubrics.json"
        path.write_text(json.dumps(rubric_file(TASKS)))
        call_command("import_rubrics", str(path), "--benchmark", "mwb", stdout=null)
    tasks = list(Benchmark.objects.get(name="mwb").tasks.all())
    generators = [GeneratorModel.objects.create(name=f"model-{m}") for m in range(MODELS)]
    Video.objects.bulk_create(
        Video(kind=VideoKind.GENERATED, task=task, generator=g)
        for g in generators
        for task in tasks
    )
    experts = [User.objects.create(username=f"expert{n}") for n in range(EXPERTS)]
    # As Django writes it (SQLite: UTC text without an offset).
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    insert = """
        INSERT INTO annotator_judgment
            (video_id, criterion_id, verdict, source, user_id, judge_model, reasoning,
             status, created_at, updated_at)
        SELECT v.id, c.id, (v.id + c.id + %s) %% 2, %s, %s, %s, '', %s, %s, %s
        FROM annotator_video v JOIN rubrics_app_criterion c ON c.task_id = v.task_id
    """
    with connection.cursor() as cursor:
        cursor.execute(
            insert,
            [0, VerdictSource.LLM, None, "bench-judge", VerdictStatus.DRAFT, now, now],
        )
        for n, expert in enumerate(experts, start=1):
            cursor.execute(
                insert, [n, VerdictSource.HUMAN, expert.pk, "", VerdictStatus.CONFIRMED, now, now]
            )
    return Judgment.objects.count()


def timed_api(client, fmt: str) -> tuple[float, int, int]:
    """(seconds, lines, bytes) of one export, the response consumed chunk by chunk."""
    start = time.perf_counter()
    response = client.get("/api/v1/verdicts", {"format": fmt})
    assert response.status_code == 200, response.status_code
    lines = size = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
        size += len(chunk)
    return time.perf_counter() - start, lines, size


def timed_raw_sql() -> tuple[float, int]:
    from django.db import connection

    from annotator.selectors.verdict_export import COLUMNS

    keys = list(COLUMNS)
    start = time.perf_counter()
    rows = size = 0
    with connection.cursor() as cursor:
        cursor.execute(RAW_SQL)
        while batch := cursor.fetchmany(5000):
            for row in batch:
                size += len(json.dumps(dict(zip(keys, row, strict=True)), default=str)) + 1
                rows += 1
    return time.perf_counter() - start, rows


def run_one(database_url: str) -> dict:
    """In a child process: a fresh database, then the timings."""
    django_on(database_url, API_THROTTLE_RATE="100000/min")
    from django.test import Client

    from annotator.models import User
    from annotator.models.choices import Role

    verdicts = populate()
    client = Client()
    client.force_login(User.objects.create(username="lead", role=Role.REVIEWER))
    result: dict = {"verdicts": verdicts}
    for fmt in ("jsonl", "csv"):
        runs = [timed_api(client, fmt) for _ in range(REPEATS)]
        seconds, lines, size = min(runs)
        # JSONL: a line per verdict; CSV: and a header.
        assert lines == verdicts + (fmt == "csv"), (fmt, lines, verdicts)
        result[fmt] = {"seconds": seconds, "bytes": size}
    raw = [timed_raw_sql() for _ in range(REPEATS)]
    seconds, rows = min(raw)
    assert rows == verdicts
    result["raw_sql"] = {"seconds": seconds}
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(args.run)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        print(f"GET /api/v1/verdicts, streamed and consumed; best of {REPEATS} runs")
        for name, result in results_per_database(
            __file__, tmp, "mwa_bench_api_verdicts", args.postgres
        ):
            n = result["verdicts"]
            raw = result["raw_sql"]["seconds"]
            print(f"{name}: {n:,} verdicts")
            for fmt in ("jsonl", "csv"):
                seconds, size = result[fmt]["seconds"], result[fmt]["bytes"] / 1e6
                print(
                    f"  {fmt:6} {seconds:6.2f} s  {n / seconds:9,.0f} rows/s  {size:5.1f} MB  "
                    f"{seconds / raw:4.2f}x raw SQL"
                )
            print(f"  raw SQL + json.dumps per row {raw:6.2f} s  {n / raw:9,.0f} rows/s")


if __name__ == "__main__":
    main()
