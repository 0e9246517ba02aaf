"""Writing criteria by hand: every edit checked, recorded in the history, refused when
it was made on a stale version, and sent through review."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from annotator.core.errors import Conflict, InputError
from annotator.models import User
from rubrics_app.choices import CriterionOrigin, CriterionStatus, Dimension, Polarity
from rubrics_app.models import LIVE_CRITERIA, Criterion, Task
from rubrics_app.selectors import may_author
from rubrics_app.signals import criteria_retired

MAX_WEIGHT = Decimal(10)


class EditConflict(Conflict):
    """The criterion changed since the editor loaded it; nothing was written."""

    def __init__(self, current: Criterion) -> None:
        self.current = current
        who = current.updated_by.get_username() if current.updated_by else "an import"
        when = timezone.localtime(current.updated_at).strftime("%Y-%m-%d %H:%M:%S")
        super().__init__(f"Changed by {who} at {when}; your edit was not saved.")


def parse_editor_weight(value: Any) -> Decimal:
    try:
        weight = Decimal(str(value).strip())
    except InvalidOperation:
        raise InputError({"weight": gettext("Weight must be a number.")}) from None
    if not weight.is_finite() or not Decimal(0) <= weight <= MAX_WEIGHT:
        raise InputError(
            {"weight": gettext("Weight must be between 0 and %(max)s.") % {"max": MAX_WEIGHT}}
        )
    return weight.quantize(Decimal("0.000001"))


def _check(task: Task, text: str, exclude_pk: int | None = None) -> str:
    text = text.strip()
    if not text:
        raise InputError({"text": gettext("The criterion needs a text.")})
    twins = task.criteria.filter(LIVE_CRITERIA, text__iexact=text)
    if exclude_pk is not None:
        twins = twins.exclude(pk=exclude_pk)
    if twins.exists():
        raise InputError({"text": gettext("This task already has a criterion with this text.")})
    return text


def require_author(user: User, task: Task) -> None:
    """Every write to a task's criteria goes through this: annotators write only on
    tasks assigned to them for authoring, reviewers and admins everywhere."""
    if not may_author(user, task):
        raise PermissionDenied(
            gettext(
                "You can change the criteria of task %(index)s only when it is assigned "
                "to you for authoring; ask a reviewer."
            )
            % {"index": task.index}
        )


def _locked(criterion_id: int, version: int, user: User) -> Criterion:
    """The criterion locked for a change by the user: refused without authoring rights
    (before the version check, which would tell who changed it)."""
    criterion = (
        # of=self: PostgreSQL cannot lock the nullable side of the updated_by join.
        Criterion.objects.select_for_update(of=("self",))
        .select_related("updated_by", "task")
        .get(pk=criterion_id)
    )
    require_author(user, criterion.task)
    if criterion.version != version:
        raise EditConflict(criterion)
    return criterion


def _save(criterion: Criterion, user: User, reason: str, fields: list[str]) -> Criterion:
    criterion.version += 1
    criterion.updated_by = user
    criterion._history_user = user
    criterion._change_reason = reason
    criterion.save(update_fields=[*fields, "version", "updated_by", "updated_at"])
    return criterion


def criterion_create(
    *,
    task: Task,
    dimension: str,
    text: str,
    polarity: int | str,
    weight: Any,
    user: User,
    origin: str = CriterionOrigin.EXPERT,
) -> Criterion:
    """A new criterion at the end of its dimension, proposed for review."""
    require_author(user, task)
    Dimension(dimension)
    weight = parse_editor_weight(weight)
    with transaction.atomic():
        Task.objects.select_for_update().get(pk=task.pk)  # one numbering at a time
        text = _check(task, text)
        siblings = task.criteria.filter(dimension=dimension)
        top = siblings.aggregate(number=Max("number"), position=Max("position"))
        criterion = Criterion(
            task=task,
            dimension=dimension,
            text=text,
            polarity=Polarity(int(polarity)),
            weight=weight,
            number=(top["number"] or 0) + 1,
            position=(top["position"] if top["position"] is not None else -1) + 1,
            status=CriterionStatus.PROPOSED,
            origin=origin,
            created_by=user,
            updated_by=user,
        )
        criterion._history_user = user
        criterion._change_reason = "added"
        criterion.save()
    return criterion


def criterion_update(
    *,
    criterion_id: int,
    version: int,
    user: User,
    text: str | None = None,
    polarity: int | str | None = None,
    weight: Any = None,
) -> Criterion:
    """Changes text, polarity or weight. The change is a proposal: the criterion goes
    back to review whoever made it."""
    with transaction.atomic():
        criterion = _locked(criterion_id, version, user)
        changes: dict[str, Any] = {}
        if text is not None:
            changes["text"] = _check(criterion.task, text, exclude_pk=criterion.pk)
        if polarity is not None:
            changes["polarity"] = Polarity(int(polarity))
        if weight is not None:
            changes["weight"] = parse_editor_weight(weight)
        changes = {k: v for k, v in changes.items() if getattr(criterion, k) != v}
        if not changes:
            return criterion
        for name, value in changes.items():
            setattr(criterion, name, value)
        criterion.status = CriterionStatus.PROPOSED
        return _save(criterion, user, "edited", [*changes, "status"])


def criterion_move(*, criterion_id: int, version: int, user: User, offset: int) -> Criterion:
    """Swaps the criterion with its live neighbour above (-1) or below (+1). Order is
    not content: statuses stay as they are."""
    with transaction.atomic():
        criterion = _locked(criterion_id, version, user)
        siblings = list(
            criterion.task.criteria.filter(LIVE_CRITERIA, dimension=criterion.dimension)
            .select_for_update()
            .order_by("position", "number")
        )
        at = next(i for i, c in enumerate(siblings) if c.pk == criterion.pk)
        if not 0 <= at + offset < len(siblings):
            return criterion
        siblings.insert(at + offset, siblings.pop(at))
        for position, sibling in enumerate(siblings):
            if sibling.position != position:
                sibling.position = position
                _save(sibling, user, "moved", ["position"])
        return next(c for c in siblings if c.pk == criterion.pk)


def criterion_retire(*, criterion_id: int, version: int, user: User) -> Criterion:
    """Takes the criterion out of the rubric; kept for the verdicts and history."""
    with transaction.atomic():
        criterion = _locked(criterion_id, version, user)
        criterion.status = CriterionStatus.RETIRED
        retired = _save(criterion, user, "retired", ["status"])
        criteria_retired.send(Criterion, task_ids={criterion.task_id})
    return retired


def _require_reviewer(user: User) -> None:
    if not user.is_reviewer:
        raise PermissionDenied(gettext("Only reviewers approve criteria or request changes."))


def criterion_approve(*, criterion_id: int, version: int, user: User) -> Criterion:
    _require_reviewer(user)
    with transaction.atomic():
        criterion = _locked(criterion_id, version, user)
        criterion.status = CriterionStatus.APPROVED
        criterion.review_comment = ""
        return _save(criterion, user, "approved", ["status", "review_comment"])


def criterion_request_changes(
    *, criterion_id: int, version: int, user: User, comment: str
) -> Criterion:
    _require_reviewer(user)
    if not comment.strip():
        raise InputError({"comment": gettext("Say what should change.")})
    with transaction.atomic():
        criterion = _locked(criterion_id, version, user)
        criterion.status = CriterionStatus.DRAFT
        criterion.review_comment = comment.strip()
        return _save(criterion, user, "changes requested", ["status", "review_comment"])
