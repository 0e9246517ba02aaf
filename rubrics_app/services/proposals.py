"""Several experts on one task: each writes a proposed set of criteria on their own, a
reviewer sees the submitted sets side by side with near-duplicate criteria grouped, and
merges the groups adopted (by discussion and majority vote) into the task's rubric.

The life of a set: OPEN (being written) -> SUBMITTED (the expert says it is their
version) -> MERGED (read-only, kept as the record of what the expert proposed). Saving a
submitted set takes it back to OPEN: "submitted" always means "this exact content", so a
reviewer never merges a version the expert was still changing. An expert has one set per
task (a database constraint): after the merge, further changes go through the criteria
editor and its review.
"""

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypedDict

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Prefetch
from django.utils import timezone
from django.utils.translation import gettext
from rapidfuzz import fuzz, process, utils

from annotator.core.errors import Conflict, InputError
from annotator.models import User
from rubrics_app.choices import (
    CriterionOrigin,
    CriterionStatus,
    Dimension,
    Polarity,
    ProposalStatus,
)
from rubrics_app.models import Criterion, ProposalSet, ProposedCriterion, Task
from rubrics_app.selectors import live_criteria
from rubrics_app.services.authoring import parse_editor_weight, require_author
from rubrics_app.signals import criteria_retired

# Two criteria are near duplicates when rapidfuzz's token_set_ratio (0..100, on
# lower-cased words without punctuation) reaches this. token_set_ratio ignores word order
# and repeated words and scores a text whose words are a subset of the other's at 100:
# rephrasings of one criterion ("Cells divide into two daughter cells" / "The cell divides
# into two daughter cells": 87) score 85 and more, different criteria of one task, which
# share the task's vocabulary, mostly stay below 60. The price: a negation ("Nuclei are
# visible" / "Nuclei are not visible": 100) lands in the same group, where the split
# polarity shows it; grouping only proposes, the reviewer decides.
SIMILARITY_THRESHOLD = 85

# The history's change-reason column holds 100 characters.
_REASON_LENGTH = 100


class ProposalsChanged(Conflict):
    """The submitted sets changed since the reviewer loaded them; nothing was merged."""


def _normalized(text: str) -> str:
    """The text compared for "the same text": case and runs of spaces do not count."""
    return " ".join(text.split()).casefold()


def _require_author(proposal_set: ProposalSet, user: User) -> None:
    if proposal_set.author_id != user.pk:
        raise PermissionDenied(gettext("Only the expert who wrote this set can change it."))
    require_author(user, proposal_set.task)  # the task may have been reassigned since


def _refuse_if_merged(proposal_set: ProposalSet) -> None:
    if proposal_set.status == ProposalStatus.MERGED:
        raise InputError(
            {
                NON_FIELD_ERRORS: gettext(
                    "This set was merged into the rubric; it can no longer change."
                )
            }
        )


def _locked_set(proposal_set: ProposalSet) -> ProposalSet:
    """The set as stored now, locked: a merge and a save of one set take turns."""
    return ProposalSet.objects.select_for_update().get(pk=proposal_set.pk)


def proposal_set_for(*, task: Task, user: User) -> ProposalSet:
    """The user's set for the task, started on first use as a copy of the task's live
    criteria: experts edit the current rubric instead of retyping it, and a criterion
    every expert keeps then shows up with the support of every expert."""
    require_author(user, task)
    with transaction.atomic():
        proposal_set, created = ProposalSet.objects.get_or_create(task=task, author=user)
        if created:
            ProposedCriterion.objects.bulk_create(
                ProposedCriterion(
                    proposal_set=proposal_set,
                    dimension=criterion.dimension,
                    position=position,
                    text=criterion.text,
                    polarity=criterion.polarity,
                    weight=criterion.weight,
                )
                for position, criterion in _positioned(live_criteria().filter(task=task))
            )
    return proposal_set


def _positioned(criteria) -> list[tuple[int, Any]]:
    """(position within its dimension, criterion), positions 0, 1, 2... per dimension."""
    seen: Counter[str] = Counter()
    result = []
    for criterion in criteria:
        result.append((seen[criterion.dimension], criterion))
        seen[criterion.dimension] += 1
    return result


