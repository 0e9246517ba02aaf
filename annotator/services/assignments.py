"""Handing work out: a batch's items each go to `overlap` distinct annotators, loads
as even as possible; an annotator's queue serves only their own items."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from simple_history.utils import bulk_create_with_history

from annotator.choices import WorkKind
from annotator.errors import InputError
from annotator.models import Assignment, User, Video, WorkBatch


def distribute(n_items: int, n_users: int, overlap: int) -> list[list[int]]:
    """For each item, the indices of the users it goes to. Round-robin over the
    item-major sequence of (item, copy) slots: an item's copies land on `overlap`
    consecutive users (distinct since overlap <= n_users), and the slots are dealt
    out in turn, so any two loads differ by at most one."""
    if overlap < 1:
        raise InputError("The overlap must be at least 1.")
    if overlap > n_users:
        raise InputError(
            f"An overlap of {overlap} needs at least {overlap} annotators; {n_users} chosen."
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


def clip_batch_create(
    *,
    name: str,
    videos: QuerySet[Video] | Sequence[Video],
    users: Sequence[User],
    overlap: int,
    created_by: User | None,
) -> WorkBatch:
    """A batch of candidate clips to verify, each to `overlap` annotators."""
    if not name.strip():
        raise InputError("A batch needs a name.")
    video_ids = [v.pk for v in videos]
    if not video_ids:
        raise InputError("No clips match: the batch would be empty.")
    users = sorted(users, key=lambda u: u.pk)
    targets = distribute(len(video_ids), len(users), overlap)
    with transaction.atomic():
        batch = WorkBatch.objects.create(
            name=name.strip(), kind=WorkKind.VERIFY, overlap=overlap, created_by=created_by
        )
        positions = dict.fromkeys((u.pk for u in users), 0)
        rows = []
        for video_id, indices in zip(video_ids, targets, strict=True):
            for index in indices:
                user = users[index]
                rows.append(
                    Assignment(
                        batch=batch, user=user, video_id=video_id, position=positions[user.pk]
                    )
                )
                positions[user.pk] += 1
        # With history rows, so the audit log shows who was given what and when.
        bulk_create_with_history(rows, Assignment, batch_size=2000)
    return batch
