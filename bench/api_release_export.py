"""Times the release export through the REST API (test client, token authentication,
the whole middleware stack, streamed body read to the end) for a generated release of
the published size (459 tasks, 6,885 criteria), in the rubric file format, JSONL and
CSV, against serializing the same rows straight from one raw SQL query
(`connection.cursor()` + `json.dumps`), on SQLite and, when it answers, PostgreSQL.

    .venv/bin/python bench/api_release_export.py [--postgres postgres://postgres@127.0.0.1:5432/test]

Target (issue 7): the rubric file export <= 300 ms; the ratio says what the API adds
over the bare rows."""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from databases import django_on, results_per_database
from rubrics_io import TASKS, rubric_file

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 5
RAW_ROWS = """
    SELECT t."index", t.level, t.prompt, t.requirement, c.dimension, c.number, c.position,
           c.text, c.polarity, c.weight
    FROM rubrics_app_releasecriterion c
    JOIN rubrics_app_releasetask t ON t.id = c.release_task_id
    WHERE t.release_id = %s
    ORDER BY t."index", c.dimension, c.position, c.number
"""


def best(run) -> float:
    timings = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
    return min(timings)


def run_one(database_url: str) -> dict:
    """In a child process: a fresh database, the release, then the timings."""
    django_on(database_url, API_THROTTLE_RATE="100000/min")
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from annotator.models import ApiToken, User
    from annotator.models.choices import Role
    from annotator.models.tokens import TokenScope
    from rubrics_app.models import Release, ReleaseCriterion

    with tempfile.TemporaryDirectory() as tmp, open(os.devnull, "w") as null:
        path = Path(tmp) / "rubrics.json"
        path.write_text(json.dumps(rubric_file(TASKS)))
        call_command(
            "import_rubrics", str(path), "--benchmark", "b", "--release", "v1", stdout=null
        )
    release = Release.objects.get()
    admin = User.objects.create_user("script", role=Role.ADMIN)
    _, key = ApiToken.issue(user=admin, name="bench", scope=TokenScope.READ)
    client = Client(headers={"Authorization": f"Bearer {key}"})

    def export(kind: str) -> None:
        response = client.get(reverse("api-release-export", args=[release.pk, kind]))
        assert response.status_code == 200, response.status_code
        b"".join(response.streaming_content)

    def raw() -> None:
        with connection.cursor() as cursor:
            cursor.execute(RAW_ROWS, [release.pk])
            json.dumps(cursor.fetchall(), ensure_ascii=False, default=str)

    timings = {kind: best(lambda kind=kind: export(kind)) for kind in ("rubrics", "jsonl", "csv")}
    timings["raw SQL + json.dumps"] = best(raw)
    criteria = ReleaseCriterion.objects.filter(release_task__release=release).count()
    return {"criteria": criteria, "timings": timings}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(args.run)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        print(f"release of {TASKS} tasks; best of {REPEATS} runs")
        for name, result in results_per_database(__file__, tmp, "mwa_bench_api", args.postgres):
            timings = result["timings"]
            baseline = timings["raw SQL + json.dumps"]
            print(f"{name} ({result['criteria']} criteria):")
            for label, seconds in timings.items():
                print(f"  {label:22} {seconds * 1000:8.0f} ms   x{seconds / baseline:5.1f} raw")


if __name__ == "__main__":
    main()
