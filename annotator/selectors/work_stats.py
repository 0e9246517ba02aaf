"""How a batch of work is going, whatever its kind: per annotator done, remaining,
pace and accuracy on gold items; done over time; agreement between annotators. A
fixed number of queries whatever the batch's size."""

import math
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast
from uuid import UUID

import krippendorff
import numpy as np
from django.conf import settings
from django.db.models import Count, Max, Min, Q, QuerySet

from annotator.core.errors import InputError
from annotator.models import Assignment, ClipDecision, GoldAnswer, Judgment, User, WorkBatch
from annotator.models.choices import Decision, VerdictSource, WorkKind
from annotator.selectors.agreement import JudgeAgreement, judge_agreement
from annotator.selectors.verdicts import judge_choose
from rubrics_app.choices import Dimension
from rubrics_app.models import Criterion, Task


@dataclass
class AnnotatorProgress:
    user_id: int
    username: str
    assigned: int
    done: int
    first_done: datetime | None = None
    last_done: datetime | None = None
    seconds: list[float] = field(default_factory=list)
    gold_total: int = 0
    gold_correct: int = 0
    # Of their verdicts on the batch's tasks with a watch measure, how many and how
    # many given with less than WATCH_COVERAGE_MIN of the video played (judging).
    watch_measured: int = 0
    unwatched: int = 0

    @property
    def remaining(self) -> int:
        return self.assigned - self.done

    @property
    def median_seconds(self) -> float | None:
        """Measured by the workspace (clips); None where no time is measured."""
        return statistics.median(self.seconds) if self.seconds else None

    @property
    def items_per_hour(self) -> float | None:
        """Over the time spent on the items where it is measured (clips), else over
        the span from the first to the last item done (which includes breaks)."""
        if self.seconds and sum(self.seconds):
            return len(self.seconds) * 3600 / sum(self.seconds)
        # The Min and the Max of the same items: last_done is set where first_done is.
        last_done = cast(datetime, self.last_done)
        if self.done >= 2 and self.first_done and last_done > self.first_done:
            return (self.done - 1) * 3600 / (last_done - self.first_done).total_seconds()
        return None

    @property
    def gold_accuracy(self) -> float | None:
        return self.gold_correct / self.gold_total if self.gold_total else None

    @property
    def unwatched_share(self) -> float | None:
        return self.unwatched / self.watch_measured if self.watch_measured else None


def annotator_progress(batch: WorkBatch) -> list[AnnotatorProgress]:
    rows = (
        Assignment.objects.filter(batch=batch)
        .values("user_id", "user__username")
        .annotate(
            assigned=Count("pk"),
            done=Count("pk", filter=Q(done_at__isnull=False)),
            first_done=Min("done_at"),
            last_done=Max("done_at"),
        )
        .order_by("user__username")
    )
    people = {
        r["user_id"]: AnnotatorProgress(
            r["user_id"],
            r["user__username"],
            r["assigned"],
            r["done"],
            r["first_done"],
            r["last_done"],
        )
        for r in rows
    }
    if batch.kind == WorkKind.VERIFY:
        for user_id, seconds in ClipDecision.objects.filter(
            batch=batch, adjudication=False, seconds__isnull=False
        ).values_list("user_id", "seconds"):
            if user_id in people:
                people[user_id].seconds.append(cast(float, seconds))  # filtered on not null
    for user_id, (correct, total) in gold_scores(batch).items():
        if user_id in people:
            people[user_id].gold_correct, people[user_id].gold_total = correct, total
    if batch.kind in JUDGING_KINDS:
        for user_id, unwatched, measured in unwatched_counts(batch):
            if user_id in people:
                people[user_id].unwatched, people[user_id].watch_measured = unwatched, measured
    return list(people.values())


# The kinds of batch whose experts give verdicts on generated videos.
JUDGING_KINDS = (WorkKind.JUDGE, WorkKind.CALIBRATE)


def _experts_verdicts(batch: WorkBatch) -> QuerySet[Judgment]:
    """The verdicts of the batch's experts on its tasks (wherever they gave them)."""
    return Judgment.objects.filter(
        source=VerdictSource.HUMAN,
        user__in=Assignment.objects.filter(batch=batch).values("user_id"),
        video__task__in=Assignment.objects.filter(batch=batch).values("task_id"),
    )


def _unwatched() -> Q:
    return Q(watch_coverage__lt=settings.WATCH_COVERAGE_MIN)


