"""Experts' verdicts on generated videos: each expert keeps one verdict per video and
criterion, starting from the judge's drafts, which they confirm or override."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict, cast
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from simple_history.utils import bulk_create_with_history

from annotator.core.errors import Conflict, InputError
from annotator.core.prepared import Prepared
from annotator.core.visibility import labelled
from annotator.models import Assignment, BatchItem, Judgment, User, Video
from annotator.models.choices import Role, VerdictSource, VerdictStatus, VideoKind, WorkKind
from annotator.services.watch import Watched, watch_columns
from rubrics_app.choices import CriterionStatus, Dimension
from rubrics_app.models import Benchmark, Criterion, Task
from rubrics_app.scoring import dimension_points, task_percent
from rubrics_app.selectors import count_of, live_criteria

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations  # django-stubs, a dev dependency

MAX_VIDEOS = 8
# What the workspace's players read of a video; the rest of a row is left unloaded.
PLAYER_FIELDS = (
    *("kind", "public_id", "file", "playable", "poster", "fps"),
    # The judge's frames, marked on the video's bar.
    *("duration", "frame_count", "judge_frames"),
)


def verdict_set(
    *, video: Video, criterion_id: int, user: User, verdict: int, watched: Watched | None = None
) -> VideoChecklist:
    """The expert's verdict on one criterion: saved at once, replacing their earlier
    one (one current human verdict per video, criterion and expert), with what they
    had watched of the video (in the same INSERT or UPDATE). Returns the
    video's checklist with it (unlabelled), which the save is answered with: its two
    reads also check the criterion and tell a first verdict (most saves: one INSERT
    and its history row) from a change. The verdict that completes the video's
    checklist also marks the expert's judging assignment of the task done if it is."""
    if verdict not in (0, 1):
        raise InputError(gettext("A verdict is 0 or 1."))
    checklist = video_checklist(video, user)
    check = checklist.check_of(criterion_id)
    if check is None:
        raise InputError(gettext("This criterion is not a live criterion of the video's task."))
    fields: dict[str, Any] = {"video": video, "criterion": check.criterion, "user": user}
    if check.mine is None:
        try:
            with transaction.atomic():
                Judgment.objects.create(
                    **fields,
                    source=VerdictSource.HUMAN,
                    verdict=verdict,
                    status=VerdictStatus.CONFIRMED,
                    **watch_columns(watched),
                )
                check.mine = verdict
                if checklist.done:  # only a first verdict filling the video can complete the task
                    checklist.completed = True
                    judging_done_refresh(_judging_assignments(user, _task_of(video)))
                # Or one filling a dimension, a calibration item (no query when it fills none).
                calibration_done_refresh(
                    _judging_assignments(user, _task_of(video)),
                    filled=all(
                        c.mine is not None for c in checklist.dimensions[check.criterion.dimension]
                    ),
                )
            return checklist
        except IntegrityError:  # given meanwhile (another tab): replaced below
            pass
    if check.mine != verdict:
        # update_or_create is atomic itself (and the unique constraint settles races).
        Judgment.objects.update_or_create(
            **fields,
            source=VerdictSource.HUMAN,
            defaults={
                "verdict": verdict,
                "status": VerdictStatus.CONFIRMED,
                **watch_columns(watched),
            },
        )
    check.mine = verdict
    return checklist


def verdict_time_mark(
    *, video: Video, criterion_id: int, user: User, seconds: float | None
) -> VideoChecklist:
    """Attaches a time in the video to the expert's verdict on a criterion (None takes
    it off). Only a verdict of the expert's own carries one: a draft is the judge's,
    and a mark with no verdict would say nothing. Returns the checklist with it."""
    checklist = video_checklist(video, user)
    check = checklist.check_of(criterion_id)
    if check is None:
        raise InputError(gettext("This criterion is not a live criterion of the video's task."))
    if check.mine is None:
        raise InputError(
            gettext("Give or confirm a verdict on this criterion first: a mark goes with one.")
        )
    if seconds is not None:
        duration = video.duration
        beyond = duration is not None and seconds > duration + 0.05
        if not math.isfinite(seconds) or seconds < 0 or beyond:
            raise InputError(
                gettext("%(seconds)s s is not a time of this video (0 to %(duration).2f s).")
                % {"seconds": seconds, "duration": duration or 0}
            )
        seconds = round(seconds, 2)
    judgment = Judgment.objects.get(
        video=video, criterion_id=criterion_id, user=user, source=VerdictSource.HUMAN
    )
    judgment.time_mark = seconds
    judgment.save(update_fields=["time_mark", "updated_at"])  # history records it
    check.time_mark = seconds
    return checklist


