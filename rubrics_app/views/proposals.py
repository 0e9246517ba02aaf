"""Experts' proposed sets: each expert edits their own (a formset: adding and removing a
row re-renders it without saving), a reviewer compares the submitted ones and merges
them into the task's rubric."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, BadRequest, ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from annotator.core.errors import InputError
from annotator.core.htmx import AuthedHttpRequest
from annotator.core.permissions import reviewer_required
from rubrics_app.choices import Dimension, Polarity, ProposalStatus
from rubrics_app.models import ProposalSet, ProposedCriterion, Task
from rubrics_app.rubric_format import format_weight
from rubrics_app.selectors import live_criteria
from rubrics_app.services import authoring, proposals

ITEM_FIELDS = ("dimension", "text", "polarity", "weight")
DIMENSION_ORDER = {key: n for n, key in enumerate(Dimension.values)}


class ItemForm(forms.Form):
    """One row of the editor. It carries the values only: the service checks them
    (proposals.proposal_set_save), so that one set of rules holds for every caller, and
    its errors are shown by the row they name."""

    dimension = forms.ChoiceField(choices=Dimension.choices, widget=forms.HiddenInput)
    text = forms.CharField(required=False, strip=False)
    polarity = forms.CharField(required=False)
    weight = forms.CharField(required=False)


ItemFormSet = forms.formset_factory(ItemForm, extra=0)


@dataclass
class Row:
    index: int
    form: ItemForm
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def item(self) -> Mapping[str, str]:
        return self.form.initial


@dataclass
class RowBlock:
    key: str
    label: str
    rows: "list[Row] | list[GroupRow]"


def _task(pk: int) -> Task:
    return get_object_or_404(Task.objects.select_related("benchmark"), pk=pk)


def _as_item(criterion: Any) -> dict[str, str]:
    return {
        "dimension": criterion.dimension,
        "text": criterion.text,
        "polarity": str(criterion.polarity),
        "weight": format_weight(criterion.weight),
    }


def _sorted(items: list[dict[str, str]]) -> list[dict[str, str]]:
    """Items by dimension, in the form's order within one (a stable sort)."""
    return sorted(items, key=lambda item: DIMENSION_ORDER.get(item["dimension"], len(Dimension)))


def _posted_items(post) -> list[dict[str, str]]:
    """The formset's rows as typed, valid or not: adding or removing a row keeps them,
    and the service names what is wrong with each on a save."""
    formset = ItemFormSet(post)
    if not formset.management_form.is_valid():
        # Without it the set would save as empty: refused, not a set wiped.
        raise BadRequest(_("The editor's rows are missing or garbled: reload the page."))
    return _sorted([_as_typed(form) for form in formset.forms])


def _as_typed(form: ItemForm) -> dict[str, str]:
    return {name: str(form[name].value() or "") for name in ITEM_FIELDS}


def _split_errors(exc: ValidationError) -> tuple[dict[int, dict[str, list[str]]], list[str]]:
    """Errors keyed "<index>.<field>" per row; the others (the set's, a tampered
    dimension's) as a list."""
    by_row: dict[int, dict[str, list[str]]] = {}
    general: list[str] = []
    for key, messages_ in exc.message_dict.items():
        index, _, name = key.partition(".")
        if index.isdigit() and name in {"text", "polarity", "weight"}:
            by_row.setdefault(int(index), {})[name] = messages_
        else:
            general.extend(messages_)
    return by_row, general


def _edit_page(
    request,
    task: Task,
    proposal_set: ProposalSet | None,
    items: list[dict[str, str]],
    *,
    status: int = 200,
    error: ValidationError | None = None,
    focus: int | None = None,
):
    read_only = proposal_set is not None and proposal_set.status == ProposalStatus.MERGED
    if read_only:
        items = _stored_items(task, proposal_set)
    row_errors, general = _split_errors(error) if error else ({}, [])
    formset = ItemFormSet(initial=items)
    rows = [Row(i, form, row_errors.get(i, {})) for i, form in enumerate(formset.forms)]
    blocks = [
        RowBlock(key, str(label), [row for row in rows if row.item["dimension"] == key])
        for key, label in Dimension.choices
    ]
    context = {
        "task": task,
        "proposal_set": proposal_set,
        "formset": formset,
        "read_only": read_only,
        "blocks": blocks,
        "errors": general,
        "focus": focus,
    }
    return render(request, "rubrics_app/proposal_edit.html", context, status=status)