class CleanItem(TypedDict):
    dimension: str
    text: str
    polarity: Polarity
    weight: Decimal


def _clean_item(index: int, item: dict[str, Any], errors: dict[str, list[str]]) -> CleanItem | None:
    """The item with checked values, or None after adding its errors (keyed
    "<index>.<field>") to errors."""

    def fail(name: str, message: str) -> None:
        errors.setdefault(f"{index}.{name}", []).append(message)

    dimension = str(item.get("dimension", ""))
    if dimension not in Dimension.values:
        fail("dimension", f"Unknown dimension {dimension!r}.")
    text = " ".join(str(item.get("text") or "").split())
    if not text:
        fail("text", "The criterion needs a text.")
    try:
        polarity = Polarity(int(item.get("polarity", Polarity.POSITIVE)))
    except (TypeError, ValueError):
        fail("polarity", "Polarity must be +1 (positive point) or -1 (penalty point).")
    try:
        weight = parse_editor_weight(item.get("weight", 1))
    except ValidationError as exc:
        for message in exc.message_dict["weight"]:
            fail("weight", message)
    if any(key.startswith(f"{index}.") for key in errors):
        return None
    return {"dimension": dimension, "text": text, "polarity": polarity, "weight": weight}


def proposal_set_save(
    *, proposal_set: ProposalSet, user: User, items: list[dict[str, Any]]
) -> ProposalSet:
    """Replaces the set's criteria with items ({dimension, text, polarity, weight}, in
    order). Errors are keyed "<item index>.<field>" so a form can show each next to its
    row; nothing is written unless every item is valid. Saving a submitted set takes it
    back to OPEN until the expert submits again."""
    _require_author(proposal_set, user)
    errors: dict[str, list[str]] = {}
    cleaned = [_clean_item(index, item, errors) for index, item in enumerate(items)]
    first_of: dict[tuple[str, str], int] = {}
    for index, item in enumerate(cleaned):
        if item is None:
            continue
        key = (item["dimension"], _normalized(item["text"]))
        if key in first_of:
            errors.setdefault(f"{index}.text", []).append(
                f"The same text is already criterion {first_of[key] + 1} of "
                f"{Dimension(item['dimension']).label}."
            )
        else:
            first_of[key] = _position_in_dimension(cleaned, index, item["dimension"])
    if errors:
        raise InputError(errors)
    # Only an item with errors is None, and there are none.
    valid = [item for item in cleaned if item is not None]
    with transaction.atomic():
        locked = _locked_set(proposal_set)
        _refuse_if_merged(locked)
        stored = locked.criteria.order_by("position", "pk").values(
            "dimension", "text", "polarity", "weight"
        )
        if _contents(list(stored)) == _contents(valid):
            return locked  # unchanged: stays submitted, the reviewer's page stays valid
        locked.criteria.all().delete()
        positions: Counter[str] = Counter()
        rows = []
        for item in valid:
            rows.append(
                ProposedCriterion(
                    proposal_set=locked, position=positions[item["dimension"]], **item
                )
            )
            positions[item["dimension"]] += 1
        ProposedCriterion.objects.bulk_create(rows)
        if locked.status == ProposalStatus.SUBMITTED:
            locked.status = ProposalStatus.OPEN
            locked.submitted_at = None
            locked.save(update_fields=["status", "submitted_at"])
    return locked


def own_set_save(
    *, task: Task, user: User, items: list[dict[str, Any]] | None, submit: bool = False
) -> ProposalSet:
    """What the expert's editor posts: their set (started on first use) replaced by
    these items, if any, then submitted if asked. All or nothing: an invalid first save
    leaves no set behind, an invalid submission keeps the rows it came with unsaved."""
    with transaction.atomic():
        own = proposal_set_for(task=task, user=user)
        if items is not None:
            own = proposal_set_save(proposal_set=own, user=user, items=items)
        if submit:
            own = proposal_set_submit(proposal_set=own, user=user)
    return own


_DIMENSION_ORDER = {key: n for n, key in enumerate(Dimension.values)}