class _Needed(TypedDict):
    n_videos: int
    n_criteria: int


def _with_needed(tasks: QuerySet[Task]) -> QuerySet[WithAnnotations[Task, _Needed]]:
    """Tasks with the numbers that make the verdicts an expert owes each: one per live
    criterion (n_criteria) of every generated video (n_videos)."""
    return tasks.annotate(
        n_videos=count_of(Video.objects.filter(kind=VideoKind.GENERATED), "task"),
        n_criteria=count_of(live_criteria(), "task"),
    )


def _given(**where: Any) -> QuerySet[Judgment]:
    """Experts' verdicts on live criteria."""
    return Judgment.objects.filter(source=VerdictSource.HUMAN, **where).exclude(
        criterion__status=CriterionStatus.RETIRED
    )


def _task_of(video: Video) -> int:
    """A judged video is a generated one, which always has its task (Video's check)."""
    return cast(int, video.task_id)


def _judging_assignments(user: User, task_id: int) -> QuerySet[Assignment]:
    return Assignment.objects.filter(user=user, task_id=task_id)


def judging_done_after_retire(sender: Any, task_ids: set[int], **kwargs: Any) -> None:
    """Retiring criteria can complete a task's judging: the verdicts left wanting were
    on those criteria (rubrics_app.signals.criteria_retired)."""
    judging_done_refresh(Assignment.objects.filter(task_id__in=task_ids))


def judging_done_refresh(assignments: QuerySet[Assignment]) -> None:
    """Marks judging assignments done where the expert has a verdict on every live
    criterion of every generated video of the task, at the time of their last verdict.
    Called inside the writes that can complete one (a video's last verdict, drafts
    confirmed, work handed out to someone who judged already, criteria retired), never
    by a read: pages and selectors only read done_at. Three queries, one when nothing
    is pending."""
    pending = list(
        # batch_id too: instances from a related manager read it to attach the batch.
        assignments.filter(batch__kind=WorkKind.JUDGE, done_at__isnull=True).only(
            "pk", "user_id", "task_id", "batch_id"
        )
    )
    if not pending:
        return
    task_ids = cast(set[int], {a.task_id for a in pending})  # judging: each is of a task
    needed: dict[int | None, int] = {
        pk: n_videos * n_criteria
        for pk, n_videos, n_criteria in _with_needed(
            Task.objects.filter(pk__in=task_ids)
        ).values_list("pk", "n_videos", "n_criteria")
    }
    given = {
        (user, task): (n, last)
        for user, task, n, last in _given(
            user__in={a.user_id for a in pending}, video__task__in=task_ids
        )
        .values_list("user_id", "video__task_id")
        .annotate(n=Count("pk"), last=Max("updated_at"))
        .order_by()
    }
    done = []
    for assignment in pending:
        n, last = given.get((assignment.user_id, assignment.task_id), (0, None))
        if needed[assignment.task_id] and n >= needed[assignment.task_id]:
            assignment.done_at = last
            done.append(assignment)
    Assignment.objects.bulk_update(done, ["done_at"])