def _own_set(task: Task, user) -> ProposalSet | None:
    return (
        ProposalSet.objects.filter(task=task, author=user)
        .prefetch_related(Prefetch("criteria", queryset=ProposedCriterion.objects.order_by()))
        .first()
    )


def _stored_items(task: Task, proposal_set: ProposalSet | None) -> list[dict[str, str]]:
    """The set's criteria; before the expert starts one, the task's live criteria (what
    the set starts as on the first save)."""
    if proposal_set is None:
        return [_as_item(c) for c in live_criteria().filter(task=task)]
    criteria = sorted(proposal_set.criteria.all(), key=lambda c: (c.position, c.pk))
    return _sorted([_as_item(c) for c in criteria])


@require_http_methods(["GET", "POST"])
def proposal_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The expert's own set: there is no URL for someone else's."""
    task = _task(pk)
    authoring.require_author(request.user, task)  # the page exists only to write a set
    proposal_set = _own_set(task, request.user)
    if request.method == "GET":
        return _edit_page(request, task, proposal_set, _stored_items(task, proposal_set))
    items = _posted_items(request.POST)
    if request.POST.get("add") in DIMENSION_ORDER:
        dimension = request.POST["add"]
        items = _sorted(
            [*items, {"dimension": dimension, "text": "", "polarity": "1", "weight": "1"}]
        )
        focus = max(i for i, item in enumerate(items) if item["dimension"] == dimension)
        return _edit_page(request, task, proposal_set, items, focus=focus)
    if "remove" in request.POST:
        remove = request.POST["remove"]
        if remove in [str(index) for index in range(len(items))]:
            items.pop(int(remove))
        return _edit_page(request, task, proposal_set, items)
    try:
        proposals.own_set_save(task=task, user=request.user, items=items)
    except ValidationError as exc:
        return _edit_page(request, task, proposal_set, items, status=422, error=exc)
    messages.success(request, _("Your proposed set is saved."))
    return redirect("proposal-edit", task.pk)


@require_POST
def proposal_submit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Saves the rows posted with it (the edit form's), if any, then submits."""
    task = _task(pk)
    authoring.require_author(request.user, task)
    items = _posted_items(request.POST) if "rows" in request.POST else None
    try:
        proposals.own_set_save(task=task, user=request.user, items=items, submit=True)
    except ValidationError as exc:
        proposal_set = _own_set(task, request.user)
        if items is None:
            items = _stored_items(task, proposal_set)
        return _edit_page(request, task, proposal_set, items, status=422, error=exc)
    messages.success(
        request,
        _(
            "Your proposed set is submitted: reviewers see it now. You can change it "
            "until it is merged; a change takes it back until you submit again."
        ),
    )
    return redirect("proposal-edit", task.pk)


@dataclass
class GroupRow:
    """A group with the reviewer's inputs for it."""

    group: proposals.ProposalGroup
    adopt: bool
    text: str
    polarity: str
    weight: str
    errors: dict[str, list[str]] = field(default_factory=dict)


