"""Every leaderboard score with its 95% interval, each model's rank interval and how
often it stays ahead of the next: computed once, shown on the page, in the API and in
`leaderboard --json`."""

import json
import random
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.urls import reverse

from annotator.models import Judgment
from annotator.models.choices import Role, VerdictSource, VerdictStatus
from annotator.selectors.leaderboard import leaderboard_compute
from rubrics_app.choices import Dimension, Level
from rubrics_app.uncertainty import Bootstrap, intervals, resampled_means
from tests.factories import (
    BenchmarkFactory,
    CriterionFactory,
    GeneratorModelFactory,
    TaskFactory,
    UserFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

# How often each model meets a criterion: "strong" far ahead, the two others alike.
SKILL = {"strong": 0.9, "weak-a": 0.45, "weak-b": 0.45}


@pytest.fixture
def benchmark():
    """30 tasks (levels in turn), 2 criteria per dimension, a video per model and task
    with the judge's drafts drawn from the model's skill."""
    rng = random.Random(5)
    benchmark = BenchmarkFactory(name="mwb")
    levels = Level.values
    for k in range(30):
        task = TaskFactory(benchmark=benchmark, level=levels[k % 3])
        criteria = [
            CriterionFactory(task=task, dimension=d, position=p)
            for d in Dimension.values
            for p in range(2)
        ]
        for name, skill in SKILL.items():
            video = VideoFactory(task=task, generator=GeneratorModelFactory(name=name))
            Judgment.objects.bulk_create(
                Judgment(
                    video=video,
                    criterion=c,
                    verdict=int(rng.random() < skill),
                    source=VerdictSource.LLM,
                    judge_model="judge",
                    status=VerdictStatus.DRAFT,
                )
                for c in criteria
            )
    return benchmark


def test_every_score_has_an_interval_from_the_same_resampled_tasks(benchmark):
    board = leaderboard_compute(benchmark=benchmark)
    assert [row.generator for row in board.rows] == ["strong", "weak-a", "weak-b"]
    assert board.uncertainty == {
        "method": "paired percentile bootstrap over tasks",
        "resamples": 2000,
        "seed": 0,
        "confidence": 0.95,
        "tasks": 30,
    }
    for row in board.rows:
        low, high = row.overall_ci
        assert low <= row.overall <= high
        for level in Level.values:
            assert row.by_level_ci[level][0] <= row.by_level[level] <= row.by_level_ci[level][1]
        for d in Dimension.values:
            low, high = row.by_dimension_ci[d]
            assert low <= row.by_dimension[d] <= high
    # The overall intervals are those of the task scores resampled directly.
    strong = board.rows[0]
    assert strong.tasks_counted == 30
    assert strong.rank_interval == (1, 1)
    assert board.rows[1].rank_interval == board.rows[2].rank_interval == (2, 3)
    upper, lower = board.ahead
    assert (upper.upper, upper.lower, upper.share) == ("strong", "weak-a", 1.0)
    assert (lower.upper, lower.lower) == ("weak-a", "weak-b") and 0.5 < lower.share < 1.0
    # Same seed, same answer; another seed, other resamples.
    assert leaderboard_compute(benchmark=benchmark).rows[1].overall_ci == board.rows[1].overall_ci
    other = leaderboard_compute(benchmark=benchmark, bootstrap=Bootstrap(seed=1))
    assert other.rows[1].by_dimension_ci != board.rows[1].by_dimension_ci


def test_the_intervals_are_the_bootstrap_of_the_task_scores(benchmark):
    """Against the plain computation: the per-task scores of each model (the leaderboard
    of one task at a time) resampled with the same counts."""
    board = leaderboard_compute(benchmark=benchmark)
    tasks = sorted(benchmark.tasks.values_list("pk", flat=True))
    per_task = np.array(
        [
            [
                Judgment.objects.filter(
                    video__task_id=t, video__generator__name=row.generator
                ).values_list("verdict", flat=True)
                for t in tasks
            ]
            for row in board.rows
        ],
        dtype=object,
    )
    # Every criterion positive with weight 1: a task's score is the share of criteria met.
    scores = np.array([[100 * np.mean(list(v)) for v in model] for model in per_task])
    samples = resampled_means(scores, Bootstrap().counts(len(tasks)))
    expected = [(round(low, 2), round(high, 2)) for low, high in intervals(samples)]
    assert [row.overall_ci for row in board.rows] == expected


def test_page_api_and_command_show_the_intervals(benchmark, client):
    client.force_login(UserFactory(role=Role.REVIEWER))
    html = client.get(reverse("leaderboard", args=[benchmark.pk])).content.decode()
    strong = leaderboard_compute(benchmark=benchmark).rows[0]
    low, high = strong.overall_ci
    assert f"{low:.2f}\N{EN DASH}{high:.2f}" in html
    assert "strong &gt; weak-a in 100.0% of resamples" in html
    assert "2000 resamples of the 30 tasks" in html
    assert "chartjs-chart-error-bars" in html
    chart = json.loads(
        html.split('id="leaderboard-chart" type="application/json">')[1].split("<")[0]
    )
    first = chart["levels"][Level.values[0]][0]
    assert first == {
        "y": strong.by_level[Level.values[0]],
        "yMin": strong.by_level_ci[Level.values[0]][0],
        "yMax": strong.by_level_ci[Level.values[0]][1],
    }

    answer = client.get(reverse("api-leaderboard", args=[benchmark.pk])).json()
    assert answer["rows"][0]["overall_ci"] == [low, high]
    assert answer["rows"][0]["rank_interval"] == [1, 1]
    assert answer["ahead"][0] == {"upper": "strong", "lower": "weak-a", "share": 1.0}
    assert answer["uncertainty"]["resamples"] == 2000

    out = StringIO()
    call_command("leaderboard", "--json", stdout=out)
    assert json.loads(out.getvalue())["rows"][0]["overall_ci"] == [low, high]
    out = StringIO()
    call_command("leaderboard", stdout=out)
    assert f"{low:.2f}-{high:.2f}" in out.getvalue()


def test_annotators_see_neither_the_page_nor_the_api(benchmark, client):
    client.force_login(UserFactory(role=Role.ANNOTATOR))
    assert client.get(reverse("leaderboard", args=[benchmark.pk])).status_code == 403
    assert client.get(reverse("api-leaderboard", args=[benchmark.pk])).status_code == 403