def calibration_done_refresh(assignments: QuerySet[Assignment], *, filled: bool = True) -> None:
    """Marks calibration assignments done where the expert has a verdict on every live
    criterion of each drawn (video, dimension) item of the task, at the time of their
    last one. As judging_done_refresh, called by the writes only. No query when `filled`
    is false (the write filled no dimension: it cannot have finished an item; most
    first verdicts of a save), one when none is pending, else five."""
    if not filled:
        return
    pending = list(
        assignments.filter(batch__kind=WorkKind.CALIBRATE, done_at__isnull=True).only(
            "pk", "user_id", "task_id", "batch_id"
        )
    )
    if not pending:
        return
    items: dict[tuple[int, int | None], list[tuple[int, str]]] = {}
    for batch_id, task_id, video_id, dimension in BatchItem.objects.filter(
        batch__in={a.batch_id for a in pending},
        video__task__in={a.task_id for a in pending},
    ).values_list("batch_id", "video__task_id", "video_id", "dimension"):
        items.setdefault((batch_id, task_id), []).append((video_id, dimension))
    needed: dict[tuple[int | None, str], int] = {
        (task_id, dimension): n
        for task_id, dimension, n in live_criteria()
        .filter(task__in={a.task_id for a in pending})
        .values_list("task_id", "dimension")
        .annotate(n=Count("pk"))
        .values_list("task_id", "dimension", "n")
        .order_by()
    }
    given = {
        (user, video, dimension): (n, last)
        for user, video, dimension, n, last in _given(
            user__in={a.user_id for a in pending},
            video__task__in={a.task_id for a in pending},
        )
        .values_list("user_id", "video_id", "criterion__dimension")
        .annotate(n=Count("pk"), last=Max("updated_at"))
        .values_list("user_id", "video_id", "criterion__dimension", "n", "last")
        .order_by()
    }
    done = []
    for assignment in pending:
        mine = items.get((assignment.batch_id, assignment.task_id), [])
        answered = [
            given.get((assignment.user_id, video, dimension), (0, None))
            for video, dimension in mine
        ]
        if mine and all(
            n >= needed.get((assignment.task_id, dimension), 0)
            for (n, _), (_, dimension) in zip(answered, mine, strict=True)
        ):
            moments = [last for _, last in answered if last is not None]
            assignment.done_at = max(moments) if moments else timezone.now()
            done.append(assignment)
    Assignment.objects.bulk_update(done, ["done_at"])


@dataclass(frozen=True)
class Confirmed:
    """The verdicts a bulk write created and when: what its undo takes back."""

    ids: list[int]
    at: datetime

    @property
    def count(self) -> int:
        return len(self.ids)


def _unjudged(
    videos: Sequence[Video], user: User, dimension: str | None
) -> list[tuple[Video, Criterion, Draft | None]]:
    """The live criteria of each video (of one dimension, or all) that the expert has
    no verdict on yet, each with the judge's draft if there is one."""
    if dimension is not None and dimension not in Dimension.values:
        raise InputError(
            gettext("%(dimension)s is not a dimension: one of %(dimensions)s.")
            % {"dimension": repr(dimension), "dimensions": ", ".join(Dimension.values)}
        )
    drafts, mine, *_ = verdicts_shown(list(videos), user)
    criteria = live_criteria().filter(task__in={_task_of(v) for v in videos})
    if dimension is not None:
        criteria = criteria.filter(dimension=dimension)
    by_task: dict[int, list[Criterion]] = {}
    for c in criteria:
        by_task.setdefault(c.task_id, []).append(c)
    return [
        (v, c, drafts.get((v.pk, c.pk)))
        for v in videos
        for c in by_task.get(_task_of(v), [])
        if (v.pk, c.pk) not in mine
    ]


def _verdicts_create(
    user: User, new: list[tuple[Video, Criterion, int]], watched: Mapping[int, Watched] | None
) -> Confirmed:
    """The expert's verdicts written at once (with their history rows), each with what
    the expert had watched of its video (by video id), and the work they may finish
    marked done. All or nothing: a verdict given meanwhile elsewhere
    (another tab) refuses the whole write, so that its undo knows what it created."""
    rows = [
        Judgment(
            video=video,
            criterion=criterion,
            user=user,
            source=VerdictSource.HUMAN,
            verdict=verdict,
            status=VerdictStatus.CONFIRMED,
            **watch_columns((watched or {}).get(video.pk)),
        )
        for video, criterion, verdict in new
    ]
    try:
        with transaction.atomic():
            created = bulk_create_with_history(rows, Judgment, default_user=user)
            if created:
                assignments = Assignment.objects.filter(
                    user=user, task_id__in={_task_of(v) for v, _, _ in new}
                )
                judging_done_refresh(assignments)
                calibration_done_refresh(assignments)
    except IntegrityError:
        raise Conflict(
            gettext(
                "Some of these verdicts were given meanwhile (in another tab?): "
                "reload the page. Nothing was saved."
            )
        ) from None
    # Taken after the write: a verdict changed later is saved after this moment.
    return Confirmed([row.pk for row in created], timezone.now())


def drafts_confirm(
    *,
    videos: Sequence[Video],
    user: User,
    dimension: str | None = None,
    watched: Mapping[int, Watched] | None = None,
) -> Confirmed:
    """Takes the judge's drafts (of one dimension, or all) of these videos as the
    expert's verdicts where the expert has given none yet, each with what the expert
    had watched of its video (by video id)."""
    return _verdicts_create(
        user,
        [(v, c, draft.verdict) for v, c, draft in _unjudged(videos, user, dimension) if draft],
        watched,
    )