def unwatched_counts(batch: WorkBatch) -> list[tuple[int, int, int]]:
    """Per expert (user id, verdicts given without watching, verdicts with a watch
    measure) on the batch's tasks: one grouped query. Verdicts without a measure (the
    API, before it was measured) are in neither."""
    return list(
        _experts_verdicts(batch)
        .filter(watch_coverage__isnull=False)
        .values("user_id")
        .annotate(unwatched=Count("pk", filter=_unwatched()), measured=Count("pk"))
        .values_list("user_id", "unwatched", "measured")
        .order_by()
    )


@dataclass(frozen=True)
class UnwatchedVerdict:
    username: str
    task_id: int
    task_index: int
    video: UUID  # the video's public id: blind, as everywhere by default
    dimension: str
    criterion_number: int
    verdict: int
    coverage: float
    replays: int | None
    frame_steps: int | None
    seconds_on_task: float | None
    updated_at: datetime


def unwatched_verdicts(batch: WorkBatch, limit: int = 200) -> list[UnwatchedVerdict]:
    """The batch's experts' verdicts given with less than WATCH_COVERAGE_MIN of the
    video played, by expert then newest first; the first `limit`. One query."""
    rows = (
        _experts_verdicts(batch)
        .filter(_unwatched())
        .order_by("user__username", "-updated_at", "-pk")
        .values_list(
            "user__username",
            "video__task_id",
            "video__task__index",
            "video__public_id",
            "criterion__dimension",
            "criterion__number",
            "verdict",
            "watch_coverage",
            "watch_replays",
            "watch_frame_steps",
            "watch_seconds",
            "updated_at",
        )[:limit]
    )
    # Coverage is never null there: it was filtered on.
    return [UnwatchedVerdict(*cast(tuple, row)) for row in rows]


def done_over_time(batch: WorkBatch, points: int = 30) -> list[tuple[datetime, int]]:
    """Items done by each of `points` moments from the first item done to the last:
    one aggregate of conditional counts, whatever the number of items."""
    done = Assignment.objects.filter(batch=batch, done_at__isnull=False)
    span = done.aggregate(first=Min("done_at"), last=Max("done_at"))
    if span["first"] is None:
        return []
    step = (span["last"] - span["first"]) / max(points - 1, 1)
    # The last moment is the last item's own (steps of whole microseconds fall short).
    moments = [span["first"] + step * i for i in range(points - 1)] if step else []
    moments.append(span["last"])
    counts = done.aggregate(
        **{f"t{i}": Count("pk", filter=Q(done_at__lte=t)) for i, t in enumerate(moments)}
    )
    return [(t, counts[f"t{i}"]) for i, t in enumerate(moments)]


def gold_scores(batch: WorkBatch) -> dict[int, tuple[int, int]]:
    """Per annotator (correct, total) on the batch's gold items: clips against their
    gold decision, generated videos' verdicts against their gold verdicts."""
    scores: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    if batch.kind == WorkKind.VERIFY:
        gold_decisions = dict(
            GoldAnswer.objects.filter(
                criterion__isnull=True, video__assignments__batch=batch
            ).values_list("video_id", "decision")
        )
        decisions = ClipDecision.objects.filter(
            batch=batch, adjudication=False, video_id__in=gold_decisions
        ).values_list("user_id", "video_id", "decision")
        for user_id, video_id, decision in decisions:
            scores[user_id][0] += decision == gold_decisions[video_id]
            scores[user_id][1] += 1
    elif batch.kind == WorkKind.JUDGE:
        tasks = Assignment.objects.filter(batch=batch).values("task_id")
        gold = {
            (v, c): verdict
            for v, c, verdict in GoldAnswer.objects.filter(
                criterion__isnull=False, video__task__in=tasks
            ).values_list("video_id", "criterion_id", "verdict")
        }
        users = Assignment.objects.filter(batch=batch).values("user_id")
        answers = Judgment.objects.filter(
            source=VerdictSource.HUMAN,
            user__in=users,
            video_id__in={v for v, _ in gold},
            criterion_id__in={c for _, c in gold},
        ).values_list("user_id", "video_id", "criterion_id", "verdict")
        for user_id, video_id, criterion_id, verdict in answers:
            if (video_id, criterion_id) in gold:
                scores[user_id][0] += verdict == gold[(video_id, criterion_id)]
                scores[user_id][1] += 1
    return {user: (correct, total) for user, (correct, total) in scores.items()}


