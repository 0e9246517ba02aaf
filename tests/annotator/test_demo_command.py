from io import StringIO

import pytest
from django.core.management import call_command

from annotator.models import GeneratorModel, Judgment, User, Video
from annotator.models.choices import MediaStatus, Role, VerdictSource, VideoKind
from annotator.selectors.leaderboard import leaderboard_compute
from rubrics_app.models import Benchmark, Criterion

pytestmark = pytest.mark.django_db


def test_it_loads_the_demo_once_and_prints_the_credentials(django_capture_on_commit_callbacks):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo", stdout=out)
    assert "user admin (admin): password admin" in out.getvalue()
    assert User.objects.get(username="admin").is_staff
    assert User.objects.get(username="annotator").role == Role.ANNOTATOR

    benchmark = Benchmark.objects.get()
    levels = set(benchmark.tasks.values_list("level", flat=True))
    assert benchmark.tasks.count() == 6 and len(levels) == 3
    assert Criterion.objects.filter(polarity=-1).exists()
    assert GeneratorModel.objects.count() == 3
    generated = Video.objects.filter(kind=VideoKind.GENERATED)
    assert generated.count() == 18
    clips = Video.objects.filter(kind=VideoKind.DATASET)
    assert clips.count() == 10 and all(c.caption for c in clips)
    assert set(Video.objects.values_list("media_status", flat=True)) == {MediaStatus.READY}
    assert set(Video.objects.values_list("codec", flat=True)) == {"h264"}

    # Drafts from the demo judge for every video, and a frozen release to score against.
    assert Judgment.objects.filter(source=VerdictSource.LLM).count() == 3 * 90
    assert "warning" not in out.getvalue()  # its data is as the format expects: 5 a dimension
    assert benchmark.releases.get().name == "v1.0"
    board = leaderboard_compute(benchmark=benchmark, release=benchmark.releases.get())
    assert [row.tasks_counted for row in board.rows] == [6, 6, 6]
    assert board.rows[0].generator == "CellSora-1"  # the plausible model leads

    again = StringIO()
    call_command("demo", stdout=again)
    assert "already loaded" in again.getvalue()
    assert "already existed, password unchanged" in again.getvalue()
    assert Video.objects.count() == 28
