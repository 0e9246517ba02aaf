"""Creating and editing single tasks (a rubric file import does many at once)."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from annotator.core.errors import InputError
from annotator.models import User
from rubrics_app.choices import Level
from rubrics_app.models import Benchmark, Task

# The index is left out on purpose: judge result files refer to tasks by it.
EDITABLE = ("prompt", "requirement", "level", "source_ref")


def _check(values: dict[str, str]) -> dict[str, str]:
    if "prompt" in values:
        values["prompt"] = values["prompt"].strip()
        if not values["prompt"]:
            raise InputError({"prompt": gettext("The task needs a prompt.")})
    if values.get("level") and values["level"] not in Level.values:
        raise InputError(
            {
                "level": gettext("The level is one of %(levels)s.")
                % {"levels": ", ".join(Level.values)}
            }
        )
    return values


def task_create(
    *,
    benchmark: Benchmark,
    index: int,
    prompt: str,
    user: User,
    requirement: str = "",
    level: str = "",
    source_ref: str = "",
) -> Task:
    values = _check(
        {"prompt": prompt, "requirement": requirement, "level": level, "source_ref": source_ref}
    )
    task = Task(benchmark=benchmark, index=index, **values)
    task._history_user = user
    task._change_reason = "added"
    try:
        with transaction.atomic():
            task.save()
    except IntegrityError:
        raise InputError(
            {
                "index": gettext("Benchmark %(benchmark)s already has a task %(index)s.")
                % {"benchmark": benchmark.name, "index": index}
            }
        ) from None
    return task


def task_update(*, task_id: int, user: User, **changes: str) -> Task:
    """Changes the given fields among EDITABLE; the history records who did it."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    changes = _check(dict(changes))
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task_id)
        changed = [name for name, value in changes.items() if getattr(task, name) != value]
        if not changed:
            return task
        for name in changed:
            setattr(task, name, changes[name])
        task._history_user = user
        task._change_reason = "edited"
        task.save(update_fields=[*changed, "updated_at"])
    return task
