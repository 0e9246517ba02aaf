"""GET /api/v1/benchmarks/<id>/rubric-health: the figures of the Rubric health page for
tools, for those who may see the generator models."""

import uuid

import pytest
from django.urls import reverse

from rubrics_app.services.releases import release_create
from tests.api_callers import CALLERS, call, client_for
from tests.rubric_health_world import health_world, small_thresholds

pytestmark = pytest.mark.django_db

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


@pytest.fixture(autouse=True)
def fresh_throttle(settings):
    """Throttle counters in a cache of the test's own (see test_api_rubrics)."""
    settings.CACHES = {"default": {"BACKEND": LOCMEM, "LOCATION": str(uuid.uuid4())}}


@pytest.fixture
def world(settings):
    small_thresholds(settings)
    return health_world()


def url_of(benchmark) -> str:
    return reverse("api-rubric-health", args=[benchmark.pk])


@pytest.mark.parametrize("caller", CALLERS)
def test_it_answers_only_those_who_may_see_the_models(world, caller):
    status = call(client_for(caller), "get", url_of(world["benchmark"]))
    # Annotators judge blind: the figures per generator model would name them.
    expected = {"anonymous": 401, "annotator": 403}.get(caller, 200)
    assert status == expected


def test_it_refuses_an_annotator_without_naming_a_model(client, annotator_user, world):
    client.force_login(annotator_user)
    response = client.get(url_of(world["benchmark"]))
    assert response.status_code == 403
    assert response.json()["detail"] == "Only reviewers and admins can see generator models."


def test_it_gives_every_figure(world):
    answer = client_for("read_token").get(url_of(world["benchmark"])).json()
    assert answer["judge_model"] == "gpt-judge" and answer["release"] is None
    assert answer["thresholds"] == {
        "min_pairs": 4,
        "kappa_below": 0.4,
        "min_overlap": 2,
        "alpha_below": 0.667,
        "min_videos": 3,
    }
    assert answer["findings"] == {
        "judge-unreliable": 1,
        "experts-disagree": 1,
        "not-discriminating": 2,
        "penalty-never-triggered": 1,
        "zero-weight": 1,
    }
    assert set(answer["by_generator"]) == {"A", "B", "C", "D"}
    assert answer["by_polarity"]["penalty"]["both_1"] == 1
    assert len(answer["criteria"]) == 8
    c1 = next(c for c in answer["criteria"] if c["criterion"] == world["criteria"][1].pk)
    assert c1["judge"] == {
        "n": 4,
        "both_1": 1,
        "judge_1_expert_0": 2,
        "judge_0_expert_1": 0,
        "both_0": 1,
        "accuracy": 0.5,
        "kappa": pytest.approx(0.2),
        "over_call_rate": 0.5,
        "under_call_rate": 0.0,
    }
    assert c1["findings"] == ["judge-unreliable"] and c1["level"] == "Cellular-level"
    c3 = next(c for c in answer["criteria"] if c["criterion"] == world["criteria"][3].pk)
    assert c3["experts"] == {"items": 4, "unanimous": 2, "alpha": pytest.approx(0.125)}


def test_it_selects_a_finding_a_judge_and_a_release(world, reviewer_user):
    client = client_for("reviewer")
    url = url_of(world["benchmark"])
    only = client.get(url, {"finding": "experts-disagree"}).json()["criteria"]
    assert [c["criterion"] for c in only] == [world["criteria"][3].pk]
    assert len(client.get(url, {"finding": "any"}).json()["criteria"]) == 6
    other = client.get(url, {"judge": "zz-judge"}).json()
    assert other["judge_model"] == "zz-judge" and other["overall"]["n"] == 4
    bad = client.get(url, {"finding": "wobbly"})
    assert bad.status_code == 400 and "finding" in bad.json()["errors"]
    assert client.get(url, {"release": "v1"}).status_code == 404
    release_create(benchmark=world["benchmark"], name="v1", user=reviewer_user)
    assert client.get(url, {"release": "v1"}).json()["release"] == "v1"


def test_it_is_in_the_schema():
    schema = client_for("read_token").get(reverse("api-schema"), {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/benchmarks/{id}/rubric-health"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"release", "judge", "finding"}
