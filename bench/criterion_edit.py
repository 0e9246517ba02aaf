"""Server time of saving a criterion edit (issue 4 target: under 100 ms on SQLite):
the editor's POST through the whole Django stack (middleware, service, history,
re-rendered dimension block), on a benchmark of the published size.

    .venv/bin/python bench/criterion_edit.py [--edits 200]"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--edits", type=int, default=200)
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
        from django.test import Client
        from django.urls import reverse
        from rubrics_io import TASKS, rubric_file

        from annotator.models import User
        from annotator.models.choices import Role
        from rubrics_app.models import Criterion

        call_command("migrate", verbosity=0)
        path = Path(var) / "rubrics.json"
        path.write_text(json.dumps(rubric_file(TASKS)))
        with open(os.devnull, "w") as null:
            call_command("import_rubrics", str(path), "--benchmark", "b", stdout=null)
        client = Client()
        # Reviewers change any criterion; authors only their tasks'.
        client.force_login(User.objects.create_user("rev", password="x", role=Role.REVIEWER))
        criteria = list(Criterion.objects.order_by("?")[: args.edits])
        timings = []
        for n, criterion in enumerate(criteria):
            url = reverse("criterion-edit", args=[criterion.pk])
            data = {
                "version": criterion.version,
                "text": f"{criterion.text} (edit {n})",
                "weight": "1.5",
                "polarity": "1",
            }
            start = time.perf_counter()
            response = client.post(url, data, secure=True)  # as behind the TLS proxy
            timings.append(time.perf_counter() - start)
            assert response.status_code == 200, response.status_code
        timings.sort()
        print(
            f"{len(timings)} criterion edits on SQLite, benchmark of {TASKS} tasks "
            f"({Criterion.objects.count()} criteria), through the Django test client:"
        )
        print(
            f"  median {statistics.median(timings) * 1000:.1f} ms, "
            f"p95 {timings[int(0.95 * len(timings))] * 1000:.1f} ms, "
            f"max {timings[-1] * 1000:.1f} ms (target: under 100 ms)"
        )


if __name__ == "__main__":
    main()
