"""Expert time routed where the judge's drafts are most likely wrong. Per criterion,
the chance that a draft is wrong is the posterior mean of a Beta prior updated with
the criterion's judge-versus-expert pairs (rubric_health): (wrong + a) / (n + a + b).

The prior is centred on the judge's pooled error rate over every checked pair of the
batch's benchmarks (in practice one: the batch form takes one), (wrong + 1/2) /
(pairs + 1) so that it is never 0 or 1 and is 1/2 (Beta(1, 1)) when nothing is
calibrated yet, and weighs PRIOR_STRENGTH pairs: a criterion nobody checked counts
as an average one, ahead of the criteria known to be reliable, so new criteria get
checked too, and a handful of its own pairs soon outweighs the prior. The pairs are
every expert verdict, not only a calibration sample's: an order needs no unbiased
estimate, only a ranking.

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
from rubrics_app.models import Task
from rubrics_app.selectors import live_criteria

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


def reliabilities(benchmark_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Per live criterion of these benchmarks, (wrong, pairs): the drafts of each
    benchmark's judge (the first by name, as on Rubric health) against the newest
    confirmed expert verdict, the pairs rubric_health counts (the tests hold them to
    its figures). Built here in four queries whatever the number of benchmarks, where
    rubric_health would take five per benchmark and work out much more."""
    return _pairs(set(benchmark_ids))[0]


def _pairs(
    benchmark_ids: set[int],
) -> tuple[dict[int, tuple[int, int]], dict[int, str], list[tuple[int, int, int]]]:
    """(wrong, pairs) per criterion, the criteria's dimensions, and the (task, video,
    criterion) of the judges' drafts no expert has verified."""
    judgments = Judgment.objects.filter(video__task__benchmark__in=benchmark_ids)
    judge_of: dict[int, str] = {}
    for benchmark_id, name in (
        judgments.filter(source=VerdictSource.LLM)
        .values_list("video__task__benchmark_id", "judge_model")
        .distinct()
        .order_by()
    ):
        judge_of[benchmark_id] = min(name, judge_of.get(benchmark_id, name))
    criteria = live_criteria().filter(task__benchmark__in=benchmark_ids)
    dimension_of, benchmark_of = {}, {}
    for pk, dimension, benchmark_id in criteria.values_list(
        "pk", "dimension", "task__benchmark_id"
    ):
        dimension_of[pk], benchmark_of[pk] = dimension, benchmark_id
    drafts: dict[tuple[int, int], int] = {}
    task_of: dict[int, int] = {}
    for task_id, v, c, x, judge in judgments.filter(source=VerdictSource.LLM).values_list(
        "video__task_id", "video_id", "criterion_id", "verdict", "judge_model"
    ):
        if c in benchmark_of and judge == judge_of.get(benchmark_of[c]):
            drafts[(v, c)] = x
            task_of[v] = task_id
    newest = {
        (v, c): x
        for v, c, x in judgments.filter(source=VerdictSource.HUMAN, status=VerdictStatus.CONFIRMED)
        .order_by("updated_at", "pk")
        .values_list("video_id", "criterion_id", "verdict")
    }
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for (v, c), x in newest.items():
        if (v, c) in drafts:
            counts[c][0] += drafts[(v, c)] != x
            counts[c][1] += 1
    reliability = {c: (w, n) for c, (w, n) in counts.items()}
    unverified = [(task_of[v], v, c) for (v, c) in drafts if (v, c) not in newest]
    return reliability, dimension_of, unverified


def unverified_items(task_ids: Iterable[int]) -> list[Item]:
    """The (video, dimension) items of these tasks with drafts no expert has verified,
    with their expected wrong drafts; the reliabilities and the prior pooled over the
    tasks' benchmarks. Four queries, then one."""
    ids = set(task_ids)
    benchmark_ids = set(
        Task.objects.filter(pk__in=ids).values_list("benchmark_id", flat=True).distinct()
    )
    reliability, dimension_of, unverified = _pairs(benchmark_ids)
    chance, prior = wrong_chances(reliability)
    return items_of((d for d in unverified if d[0] in ids), dimension_of, chance, prior)


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
