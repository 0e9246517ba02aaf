import json
import random
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction

from annotator.models import User
from annotator.models.choices import Role, WorkKind
from annotator.services.assignments import work_batch_create
from annotator.services.judge_results import results_import
from annotator.services.users import user_set_role
from annotator.services.videos import (
    batch_create,
    dataset_clip_create,
    directory_files,
    videos_import_generated,
)
from rubrics_app.choices import Dimension, Level
from rubrics_app.models import Benchmark
from rubrics_app.selectors import live_criteria
from rubrics_app.services.rubric_files import rubrics_import

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
BENCHMARK = "MicroWorld demo"
# Generator model -> rendering variant of annotator.demo.media (0 is the plausible one).
GENERATORS = {"CellSora-1": 0, "MicroGen-XL": 1, "BioDiff-2": 2}
USERS = [("admin", Role.ADMIN), ("reviewer", Role.REVIEWER), ("annotator", Role.ANNOTATOR)]
CLIPS = [
    (
        "blocked_artery",
        Level.ORGAN,
        "Longitudinal view of an artery in which red blood cells "
        "stream toward a dark thrombus, slowing and crowding upstream of the occlusion.",
    ),
    (
        "capillary_flow",
        Level.ORGAN,
        "Red blood cells pass one by one through a narrow "
        "capillary, each deforming slightly as it squeezes through.",
    ),
    (
        "capillary_flow",
        Level.ORGAN,
        "A capillary with single-file red cells moving steadily "
        "from left to right against a pale tissue background.",
    ),
    (
        "mitosis",
        Level.CELLULAR,
        "A round cell elongates, forms a cleavage furrow at its "
        "equator and divides into two daughter cells.",
    ),
    (
        "mitosis",
        Level.CELLULAR,
        "Time-lapse style simulation of cytokinesis: the membrane "
        "pinches at the middle and two nuclei separate.",
    ),
    (
        "chemotaxis",
        Level.CELLULAR,
        "A neutrophil changes shape as it crawls toward a cluster of green bacteria.",
    ),
    (
        "chemotaxis",
        Level.CELLULAR,
        "A white blood cell extends pseudopods and migrates up a "
        "chemical gradient toward bacteria.",
    ),
    (
        "vesicle_transport",
        Level.SUBCELLULAR,
        "Round vesicles travel along a microtubule track in one direction at a steady pace.",
    ),
    (
        "transcription",
        Level.SUBCELLULAR,
        "An RNA polymerase slides along a DNA double helix, "
        "leaving a growing RNA strand behind it.",
    ),
    (
        "transcription",
        Level.SUBCELLULAR,
        "Close-up of transcription: the helix unwinds locally "
        "as the polymerase moves and the transcript peels away.",
    ),
]


def _demo_results(benchmark: Benchmark, model: str, variant: int) -> list[dict]:
    """A judge result file as the demo's judge might have written it: the plausible
    model (variant 0) meets most points and makes few errors, the others less so."""
    rng = random.Random(variant)
    miss = (0.1, 0.3, 0.5)[variant]
    entries = []
    for task in benchmark.tasks.order_by("index"):
        entry = {"index": task.index, "video_path": f"{model}/{task.index}.mp4"}
        for dimension in Dimension.values:
            scores = [
                int(rng.random() < miss) if c.is_penalty else int(rng.random() >= miss)
                for c in live_criteria().filter(task=task, dimension=dimension)
            ]
            entry[f"{dimension}_eval"] = {
                "raw_response": json.dumps({"scores": scores}),
                "parsed_result": {"scores": scores, "reasoning": "Demo draft."},
            }
        entries.append(entry)
    return entries


class Command(BaseCommand):
    help = "Create demo users and, once, a demo benchmark with generated videos and clips."

    def handle(self, *args, **options):
        for username, role in USERS:
            self._ensure_user(username, role)
        if Benchmark.objects.filter(name=BENCHMARK).exists():
            self.stdout.write(f"demo benchmark {BENCHMARK!r} already loaded")
            return
        from annotator.demo.media import render_video  # numpy and PyAV: only when needed

        tasks = json.loads((DEMO_DIR / "tasks.json").read_text())
        with transaction.atomic(), tempfile.TemporaryDirectory() as tmp:
            report = rubrics_import(
                rubric_data=json.loads((DEMO_DIR / "rubrics.json").read_text()),
                tasks_data=tasks,
                benchmark_name=BENCHMARK,
                release_name="v1.0",
                weight_scheme="expert weights",
            )
            self.stdout.write(report.summary())
            benchmark = report.benchmark
            videos = Path(tmp) / "videos"
            for model, variant in GENERATORS.items():
                (videos / model).mkdir(parents=True)
                for task in tasks:
                    render_video(
                        videos / model / f"{task['index']}.mp4",
                        task["scene"],
                        variant=variant,
                        seed=task["index"],
                    )
            batch = batch_create(name="demo data", user=None)
            self.stdout.write(
                videos_import_generated(
                    benchmark=benchmark, files=directory_files(videos), batch=batch
                ).summary()
            )
            clips = []
            for number, (scene, level, caption) in enumerate(CLIPS, start=1):
                path = Path(tmp) / f"clip_{number:02d}.mp4"
                render_video(path, scene, seconds=2 + number % 4, seed=100 + number)
                added = dataset_clip_create(
                    batch=batch,
                    path=path,
                    caption=caption,
                    level=level,
                    source_ref=f"demo channel_clip {number}_local",
                )
                added.video.external_id = f"demo_clip_{number:02d}"
                added.video.save(update_fields=["external_id"])
                clips.append(added.video)
            self.stdout.write(f"{len(CLIPS)} candidate dataset clips created")
            work_batch_create(
                kind=WorkKind.VERIFY,
                name="demo verification round",
                items=clips,
                users=list(User.objects.filter(username__in=[u for u, _ in USERS])),
                overlap=2,
                created_by=None,
            )
            self.stdout.write("clip batch 'demo verification round' (overlap 2) created")
            for model, variant in GENERATORS.items():
                self.stdout.write(
                    results_import(
                        benchmark=benchmark,
                        generator_name=model,
                        judge_model="demo-judge",
                        data=_demo_results(benchmark, model, variant),
                    ).summary()
                )

    def _ensure_user(self, username: str, role: str) -> None:
        user, created = User.objects.get_or_create(
            username=username, defaults={"is_superuser": role == Role.ADMIN}
        )
        if created:
            user.set_password(username)
            user.save()
            user_set_role(user=user, role=role)
        state = f"password {username}" if created else "already existed, password unchanged"
        self.stdout.write(f"user {username} ({role}): {state}")