def dimension_absent(
    *, video: Video, dimension: str, user: User, watched: Watched | None = None
) -> Confirmed:
    """Sets every criterion of the dimension with neither a draft nor a verdict of the
    expert's to 0 (not met / absent): without drafts, the expert then flips the few
    that differ instead of answering each."""
    return _verdicts_create(
        user,
        [(v, c, 0) for v, c, draft in _unjudged([video], user, dimension) if draft is None],
        {video.pk: watched} if watched else None,
    )


def bulk_undo(*, user: User, confirmed: Confirmed) -> set[int]:
    """Takes back exactly the verdicts a bulk write created (their history keeps them),
    and reopens the work they had finished; returns their videos' ids. Refused, with
    nothing undone, when one of them changed or went since."""
    with transaction.atomic():
        rows = list(
            Judgment.objects.select_for_update()
            .filter(pk__in=confirmed.ids, user=user, source=VerdictSource.HUMAN)
            .only("pk", "video_id", "updated_at")
        )
        if len(rows) != len(set(confirmed.ids)) or any(r.updated_at > confirmed.at for r in rows):
            raise Conflict(
                gettext(
                    "Some of these verdicts changed since they were confirmed: nothing was undone."
                )
            )
        video_ids = {row.video_id for row in rows}
        Judgment.objects.filter(pk__in=[row.pk for row in rows]).delete()
        # Whatever they finished is open again, unless it is still complete without them.
        assignments = Assignment.objects.filter(
            user=user,
            task_id__in=Video.objects.filter(pk__in=video_ids).values("task_id"),
            batch__kind__in=[WorkKind.JUDGE, WorkKind.CALIBRATE],
        )
        assignments.update(done_at=None)
        judging_done_refresh(assignments)
        calibration_done_refresh(assignments)
    return video_ids


class Draft(NamedTuple):
    verdict: int
    judge_model: str
    reasoning: str


Key = tuple[int, int]  # (video, criterion)


def _shown_rows(judgments: QuerySet[Judgment], user_id: int) -> QuerySet[Judgment, tuple]:
    """Of these judgments, what a checklist shows: the drafts and the user's own
    verdicts, oldest first, as plain rows (a judging page reads up to 240)."""
    mine = Q(source=VerdictSource.HUMAN, user_id=user_id)
    return (
        judgments.filter(Q(source=VerdictSource.LLM) | mine)
        .order_by("updated_at", "pk")
        .values_list(
            "video_id",
            "criterion_id",
            "source",
            "verdict",
            "judge_model",
            "evaluation__reasoning",
            "time_mark",
            "watch_coverage",
        )
    )


Shown = tuple[dict[Key, Draft], dict[Key, int], dict[Key, float], dict[int, float]]


def _shown(rows: Iterable[tuple]) -> Shown:
    drafts: dict[Key, Draft] = {}
    mine: dict[Key, int] = {}
    marks: dict[Key, float] = {}
    watched: dict[int, float] = {}
    for video, criterion, source, verdict, judge, reasoning, mark, coverage in rows:
        if source == VerdictSource.HUMAN:
            mine[(video, criterion)] = verdict
            if mark is not None:
                marks[(video, criterion)] = mark
            if coverage is not None:
                watched[video] = min(coverage, watched.get(video, coverage))
        else:
            drafts[(video, criterion)] = Draft(verdict, judge, reasoning or "")
    return drafts, mine, marks, watched


def verdicts_shown(videos: list[Video], user: User) -> Shown:
    """Per (video, criterion): the newest draft, with the reasoning of the reply it
    came from, the expert's own verdict and its time mark if it has one; per video,
    the least of it the expert had watched when giving a verdict on it (their own
    measure only: never another expert's). One query."""
    return _shown(_shown_rows(Judgment.objects.filter(video__in=videos), user.pk))


# What a verdict save reads (and the judging page, of the criteria), compiled once
# (annotator.core.prepared): the same querysets as every other reader's.
_criteria_of_task = Prepared(lambda task: live_criteria().filter(task_id=task), task=Task._meta.pk)
_shown_of_video = Prepared(
    lambda video, user: _shown_rows(Judgment.objects.filter(video_id=video), user),
    video=Video._meta.pk,
    user=User._meta.pk,
)


