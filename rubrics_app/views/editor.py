"""The criteria editor: htmx requests that each answer with the dimension's block,
re-rendered (criteria, maximum score, messages)."""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods, require_POST

from annotator.core.htmx import AuthedHttpRequest
from annotator.core.query_forms import IdField, cleaned_input, posted_input
from rubrics_app.choices import Dimension
from rubrics_app.forms import CriterionAddForm, CriterionEditForm, Versioned
from rubrics_app.history import history_rows
from rubrics_app.models import Criterion, Task
from rubrics_app.selectors import dimension_blocks, may_author
from rubrics_app.services import authoring


def _block(
    request: AuthedHttpRequest, task: Task, dimension: str, *, status: int = 200, **context
) -> HttpResponse:
    (block,) = dimension_blocks(task, dimension)
    return render(
        request,
        "rubrics_app/_dimension.html",
        {"task": task, "block": block, "can_author": may_author(request.user, task), **context},
        status=status,
    )


def _refused(
    request: AuthedHttpRequest, task: Task, dimension: str, exc: PermissionDenied
) -> HttpResponse:
    return _block(request, task, dimension, status=403, action_errors=[str(exc)])


@require_POST
def criterion_add(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(Task, pk=pk)
    dimension = request.POST.get("dimension", "")
    if dimension not in Dimension.values:
        return HttpResponse(
            f"unknown dimension {dimension!r}: one of {', '.join(Dimension.values)}",
            status=400,
            content_type="text/plain; charset=utf-8",  # it repeats what was posted
        )
    try:
        authoring.criterion_create(
            task=task,
            dimension=dimension,
            user=request.user,
            **posted_input(CriterionAddForm(request.POST)),
        )
    except PermissionDenied as exc:
        return _refused(request, task, dimension, exc)
    except ValidationError as exc:
        return _block(
            request,
            task,
            dimension,
            status=422,
            add_errors=exc.message_dict,
            add_values=request.POST,
        )
    return _block(request, task, dimension, added=True)


@require_http_methods(["GET", "POST"])
def criterion_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    criterion = get_object_or_404(Criterion.objects.select_related("task"), pk=pk)
    task, dimension = criterion.task, criterion.dimension
    try:
        if request.method == "GET":
            authoring.require_author(request.user, task)  # no editor for those who cannot save
            return _block(request, task, dimension, editing=criterion.pk)
        authoring.criterion_update(
            criterion_id=criterion.pk,
            user=request.user,
            **posted_input(CriterionEditForm(request.POST)),
        )
    except PermissionDenied as exc:
        return _refused(request, task, dimension, exc)
    except authoring.EditConflict as exc:
        return _block(
            request,
            task,
            dimension,
            status=409,
            editing=criterion.pk,
            conflict=exc,
            values=request.POST,
        )
    except ValidationError as exc:
        return _block(
            request,
            task,
            dimension,
            status=422,
            editing=criterion.pk,
            errors=exc.message_dict,
            values=request.POST,
        )
    return _block(request, task, dimension)


@require_http_methods(["GET"])
def criterion_row(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The block without an open editor (cancel)."""
    criterion = get_object_or_404(Criterion.objects.select_related("task"), pk=pk)
    return _block(request, criterion.task, criterion.dimension)


ACTIONS = {
    "up": lambda **kw: authoring.criterion_move(offset=-1, **kw),
    "down": lambda **kw: authoring.criterion_move(offset=1, **kw),
    "retire": authoring.criterion_retire,
    "approve": authoring.criterion_approve,
}


@require_POST
def criterion_action(request: AuthedHttpRequest, pk: int, action: str) -> HttpResponse:
    criterion = get_object_or_404(Criterion.objects.select_related("task"), pk=pk)
    task, dimension = criterion.task, criterion.dimension
    try:
        version = posted_input(Versioned(request.POST))["version"]
        if action == "request-changes":
            # htmx's hx-prompt sends the reviewer's answer in this header.
            comment = request.POST.get("comment") or request.headers.get("HX-Prompt", "")
            authoring.criterion_request_changes(
                criterion_id=pk, version=version, user=request.user, comment=comment
            )
        elif action in ACTIONS:
            ACTIONS[action](criterion_id=pk, version=version, user=request.user)
        else:
            return HttpResponse("unknown action", status=404)
    except authoring.EditConflict as exc:
        return _block(request, task, dimension, status=409, conflict=exc)
    except ValidationError as exc:
        return _block(
            request,
            task,
            dimension,
            status=422,
            action_errors=[m for ms in exc.message_dict.values() for m in ms],
        )
    except PermissionDenied as exc:
        return _refused(request, task, dimension, exc)
    return _block(request, task, dimension)


class HistoryQuery(forms.Form):
    criterion = IdField(required=False)  # a retired criterion's history is kept too


def task_history(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(Task.objects.select_related("benchmark"), pk=pk)
    records = Criterion.history.filter(task_id=task.pk).select_related("history_user")
    criterion = cleaned_input(HistoryQuery(request.GET))["criterion"]
    if criterion:
        records = records.filter(id=criterion)
    return render(
        request,
        "rubrics_app/task_history.html",
        {"task": task, "rows": history_rows(records), "criterion": criterion},
    )
