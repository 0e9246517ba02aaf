"""The backup procedure of the README ("Backups"): a `pg_dump -Fc` of a seeded database,
restored with `pg_restore` into a fresh database, is read by the app with the same
counts. Runs in the PostgreSQL run of bin/test (own databases on the same server,
created and dropped here); skipped on SQLite or without the PostgreSQL client tools."""

import json
import os
import shutil
import subprocess
import sys

import psycopg
import pytest
from django.db import connection

from tests import ROOT

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not shutil.which("pg_dump"),
        reason="needs PostgreSQL and its client tools (pg_dump, pg_restore)",
    ),
]

# Run by `manage.py shell -c` in the seeded database: tasks with criteria, experts'
# verdicts through the service (with their history rows), clips and their decisions.
SEED = """
from annotator.models.choices import Decision, Role, VerdictSource, WorkKind
from annotator.services.assignments import work_batch_create
from annotator.services.clip_review import Answer, clip_decide
from annotator.services.verdicts import verdict_set
from tests.factories import ClipFactory, CriterionFactory, TaskFactory, UserFactory, VideoFactory

expert = UserFactory(username="expert", role=Role.ANNOTATOR)
tasks = TaskFactory.create_batch(3)
for task in tasks:
    criteria = CriterionFactory.create_batch(4, task=task)
    for video in VideoFactory.create_batch(2, task=task):
        for n, criterion in enumerate(criteria):
            verdict_set(video=video, criterion_id=criterion.pk, user=expert, verdict=n % 2)
clips = ClipFactory.create_batch(5)
batch = work_batch_create(
    name="verify", kind=WorkKind.VERIFY, items=clips, users=[expert], overlap=1, created_by=None
)
for clip in clips[:3]:
    clip_decide(batch=batch, user=expert, video_id=clip.pk, answer=Answer(Decision.FLAG))
"""

# Prints what the app reads, as JSON: the figures compared before and after.
COUNTS = """
import json
from annotator.models.choices import VerdictSource, VideoKind
from annotator.models import ClipDecision, Judgment, User, Video
from rubrics_app.models import Criterion, Task

print(json.dumps({
    "tasks": Task.objects.count(),
    "criteria": Criterion.objects.count(),
    "verdicts": Judgment.objects.filter(source=VerdictSource.HUMAN).count(),
    "verdict history": Judgment.history.count(),
    "clips": Video.objects.filter(kind=VideoKind.DATASET).count(),
    "clip decisions": ClipDecision.objects.count(),
    "expert logs in": User.objects.get(username="expert").check_password("secret-pass-1"),
}))
"""


def manage(database_url: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture
def databases():
    """Two empty databases of our own on the test server: (source URL, restored URL)."""
    db = connection.settings_dict
    server = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}"
    names = [f"backup_{which}_{os.getpid()}" for which in ("source", "restored")]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        for name in names:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")
            admin.execute(f"CREATE DATABASE {name}")
        yield [f"{server}/{name}" for name in names]
        for name in names:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_it_restores_a_pg_dump_into_a_fresh_database_that_the_app_reads(databases, tmp_path):
    source, restored = databases
    manage(source, "migrate", "--verbosity", "0")
    manage(source, "shell", "--no-imports", "-c", SEED)
    before = json.loads(manage(source, "shell", "--no-imports", "-c", COUNTS))
    assert before["verdicts"] == 24 and before["clip decisions"] == 3  # the seed ran

    dump = tmp_path / "annotator.dump"
    subprocess.run(["pg_dump", "-Fc", "--no-owner", "-f", dump, source], check=True)
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", "-d", restored, dump], check=True
    )

    # As the README says: migrate after restoring (nothing to apply to a dump of this
    # version; a dump of an older version is brought up to date).
    assert "No migrations to apply" in manage(restored, "migrate")
    assert json.loads(manage(restored, "shell", "--no-imports", "-c", COUNTS)) == before
