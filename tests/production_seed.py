"""Seeds the production smoke test's database, run as `python -m tests.production_seed`
in the deployment's own environment (its database, broker and S3): an admin, a task
with a criterion, a generated video whose processing waits for the media worker, and
the judge's draft verdict on it. Prints the task's id."""

import os
import tempfile
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")
django.setup()

from annotator.models import Judgment  # noqa: E402
from annotator.models.choices import Role, VerdictSource, VerdictStatus  # noqa: E402
from annotator.services.videos import video_add  # noqa: E402
from tests.factories import (  # noqa: E402
    CriterionFactory,
    GeneratorModelFactory,
    TaskFactory,
    UserFactory,
)
from tests.videos import make_video  # noqa: E402

USERNAME, PASSWORD = "boss", "secret-pass-1"  # UserFactory's password


def main() -> int:
    UserFactory(username=USERNAME, role=Role.ADMIN, is_superuser=True)
    task = TaskFactory()
    criterion = CriterionFactory(task=task, text="Cells divide once")
    with tempfile.TemporaryDirectory() as tmp:
        path = make_video(Path(tmp) / "seed.mp4", frames=48, width=160, height=120)
        video = video_add(
            path=path,
            name=path.name,
            kind="generated",
            task=task,
            generator=GeneratorModelFactory(name="CellSora-1"),
        ).video
    Judgment.objects.create(
        video=video,
        criterion=criterion,
        verdict=1,
        source=VerdictSource.LLM,
        judge_model="gpt",
        status=VerdictStatus.DRAFT,
    )
    return task.pk


if __name__ == "__main__":
    print(main())
