"""The statistics of the human-corrected score (rubrics_app/calibration.py): the draw is
uniform and stratified, and the prediction-powered estimate is unbiased where the judge
is not."""

import math
import random
from collections import Counter
from statistics import fmean, stdev

import numpy as np
import pytest
from scipy.stats import chisquare

from rubrics_app.calibration import (
    allocate,
    item_value,
    ppi_estimate,
    stratified_draw,
)
from rubrics_app.scoring import dimension_points, task_percent


def test_the_size_is_shared_in_proportion_to_the_strata():
    assert allocate({"a": 40, "b": 25, "c": 15}, 16) == {"a": 8, "b": 5, "c": 3}
    # Largest remainders, ties to the stratum named first.
    assert allocate({"a": 1, "b": 1, "c": 1}, 2) == {"a": 1, "b": 1, "c": 0}
    assert allocate({"a": 10, "b": 20}, 7) == {"a": 2, "b": 5}
    assert allocate({"a": 0}, 0) == {"a": 0}


def test_every_item_of_a_stratum_is_drawn_equally_often():
    """3,000 seeded draws: each draw holds exactly its stratum's share (stratified), and
    within each stratum every item is drawn about as often (chi-square)."""
    strata = {"a": 40, "b": 25, "c": 15}
    counts = {name: Counter() for name in strata}
    for seed in range(3000):
        drawn = stratified_draw(strata, 16, seed)
        assert Counter(name for name, _ in drawn) == {"a": 8, "b": 5, "c": 3}
        assert len(set(drawn)) == 16  # without replacement
        for name, index in drawn:
            counts[name][index] += 1
    for name, n in strata.items():
        observed = [counts[name][i] for i in range(n)]
        assert sum(observed) == 3000 * allocate(strata, 16)[name]
        assert chisquare(observed).pvalue > 0.001, name


def test_one_seeded_draw_is_uniform_and_in_random_order():
    strata = {"model-a": 6000, "model-b": 4000}
    drawn = stratified_draw(strata, 2000, seed=0)
    assert Counter(name for name, _ in drawn) == {"model-a": 1200, "model-b": 800}
    for name, n in strata.items():
        bins = np.bincount([index * 20 // n for s, index in drawn if s == name], minlength=20)
        assert chisquare(bins).pvalue > 0.001, name
    # Handed out in a random order, not model by model: any first part is a sample too.
    first = Counter(name for name, _ in drawn[:200])
    assert 90 < first["model-a"] < 150
    # The seed alone decides (the strata are read sorted); another seed, another draw.
    assert stratified_draw(dict(reversed(strata.items())), 2000, seed=0) == drawn
    assert stratified_draw(strata, 2000, seed=1) != drawn
    with pytest.raises(ValueError):
        stratified_draw(strata, 10001, seed=0)


def test_the_estimate_and_its_interval_by_hand():
    # Two tasks scored 50 and 70 by the judge, six items, two verified.
    estimate = ppi_estimate([50, 70], 6, [-10, 20])
    assert estimate.judge == 60 and estimate.correction == 3 * 5 and estimate.estimate == 75
    # var(tasks) / T = 200 / 2; (N / T)^2 var(diffs) (1/n - 1/N) = 9 * 450 / 3.
    assert estimate.standard_error == pytest.approx(math.sqrt(100 + 1350))
    low, high = estimate.interval
    assert high - low == pytest.approx(2 * 1.959964 * math.sqrt(1450), rel=1e-6)
    # 5 verified would give 100 + 4050 (1/5 - 1/6) = 235 <= 1450 / 4; 4 would not.
    assert estimate.more_to_halve == 3
    # Every item verified: only the spread over tasks is left, which no item can halve.
    whole = ppi_estimate([50, 70], 2, [-10, 20])
    assert whole.standard_error == pytest.approx(10) and whole.more_to_halve is None
    assert ppi_estimate([50, 70], 6, []) is None
    assert ppi_estimate([50, 70], 6, [4]).interval is None


def _world(rng: random.Random, tasks: int):
    """A benchmark of `tasks` tasks, 3 dimensions of 4 weighted positive points and a
    penalty each; the experts' verdicts (the truth) and a judge that over-awards points
    and misses errors. Per task: the (polarity, weight) criteria, the truth, the judge."""
    world = []
    for _ in range(tasks):
        skill = rng.uniform(0.45, 0.9)
        dimensions = []
        for _ in range(3):
            criteria = [(1, rng.choice([0.5, 1.0, 2.0])) for _ in range(4)] + [(-1, 1.0)]
            truth = [int(rng.random() < skill) for _ in range(4)] + [int(rng.random() < 0.15)]
            judge = [
                (int(rng.random() < 0.95) if v else int(rng.random() < 0.4)) for v in truth[:4]
            ] + [int(truth[4] and rng.random() < 0.4)]
            dimensions.append((criteria, truth, judge))
        world.append(dimensions)
    return world


def test_the_corrected_score_is_unbiased_where_the_drafts_are_not():
    """A judge that over-awards: the drafts' score is far above the experts'. Over 600
    seeded calibration samples of 60 of the 450 items, the prediction-powered estimate
    averages the experts' score (within the simulation's error) and its interval covers
    it at least at the nominal rate (more: the task term is there for the uncertainty
    over tasks, which a fixed benchmark does not have)."""
    world = _world(random.Random(3), tasks=150)
    truth_scores, judge_scores, items = [], [], []
    for dimensions in world:
        human = [dimension_points(c, t) for c, t, _ in dimensions]
        judge = [dimension_points(c, j) for c, _, j in dimensions]
        maximum = sum(p.maximum for p in human)
        # No task has a negative raw score: the items add up to the task scores exactly.
        assert sum(p.raw for p in human) >= 0 and sum(p.raw for p in judge) >= 0
        truth_scores.append(task_percent(human))
        judge_scores.append(task_percent(judge))
        items += [
            item_value(h.raw, maximum) - item_value(j.raw, maximum)
            for h, j in zip(human, judge, strict=True)
        ]
    truth, drafts = fmean(truth_scores), fmean(judge_scores)
    assert drafts - truth > 10  # the judge is biased

    estimates, covered = [], 0
    for seed in range(600):
        drawn = stratified_draw({"model": len(items)}, 60, seed)
        estimate = ppi_estimate(judge_scores, len(items), [items[i] for _, i in drawn])
        estimates.append(estimate.estimate)
        low, high = estimate.interval
        covered += low <= truth <= high
    error = stdev(estimates) / math.sqrt(len(estimates))
    assert abs(fmean(estimates) - truth) < 4 * error
    assert abs(drafts - truth) > 50 * error
    assert covered >= 0.93 * 600