def _review_page(
    request: AuthedHttpRequest, task: Task, *, status: int = 200, posted=None, error=None
) -> HttpResponse:
    sets = list(
        task.proposal_sets.select_related("author")
        .prefetch_related(Prefetch("criteria", queryset=ProposedCriterion.objects.order_by()))
        .order_by("author__username")
    )
    submitted = [s for s in sets if s.status == ProposalStatus.SUBMITTED]
    group_errors: dict[str, dict[str, list[str]]] = {}
    errors: list[str] = []
    if isinstance(error, ValidationError):
        for key, messages_ in error.message_dict.items():
            group_key, _, name = key.partition(".")
            if key == NON_FIELD_ERRORS or not name:
                errors.extend(messages_)
            else:
                group_errors.setdefault(group_key, {})[name] = messages_
    elif error is not None:
        errors.append(str(error))
    adopted = set(posted.getlist("adopt")) if posted is not None else None
    blocks = []
    for block in proposals.proposal_groups(task=task, sets=submitted):
        rows = []
        for group in block.groups:
            key = group.key
            if posted is None:
                values = [group.text, str(group.polarity), format_weight(group.weight)]
            else:
                values = [
                    posted.get(f"{name}-{key}", "") for name in ("text", "polarity", "weight")
                ]
            adopt = group.has_majority if adopted is None else key in adopted
            text, polarity, weight = values
            rows.append(
                GroupRow(group, adopt, text, polarity, weight, errors=group_errors.get(key, {}))
            )
        blocks.append(RowBlock(block.key, block.label, rows))
    side_by_side = [
        {
            "label": label,
            "columns": [
                (s, sorted((c for c in s.criteria.all() if c.dimension == key), key=_by_position))
                for s in submitted
            ],
        }
        for key, label in Dimension.choices
    ]
    context = {
        "task": task,
        "submitted": submitted,
        "writing": [s for s in sets if s.status == ProposalStatus.OPEN],
        "merged_sets": [s for s in sets if s.status == ProposalStatus.MERGED],
        "side_by_side": side_by_side,
        "blocks": blocks,
        "errors": errors,
        "seen": proposals.sets_fingerprint(submitted),
    }
    return render(request, "rubrics_app/proposal_review.html", context, status=status)


def _by_position(criterion: ProposedCriterion) -> tuple[int, int]:
    return criterion.position, criterion.pk


@reviewer_required
@require_http_methods(["GET"])
def proposal_review(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _review_page(request, _task(pk))


class MergeForm(forms.Form):
    """The reviewer's choices: the groups adopted (their keys, in rubric order) and, for
    each, its text, polarity and weight as edited, under `<field>-<key>`. A value left
    out is the group's default (None); the service checks the groups and the values,
    with errors keyed by group."""

    seen = forms.CharField(required=False, empty_value=None)

    def __init__(self, data: Any) -> None:
        super().__init__(data)
        self.adopted = data.getlist("adopt")
        for key in self.adopted:
            self.fields[f"text-{key}"] = forms.Field(required=False)
            self.fields[f"polarity-{key}"] = forms.TypedChoiceField(
                choices=Polarity.choices, coerce=int, required=False, empty_value=None
            )
            self.fields[f"weight-{key}"] = forms.Field(required=False)

    def choices(self) -> list[dict[str, Any]]:
        """The choices for proposals_merge, or InputError keyed "<group>.<field>" as the
        service's are, so that each shows by its group."""
        if not self.is_valid():
            raise InputError(
                {
                    ".".join(reversed(name.split("-", 1))): [str(e) for e in errors]
                    for name, errors in self.errors.items()
                }
            )
        data = self.cleaned_data
        return [
            {
                "group": key,
                **{name: data[f"{name}-{key}"] for name in ("text", "polarity", "weight")},
            }
            for key in self.adopted
        ]


@reviewer_required
@require_POST
def proposal_merge(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    task = _task(pk)
    form = MergeForm(request.POST)
    try:
        choices = form.choices()
        merged = proposals.proposals_merge(
            task=task, user=request.user, choices=choices, seen=form.cleaned_data["seen"]
        )
    except proposals.ProposalsChanged as exc:
        # Fresh groups and defaults: the reviewer's inputs were for other sets.
        return _review_page(request, task, status=409, error=exc)
    except ValidationError as exc:
        return _review_page(request, task, status=422, posted=request.POST, error=exc)
    messages.success(
        request,
        _("Merged the experts' proposals: the rubric has %(n)d criteria now.") % {"n": len(merged)},
    )
    return redirect("task-detail", task.pk)
