"""Rubric health (annotator.selectors.rubric_health) on the hand-made benchmark of
tests/rubric_health_world.py, whose counts are worked out there: the judge's figures
per criterion and aggregated, the experts' alpha, and each finding."""

import itertools
import random

import numpy as np
import pytest
from statsmodels.stats.inter_rater import cohens_kappa

from annotator.selectors.agreement import Agreement
from annotator.selectors.rubric_health import (
    ANY,
    CriterionHealth,
    Finding,
    Thresholds,
    binary_alpha,
    rubric_health,
)
from annotator.selectors.work_stats import krippendorff_alpha
from rubrics_app.models import Criterion
from rubrics_app.services.releases import release_create
from tests.factories import BenchmarkFactory
from tests.rubric_health_world import MODELS, health_world

pytestmark = pytest.mark.django_db

# Small enough for four videos a task and two experts.
SMALL = Thresholds(min_pairs=4, kappa_below=0.4, min_overlap=2, alpha_below=0.667, min_videos=3)


def counts(a: Agreement) -> tuple[int, int, int, int]:
    return (a.both_1, a.judge_1_expert_0, a.judge_0_expert_1, a.both_0)


@pytest.fixture
def world():
    return health_world()


def by_id(health) -> dict[int, CriterionHealth]:
    return {c.criterion_id: c for c in health.criteria}


def test_it_works_out_the_judges_figures_per_criterion(world):
    health = rubric_health(benchmark=world["benchmark"], thresholds=SMALL)
    assert health.judge_model == "gpt-judge"  # the first judge by name
    row = by_id(health)
    c1 = row[world["criteria"][1].pk]
    assert counts(c1.judge) == (1, 2, 0, 1)
    assert c1.judge.n == 4 and c1.judge.accuracy == 0.5
    assert c1.judge.over_call_rate == 0.5 and c1.judge.under_call_rate == 0
    assert c1.kappa == pytest.approx(0.2)
    c2 = row[world["criteria"][2].pk]
    assert counts(c2.judge) == (2, 0, 0, 2) and c2.kappa == pytest.approx(1)
    assert row[world["criteria"][3].pk].judge.n == 0  # experts only, no draft


def test_it_takes_the_judge_asked_for(world):
    health = rubric_health(benchmark=world["benchmark"], judge_model="zz-judge", thresholds=SMALL)
    c2 = by_id(health)[world["criteria"][2].pk]
    assert counts(c2.judge) == (0, 2, 2, 0) and c2.kappa == pytest.approx(-1)
    assert by_id(health)[world["criteria"][1].pk].judge.n == 0


def test_it_measures_the_experts_among_themselves(world):
    health = rubric_health(benchmark=world["benchmark"], thresholds=SMALL)
    c3 = by_id(health)[world["criteria"][3].pk]
    assert (c3.expert_items, c3.expert_unanimous) == (4, 2)
    assert c3.expert_alpha == pytest.approx(0.125)
    # The same figure as the batch dashboards' (work_stats.krippendorff_alpha).
    e1, e2 = (u.pk for u in world["experts"])
    answers = [{e1: 1, e2: 0}, {e1: 0, e2: 1}, {e1: 1, e2: 1}, {e1: 0, e2: 0}]
    assert krippendorff_alpha(answers) == pytest.approx(0.125)
    c1 = by_id(health)[world["criteria"][1].pk]
    assert (c1.expert_items, c1.expert_alpha) == (0, None)


def test_it_counts_the_verdicts_that_stand_per_criterion(world):
    health = rubric_health(benchmark=world["benchmark"], thresholds=SMALL)
    row = by_id(health)
    c = world["criteria"]
    # The expert's verdict where there is one, else the draft.
    assert (row[c[1].pk].videos, row[c[1].pk].met, row[c[1].pk].generators) == (4, 1, 4)
    assert (row[c[3].pk].videos, row[c[3].pk].met) == (4, 2)  # e2's, the newest
    assert (row[c[8].pk].videos, row[c[8].pk].generators) == (2, 2)


def test_it_finds_each_kind_of_finding(world):
    health = rubric_health(benchmark=world["benchmark"], thresholds=SMALL)
    c = world["criteria"]
    found = {n: by_id(health)[c[n].pk].findings for n in c}
    assert found == {
        1: [Finding.JUDGE_UNRELIABLE],
        2: [],
        3: [Finding.EXPERTS_DISAGREE],
        4: [Finding.PENALTY_NEVER_TRIGGERED],
        5: [Finding.NOT_DISCRIMINATING],
        6: [Finding.ZERO_WEIGHT],
        7: [Finding.NOT_DISCRIMINATING],
        8: [],  # two videos: below min_videos
    }
    assert health.counts() == {
        Finding.JUDGE_UNRELIABLE: 1,
        Finding.EXPERTS_DISAGREE: 1,
        Finding.NOT_DISCRIMINATING: 2,
        Finding.PENALTY_NEVER_TRIGGERED: 1,
        Finding.ZERO_WEIGHT: 1,
    }
    # In the rubric's order: by task, then dimension (by name), position and number.
    assert [x.criterion_id for x in health.select(ANY)] == [c[n].pk for n in (3, 1, 6, 7, 4, 5)]
    assert [x.criterion_id for x in health.select(Finding.ZERO_WEIGHT)] == [c[6].pk]
    assert len(health.select()) == 8  # the retired criterion is not one of them


