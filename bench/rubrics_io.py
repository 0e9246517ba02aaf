"""Times import_rubrics and export_rubrics on a generated benchmark of the published
size (459 tasks, about 6,900 criteria), on SQLite and, when it answers, PostgreSQL.

    .venv/bin/python bench/rubrics_io.py [--postgres postgres://postgres@127.0.0.1:5432/test]

On PostgreSQL it works in a database of its own (mwa_bench), made anew each run.

Targets (issue 2): import <= 2 s, export <= 0.5 s on each database."""

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from databases import results_per_database

ROOT = Path(__file__).resolve().parents[1]
TASKS = 459
REPEATS = 3


def rubric_file(tasks: int) -> list[dict]:
    rng = random.Random(0)
    entries = []
    for index in range(1, tasks + 1):
        entry = {
            "index": index,
            "task": f"Process {index} at the microscale",
            "requirement": "A detailed requirement. " * 20,
        }
        for dimension in ("scientific", "visual", "instruction"):
            block = {}
            for n in range(1, 6):
                block[f"d{n}"] = f"Criterion {n} of {dimension} for task {index} " + "x" * 60
                block[f"s{n}"] = "-1" if rng.random() < 0.087 else "+1"
                block[f"w{n}"] = rng.choice(["0.7", "1", "2", 1.5, "1."])
            entry[f"rubrics_{dimension}"] = block
        entries.append(entry)
    return entries


def run_one(database_url: str) -> dict:
    """In a child process: a fresh database, then the timings."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "annotator.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rubrics.json"
        path.write_text(json.dumps(rubric_file(TASKS)))
        null = open(os.devnull, "w")  # noqa: SIM115
        timings = {}

        def timed(name: str, *args: str) -> None:
            start = time.perf_counter()
            call_command(*args, stdout=null)
            timings.setdefault(name, []).append(time.perf_counter() - start)

        from rubrics_app.models import Benchmark

        for i in range(REPEATS):
            timed("import (new benchmark)", "import_rubrics", str(path), "--benchmark", f"b{i}")
        for i in range(REPEATS):
            timed("re-import (no change)", "import_rubrics", str(path), "--benchmark", f"b{i}")
            timed("export", "export_rubrics", str(Path(tmp) / "out.json"), "--benchmark", f"b{i}")
        from rubrics_app.models import Criterion

        criteria = Criterion.objects.filter(task__benchmark__name="b0").count()
        Benchmark.objects.all().delete()
    return {"criteria": criteria, "timings": {k: min(v) for k, v in timings.items()}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(args.run)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        print(f"rubric file: {TASKS} tasks; best of {REPEATS} runs")
        for name, result in results_per_database(__file__, tmp, "mwa_bench", args.postgres):
            print(f"{name} ({result['criteria']} criteria):")
            for label, seconds in result["timings"].items():
                print(f"  {label:24} {seconds * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