@dataclass
class Check:
    """One criterion in a video's checklist, as the expert sees it."""

    criterion: Criterion
    draft: Draft | None
    mine: int | None
    time_mark: float | None = None  # of the expert's verdict, seconds into the video

    @property
    def value(self) -> int | None:
        return self.mine if self.mine is not None else (self.draft.verdict if self.draft else None)

    @property
    def state(self) -> str:
        return "confirmed" if self.mine is not None else ("draft" if self.draft else "open")


@dataclass
class VideoChecklist:
    video: Video
    label: str
    dimensions: dict[str, list[Check]] = field(default_factory=dict)
    # Set by the save whose verdict was the last one the checklist lacked.
    completed: bool = False
    # The least share of the video the expert had played when giving a verdict on it.
    watched: float | None = None

    @property
    def score(self) -> float | None:
        """The live task score of this video from the values shown (the expert's
        verdicts, else drafts); None until every criterion has one."""
        points = []
        for checks in self.dimensions.values():
            values = [check.value for check in checks if check.value is not None]
            if len(values) < len(checks):
                return None
            points.append(
                dimension_points(
                    [(c.criterion.polarity, float(c.criterion.weight)) for c in checks], values
                )
            )
        return task_percent(points)

    @property
    def done(self) -> bool:
        return all(c.mine is not None for checks in self.dimensions.values() for c in checks)

    @property
    def sections(self) -> list[tuple[str, list[Check], Draft | None]]:
        """Per dimension its checks and a draft of it, which carries the judge's
        reasoning: one reply judges a whole dimension."""
        return [
            (dimension, checks, next((c.draft for c in checks if c.draft), None))
            for dimension, checks in self.dimensions.items()
        ]

    @property
    def time_marks(self) -> list[Check]:
        """The expert's verdicts with a time mark, in the video's order."""
        marked = [
            c for checks in self.dimensions.values() for c in checks if c.time_mark is not None
        ]
        return sorted(marked, key=lambda c: cast(float, c.time_mark))

    def check_of(self, criterion_id: int) -> Check | None:
        return next(
            (
                c
                for checks in self.dimensions.values()
                for c in checks
                if c.criterion.pk == criterion_id
            ),
            None,
        )


def _checklist(
    video: Video,
    label: str,
    criteria: list[Criterion],
    drafts: dict[Key, Draft],
    mine: dict[Key, int],
    marks: dict[Key, float],
    watched: dict[int, float],
) -> VideoChecklist:
    checklist = VideoChecklist(video, label, watched=watched.get(video.pk))
    for dimension in Dimension.values:
        checklist.dimensions[dimension] = [
            Check(
                c,
                drafts.get((video.pk, c.pk)),
                mine.get((video.pk, c.pk)),
                marks.get((video.pk, c.pk)),
            )
            for c in criteria
            if c.dimension == dimension
        ]
    return checklist


def workspace(
    *,
    task: Task,
    user: User,
    blind: bool,
    only: Video | None = None,
    include: Collection[int] = (),
) -> list[VideoChecklist]:
    """The task's generated videos, each with its checklist (a fixed number of queries,
    whatever the number of videos and criteria); with `only`, that video's alone
    (labelled as on the page). The first MAX_VIDEOS, and those of `include` (the
    videos of the expert's calibration items) wherever they come."""
    # Labelled first, then cut: blind, the videos shown are not the first by model name,
    # and each keeps the letter the task page gives it.
    videos = [
        (video, label)
        for k, (video, label) in enumerate(
            labelled(
                task.videos.filter(kind=VideoKind.GENERATED)
                .select_related("generator")
                .only(*PLAYER_FIELDS, "task_id", "generator__name"),
                user,
                names=not blind,
            )
        )
        if k < MAX_VIDEOS or video.pk in include or video == only
    ]
    criteria = _criteria_of_task(task=task.pk)
    shown = verdicts_shown([v for v, _ in videos if only in (None, v)], user)
    return [
        _checklist(video, label, criteria, *shown)
        for video, label in videos
        if only in (None, video)
    ]


def video_checklist(video: Video, user: User, *, blind: bool | None = None) -> VideoChecklist:
    """One video's checklist: two queries. Labelled as on the task page when `blind`
    is given (a third query: the task's videos), else unlabelled."""
    if blind is not None:
        # A generated video has a task (a check constraint on Video).
        task = cast(Task, video.task)
        (checklist,) = workspace(task=task, user=user, blind=blind, only=video)
        return checklist
    criteria = _criteria_of_task(task=video.task_id)
    return _checklist(video, "", criteria, *_shown(_shown_of_video(video=video.pk, user=user.pk)))