def test_its_thresholds_decide(world):
    strict = Thresholds(
        min_pairs=5, kappa_below=0.4, min_overlap=5, alpha_below=0.667, min_videos=5
    )
    health = rubric_health(benchmark=world["benchmark"], thresholds=strict)
    assert health.counts() == dict.fromkeys(Finding, 0) | {Finding.ZERO_WEIGHT: 1}
    lenient = Thresholds(min_pairs=4, kappa_below=0.1, min_overlap=2, alpha_below=0.1, min_videos=2)
    found = rubric_health(benchmark=world["benchmark"], thresholds=lenient).counts()
    assert found[Finding.JUDGE_UNRELIABLE] == 0 and found[Finding.EXPERTS_DISAGREE] == 0
    assert found[Finding.NOT_DISCRIMINATING] == 3  # c8 now counts


def test_it_reads_the_thresholds_from_the_settings(world, settings):
    settings.RUBRIC_HEALTH_MIN_PAIRS = 4
    settings.RUBRIC_HEALTH_MIN_VIDEOS = 3
    health = rubric_health(benchmark=world["benchmark"])
    assert health.thresholds.min_pairs == 4 and health.thresholds.kappa_below == 0.4
    assert health.counts()[Finding.JUDGE_UNRELIABLE] == 1


def test_it_aggregates_the_judge_by_dimension_polarity_level_and_model(world):
    health = rubric_health(benchmark=world["benchmark"], thresholds=SMALL)
    # The pairs: c1 (4), c2 (4), c7 (1, on A).
    assert counts(health.overall) == (4, 2, 0, 3)
    assert {k: counts(a) for k, a in health.by_dimension.items()} == {
        "scientific": (1, 2, 0, 1),
        "visual": (2, 0, 0, 2),
        "instruction": (1, 0, 0, 0),
    }
    assert {k: counts(a) for k, a in health.by_polarity.items()} == {
        "positive": (3, 2, 0, 3),
        "penalty": (1, 0, 0, 0),
    }
    assert {k: counts(a) for k, a in health.by_level.items()} == {
        "Organ-level": (1, 0, 0, 0),
        "Cellular-level": (3, 2, 0, 3),
    }
    assert {k: counts(a) for k, a in health.by_generator.items()} == {
        "A": (3, 0, 0, 0),
        "B": (0, 1, 0, 1),
        "C": (1, 1, 0, 0),
        "D": (0, 0, 0, 2),
    }
    # judge 1 on 6 of 9, expert 1 on 4 of 9: p_e = (6*4 + 3*5) / 81; p_o = 7/9.
    p_e = (6 * 4 + 3 * 5) / 81
    assert health.overall.kappa == pytest.approx((7 / 9 - p_e) / (1 - p_e))


def test_a_release_scores_its_frozen_criteria(world, reviewer_user):
    c = world["criteria"]
    release = release_create(benchmark=world["benchmark"], name="v1", user=reviewer_user).release
    # After the freeze: the live criterion loses its weight, the frozen one keeps it.
    Criterion.objects.filter(pk=c[5].pk).update(weight=0)
    live = rubric_health(benchmark=world["benchmark"], thresholds=SMALL)
    frozen = rubric_health(benchmark=world["benchmark"], release=release, thresholds=SMALL)
    assert frozen.release == "v1" and len(frozen.criteria) == 8
    assert Finding.ZERO_WEIGHT in by_id(live)[c[5].pk].findings
    assert Finding.ZERO_WEIGHT not in by_id(frozen)[c[5].pk].findings
    assert counts(frozen.overall) == counts(live.overall)


def test_it_narrows_to_one_task_for_the_editor(world):
    task = world["tasks"][0]
    health = rubric_health(benchmark=world["benchmark"], task=task, thresholds=SMALL)
    assert {x.criterion_id for x in health.criteria} == {world["criteria"][n].pk for n in (1, 2, 3)}
    assert by_id(health)[world["criteria"][1].pk].kappa == pytest.approx(0.2)
    assert health.by_generator.keys() == set(MODELS)


def test_it_answers_an_empty_benchmark():
    health = rubric_health(benchmark=BenchmarkFactory())
    assert health.criteria == [] and health.judge_model is None and health.overall.n == 0
    assert health.as_dict()["criteria"] == []


def test_its_kappa_is_statsmodels_cohens_kappa():
    for cells in itertools.product(range(4), repeat=4):
        a = Agreement(*cells)
        table = np.array([[a.both_1, a.judge_1_expert_0], [a.judge_0_expert_1, a.both_0]])
        with np.errstate(invalid="ignore", divide="ignore"):
            reference = cohens_kappa(table, return_results=False) if a.n else float("nan")
        if np.isnan(reference):
            assert a.kappa is None, cells
        else:
            assert a.kappa == pytest.approx(reference), cells


def test_its_alpha_is_krippendorffs_on_random_verdicts():
    rng = random.Random(0)
    for _ in range(300):
        raters = rng.randint(2, 5)
        items = [
            {r: int(rng.random() < 0.3) for r in rng.sample(range(raters), rng.randint(1, raters))}
            for _ in range(rng.randint(1, 12))
        ]
        reference = krippendorff_alpha(items)
        if reference is None:
            assert binary_alpha(items) is None, items
        else:
            assert binary_alpha(items) == pytest.approx(reference), items
