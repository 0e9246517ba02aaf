"""Batches served item by item: a calibration sample's draw and a routed judging
batch's ranking are ordered (video, dimension) items (BatchItem). Each expert is
served, in position order, the items of the tasks the batch gave them; an item is
finished for an expert once they have a verdict on each live criterion of its video
in its dimension, whoever's draft it started from."""

from collections import defaultdict

from django.db.models import Count

from annotator.models import Assignment, BatchItem, Judgment, User, WorkBatch
from annotator.models.choices import VerdictSource
from rubrics_app.selectors import live_criteria


def next_item(batch: WorkBatch, user: User) -> BatchItem | None:
    """The user's first unfinished item of the batch, among the tasks of theirs still
    open; None when none is left. Four queries, whatever the batch's size."""
    open_tasks = Assignment.objects.filter(batch=batch, user=user, done_at__isnull=True)
    rows = list(
        BatchItem.objects.filter(batch=batch, video__task__in=open_tasks.values("task_id"))
        .order_by("position")
        .values_list("pk", "video_id", "video__task_id", "dimension")
    )
    if not rows:
        return None
    task_ids = {task_id for _, _, task_id, _ in rows}
    needed = {
        (task_id, dimension): n
        for task_id, dimension, n in live_criteria()
        .filter(task__in=task_ids)
        .values_list("task_id", "dimension")
        .annotate(n=Count("pk"))
        .values_list("task_id", "dimension", "n")
        .order_by()
    }
    given: dict[tuple[int, str], int] = defaultdict(int)
    for video_id, dimension, n in (
        Judgment.objects.filter(
            source=VerdictSource.HUMAN,
            user=user,
            video__task__in=task_ids,
            criterion__in=live_criteria().filter(task__in=task_ids),
        )
        .values_list("video_id", "criterion__dimension")
        .annotate(n=Count("pk"))
        .values_list("video_id", "criterion__dimension", "n")
        .order_by()
    ):
        given[(video_id, dimension)] = n
    for pk, video_id, task_id, dimension in rows:
        if given[(video_id, dimension)] < needed.get((task_id, dimension), 0):
            return BatchItem.objects.select_related("video").get(pk=pk)
    return None


def item_served(user: User, task_id: int, item_id: int) -> BatchItem | None:
    """The item, with its batch and video, if it is of this task and a batch gave the
    task to the user; else None. One query."""
    return (
        BatchItem.objects.select_related("batch", "video")
        .filter(
            pk=item_id,
            video__task_id=task_id,
            batch__assignments__user=user,
            batch__assignments__task_id=task_id,
        )
        .first()
    )