@dataclass
class QueueProgress:
    done: int
    total: int
    next_task: Task | None


def _assigned_tasks(user: User) -> QuerySet[Assignment, Mapping[str, object]]:
    """The ids of the tasks assigned to the user in judging (or calibration) batches."""
    return Assignment.objects.filter(
        user=user, batch__kind__in=[WorkKind.JUDGE, WorkKind.CALIBRATE]
    ).values("task_id")


def judgeable_tasks(user: User, benchmark: Benchmark | None = None) -> QuerySet[Task]:
    """The tasks an expert may judge (of one benchmark, or of all): every task for
    reviewers and admins, for annotators only the tasks assigned to them in judging
    batches."""
    tasks = benchmark.tasks.all() if benchmark else Task.objects.all()
    return tasks if user.is_reviewer else tasks.filter(pk__in=_assigned_tasks(user))


def judgeable_videos(user: User) -> QuerySet[Video]:
    """The generated videos an expert may judge (see judgeable_tasks)."""
    videos = Video.objects.filter(kind=VideoKind.GENERATED)
    return videos if user.is_reviewer else videos.filter(task__in=_assigned_tasks(user))


_judgeable_video = Prepared(
    lambda reviewer, user, public_id: (
        judgeable_videos(User(pk=user, role=Role.REVIEWER if reviewer else Role.ANNOTATOR))
        .only("public_id", "task_id")
        .filter(public_id=public_id)
    ),
    user=User._meta.pk,
    public_id=Video._meta.get_field("public_id"),
)


def judgeable_video(user: User, public_id: UUID) -> Video | None:
    """The video of this public id if the user may judge it (judgeable_videos), with
    its public id and task alone: what a save needs (a save is most of the load
    experts put on the server)."""
    found = _judgeable_video(user.is_reviewer, user=user.pk, public_id=public_id)
    return found[0] if found else None


def _judged_tasks(
    user: User, benchmark: Benchmark | None
) -> tuple[list[WithAnnotations[Task, _Needed]], set[int]]:
    """The tasks the expert may judge that have generated videos (of one benchmark, or
    of all), in index order, and the ids of those they have finished: a verdict on
    every live criterion of every video. Two queries: the expert's verdicts are counted
    per task in one grouped query; a count subquery per task read every video's
    verdicts of every task (a 459-task benchmark: 58 ms against 19)."""
    tasks = [
        t
        for t in _with_needed(judgeable_tasks(user, benchmark))
        .only("pk", "index", "benchmark_id")
        .order_by("benchmark_id", "index")
        if t.n_videos  # a task without generated videos has nothing to judge
    ]
    where = {"video__task__benchmark": benchmark} if benchmark else {}
    given = dict(
        _given(user=user, **where).values_list("video__task_id").annotate(n=Count("pk")).order_by()
    )
    finished = {t.pk for t in tasks if given.get(t.pk, 0) >= t.n_videos * t.n_criteria}
    return tasks, finished


def judging_queue(*, benchmark: Benchmark, user: User, after: Task | None = None) -> QueueProgress:
    """The expert's progress through the tasks of a benchmark they may judge (see
    _judged_tasks). Next: the first unfinished task after `after`, wrapping around (to
    `after` itself when it is the only one left)."""
    tasks, finished = _judged_tasks(user, benchmark)
    unfinished = [t for t in tasks if t.pk not in finished]
    later = [t for t in unfinished if after is None or t.index > after.index]
    next_task = later[0] if later else unfinished[0] if unfinished else None
    return QueueProgress(len(finished), len(tasks), next_task)


@dataclass
class BenchmarkProgress:
    benchmark: Benchmark
    done: int
    total: int


def judging_overview(user: User) -> list[BenchmarkProgress]:
    """Per benchmark with tasks the expert may judge, how many they have finished:
    three queries, however many benchmarks."""
    tasks, finished = _judged_tasks(user, None)
    counts: dict[int, list[int]] = {}
    for task in tasks:
        done_total = counts.setdefault(task.benchmark_id, [0, 0])
        done_total[0] += task.pk in finished
        done_total[1] += 1
    benchmarks = Benchmark.objects.in_bulk(list(counts))
    return [
        BenchmarkProgress(benchmarks[pk], done, total)
        for pk, (done, total) in sorted(counts.items(), key=lambda kv: benchmarks[kv[0]].name)
    ]
