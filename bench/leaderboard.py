"""Leaderboard over 10 models x 459 tasks x 15 criteria (68,850 draft verdicts), on
SQLite and, when it answers, PostgreSQL (issue 5 target: at most 1 s), and the share of
it that the confidence intervals take (the paired bootstrap, 2,000 resamples: issue 16
target, at most 1.5x the leaderboard without them). `--models 100` is ten times the
size (688,500 verdicts; target at most 5 s on PostgreSQL); `--postgres-only` skips
SQLite.

    .venv/bin/python bench/leaderboard.py [--models 10] [--postgres-only]"""

import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from databases import django_on, results_per_database

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
MODELS = int(os.environ.get("BENCH_MODELS", "10"))


def run_one(database_url: str) -> dict:
    django_on(database_url)
    from django.core.management import call_command
    from rubrics_io import TASKS, rubric_file

    from annotator.models import GeneratorModel, Judgment, Video
    from annotator.models.choices import VerdictSource, VerdictStatus, VideoKind
    from annotator.selectors import leaderboard as leaderboard_module
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
    timings, intervals = {}, {}
    for release in (None, benchmark.releases.get()):
        label = "release v1" if release else "current criteria"
        best = float("inf")
        for _ in range(3):
            with _timed(leaderboard_module, "_uncertainty") as spent:
                start = time.perf_counter()
                board = leaderboard_compute(benchmark=benchmark, release=release)
                elapsed = time.perf_counter() - start
            if elapsed < best:
                best, intervals[label] = elapsed, spent[0]
        assert len(board.rows) == MODELS and board.rows[0].tasks_counted == TASKS
        assert board.rows[0].overall_ci is not None
        timings[label] = best
    if MODELS <= 10:  # the calibration step at the size
        timings["v1 + calibration"] = _with_calibration(benchmark, rng)
    return {"verdicts": verdicts, "timings": timings, "intervals": intervals}


@contextmanager
def _timed(module, name: str) -> Iterator[list[float]]:
    """The seconds spent in module.name while inside (one call expected)."""
    spent = [0.0]
    original = getattr(module, name)

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - start

    setattr(module, name, timed)
    try:
        yield spent
    finally:
        setattr(module, name, original)


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
    args = sys.argv[1:]
    if "--models" in args:
        os.environ["BENCH_MODELS"] = args[args.index("--models") + 1]
    models = int(os.environ.get("BENCH_MODELS", "10"))
    target = "<= 1 s" if models <= 10 else "<= 5 s on PostgreSQL"
    with tempfile.TemporaryDirectory() as tmp:
        for name, result in results_per_database(
            __file__, tmp, "mwa_bench_leaderboard", sqlite="--postgres-only" not in args
        ):
            print(
                f"{name}: leaderboard of {models} models over {result['verdicts']} verdicts, "
                f"best of 3 (target {target}):"
            )
            for label, seconds in result["timings"].items():
                line = f"  {label:18} {seconds * 1000:7.0f} ms"
                if spent := result["intervals"].get(label):
                    ratio = seconds / (seconds - spent)
                    line += (
                        f"; intervals {spent * 1000:.0f} ms of it: {ratio:.2f}x the"
                        " leaderboard without them (target <= 1.5x)"
                    )
                print(line)


if __name__ == "__main__":
    main()
