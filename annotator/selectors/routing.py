"""Expert time routed where the judge's drafts are most likely wrong. Per criterion,
the chance that a draft is wrong is the posterior mean of a Beta prior updated with
the criterion's judge-versus-expert pairs (rubric_health): (wrong + a) / (n + a + b).

The prior is centred on the judge's pooled error rate over every calibrated pair of
the benchmark, (wrong + 1/2) / (pairs + 1) so that it is never 0 or 1 and is 1/2
(Beta(1, 1)) when nothing is calibrated yet, and weighs PRIOR_STRENGTH pairs: a
criterion nobody checked counts as an average one, ahead of the criteria known to be
reliable, so new criteria get checked too, and a handful of its own pairs soon
outweighs the prior.

An item is a (video, dimension): its expected wrong drafts are the sum of that chance
over its criteria with a draft and no expert's verdict yet. A judging batch hands out
tasks, so a routed batch serves its tasks by expected wrong drafts per item (a big
task does not go first for its size alone); the order is fixed when the batch is
made, while the remaining estimate on the dashboard is read anew each time."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from annotator.models import Judgment, WorkBatch
from annotator.models.choices import VerdictSource, VerdictStatus
from annotator.selectors.rubric_health import rubric_health
from rubrics_app.models import Benchmark, Task

PRIOR_STRENGTH = 2.0


@dataclass(frozen=True)
class Prior:
    """Beta(a, b) on a criterion's chance of a wrong draft."""

    a: float
    b: float

    @classmethod
    def pooled(cls, wrong: int, pairs: int, strength: float = PRIOR_STRENGTH) -> "Prior":
        rate = (wrong + 0.5) / (pairs + 1)
        return cls(strength * rate, strength * (1 - rate))

    @property
    def mean(self) -> float:
        return self.a / (self.a + self.b)

    def p_wrong(self, wrong: int, pairs: int) -> float:
        return (wrong + self.a) / (pairs + self.a + self.b)


def wrong_chances(reliability: Mapping[int, tuple[int, int]]) -> tuple[dict[int, float], Prior]:
    """Per criterion, from its (wrong, pairs) counts, the chance its draft is wrong;
    and the prior, which is also the chance for a criterion with no pairs."""
    prior = Prior.pooled(
        sum(w for w, _ in reliability.values()), sum(n for _, n in reliability.values())
    )
    return {c: prior.p_wrong(w, n) for c, (w, n) in reliability.items()}, prior


@dataclass(frozen=True)
class Item:
    task_id: int
    video_id: int
    dimension: str
    drafts: int  # unverified drafts
    expected_wrong: float


def items_of(
    drafts: Iterable[tuple[int, int, int]],
    dimension_of: Mapping[int, str],
    chance: Mapping[int, float],
    prior: Prior,
) -> list[Item]:
    """(task, video, criterion) unverified drafts as (video, dimension) items."""
    totals: dict[tuple[int, int, str], list[float]] = defaultdict(lambda: [0, 0.0])
    for task_id, video_id, criterion_id in drafts:
        total = totals[(task_id, video_id, dimension_of[criterion_id])]
        total[0] += 1
        total[1] += chance.get(criterion_id, prior.mean)
    return [Item(t, v, d, int(n), p) for (t, v, d), (n, p) in totals.items()]


def task_order(task_ids: Iterable[int], items: Iterable[Item]) -> list[int]:
    """Tasks by expected wrong drafts per item, the likeliest first; ties (and tasks
    with nothing left to verify, last) in task order."""
    per_task: dict[int, list[float]] = defaultdict(list)
    for item in items:
        per_task[item.task_id].append(item.expected_wrong)
    density = {t: sum(v) / len(v) for t, v in per_task.items()}
    return sorted(task_ids, key=lambda t: (-density.get(t, 0.0), t))


def unverified_items(task_ids: Iterable[int]) -> list[Item]:
    """The items of these tasks with drafts no expert has verified, with their
    expected wrong drafts; per benchmark, the judge and reliabilities rubric_health
    gives (its five queries), then two."""
    ids = set(task_ids)
    found: list[Item] = []
    for benchmark in Benchmark.objects.filter(tasks__in=ids).distinct():
        health = rubric_health(benchmark=benchmark)
        if health.judge_model is None:
            continue
        reliability = {
            c.criterion_id: (c.judge.judge_1_expert_0 + c.judge.judge_0_expert_1, c.judge.n)
            for c in health.criteria
        }
        chance, prior = wrong_chances(reliability)
        dimension_of = {c.criterion_id: c.dimension for c in health.criteria}
        judgments = Judgment.objects.filter(video__task__in=ids, video__task__benchmark=benchmark)
        verified = set(
            judgments.filter(
                source=VerdictSource.HUMAN, status=VerdictStatus.CONFIRMED
            ).values_list("video_id", "criterion_id")
        )
        drafts = (
            (t, v, c)
            for t, v, c in judgments.filter(
                source=VerdictSource.LLM, judge_model=health.judge_model
            ).values_list("video__task_id", "video_id", "criterion_id")
            if c in dimension_of and (v, c) not in verified
        )
        found += items_of(drafts, dimension_of, chance, prior)
    return found


def tasks_routed(tasks: Iterable[Task | int]) -> list[int]:
    """Task ids, the likeliest wrong drafts per item first."""
    ids = [t if isinstance(t, int) else t.pk for t in tasks]
    return task_order(ids, unverified_items(ids))


@dataclass(frozen=True)
class Remaining:
    """What a judging batch's items still hold: the estimated wrong drafts, over how
    many unverified items, against the threshold its reviewers set."""

    wrong: float
    items: int
    threshold: float | None

    @property
    def below(self) -> bool:
        return self.threshold is not None and self.wrong < self.threshold


def remaining_wrong(batch: WorkBatch) -> Remaining:
    task_ids = batch.assignments.values_list("task_id", flat=True).distinct()
    items = unverified_items(t for t in task_ids if t is not None)
    return Remaining(sum(i.expected_wrong for i in items), len(items), batch.stop_below)