def _contents(items: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, int, Decimal]]:
    """What a set says, per dimension in order, to tell whether a save changes it."""
    rows = [(i["dimension"], i["text"], int(i["polarity"]), i["weight"]) for i in items]
    return sorted(rows, key=lambda row: _DIMENSION_ORDER[row[0]])  # stable: keeps the order


def _position_in_dimension(cleaned: list[CleanItem | None], index: int, dimension: str) -> int:
    return sum(1 for item in cleaned[:index] if item and item["dimension"] == dimension)


def proposal_set_submit(*, proposal_set: ProposalSet, user: User) -> ProposalSet:
    """Hands the set to the reviewers. Submitting again without a change keeps the first
    submission's time (the reviewer's page stays valid)."""
    _require_author(proposal_set, user)
    with transaction.atomic():
        locked = _locked_set(proposal_set)
        _refuse_if_merged(locked)
        if locked.status == ProposalStatus.SUBMITTED:
            return locked
        if not locked.criteria.exists():
            raise InputError({NON_FIELD_ERRORS: gettext("Add at least one criterion to submit.")})
        locked.status = ProposalStatus.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.save(update_fields=["status", "submitted_at"])
    return locked


def submitted_sets(task: Task) -> list[ProposalSet]:
    """The task's submitted sets with their authors and criteria (two queries)."""
    return list(
        task.proposal_sets.filter(status=ProposalStatus.SUBMITTED)
        .select_related("author")
        .prefetch_related(Prefetch("criteria", queryset=ProposedCriterion.objects.order_by()))
        .order_by("author__username")
    )


def sets_fingerprint(sets: list[ProposalSet]) -> str:
    """Which submitted sets a reviewer saw: a set's content changes only by a save, which
    takes it out of SUBMITTED, so (id, submission time) pairs identify the contents."""
    return ",".join(
        f"{s.pk}@{s.submitted_at.isoformat() if s.submitted_at else ''}"
        for s in sorted(sets, key=lambda s: s.pk)
    )


@dataclass
class ProposalGroup:
    """Near-duplicate criteria of several experts: one candidate criterion."""

    dimension: str
    members: list[ProposedCriterion]
    n_experts: int

    @property
    def key(self) -> str:
        """Stable while no set changes: a save gives every criterion of its set a new id,
        so a key from a reviewer's page no longer resolves after the set changed."""
        return str(min(m.pk for m in self.members))

    @property
    def experts(self) -> list[User]:
        authors = {m.proposal_set.author_id: m.proposal_set.author for m in self.members}
        return sorted(authors.values(), key=lambda u: u.get_username())

    @property
    def support(self) -> int:
        """How many distinct experts proposed it (the votes of a majority vote)."""
        return len({m.proposal_set.author_id for m in self.members})

    @property
    def has_majority(self) -> bool:
        return self.support * 2 > self.n_experts

    @property
    def texts(self) -> list[tuple[str, int]]:
        """The distinct texts with how many experts wrote each, most common first."""
        counts: Counter[str] = Counter()
        first: dict[str, str] = {}
        for member in self.members:
            first.setdefault(_normalized(member.text), member.text)
            counts[_normalized(member.text)] += 1
        return [(first[key], n) for key, n in counts.most_common()]

    @property
    def text(self) -> str:
        """The default final text: the most common one (ties: the first expert's)."""
        return self.texts[0][0]

    @property
    def polarity(self) -> int:
        """The majority polarity; on a tie, the polarity the default text was given."""
        votes = Counter(m.polarity for m in self.members)
        if votes[Polarity.POSITIVE] != votes[Polarity.PENALTY]:
            return votes.most_common(1)[0][0]
        normalized = _normalized(self.text)
        return next(m.polarity for m in self.members if _normalized(m.text) == normalized)

    @property
    def polarity_disputed(self) -> bool:
        return len({m.polarity for m in self.members}) > 1

    @property
    def weight(self) -> Decimal:
        """The median weight: one outlying expert does not move it."""
        median = statistics.median(m.weight for m in self.members)
        return Decimal(median).quantize(Decimal("0.000001"))

    @property
    def weights(self) -> list[Decimal]:
        return sorted(m.weight for m in self.members)

    @property
    def mean_position(self) -> float:
        return statistics.fmean(m.position for m in self.members)