def krippendorff_alpha(answers_per_item: Sequence[Mapping[int, str | int]]) -> float | None:
    """Krippendorff's alpha (nominal) over items answered by any number of raters
    (rater id -> answer); None when undefined (fewer than two answers per item, or a
    single category throughout)."""
    items = [a for a in answers_per_item if len(a) >= 2]
    if not items:
        return None
    raters = sorted({r for a in items for r in a})
    categories = sorted({str(v) for a in items for v in a.values()})
    if len(categories) < 2:
        return None
    code = {c: i for i, c in enumerate(categories)}
    matrix = np.full((len(raters), len(items)), np.nan)
    row = {r: i for i, r in enumerate(raters)}
    for j, answers in enumerate(items):
        for rater, value in answers.items():
            matrix[row[rater], j] = code[str(value)]
    alpha = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    return None if math.isnan(alpha) else float(alpha)


def clip_answers(batch: WorkBatch) -> list[dict[int, str]]:
    per_clip: dict[int, dict[int, str]] = defaultdict(dict)
    for user_id, video_id, decision in ClipDecision.objects.filter(
        batch=batch, adjudication=False
    ).values_list("user_id", "video_id", "decision"):
        per_clip[video_id][user_id] = decision
    return list(per_clip.values())


@dataclass
class JudgingAgreement:
    """Between the batch's annotators, on the same video and criterion."""

    per_dimension: dict[str, float | None]
    # criterion label -> (items answered by two or more, share where all agreed)
    per_criterion: list[tuple[str, int, float]]


def judging_agreement(batch: WorkBatch) -> JudgingAgreement:
    tasks = Assignment.objects.filter(batch=batch).values("task_id")
    users = Assignment.objects.filter(batch=batch).values("user_id")
    per_item: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
    for user_id, video_id, criterion_id, verdict in Judgment.objects.filter(
        source=VerdictSource.HUMAN, user__in=users, video__task__in=tasks
    ).values_list("user_id", "video_id", "criterion_id", "verdict"):
        per_item[(video_id, criterion_id)][user_id] = verdict
    criteria = {
        c.pk: c
        for c in Criterion.objects.filter(pk__in={c for _, c in per_item}).select_related("task")
    }
    by_dimension: dict[str, list[dict[int, int]]] = defaultdict(list)
    by_criterion: dict[int, list[dict[int, int]]] = defaultdict(list)
    for (_, criterion_id), answers in per_item.items():
        by_dimension[criteria[criterion_id].dimension].append(answers)
        if len(answers) >= 2:
            by_criterion[criterion_id].append(answers)
    per_criterion = [
        (
            f"task {criteria[c].task.index} {criteria[c].dimension} {criteria[c].number}",
            len(items),
            sum(len(set(a.values())) == 1 for a in items) / len(items),
        )
        for c, items in sorted(by_criterion.items())
    ]
    return JudgingAgreement(
        {d: krippendorff_alpha(by_dimension.get(d, [])) for d in Dimension.values},
        per_criterion,
    )


def judge_versus_experts(batch: WorkBatch) -> JudgeAgreement | None:
    """The GPT judge's drafts against this batch's experts on its tasks, where the
    benchmark's drafts come from one judge (else None: the leaderboard page compares
    a chosen judge)."""
    task = Task.objects.filter(assignments__batch=batch).select_related("benchmark").first()
    if task is None:
        return None
    tasks = Task.objects.filter(assignments__batch=batch)
    judgments = Judgment.objects.filter(video__task__in=tasks)
    try:
        judge = judge_choose(judgments, None)
    except InputError:
        return None
    if judge is None:
        return None
    return judge_agreement(
        benchmark=task.benchmark,
        judge_model=judge,
        tasks=tasks,
        experts=User.objects.filter(assignments__batch=batch),
    )


@dataclass
class GoldCatch:
    """One annotator's answers on the gold clips of one defect: how many they saw,
    rejected (caught) and rejected for the reason the defect should get."""

    seen: int = 0
    caught: int = 0
    right_reason: int = 0

    @property
    def rate(self) -> float | None:
        return self.caught / self.seen if self.seen else None


def gold_catch_rates(batch: WorkBatch) -> dict[str, dict[str, GoldCatch]]:
    """Per annotator (username), per defect (GoldDefect value): their catch on the
    synthetic gold clips of a verification batch. One query."""
    rates: dict[str, dict[str, GoldCatch]] = defaultdict(lambda: defaultdict(GoldCatch))
    rows = ClipDecision.objects.filter(
        batch=batch, adjudication=False, video__gold_variant__isnull=False
    ).values_list(
        "user__username",
        "video__gold_variant__defect",
        "video__gold_variant__reason__code",
        "decision",
        "reasons",
    )
    for username, defect, reason, decision, reasons in rows:
        catch = rates[username][defect]
        catch.seen += 1
        catch.caught += decision == Decision.REJECT
        catch.right_reason += decision == Decision.REJECT and reason in reasons
    return {user: dict(by_defect) for user, by_defect in sorted(rates.items())}
