"""The Rubric health page and its CSV, the links to it, and the criteria editor's
badges: for reviewers and admins (it names the generator models), refused to
annotators and to those not logged in; a fixed number of queries whatever the size."""

import csv
import io
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.models import Judgment, Video
from annotator.models.choices import VerdictSource, VerdictStatus, VideoKind
from annotator.selectors.rubric_health import CSV_HEADER, Finding
from rubrics_app.choices import Dimension
from rubrics_app.services.releases import release_create
from tests.factories import (
    BenchmarkFactory,
    CriterionFactory,
    GeneratorModelFactory,
    TaskFactory,
    UserFactory,
)
from tests.rubric_health_world import health_world, small_thresholds

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings):
    small_thresholds(settings)
    return health_world()


def urls(benchmark) -> dict[str, str]:
    return {
        "page": reverse("rubric-health", args=[benchmark.pk]),
        "csv": reverse("rubric-health-csv", args=[benchmark.pk]),
    }


def csv_of(response) -> list[dict[str, str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize("what", ["page", "csv"])
def test_it_sends_an_outsider_to_log_in(client, world, what):
    response = client.get(urls(world["benchmark"])[what])
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("what", ["page", "csv"])
def test_it_refuses_annotators_who_judge_blind(client, annotator_user, world, what):
    client.force_login(annotator_user)
    response = client.get(urls(world["benchmark"])[what])
    assert response.status_code == 403
    assert b"gpt-judge" not in response.content


def test_it_lists_each_finding_with_links_to_the_editor(client, reviewer_user, world):
    client.force_login(reviewer_user)
    response = client.get(urls(world["benchmark"])["page"])
    assert response.status_code == 200
    html = response.content.decode()
    c = world["criteria"]
    for finding, numbers in {
        Finding.JUDGE_UNRELIABLE: [1],
        Finding.EXPERTS_DISAGREE: [3],
        Finding.NOT_DISCRIMINATING: [7, 5],  # in the rubric's order: instruction first
        Finding.PENALTY_NEVER_TRIGGERED: [4],
        Finding.ZERO_WEIGHT: [6],
    }.items():
        assert f'id="finding-{finding}"' in html
        section = next(s for s in response.context["sections"] if s["finding"] == finding)
        assert [row.criterion_id for row in section["rows"]] == [c[n].pk for n in numbers]
        for n in numbers:
            criterion = c[n]
            assert (
                f"{reverse('task-detail', args=[criterion.task_id])}#criterion-{criterion.pk}"
                in html
            )
    # The thresholds it used, the judge, the aggregates by model.
    assert "at least 4 videos with both" in html and "below 0.4" in html
    assert "drafts by gpt-judge" in html
    table = html[html.index('id="health-aggregates"') :]
    assert "generator A" in table and "polarity penalty" in table and "level Organ-level" in table


def test_it_shows_the_rows_of_one_finding_all_on_asking(client, reviewer_user, world, monkeypatch):
    monkeypatch.setattr("annotator.views.rubric_health.ROWS_SHOWN", 1)
    client.force_login(reviewer_user)
    url = urls(world["benchmark"])["page"]
    section = next(
        s for s in client.get(url).context["sections"] if s["finding"] == Finding.NOT_DISCRIMINATING
    )
    assert (len(section["rows"]), section["total"]) == (1, 2)
    response = client.get(url, {"show": Finding.NOT_DISCRIMINATING})
    assert b"Show all 2" not in response.content
    section = next(
        s for s in response.context["sections"] if s["finding"] == Finding.NOT_DISCRIMINATING
    )
    assert len(section["rows"]) == 2


def test_it_exports_every_criterion_as_csv(client, admin_user, world):
    client.force_login(admin_user)
    response = client.get(urls(world["benchmark"])["csv"])
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="rubric_health_{world["benchmark"].pk}.csv"'
    )
    rows = csv_of(response)
    assert list(rows[0]) == CSV_HEADER and len(rows) == 8
    c1 = next(r for r in rows if r["criterion_id"] == str(world["criteria"][1].pk))
    assert c1 | {"text": ""} == {
        "task_index": "1",
        "dimension": "scientific",
        "number": "1",
        "criterion_id": str(world["criteria"][1].pk),
        "level": "Cellular-level",
        "polarity": "1",
        "weight": "1",
        "text": "",
        "pairs": "4",
        "both_1": "1",
        "judge_1_expert_0": "2",
        "judge_0_expert_1": "0",
        "both_0": "1",
        "accuracy": "0.5000",
        "kappa": "0.2000",
        "over_call_rate": "0.5000",
        "under_call_rate": "0.0000",
        "expert_items": "0",
        "expert_unanimous": "0",
        "expert_alpha": "",
        "videos": "4",
        "generators": "4",
        "met": "1",
        "findings": "judge-unreliable",
    }


def test_its_csv_selects_a_finding_and_a_release(client, reviewer_user, world):
    client.force_login(reviewer_user)
    url = urls(world["benchmark"])["csv"]
    assert [r["findings"] for r in csv_of(client.get(url, {"finding": "any"}))] == [
        "experts-disagree",
        "judge-unreliable",
        "zero-weight",
        "not-discriminating",
        "penalty-never-triggered",
        "not-discriminating",
    ]
    only = csv_of(client.get(url, {"finding": "experts-disagree"}))
    assert [r["criterion_id"] for r in only] == [str(world["criteria"][3].pk)]
    bad = client.get(url, {"finding": "<b>nope</b>"})
    assert bad.status_code == 400 and "finding &#x27;&lt;b&gt;nope&lt;/b&gt;&#x27; is unknown" in (
        bad.content.decode()
    )
    release = release_create(benchmark=world["benchmark"], name="v1", user=reviewer_user).release
    frozen = client.get(url, {"release": release.pk})
    assert f"_release_{release.pk}.csv" in frozen["Content-Disposition"]
    assert len(csv_of(frozen)) == 8


def test_it_is_linked_from_the_benchmark_the_releases_and_the_leaderboard(
    client, reviewer_user, annotator_user, world
):
    benchmark = world["benchmark"]
    release = release_create(benchmark=benchmark, name="v1", user=reviewer_user).release
    page = reverse("rubric-health", args=[benchmark.pk])
    client.force_login(reviewer_user)
    for name, expected in {
        "benchmark-detail": page,
        "release-list": f"{page}?release={release.pk}",
        "leaderboard": page,
    }.items():
        assert expected in client.get(reverse(name, args=[benchmark.pk])).content.decode()
    client.force_login(annotator_user)
    for name in ("benchmark-detail", "release-list"):
        assert page not in client.get(reverse(name, args=[benchmark.pk])).content.decode()


def test_the_editor_shows_the_finding_as_a_badge(client, reviewer_user, annotator_user, world):
    c = world["criteria"]
    task = world["tasks"][1]
    client.force_login(reviewer_user)
    html = client.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert f'id="criterion-{c[6].pk}"' in html
    for finding in ("penalty never triggered", "does not discriminate", "zero weight"):
        assert f">{finding}</a>" in html
    assert "Never present on 4 videos of 4 models." in html
    assert f"{reverse('rubric-health', args=[task.benchmark_id])}#finding-zero-weight" in html
    # The editor's htmx answers carry it too.
    block = client.get(reverse("criterion-row", args=[c[6].pk]), headers={"HX-Request": "true"})
    assert ">zero weight</a>" in block.content.decode()
    # Annotators who write criteria see the finding (it names no model), not the link.
    client.force_login(annotator_user)
    html = client.get(reverse("task-detail", args=[world["tasks"][0].pk])).content.decode()
    assert ">judge unreliable</span>" in html and ">experts disagree</span>" in html
    assert reverse("rubric-health", args=[task.benchmark_id]) not in html


def _benchmark(tasks: int, models: int, seed: int = 0):
    """tasks x 15 criteria, a video per model, the judge's drafts on all of them and two
    experts' verdicts on every other video; the verdicts at random."""
    rng = random.Random(seed)
    benchmark = BenchmarkFactory()
    experts = [UserFactory(), UserFactory()]
    generators = [GeneratorModelFactory(name=f"m{seed}-{m}") for m in range(models)]
    rows = []
    for index in range(1, tasks + 1):
        task = TaskFactory(benchmark=benchmark, index=index)
        criteria = [
            CriterionFactory(task=task, dimension=d, number=n)
            for d in Dimension.values
            for n in range(1, 6)
        ]
        videos = Video.objects.bulk_create(
            Video(kind=VideoKind.GENERATED, task=task, generator=g) for g in generators
        )
        for k, video in enumerate(videos):
            for criterion in criteria:
                rows.append(
                    Judgment(
                        video=video,
                        criterion=criterion,
                        verdict=rng.randint(0, 1),
                        source=VerdictSource.LLM,
                        judge_model="gpt-judge",
                        status=VerdictStatus.DRAFT,
                    )
                )
                rows.extend(
                    Judgment(
                        video=video,
                        criterion=criterion,
                        verdict=rng.randint(0, 1),
                        source=VerdictSource.HUMAN,
                        user=user,
                        status=VerdictStatus.CONFIRMED,
                    )
                    for user in experts
                    if k % 2 == 0
                )
    Judgment.objects.bulk_create(rows)
    return benchmark


def test_it_runs_the_same_queries_whatever_the_size(client, reviewer_user, settings):
    settings.RUBRIC_HEALTH_MIN_PAIRS = 2
    client.force_login(reviewer_user)
    counts = {}
    for tasks, models in ((1, 2), (12, 6)):
        benchmark = _benchmark(tasks, models, seed=tasks)
        release = release_create(benchmark=benchmark, name="v1", user=reviewer_user).release
        for what, url, query in (
            ("page", "rubric-health", {}),
            ("page of a release", "rubric-health", {"release": release.pk}),
            ("csv", "rubric-health-csv", {}),
        ):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(reverse(url, args=[benchmark.pk]), query)
            assert response.status_code == 200
            counts.setdefault(what, []).append(len(queries))
    assert all(small == large for small, large in counts.values()), counts
