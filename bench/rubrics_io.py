"""Times import_rubrics and export_rubrics on a generated benchmark of the published
size (459 tasks, about 6,900 criteria), on SQLite and, when it answers, PostgreSQL.

    .venv/bin/python bench/rubrics_io.py [--postgres postgres://postgres@127.0.0.1:5432/test]

On PostgreSQL it works in a database of its own (mwa_bench), made anew each run.

Targets (issue 2): import <= 2 s, export <= 0.5 s on each database."""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

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


def fresh_postgres_database(url: str, name: str) -> str:
    with psycopg.connect(url, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(args.run)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        targets = {"SQLite": f"sqlite:///{tmp}/bench.sqlite3"}
        try:
            targets["PostgreSQL"] = fresh_postgres_database(args.postgres, "mwa_bench")
        except psycopg.Error as exc:
            print(f"PostgreSQL: skipped ({exc})")
        print(f"rubric file: {TASKS} tasks; best of {REPEATS} runs")
        for name, url in targets.items():
            child = subprocess.run(
                [sys.executable, __file__, "--run", url],
                capture_output=True,
                text=True,
                cwd=ROOT,
                env={**os.environ, "VAR_DIR": tmp},
            )
            if child.returncode:
                print(f"{name}: skipped ({child.stderr.strip().splitlines()[-1]})")
                continue
            result = json.loads(child.stdout.strip().splitlines()[-1])
            print(f"{name} ({result['criteria']} criteria):")
            for label, seconds in result["timings"].items():
                print(f"  {label:24} {seconds * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
