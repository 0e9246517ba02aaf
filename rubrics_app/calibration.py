"""A human-corrected benchmark score from a random calibration sample: the statistics.

The draw. A calibration sample is a simple random sample, without replacement, of the
(video, dimension) items of a benchmark, stratified by generator model: the requested
size is shared out in proportion to each model's number of items (largest remainders,
ties to the model named first), then each model's share is drawn uniformly from its
items. Every item of a model thus has the same chance to be drawn, and nearly the same
chance as any other model's. numpy's generator, seeded, so the seed and the population
(in its fixed order) give the same sample again. The drawn items come out in a random
order too, the order they are handed out in: experts who work through the batch in
order leave, at any moment, a random subsample verified.

The estimate (prediction-powered inference, Angelopoulos et al., Science 2023). For one
model, with T judged tasks, N items in its population, and n of them verified:

    theta = mean over the T tasks of the judge's task score
            + (N / T) * mean over the n verified items of (human - judge)

where an item's value is its share of its task's score (see ITEM below), so that the
sum of a task's items is the task score and the mean over tasks is (1 / T) times the
sum over all N items. The second term is N / T times a sample mean, an unbiased
estimate of (1 / T) times the population total of the differences: theta is unbiased
for the score the experts would give, however biased the judge is; the judge only
decides how small the interval gets (the better the judge, the smaller the spread of
the differences).

The interval is the normal (CLT) PPI interval, from the two variances:

    se^2 = var(judge task scores) / T + (N / T)^2 * (1 - n / N) * var(differences) / n

The first term is the uncertainty over tasks that the leaderboard's bootstrap measures
for every score (a benchmark is a sample of possible tasks); the second, the sampling
error of the calibration sample, with the finite-population correction, since items are
drawn without replacement (verify every item and it vanishes). Normal, not bootstrap:
the correction is a plain mean of a simple random sample, whose CLT holds from a few
dozen items; the closed form also gives directly how many verified items would halve
the interval, which a bootstrap would only find by trial, and it costs nothing next to
the leaderboard's 2,000 resamples. (PPI's usual form ignores the covariance of the two
terms, small when n is small next to N; so does this one.)"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist, fmean, variance

import numpy as np

METHOD = (
    "prediction-powered inference: the judge's mean over all tasks plus the mean "
    "human-minus-judge difference on a uniform random sample of (video, dimension) items; "
    "normal (CLT) interval from both variances"
)
CONFIDENCE = 0.95

# ITEM: an item (one video, one dimension d of its task t) is worth 100 * S_d / M_t,
# S_d its dimension's signed weighted verdicts and M_t the task's maximum over all
# three dimensions. A task's score is max(0, (S_sci + S_vis + S_ins) / M_t) * 100, so
# its three items sum to it exactly unless the pooled raw score is negative (then the
# task scores 0 and the items sum to less): the decomposition is exact for every task
# the judge and the experts both score above 0, and the report counts the tasks the
# judge clips at 0, where it is not.


def item_value(raw: float, task_maximum: float) -> float:
    """The item's share of its task's score (ITEM above)."""
    return 100 * raw / task_maximum if task_maximum else 0.0


def allocate(strata: Mapping[str, int], size: int) -> dict[str, int]:
    """The sample size shared among the strata in proportion to their sizes (largest
    remainders; ties to the stratum named first)."""
    total = sum(strata.values())
    if total == 0:
        return dict.fromkeys(strata, 0)
    exact = {name: size * n / total for name, n in strata.items()}
    shares = {name: math.floor(x) for name, x in exact.items()}
    left = size - sum(shares.values())
    for name in sorted(strata, key=lambda k: (-(exact[k] - shares[k]), k))[:left]:
        shares[name] += 1
    return shares


def stratified_draw(strata: Mapping[str, int], size: int, seed: int) -> list[tuple[str, int]]:
    """`size` items drawn without replacement, stratified (allocate), each stratum's
    share uniform among its items: (stratum, index of the item in the stratum), in a
    random order. The strata are read in sorted order, so the seed alone decides."""
    if size > sum(strata.values()):
        raise ValueError(f"{size} items asked of {sum(strata.values())}")
    rng = np.random.default_rng(seed)
    shares = allocate(dict(sorted(strata.items())), size)
    drawn = [
        (name, int(index))
        for name in sorted(strata)
        for index in rng.choice(strata[name], size=shares[name], replace=False)
    ]
    return [drawn[k] for k in rng.permutation(len(drawn))]


@dataclass(frozen=True)
class Estimate:
    """A human-corrected score: the judge's, plus the correction the sample gives."""

    estimate: float
    judge: float
    correction: float
    interval: tuple[float, float] | None
    standard_error: float | None
    # How many more verified items (drawn the same way) would halve the interval; None
    # when no number of them can (the spread over tasks alone is more than half of it,
    # or it would take more items than there are).
    more_to_halve: int | None


def ppi_estimate(
    task_scores: Sequence[float],
    n_items: int,
    differences: Sequence[float],
    confidence: float = CONFIDENCE,
) -> Estimate | None:
    """task_scores: the judge's score of each of the model's T tasks; n_items: N, the
    items of those tasks; differences: human - judge on each verified item (n of them).
    None without a task or a verified item; no interval below two of each."""
    t, n = len(task_scores), len(differences)
    if t == 0 or n == 0:
        return None
    scale = n_items / t
    judge = fmean(task_scores)
    correction = scale * fmean(differences)
    estimate = judge + correction
    if t < 2 or n < 2:
        return Estimate(estimate, judge, correction, None, None, None)
    over_tasks = variance(task_scores) / t
    spread = scale**2 * variance(differences)
    fpc = max(0.0, 1 / n - 1 / n_items) if n_items else 0.0
    se = math.sqrt(over_tasks + spread * fpc)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    return Estimate(
        estimate,
        judge,
        correction,
        (estimate - z * se, estimate + z * se),
        se,
        _more_to_halve(over_tasks, spread, n, n_items),
    )


def _more_to_halve(over_tasks: float, spread: float, n: int, n_items: int) -> int | None:
    """The n' with over_tasks + spread * (1/n' - 1/N) = se^2 / 4 (half the width is a
    quarter of the variance), less the n verified already."""
    if spread <= 0 or n >= n_items:
        return None
    target = (over_tasks + spread * (1 / n - 1 / n_items)) / 4
    inverse = (target - over_tasks) / spread + 1 / n_items
    if inverse <= 0:
        return None
    needed = math.ceil(1 / inverse - 1e-9)
    return needed - n if needed <= n_items else None
