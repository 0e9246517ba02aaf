"""Expert time routed where the judge's drafts are most likely wrong. Per criterion,
the chance that a draft is wrong is the posterior mean of a Beta prior updated with
the criterion's judge-versus-expert pairs (rubric_health): (wrong + a) / (n + a + b).

The prior is fitted to every checked criterion of the batch's benchmarks (in practice
one: the batch form takes one) by the method of moments, empirical Bayes: its mean is
the pooled error rate, (wrong + 1/2) / (pairs + 1) so that it is never 0 or 1, and its
spread the variance of the criteria's error rates, estimated from the pairs of pairs
of each criterion checked twice or more (wrong * (wrong - 1) over pairs * (pairs - 1)
is unbiased for its squared rate, where (wrong / pairs) squared is not). Its weight, a + b
pairs, is then large when the criteria err alike (one wrong pair says little about a
criterion: its neighbours' record counts) and small when they differ (a criterion's
own few pairs say a lot). After one pair the posterior mean depends on the prior's
first two moments only, so there the Beta's shape costs nothing. With no
criterion checked twice the spread cannot be told and the prior weighs 2 pairs; with
nothing checked it is Beta(1, 1). A criterion nobody checked counts as an average
one, ahead of the criteria known to be reliable, so new criteria get checked too. The
pairs are every expert verdict, not only a calibration sample's: an order needs no
unbiased estimate, only a ranking.

An item is a (video, dimension): its expected wrong drafts are the sum of that chance
over its criteria with a draft and no expert's verdict yet. A routed judging batch
carries its items in that order (BatchItems, the likeliest wrong drafts first, then
those with nothing left to verify) and serves them one by one, as a calibration batch
serves its draw (selectors/batch_items.py); the order is fixed when the batch is made,
while the remaining estimate on the dashboard is read anew each time."""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from annotator.models import Judgment, Video, WorkBatch
from annotator.models.choices import VerdictSource, VerdictStatus, VideoKind
from rubrics_app.choices import Dimension
from rubrics_app.models import Task
from rubrics_app.selectors import live_criteria

PRIOR_STRENGTH = 2.0  # pairs the prior weighs when the criteria's spread is unknown
MIN_STRENGTH = 1.0  # however much the criteria differ: a perfect record never rules one out


@dataclass(frozen=True)
class Prior:
    """Beta(a, b) on a criterion's chance of a wrong draft."""

    a: float
    b: float

    @classmethod
    def pooled(cls, wrong: int, pairs: int, strength: float = PRIOR_STRENGTH) -> "Prior":
        rate = (wrong + 0.5) / (pairs + 1)
        return cls(strength * rate, strength * (1 - rate))

    @classmethod
    def fitted(cls, reliability: Iterable[tuple[int, int]]) -> "Prior":
        """Empirical Bayes, by the method of moments over the criteria's (wrong, pairs).
        The mean is the pooled rate. The spread is the variance of the rates over the
        criteria checked at least twice, each weighing its pairs of pairs n (n - 1):
        w (w - 1) and w (n - 1) are unbiased for n (n - 1) times p^2 and p, so both
        moments are of the same weighted criteria. a + b = m (1 - m) / variance - 1,
        between MIN_STRENGTH and the pairs counted (no spread seen: the criteria look
        alike, and the pool weighs at most what it was fitted from)."""
        counts = list(reliability)
        wrong, pairs = sum(w for w, _ in counts), sum(n for _, n in counts)
        both = sum(n * (n - 1) for _, n in counts)
        if not both:
            return cls.pooled(wrong, pairs)
        m = sum(w * (n - 1) for w, n in counts) / both
        variance = sum(w * (w - 1) for w, _ in counts) / both - m**2
        ceiling = max(float(pairs), MIN_STRENGTH)
        strength = m * (1 - m) / variance - 1 if variance > 0 else ceiling
        return cls.pooled(wrong, pairs, min(max(strength, MIN_STRENGTH), ceiling))

    @property
    def mean(self) -> float:
        return self.a / (self.a + self.b)

    def p_wrong(self, wrong: int, pairs: int) -> float:
        return (wrong + self.a) / (pairs + self.a + self.b)


def wrong_chances(reliability: Mapping[int, tuple[int, int]]) -> tuple[dict[int, float], Prior]:
    """Per criterion, from its (wrong, pairs) counts, the chance its draft is wrong;
    and the prior fitted to them all, which is also the chance for a criterion with no
    pairs."""
    prior = Prior.fitted(reliability.values())
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


def ranked(items: Iterable[Item], task_ids: Sequence[int]) -> list[Item]:
    """The likeliest wrong drafts first; ties in the order of the tasks given, then by
    video and dimension (rounded: sums of the same chances in another order are ties)."""
    rank = {t: k for k, t in enumerate(task_ids)}
    return sorted(
        items,
        key=lambda i: (
            -round(i.expected_wrong, 9),
            rank[i.task_id],
            i.video_id,
            Dimension.values.index(i.dimension),
        ),
    )


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


def items_routed(task_ids: Sequence[int]) -> list[tuple[int, int, str]]:
    """Every (task, video, dimension) item of these tasks' generated videos with live
    criteria: those with unverified drafts by expected wrong drafts (ranked), then the
    others (nothing left to check, or no drafts) in task order. Seven queries."""
    ranking = ranked(unverified_items(task_ids), task_ids)
    order = [(i.task_id, i.video_id, i.dimension) for i in ranking]
    dimensions: dict[int, set[str]] = defaultdict(set)
    for task_id, dimension in (
        live_criteria()
        .filter(task__in=task_ids)
        .values_list("task_id", "dimension")
        .distinct()
        .order_by()
    ):
        dimensions[task_id].add(dimension)
    videos: dict[int, list[int]] = defaultdict(list)
    for video_id, task_id in (
        Video.objects.filter(task__in=task_ids, kind=VideoKind.GENERATED)
        .order_by("pk")
        .values_list("pk", "task_id")
    ):
        videos[task_id].append(video_id)
    routed = set(order)
    order += [
        (t, v, d)
        for t in task_ids
        for v in videos[t]
        for d in Dimension.values
        if d in dimensions[t] and (t, v, d) not in routed
    ]
    return order


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
