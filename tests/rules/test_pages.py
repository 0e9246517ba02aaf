from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.models.choices import MediaStatus
from rubrics_app.choices import CriterionStatus, Dimension, Level, Polarity
from tests.factories import (
    BenchmarkFactory,
    CriterionFactory,
    GeneratorModelFactory,
    TaskFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["benchmark-list", "benchmark-detail", "task-detail"])
def test_every_page_requires_login(client, name):
    task = TaskFactory()
    args = {"benchmark-list": [], "benchmark-detail": [task.benchmark.pk], "task-detail": [task.pk]}
    response = client.get(reverse(name, args=args[name]))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_login_page_logs_in(client, annotator_user):
    response = client.post(reverse("login"), {"username": "ann", "password": "secret-pass-1"})
    assert response.status_code == 302 and response["Location"] == reverse("home")  # by role


def test_benchmark_list_counts_tasks_per_level(client, annotator_user):
    bench = BenchmarkFactory(name="MicroWorldBench")
    for level in [Level.ORGAN, Level.CELLULAR, Level.CELLULAR, Level.SUBCELLULAR]:
        CriterionFactory(task=TaskFactory(benchmark=bench, level=level))
    CriterionFactory(task=TaskFactory(benchmark=bench), status=CriterionStatus.RETIRED)
    client.force_login(annotator_user)
    response = client.get(reverse("benchmark-list"))
    row = next(b for b in response.context["benchmarks"] if b.name == "MicroWorldBench")
    assert row.n_tasks == 5
    assert row.level_counts == [("Organ-level", 1), ("Cellular-level", 3), ("Subcellular-level", 1)]
    assert row.n_criteria == 4
    assert b"MicroWorldBench" in response.content


def test_benchmark_page_filters_tasks_and_answers_htmx_with_the_table(client, annotator_user):
    bench = BenchmarkFactory()
    TaskFactory(benchmark=bench, index=1, prompt="Mitosis in a cell", level=Level.CELLULAR)
    TaskFactory(benchmark=bench, index=2, prompt="Blood flow", level=Level.ORGAN)
    client.force_login(annotator_user)
    page = client.get(reverse("benchmark-detail", args=[bench.pk]), {"level": Level.ORGAN})
    assert [t.index for t in page.context["page"]] == [2]
    partial = client.get(
        reverse("benchmark-detail", args=[bench.pk]),
        {"q": "mitosis"},
        headers={"HX-Request": "true"},
    )
    assert [t.index for t in partial.context["page"]] == [1]
    assert b"<html" not in partial.content and b"Mitosis in a cell" in partial.content


def make_task(criteria_per_dimension: int, videos: int, **task_fields):
    task = TaskFactory(**task_fields)
    for dimension in Dimension.values:
        for n in range(1, criteria_per_dimension + 1):
            CriterionFactory(
                task=task,
                dimension=dimension,
                number=n,
                position=n,
                weight=Decimal("1.5"),
                polarity=Polarity.PENALTY if n == 1 else Polarity.POSITIVE,
            )
    for _ in range(videos):
        video = VideoFactory(
            task=task,
            generator=GeneratorModelFactory(),
            media_status=MediaStatus.READY,
            width=64,
            height=48,
            duration=1,
        )
        video.file.save("v.mp4", ContentFile(b"x"))
    return task


def test_task_page_shows_criteria_by_dimension_with_maxima_and_videos(client, annotator_user):
    task = make_task(criteria_per_dimension=3, videos=2)
    CriterionFactory(
        task=task,
        dimension=Dimension.VISUAL,
        number=9,
        text="Old criterion",
        status=CriterionStatus.RETIRED,
    )
    client.force_login(annotator_user)
    response = client.get(reverse("task-detail", args=[task.pk]))
    blocks = response.context["dimensions"]
    assert [b.key for b in blocks] == ["scientific", "visual", "instruction"]
    assert [len(b.criteria) for b in blocks] == [3, 3, 3]
    assert [b.max_score for b in blocks] == [Decimal(3)] * 3  # the penalty does not count
    html = response.content.decode()
    assert 'data-max="visual">3<' in html
    assert "Old criterion" not in html
    assert html.count("<video") == 2
    video = task.videos.first()
    assert reverse("video-media", args=[video.public_id, "file"]) in html


def test_task_page_runs_the_same_queries_whatever_the_size(client, annotator_user):
    client.force_login(annotator_user)
    small, large = make_task(criteria_per_dimension=1, videos=1), make_task(8, videos=8)
    counts = []
    for task in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("task-detail", args=[task.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_benchmark_page_runs_the_same_queries_whatever_the_size(client, annotator_user):
    client.force_login(annotator_user)
    counts = []
    for tasks in (1, 20):
        bench = BenchmarkFactory()
        for _ in range(tasks):
            make_task(criteria_per_dimension=2, videos=1, benchmark=bench)
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("benchmark-detail", args=[bench.pk]))
        counts.append(len(queries))
    assert counts[0] == counts[1]
