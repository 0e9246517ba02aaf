"""The paired bootstrap behind every leaderboard interval (rubrics_app.uncertainty)."""

import warnings

import numpy as np
import pytest

from rubrics_app.uncertainty import (
    Bootstrap,
    ahead_share,
    intervals,
    rank_intervals,
    resampled_means,
)


def reference_means(values: np.ndarray, bootstrap: Bootstrap) -> np.ndarray:
    """The plain way: draw the task indices, take each model's nanmean over them."""
    rng = np.random.default_rng(bootstrap.seed)
    n_tasks = values.shape[1]
    out = np.empty((bootstrap.resamples, values.shape[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a model with no drawn score
        for r, drawn in enumerate(rng.integers(0, n_tasks, size=(bootstrap.resamples, n_tasks))):
            out[r] = np.nanmean(values[:, drawn], axis=1)
    return out


def test_resampled_means_equal_the_plain_reference_on_fixed_data():
    values = np.array(
        [
            [10.0, 80.0, 55.5, np.nan, 30.0, 100.0],
            [0.0, 0.0, 12.5, 40.0, np.nan, np.nan],
            [np.nan, np.nan, np.nan, np.nan, np.nan, 70.0],  # one task scored only
        ]
    )
    bootstrap = Bootstrap(resamples=500, seed=7)
    mine = resampled_means(values, bootstrap.counts(values.shape[1]))
    np.testing.assert_allclose(mine, reference_means(values, bootstrap), equal_nan=True)
    # The same seed gives the same intervals; a model never drawn is NaN, not 0.
    assert np.isnan(mine[:, 2]).any() and not np.isnan(mine[:, 0]).any()
    low, high = intervals(mine)[0]
    reference = np.percentile(reference_means(values, bootstrap)[:, 0], [2.5, 97.5])
    assert (low, high) == pytest.approx(tuple(reference))


def test_the_interval_covers_the_true_mean_at_about_the_nominal_rate():
    """1,000 simulated benchmarks of 100 tasks whose scores come from a known skewed
    distribution (mean 100 * 2 / (2 + 5)): the 95% interval should hold it ~950 times."""
    rng = np.random.default_rng(2026)
    truth = 100 * 2 / (2 + 5)
    covered = 0
    bootstrap = Bootstrap(resamples=1000)
    counts = bootstrap.counts(100)  # the same draws serve every simulated benchmark
    for _ in range(1000):
        scores = 100 * rng.beta(2, 5, size=(1, 100))
        ((low, high),) = intervals(resampled_means(scores, counts))
        covered += low <= truth <= high
    assert 930 <= covered <= 970, covered


def test_paired_resamples_tell_a_constant_lead_apart_even_when_intervals_overlap():
    """B scores exactly 1 point below A on every task, tasks vary a lot: their intervals
    overlap, but on the same resampled tasks A is ahead every time."""
    rng = np.random.default_rng(1)
    a = rng.uniform(0, 100, size=80)
    values = np.vstack([a, a - 1])
    samples = resampled_means(values, Bootstrap().counts(80))
    (a_low, _), (_, b_high) = intervals(samples)
    assert b_high > a_low  # unpaired, they would look tied
    assert ahead_share(samples, 0, 1) == 1.0
    assert rank_intervals(samples) == [(1, 1), (2, 2)]


def test_rank_intervals_and_shares_on_a_constructed_example():
    rng = np.random.default_rng(3)
    base = rng.uniform(20, 80, size=60)
    noise = rng.normal(0, 15, size=(3, 60))
    # A far ahead; B and C the same model in all but noise.
    values = np.vstack([base + 40 + noise[0], base + noise[1], base + noise[2]])
    samples = resampled_means(values, Bootstrap().counts(60))
    ranked = rank_intervals(samples)
    assert ranked[0] == (1, 1)
    assert ranked[1] == ranked[2] == (2, 3)
    assert ahead_share(samples, 0, 1) == 1.0
    assert 0.05 < ahead_share(samples, 1, 2) < 0.95
    # A model without any score ranks last and has no interval.
    with_none = np.vstack([values, np.full(60, np.nan)])
    samples = resampled_means(with_none, Bootstrap().counts(60))
    assert intervals(samples)[3] is None
    assert rank_intervals(samples)[3] == (4, 4)
