"""How sure a benchmark score is: a paired percentile bootstrap over tasks.

Each resample draws the benchmark's tasks with replacement, the same draw for every
model (paired: models are compared on the same tasks, so a shared hard task moves them
together and does not blur their difference), and recomputes every score as the mean
over the drawn tasks a model has a score for. The 2.5th and 97.5th percentiles of the
resampled scores are the 95% interval; ranking the models in each resample gives their
rank intervals and how often one stays ahead of another. numpy does the arithmetic:
a resample is a row of counts (how often each task was drawn), so all of them are one
matrix product."""

from dataclasses import dataclass

import numpy as np

RESAMPLES = 2000
SEED = 0
CONFIDENCE = 0.95
METHOD = "paired percentile bootstrap over tasks"


@dataclass(frozen=True)
class Bootstrap:
    resamples: int = RESAMPLES
    seed: int = SEED
    confidence: float = CONFIDENCE

    def counts(self, n_tasks: int) -> np.ndarray:
        """(resamples, n_tasks): how often each task is drawn in each resample."""
        rng = np.random.default_rng(self.seed)
        draws = rng.integers(0, n_tasks, size=(self.resamples, n_tasks))
        # Row r's draws offset by r * n_tasks: one bincount counts every row at once.
        flat = draws + (np.arange(self.resamples) * n_tasks)[:, None]
        counts = np.bincount(flat.ravel(), minlength=self.resamples * n_tasks)
        return counts.reshape(self.resamples, n_tasks).astype(float)


def resampled_means(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """values: (models, tasks), NaN where a model has no score for a task; counts:
    (resamples, tasks). The (resamples, models) means over the drawn tasks each model
    has a score for (NaN when it has none among them)."""
    have = ~np.isnan(values)
    sums = counts @ np.where(have, values, 0.0).T
    n = counts @ have.T.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, sums / np.where(n > 0, n, 1), np.nan)


def intervals(
    samples: np.ndarray, confidence: float = CONFIDENCE
) -> list[tuple[float, float] | None]:
    """Per column of (resamples, models): the central `confidence` interval of its
    resampled values, None for a model never scored."""
    tail = (1 - confidence) / 2 * 100
    out: list[tuple[float, float] | None] = []
    for column in samples.T:
        column = column[~np.isnan(column)]
        if column.size == 0:
            out.append(None)
        else:
            low, high = np.percentile(column, [tail, 100 - tail])
            out.append((float(low), float(high)))
    return out


def ranks(samples: np.ndarray) -> np.ndarray:
    """(resamples, models): each model's rank in each resample, 1 the best; a model
    without a score ranks after those with one."""
    keyed = np.where(np.isnan(samples), -np.inf, samples)
    order = np.argsort(-keyed, axis=1, kind="stable")
    out = np.empty_like(order)
    np.put_along_axis(out, order, np.arange(1, samples.shape[1] + 1)[None, :], axis=1)
    return out


def rank_intervals(samples: np.ndarray, confidence: float = CONFIDENCE) -> list[tuple[int, int]]:
    tail = (1 - confidence) / 2 * 100
    ranked = ranks(samples)
    low = np.percentile(ranked, tail, axis=0, method="lower")
    high = np.percentile(ranked, 100 - tail, axis=0, method="higher")
    return [(int(lo), int(hi)) for lo, hi in zip(low, high, strict=True)]


def ahead_share(samples: np.ndarray, upper: int, lower: int) -> float:
    """The share of resamples in which model `upper` scores above model `lower`."""
    a, b = samples[:, upper], samples[:, lower]
    return float(np.mean(np.nan_to_num(a, nan=-np.inf) > np.nan_to_num(b, nan=-np.inf)))
