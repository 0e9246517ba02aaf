"""Handing work out: a batch's items each go to `overlap` distinct annotators, loads
as even as possible; an annotator's queue serves only their own items."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from annotator.core.errors import InputError
from annotator.models import Assignment, BatchItem, User, Video, WorkBatch
from annotator.models.choices import BatchOrder, WorkKind
from annotator.selectors.routing import items_routed
from annotator.services.gold_clips import gold_count, gold_for_batch, gold_mixed_in
from annotator.services.verdicts import judging_done_refresh
from rubrics_app.models import Task


def distribute(n_items: int, n_users: int, overlap: int) -> list[list[int]]:
    """For each item, the indices of the users it goes to. Round-robin over the
    item-major sequence of (item, copy) slots: an item's copies land on `overlap`
    consecutive users (distinct since overlap <= n_users), and the slots are dealt
    out in turn, so any two loads differ by at most one."""
    if overlap < 1:
        raise InputError(gettext("The overlap must be at least 1."))
    if overlap > n_users:
        raise InputError(
            gettext(
                "An overlap of %(overlap)d needs at least %(overlap)d annotators; %(n)d chosen."
            )
            % {"overlap": overlap, "n": n_users}
        )
    return [
        [(item * overlap + copy) % n_users for copy in range(overlap)] for item in range(n_items)
    ]


@dataclass
class Plan:
    """What a batch would hand out, shown before it is created."""

    n_items: int
    overlap: int
    loads: dict[str, int]


def plan(n_items: int, users: Sequence[User], overlap: int) -> Plan:
    loads = dict.fromkeys((u.username for u in users), 0)
    for targets in distribute(n_items, len(users), overlap):
        for index in targets:
            loads[users[index].username] += 1
    return Plan(n_items, overlap, loads)


def work_batch_create(
    *,
    name: str,
    kind: str,
    items: QuerySet | Sequence[Video | Task],
    users: Sequence[User],
    overlap: int,
    created_by: User | None,
    order: str = BatchOrder.TASK,
    gold_share: float = 0.0,
) -> WorkBatch:
    """A batch of work, each item to `overlap` annotators: candidate clips to verify,
    or tasks whose criteria to author or whose generated videos to judge; a judging
    batch's tasks in the order given, or routed by expected draft errors: then the
    batch carries its (video, dimension) items in that order (selectors/routing.py) and
    serves each expert those of their tasks one by one, the likeliest wrong drafts
    first (selectors/batch_items.py). Its tasks are dealt out in the order of their
    first item, so that every expert's queue starts with likely errors. A verification
    batch can hide gold clips among its candidates, `gold_share` of its items
    (services/gold_clips.py)."""
    if kind == WorkKind.CALIBRATE:
        raise InputError(
            gettext("A calibration batch is a random draw: create it from the calibration page.")
        )
    if not name.strip():
        raise InputError(gettext("A batch needs a name."))
    if order not in BatchOrder.values:
        raise InputError(gettext("No such order: %(order)s.") % {"order": order})
    if order == BatchOrder.ERRORS and kind != WorkKind.JUDGE:
        raise InputError(gettext("Only a judging batch can be ordered by expected draft errors."))
    if gold_share and kind != WorkKind.VERIFY:
        raise InputError(gettext("Only a verification batch holds gold clips."))
    item_ids = [item.pk for item in items]
    if not item_ids:
        raise InputError(gettext("Nothing matches: the batch would be empty."))
    routed: list[tuple[int, int, str]] = []
    if order == BatchOrder.ERRORS:
        routed = items_routed(item_ids)
        # Tasks without any item (no video or no live criterion yet) last, as given.
        item_ids = list(dict.fromkeys([t for t, _, _ in routed] + item_ids))
    gold = gold_for_batch(n=gold_count(len(item_ids), gold_share), users=users)
    item_ids = gold_mixed_in(item_ids, gold)
    column = "video_id" if kind == WorkKind.VERIFY else "task_id"
    users = sorted(users, key=lambda u: u.pk)
    targets = distribute(len(item_ids), len(users), overlap)
    with transaction.atomic():
        batch = WorkBatch.objects.create(
            name=name.strip(), kind=kind, overlap=overlap, order=order, created_by=created_by
        )
        positions = dict.fromkeys((u.pk for u in users), 0)
        rows = []
        for item_id, indices in zip(item_ids, targets, strict=True):
            for index in indices:
                user = users[index]
                rows.append((batch.pk, user.pk, item_id, positions[user.pk]))
                positions[user.pk] += 1
        _assignments_insert(rows, column, created_by)
        BatchItem.objects.bulk_create(
            BatchItem(batch=batch, video_id=v, dimension=d, position=k)
            for k, (_, v, d) in enumerate(routed)
        )
        if kind == WorkKind.JUDGE:  # experts may have judged a task before it was theirs
            judging_done_refresh(batch.assignments.all())
    return batch


def _assignments_insert(
    rows: list[tuple[int, int, int, int]], column: str, created_by: User | None
) -> None:
    """(batch, user, item, position) rows as assignments, with their history rows for
    the audit log. Plain SQL: a batch of the published size is 36,000 rows, and the
    ORM's bulk_create (model instances, then simple-history's copies of them) took
    7 s of the 5 s allowed; executemany and one INSERT ... SELECT take well under 1."""
    table = connection.ops.quote_name(Assignment._meta.db_table)
    history = connection.ops.quote_name(Assignment.history.model._meta.db_table)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (batch_id, user_id, {column}, position, created_at) "
            "VALUES (%s, %s, %s, %s, %s)",
            [(*row, now) for row in rows],
        )
        fields = "id, batch_id, user_id, video_id, task_id, position, done_at"
        cursor.execute(
            f"INSERT INTO {history} ({fields}, history_date, history_type, history_user_id, "
            f"history_change_reason) SELECT {fields}, %s, '+', %s, NULL FROM {table} "
            "WHERE batch_id = %s",
            [now, created_by.pk if created_by else None, rows[0][0]],
        )


def batch_reassign(*, batch: WorkBatch, leaving: User, to: Sequence[User]) -> int:
    """Hands the unfinished items of someone who leaves to others, each to whoever
    has the least unfinished work and does not hold the item already; returns how
    many moved. Finished items stay theirs (their answers count)."""
    to = [u for u in to if u.pk != leaving.pk]
    if not to:
        raise InputError(gettext("Choose at least one other annotator to take the work over."))
    with transaction.atomic():
        mine = list(
            batch.assignments.select_for_update()
            .filter(user=leaving, done_at__isnull=True)
            .order_by("position")
        )
        held = {
            (a.user_id, a.video_id, a.task_id)
            for a in batch.assignments.filter(user__in=to).only("user", "video", "task")
        }
        loads = {u.pk: batch.assignments.filter(user=u, done_at__isnull=True).count() for u in to}
        next_position = {
            u.pk: (batch.assignments.filter(user=u).aggregate(m=Max("position"))["m"] or -1) + 1
            for u in to
        }
        for assignment in mine:
            free = [u for u in to if (u.pk, assignment.video_id, assignment.task_id) not in held]
            if not free:
                raise InputError(
                    gettext(
                        "Every chosen annotator already has item %(item)s; choose more annotators."
                    )
                    % {"item": assignment.video_id or assignment.task_id}
                )
            target = min(free, key=lambda u: (loads[u.pk], u.pk))
            assignment.user = target
            assignment.position = next_position[target.pk]
            assignment.save(update_fields=["user", "position"])
            next_position[target.pk] += 1
            loads[target.pk] += 1
            held.add((target.pk, assignment.video_id, assignment.task_id))
        if batch.kind == WorkKind.JUDGE:
            judging_done_refresh(batch.assignments.filter(pk__in=[a.pk for a in mine]))
    return len(mine)