@dataclass
class DimensionGroups:
    key: str
    label: str
    groups: list[ProposalGroup] = field(default_factory=list)


def _clusters(texts: list[str]) -> list[list[int]]:
    """Single-linkage clusters of the texts (indexes): two texts share a cluster when a
    chain of near-duplicate pairs links them."""
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if texts:
        scores = process.cdist(
            texts,
            texts,
            scorer=fuzz.token_set_ratio,
            processor=utils.default_process,
            score_cutoff=SIMILARITY_THRESHOLD,
        )
        for i, j in zip(*scores.nonzero(), strict=True):
            parent[root(int(i))] = root(int(j))
    clusters: dict[int, list[int]] = {}
    for i in range(len(texts)):
        clusters.setdefault(root(i), []).append(i)
    return list(clusters.values())


def proposal_groups(*, task: Task, sets: list[ProposalSet] | None = None) -> list[DimensionGroups]:
    """Per dimension (in the rubric's order), the submitted sets' criteria grouped by
    near-duplicate text, in the experts' average order. sets: the task's submitted sets
    with authors and criteria, when the caller has them already."""
    if sets is None:
        sets = submitted_sets(task)
    n_experts = len({s.author_id for s in sets})
    result = []
    for key, label in Dimension.choices:
        members = [
            c
            for s in sets
            for c in sorted(s.criteria.all(), key=lambda c: (c.position, c.pk))
            if c.dimension == key
        ]
        groups = [
            ProposalGroup(key, [members[i] for i in cluster], n_experts)
            for cluster in _clusters([m.text for m in members])
        ]
        groups.sort(key=lambda g: (g.mean_position, -g.support, g.text))
        result.append(DimensionGroups(key, str(label), groups))
    return result


def _reason(group: ProposalGroup) -> str:
    names = ", ".join(u.get_username() for u in group.experts)
    reason = f"merged ({group.support} of {group.n_experts} experts: {names})"
    if len(reason) > _REASON_LENGTH:
        reason = reason[: _REASON_LENGTH - 2] + "…)"
    return reason


def _clean_choices(
    choices: list[dict[str, Any]], groups: dict[str, ProposalGroup]
) -> list[tuple[ProposalGroup, CleanItem]]:
    """(group, {text, polarity, weight}) per choice, missing values from the group's
    defaults; errors keyed "<group key>.<field>"."""
    errors: dict[str, list[str]] = {}
    cleaned = []
    seen: set[tuple[str, str]] = set()
    for choice in choices:
        key = str(choice.get("group", ""))
        group = groups.get(key)
        if group is None:
            raise ProposalsChanged(
                gettext("A group you adopted no longer exists: a set was changed.")
            )
        values = {
            "text": choice.get("text"),
            "polarity": choice.get("polarity"),
            "weight": choice.get("weight"),
        }
        defaults = {"text": group.text, "polarity": group.polarity, "weight": group.weight}
        item = {
            "dimension": group.dimension,
            **{k: defaults[k] if v is None else v for k, v in values.items()},
        }
        twin = (group.dimension, _normalized(str(item["text"] or "")))
        if twin[1] and twin in seen:
            errors.setdefault(f"{key}.text", []).append(
                "Another adopted group has the same final text."
            )
        seen.add(twin)
        item_errors: dict[str, list[str]] = {}
        checked = _clean_item(0, item, item_errors)
        for name, messages in item_errors.items():
            errors.setdefault(f"{key}.{name.split('.', 1)[1]}", []).extend(messages)
        if checked is not None:
            cleaned.append((group, checked))
    if errors:
        raise InputError(errors)
    return cleaned


def _write(criterion: Criterion, user: User, reason: str, **values: Any) -> Criterion:
    """Sets values and saves with the history's author and reason; a kept criterion the
    merge does not change is left alone (no new version, no history row)."""
    if criterion.pk is not None and all(getattr(criterion, k) == v for k, v in values.items()):
        return criterion
    for name, value in values.items():
        setattr(criterion, name, value)
    if criterion.pk is not None:
        criterion.version += 1
    criterion.updated_by = user
    criterion._history_user = user
    criterion._change_reason = reason
    criterion.save()
    return criterion


