"""Leaderboard over 10 models x 459 tasks x 15 criteria (68,850 draft verdicts), on
SQLite and, when it answers, PostgreSQL (issue 5 target: at most 1 s).

    .venv/bin/python bench/leaderboard.py"""

import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from databases import django_on, results_per_database

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
MODELS = 10


def run_one(database_url: str) -> dict:
    django_on(database_url)
    from django.core.management import call_command
    from rubrics_io import TASKS, rubric_file

    from annotator.models import GeneratorModel, Judgment, Video
    from annotator.models.choices import VerdictSource, VerdictStatus, VideoKind
    from annotator.selectors.leaderboard import leaderboard_compute
    from rubrics_app.models import Benchmark, Criterion

    with tempfile.TemporaryDirectory() as tmp, open(os.devnull, "w") as null:
        path = Path(tmp) / "rubrics.json"
        path.write_text(json.dumps(rubric_file(TASKS)))
        call_command(
            "import_rubrics", str(path), "--benchmark", "lb", "--release", "v1", stdout=null
        )
    benchmark = Benchmark.objects.get(name="lb")
    tasks = list(benchmark.tasks.all())
    generators = [GeneratorModel.objects.create(name=f"model-{m}") for m in range(MODELS)]
    videos = Video.objects.bulk_create(
        Video(kind=VideoKind.GENERATED, task=task, generator=g)
        for g in generators
        for task in tasks
    )
    criteria: dict[int, list[int]] = {}
    for task_id, pk in Criterion.objects.values_list("task_id", "pk"):
        criteria.setdefault(task_id, []).append(pk)
    rng = random.Random(0)
    Judgment.objects.bulk_create(
        (
            Judgment(
                video=v,
                criterion_id=c,
                verdict=rng.randint(0, 1),
                source=VerdictSource.LLM,
                judge_model="bench-judge",
                status=VerdictStatus.DRAFT,
            )
            for v in videos
            for c in criteria[v.task_id]
        ),
        batch_size=5000,
    )
    verdicts = Judgment.objects.count()
    timings = {}
    for release in (None, benchmark.releases.get()):
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            board = leaderboard_compute(benchmark=benchmark, release=release)
            best = min(best, time.perf_counter() - start)
        assert len(board.rows) == MODELS and board.rows[0].tasks_counted == TASKS
        timings["release v1" if release else "current criteria"] = best
    timings["v1 + calibration"] = _with_calibration(benchmark, rng)
    return {"verdicts": verdicts, "timings": timings}


def _with_calibration(benchmark, rng) -> float:
    """A calibration sample of 1,000 items of release v1, every one verified by its
    expert: the leaderboard with the human-corrected scores, best of 3."""
    from annotator.models import Judgment, User
    from annotator.models.choices import VerdictSource, VerdictStatus
    from annotator.selectors.leaderboard import leaderboard_compute
    from annotator.services.calibration import calibration_batch_create

    release = benchmark.releases.get()
    expert = User.objects.create(username="bench-expert")
    batch = calibration_batch_create(
        benchmark=benchmark, release=release, judge_model=None, size=1000, seed=0,
        users=[expert], created_by=None,
    )  # fmt: skip
    Judgment.objects.bulk_create(
        (
            Judgment(
                video_id=item.video_id,
                criterion=c,
                verdict=rng.randint(0, 1),
                source=VerdictSource.HUMAN,
                user=expert,
                status=VerdictStatus.CONFIRMED,
            )
            for item in batch.calibration.items.select_related("video__task")
            for c in item.video.task.criteria.filter(dimension=item.dimension)
        ),
        batch_size=5000,
    )
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        board = leaderboard_compute(benchmark=benchmark, release=release)
        best = min(best, time.perf_counter() - start)
    assert board.calibration is not None and board.calibration.verified == 1000
    return best


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--run":
        print(json.dumps(run_one(sys.argv[2])))
        return
    with tempfile.TemporaryDirectory() as tmp:
        for name, result in results_per_database(__file__, tmp, "mwa_bench_leaderboard"):
            print(
                f"{name}: leaderboard of {MODELS} models over {result['verdicts']} verdicts, "
                "best of 3 (target <= 1 s):"
            )
            for label, seconds in result["timings"].items():
                print(f"  {label:18} {seconds * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
