"""Expert time routed where drafts are most likely wrong (issue 16, item 4): wrong
drafts found per 100 (video, dimension) items verified, a routed judging batch against
the same items in random order.

Synthetic benchmark of the published shape: 459 tasks x 3 dimensions x 5 criteria
(6,885 criteria), 10 models' videos per task (13,770 items, 68,850 drafts). The judge's
errors are concentrated: a draft is wrong with probability 40% on 20% of the criteria,
3% on the rest. A calibration phase first verifies a uniformly random sample of items
(judge-versus-expert pairs per criterion, as the calibration batches give them); the
routed batch is then made of the items left, in the app's own order
(annotator/selectors/routing.py: wrong_chances, items_of, ranked, as items_routed
stores them in the batch's BatchItems) and served item by item as work-next serves
them (one expert: the batch's positions in order; with several, each gets that order
restricted to their tasks). Random order: the expectation over uniformly random orders
of the same items (the mean wrong drafts per item left, whatever the budget). Bayes:
the same ranking on each criterion's exact posterior mean under the world's own
two-point mixture of error rates, given the same pairs: the best any estimator of a
fixed order can do from them in expectation (the app fits a Beta prior to the pairs
instead, knowing nothing of the mixture). The ceiling: the same ranking knowing the
judge's true error rates. Pure Python, no database: the figures are about the order,
not about speed.

    .venv/bin/python bench/routing.py [--calibration 0.1,0.2,0.3] [--seeds 5]"""

import argparse
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")

TASKS, DIMENSIONS, PER_DIMENSION, MODELS = 459, 3, 5, 10
SHAKY_SHARE, SHAKY_ERROR, SOLID_ERROR = 0.2, 0.40, 0.03
BUDGETS = (100, 500, 1377)  # items verified; 1,377 is a tenth of the benchmark


def world(seed: int) -> tuple[dict, dict, dict, dict]:
    """Criteria per (task, dimension) with their error rates, and per (task, video,
    criterion) whether the judge's draft is wrong."""
    from rubrics_app.choices import Dimension

    rng = random.Random(seed)
    criteria: dict[tuple[int, int], list[int]] = {}
    error: dict[int, float] = {}
    dimension_of: dict[int, str] = {}
    pk = 0
    for task in range(TASKS):
        for d in range(DIMENSIONS):
            criteria[(task, d)] = []
            for _ in range(PER_DIMENSION):
                error[pk] = SHAKY_ERROR if rng.random() < SHAKY_SHARE else SOLID_ERROR
                dimension_of[pk] = Dimension.values[d]
                criteria[(task, d)].append(pk)
                pk += 1
    wrong = {
        (task, video, c): rng.random() < error[c]
        for (task, d), cs in criteria.items()
        for video in range(MODELS)
        for c in cs
    }
    return criteria, dimension_of, error, wrong


def bayes(wrong: int, pairs: int) -> float:
    """The exact posterior mean of a criterion's error rate under the world's mixture."""
    shaky = SHAKY_SHARE * SHAKY_ERROR**wrong * (1 - SHAKY_ERROR) ** (pairs - wrong)
    solid = (1 - SHAKY_SHARE) * SOLID_ERROR**wrong * (1 - SOLID_ERROR) ** (pairs - wrong)
    q = shaky / (shaky + solid)
    return q * SHAKY_ERROR + (1 - q) * SOLID_ERROR


def run(seed: int, calibration: float) -> dict[str, dict[int, float]]:
    from annotator.selectors.routing import items_of, ranked, wrong_chances
    from rubrics_app.choices import Dimension

    criteria, dimension_of, error, wrong = world(seed)
    rng = random.Random(seed + 1)
    items = [(t, v, d) for (t, d) in criteria for v in range(MODELS)]
    checked = set(rng.sample(items, round(calibration * len(items))))
    pairs: dict[int, list[int]] = {c: [0, 0] for c in dimension_of}
    for t, v, d in checked:
        for c in criteria[(t, d)]:
            pairs[c][0] += wrong[(t, v, c)]
            pairs[c][1] += 1
    chance, prior = wrong_chances({c: (w, n) for c, (w, n) in pairs.items() if n})
    left = [item for item in items if item not in checked]
    # Video ids unique across tasks, as in the database.
    drafts = [(t, t * MODELS + v, c) for t, v, d in left for c in criteria[(t, d)]]

    def wrong_in(t: int, video_id: int, dimension: str) -> int:
        v, d = video_id % MODELS, Dimension.values.index(dimension)
        return sum(wrong[(t, v, c)] for c in criteria[(t, d)])

    def served(chances: dict[int, float]) -> dict[int, float]:
        order = ranked(items_of(drafts, dimension_of, chances, prior), range(TASKS))
        found = [wrong_in(i.task_id, i.video_id, i.dimension) for i in order]
        return {budget: sum(found[:budget]) * 100 / budget for budget in BUDGETS}

    at_random = sum(wrong[(t, v, c)] for t, v, d in left for c in criteria[(t, d)])
    at_random *= 100 / len(left)
    return {
        "routed": served(chance),
        "bayes": served({c: bayes(w, n) for c, (w, n) in pairs.items()}),
        "ceiling": served(error),
        "random": dict.fromkeys(BUDGETS, at_random),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calibration", default="0.1,0.2,0.3")
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    import django

    django.setup()
    mean_error = SHAKY_SHARE * SHAKY_ERROR + (1 - SHAKY_SHARE) * SOLID_ERROR
    print(
        f"{TASKS} tasks x {DIMENSIONS * PER_DIMENSION} criteria x {MODELS} models; "
        f"{SHAKY_SHARE:.0%} of criteria wrong {SHAKY_ERROR:.0%} of the time, the rest "
        f"{SOLID_ERROR:.0%}: {mean_error * PER_DIMENSION * 100:.1f} wrong drafts expected "
        f"per 100 items at random; {args.seeds} seeds"
    )
    print(
        "wrong drafts found per 100 items verified: the routed batch served item by item "
        "| random order | ratio (worst seed) | Bayes: ranked on the exact posterior of the "
        "true mixture (worst seed) | ceiling: ranked on the true error rates"
    )
    print("calibrated | items verified | routed | random | ratio (worst) | Bayes (worst) | ceiling")
    for share in (float(s) for s in args.calibration.split(",")):
        results = [run(seed, share) for seed in range(args.seeds)]
        for budget in BUDGETS:
            routed = sum(r["routed"][budget] for r in results) / len(results)
            shuffled = sum(r["random"][budget] for r in results) / len(results)
            best = sum(r["bayes"][budget] for r in results) / len(results)
            ceiling = sum(r["ceiling"][budget] for r in results) / len(results)
            worst = min(r["routed"][budget] / r["random"][budget] for r in results)
            worst_best = min(r["bayes"][budget] / r["random"][budget] for r in results)
            print(
                f"{share:>10.0%} | {budget:>14} | {routed:>6.1f} | {shuffled:>6.1f} | "
                f"{routed / shuffled:.2f}x ({worst:.2f}x) | "
                f"{best / shuffled:.2f}x ({worst_best:.2f}x) | {ceiling / shuffled:.2f}x"
            )


if __name__ == "__main__":
    main()