def proposals_merge(
    *,
    task: Task,
    user: User,
    choices: list[dict[str, Any]],
    seen: str | None = None,
) -> list[Criterion]:
    """Replaces the task's live criteria with the groups the reviewer adopted, and marks
    every submitted set merged, in one transaction.

    choices: in rubric order, one per adopted group, {group: key, text?, polarity?,
    weight?}; a missing (None) value is the group's default (most common text, majority
    polarity, median weight), an empty text is an error. seen: the sets_fingerprint() of
    the sets the reviewer looked at; if given and the submitted sets differ now,
    ProposalsChanged is raised.

    A live criterion whose text is the final text, or else one of the group's texts, is
    kept (same number, so its verdicts and history stay attached) and updated; other
    adopted groups become new criteria; live criteria no group kept are retired, never
    deleted. Every resulting criterion is approved: the reviewer's merge is the review.
    Each change is in the history with the reviewer as its author and the experts who
    supported it in the reason.
    """
    if not user.is_reviewer:
        raise PermissionDenied(gettext("Only reviewers merge experts' proposals."))
    with transaction.atomic():
        Task.objects.select_for_update().get(pk=task.pk)  # one merge/numbering at a time
        # Locked: a save or submit waits for the merge, then sees the set merged.
        list(
            task.proposal_sets.select_for_update(of=("self",)).filter(
                status=ProposalStatus.SUBMITTED
            )
        )
        sets = submitted_sets(task)
        if not sets:
            raise InputError({NON_FIELD_ERRORS: gettext("No expert has submitted a set yet.")})
        if seen is not None and seen != sets_fingerprint(sets):
            raise ProposalsChanged(
                gettext("The submitted sets changed since you opened the page: nothing was merged.")
            )
        if not choices:
            raise InputError({NON_FIELD_ERRORS: gettext("Adopt at least one group to merge.")})
        groups = {
            group.key: group
            for block in proposal_groups(task=task, sets=sets)
            for group in block.groups
        }
        adopted = _clean_choices(choices, groups)

        live = list(live_criteria().filter(task=task).select_for_update())
        tops = task.criteria.order_by().values("dimension").annotate(top=Max("number"))
        next_number = {row["dimension"]: row["top"] + 1 for row in tops}
        claimed: set[int] = set()
        positions: Counter[str] = Counter()
        merged: list[Criterion] = []
        for group, item in adopted:
            dimension = item["dimension"]
            candidates = [c for c in live if c.dimension == dimension and c.pk not in claimed]
            final = _normalized(item["text"])
            member_texts = {_normalized(m.text) for m in group.members}
            criterion = next(
                (c for c in candidates if _normalized(c.text) == final),
                next((c for c in candidates if _normalized(c.text) in member_texts), None),
            )
            position = positions[dimension]
            positions[dimension] += 1
            if criterion is None:
                criterion = Criterion(
                    task=task,
                    dimension=dimension,
                    number=next_number.get(dimension, 1),
                    origin=CriterionOrigin.EXPERT,
                    created_by=user,
                )
                next_number[dimension] = criterion.number + 1
            else:
                claimed.add(criterion.pk)
            values = {
                "text": item["text"],
                "polarity": item["polarity"],
                "weight": item["weight"],
                "position": position,
                "status": CriterionStatus.APPROVED,
                "review_comment": "",
            }
            merged.append(_write(criterion, user, _reason(group), **values))
        retired = [criterion for criterion in live if criterion.pk not in claimed]
        for criterion in retired:
            reason = "retired in a merge of experts' proposals"
            _write(criterion, user, reason, status=CriterionStatus.RETIRED)
        if retired:
            criteria_retired.send(Criterion, task_ids={task.pk})
        ProposalSet.objects.filter(pk__in=[s.pk for s in sets]).update(status=ProposalStatus.MERGED)
    return merged
