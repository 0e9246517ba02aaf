"""The Rubric health page over 459 tasks x 15 criteria (6,885 criteria) and 10 models:
the judge's drafts on every video (68,850), an expert's verdict on every video and a
second expert's on two models' videos (82,620 expert verdicts), the judge agreeing
with the expert 90% of the time but 60% on a tenth of the criteria. Through the whole
Django stack (test client, a reviewer's session): the page (of the current criteria
and of a release), its CSV, the API, and the editor's block with its badges; time
(best of 3) and queries, and the same queries on a tenth of the benchmark (issue 16:
constant queries). On SQLite and, when it answers, PostgreSQL.

    .venv/bin/python bench/rubric_health.py [--sqlite-only]"""

import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from databases import POSTGRES, django_on, results_per_database

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
MODELS = 10
SECOND_EXPERT_MODELS = 2


def build(tasks: int, name: str) -> int:
    """A benchmark `name` of `tasks` tasks with its release v1 and verdicts; its id."""
    from django.core.management import call_command
    from rubrics_io import rubric_file

    from annotator.models import GeneratorModel, Judgment, User, Video
    from annotator.models.choices import VerdictSource, VerdictStatus, VideoKind
    from rubrics_app.models import Benchmark, Criterion

    with tempfile.TemporaryDirectory() as tmp, open(os.devnull, "w") as null:
        path = Path(tmp) / "rubrics.json"
        path.write_text(json.dumps(rubric_file(tasks)))
        call_command(
            "import_rubrics", str(path), "--benchmark", name, "--release", "v1", stdout=null
        )
    benchmark = Benchmark.objects.get(name=name)
    generators = [GeneratorModel.objects.get_or_create(name=f"model-{m}")[0] for m in range(MODELS)]
    videos = Video.objects.bulk_create(
        Video(kind=VideoKind.GENERATED, task=task, generator=g)
        for g in generators
        for task in benchmark.tasks.all()
    )
    experts = [User.objects.get_or_create(username=f"{name}-expert-{k}")[0] for k in range(2)]
    criteria: dict[int, list[int]] = {}
    for task_id, pk in Criterion.objects.filter(task__benchmark=benchmark).values_list(
        "task_id", "pk"
    ):
        criteria.setdefault(task_id, []).append(pk)
    rng = random.Random(0)
    shaky = {pk for pks in criteria.values() for pk in pks if rng.random() < 0.1}
    prevalence = {pk: rng.random() for pks in criteria.values() for pk in pks}
    rows = []
    for video in videos:
        second = video.generator_id in {g.pk for g in generators[:SECOND_EXPERT_MODELS]}
        for c in criteria[video.task_id]:
            truth = int(rng.random() < prevalence[c])
            right = rng.random() < (0.6 if c in shaky else 0.9)
            common = {"video": video, "criterion_id": c}
            rows.append(
                Judgment(
                    **common,
                    verdict=truth if right else 1 - truth,
                    source=VerdictSource.LLM,
                    judge_model="bench-judge",
                    status=VerdictStatus.DRAFT,
                )
            )
            for k, expert in enumerate(experts[: 2 if second else 1]):
                agrees = k == 0 or rng.random() < 0.85
                rows.append(
                    Judgment(
                        **common,
                        verdict=truth if agrees else 1 - truth,
                        source=VerdictSource.HUMAN,
                        user=expert,
                        status=VerdictStatus.CONFIRMED,
                    )
                )
    Judgment.objects.bulk_create(rows, batch_size=5000)
    return benchmark.pk


def measure(client, url: str, query: dict) -> tuple[float, int, int]:
    """(best time of 3, queries, bytes) of GET url."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    best, queries, size = float("inf"), 0, 0
    for _ in range(3):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url, query, secure=True)  # DEBUG off: https
            body = b"".join(response.streaming_content) if response.streaming else response.content
            best = min(best, time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
        queries, size = len(captured), len(body)
    return best, queries, size


def run_one(database_url: str) -> dict:
    # As deployed (DEBUG off: https, hence secure requests) but for the static files,
    # which have no collectstatic manifest here.
    django_on(database_url, API_THROTTLE_RATE="100000/min", STATIC_MANIFEST="false")
    from django.test import Client
    from django.urls import reverse
    from rubrics_io import TASKS

    from annotator.models import Judgment, User
    from annotator.models.choices import Role
    from annotator.selectors.rubric_health import rubric_health
    from rubrics_app.models import Benchmark, Criterion

    sizes = {"full": build(TASKS, "full"), "tenth": build(TASKS // 10, "tenth")}
    client = Client()
    client.force_login(User.objects.create_user("lead", password="x", role=Role.REVIEWER))
    result: dict = {"verdicts": Judgment.objects.count(), "pages": {}}
    for size, pk in sizes.items():
        benchmark = Benchmark.objects.get(pk=pk)
        release = benchmark.releases.get()
        criterion = Criterion.objects.filter(task__benchmark=benchmark).order_by("pk").first()
        assert criterion is not None
        pages = {
            "page, current criteria": (reverse("rubric-health", args=[pk]), {}),
            "page, release v1": (reverse("rubric-health", args=[pk]), {"release": release.pk}),
            "CSV, every criterion": (reverse("rubric-health-csv", args=[pk]), {}),
            "API, every criterion": (reverse("api-rubric-health", args=[pk]), {}),
            "editor block + badges": (
                reverse("criterion-row", args=[criterion.pk]),
                {},
            ),
        }
        for label, (url, query) in pages.items():
            result["pages"].setdefault(label, {})[size] = measure(client, url, query)
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            health = rubric_health(benchmark=benchmark)
            best = min(best, time.perf_counter() - start)
        result.setdefault("selector", {})[size] = best
        result.setdefault("criteria", {})[size] = len(health.criteria)
        result.setdefault("findings", {})[size] = {str(f): n for f, n in health.counts().items()}
    return result


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--run":
        print(json.dumps(run_one(sys.argv[2])))
        return
    postgres = None if "--sqlite-only" in sys.argv else POSTGRES
    with tempfile.TemporaryDirectory() as tmp:
        for name, r in results_per_database(__file__, tmp, "mwa_bench_rubric_health", postgres):
            full, tenth = r["criteria"]["full"], r["criteria"]["tenth"]
            print(
                f"{name}: rubric health over {full} criteria, {MODELS} models, "
                f"{r['verdicts']} verdicts in the database (both benchmarks); best of 3"
            )
            print(f"  selector alone: {r['selector']['full'] * 1000:.0f} ms")
            for label, by_size in r["pages"].items():
                seconds, queries, size = by_size["full"]
                small = by_size["tenth"][1]
                print(
                    f"  {label:24} {seconds * 1000:6.0f} ms  {queries:3} queries "
                    f"({small} over {tenth} criteria)  {size / 1024:7.0f} KiB"
                )
            print(f"  findings: {r['findings']['full']}")


if __name__ == "__main__":
    main()
