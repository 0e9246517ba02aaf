"""Criteria drafted by a language model, as in the published workflow: the model
suggests, experts accept (perhaps edited) or reject. Nothing it writes enters the
rubric without an expert."""

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from openai.types.chat import ChatCompletionMessageParam

from annotator.core import queue
from annotator.core.errors import InputError
from annotator.core.jobs import job_create, job_item_finished
from annotator.core.llm import LLMFailed, LLMNotConfigured, chat_json, llm_configured
from annotator.models import Job, User
from rubrics_app.choices import CriterionOrigin, Dimension, SuggestionStatus
from rubrics_app.models import CriteriaDraft, Criterion, CriterionSuggestion, PromptTemplate, Task
from rubrics_app.rubric_format import parse_polarity
from rubrics_app.selectors import authorable_tasks
from rubrics_app.services import authoring

JOB_KIND = "criteria_draft"
DEFAULT_CRITERIA_PROMPT = """\
You help biologists build a benchmark for video generation models at the micro scale.
For the task below, write the criteria an expert uses to judge a generated video, in
three dimensions: "scientific" (scientific fidelity: is the biology right?), "visual"
(visual quality) and "instruction" (does it follow the prompt?). Write about five
criteria per dimension. Each criterion is one checkable sentence, a polarity (+1: a
point earned when the video shows it; -1: a penalty charged when the video shows the
described error) and a weight from 0 to 10 (how much it matters).

Task: {prompt}

Requirement: {requirement}

Answer with strict JSON only, in this shape:
{{"scientific": [{{"text": "...", "polarity": 1, "weight": 2}}],
 "visual": [...], "instruction": [...]}}"""


def prompt_current(kind: str = PromptTemplate.CRITERIA_DRAFT) -> PromptTemplate:
    """The newest version of a prompt; the built-in text becomes version 1."""
    template = PromptTemplate.objects.filter(kind=kind).order_by("-version").first()
    if template is None:
        template, _ = PromptTemplate.objects.get_or_create(
            kind=kind, version=1, defaults={"text": DEFAULT_CRITERIA_PROMPT}
        )
    return template


def prompt_check(text: str) -> None:
    try:
        text.format(prompt="p", requirement="r")
    except (KeyError, IndexError, ValueError) as exc:
        raise InputError(
            {
                "text": gettext(
                    "The template may use only {prompt} and {requirement}; literal "
                    "braces are written {{ and }} (%(error)s)."
                )
                % {"error": exc}
            }
        ) from None


def prompt_save(*, kind: str, text: str, user: User | None) -> PromptTemplate:
    """A new version; earlier versions stay, so drafts keep naming what they used."""
    prompt_check(text)
    with transaction.atomic():
        current = prompt_current(kind)
        if current.text == text:
            return current
        return PromptTemplate.objects.create(
            kind=kind, version=current.version + 1, text=text, created_by=user
        )


def parse_suggestions(data: Any) -> list[tuple[str, str, int, Decimal]]:
    """(dimension, text, polarity, weight) from a reply; ValueError says what is wrong."""
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object with scientific, visual and instruction lists")
    found = []
    for dimension in Dimension.values:
        items = data.get(dimension, [])
        if not isinstance(items, list):
            raise ValueError(f"{dimension}: expected a list of criteria")
        for n, item in enumerate(items, start=1):
            where = f"{dimension}[{n}]"
            if not isinstance(item, dict) or not str(item.get("text", "")).strip():
                raise ValueError(f"{where}: a criterion needs a text")
            try:
                polarity = parse_polarity(item.get("polarity", 1))
                weight = authoring.parse_editor_weight(item.get("weight", 1))
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from None
            except ValidationError as exc:
                raise ValueError(f"{where}: {' '.join(exc.messages)}") from None
            found.append((dimension, str(item["text"]).strip(), polarity, weight))
    if not found:
        raise ValueError("the reply suggests no criterion")
    return found


def criteria_draft_start(*, tasks: QuerySet[Task], user: User) -> Job:
    """One job drafting criteria for every task given, one model request per task on
    the workers."""
    if not llm_configured():
        raise LLMNotConfigured()
    if not user.is_authenticated:
        raise PermissionDenied(gettext("Log in to draft criteria."))
    refused = tasks.exclude(pk__in=authorable_tasks(user)).first()
    if refused is not None:
        authoring.require_author(user, refused)  # says which task and why
    from rubrics_app.tasks import criteria_draft_task

    task_ids = list(tasks.values_list("pk", flat=True))
    with transaction.atomic():
        job = job_create(
            kind=JOB_KIND,
            total=len(task_ids),
            user=user,
            description=f"draft criteria for {len(task_ids)} tasks",
        )
        queue.enqueue(criteria_draft_task, [(task_id, job.pk) for task_id in task_ids])
    return job


def _messages(task: Task, template: PromptTemplate) -> list[ChatCompletionMessageParam]:
    content = template.text.format(prompt=task.prompt, requirement=task.requirement)
    return [{"role": "user", "content": content}]


def criteria_draft_run(*, task_id: int, job_id: int | None = None) -> CriteriaDraft:
    """Asks the model for one task's criteria and stores its suggestions, or the
    failure with the raw reply. Run twice for the same job, it does the work once."""
    if job_id is not None:
        done = CriteriaDraft.objects.filter(task_id=task_id, job_id=job_id).first()
        if done is not None:
            return done
    task = Task.objects.get(pk=task_id)
    template = prompt_current()
    draft = CriteriaDraft(
        task=task, job_id=job_id, prompt_version=template.version, llm_model="", ok=False
    )
    suggestions: list[tuple[str, str, int, Decimal]] = []
    try:
        reply = chat_json(_messages(task, template))
        draft.llm_model, draft.raw_response = reply.model, reply.raw
        draft.prompt_tokens, draft.completion_tokens = reply.prompt_tokens, reply.completion_tokens
        suggestions = parse_suggestions(reply.data)
        draft.ok = True
    except LLMFailed as exc:
        draft.error, draft.raw_response = str(exc), exc.raw
    except ValueError as exc:
        draft.error = f"the reply does not fit: {exc}"
    draft.llm_model = draft.llm_model or "unknown"
    with transaction.atomic():
        draft.save()
        CriterionSuggestion.objects.bulk_create(
            CriterionSuggestion(draft=draft, task=task, dimension=d, text=t, polarity=p, weight=w)
            for d, t, p, w in suggestions
        )
        if job_id is not None:
            failure = "" if draft.ok else f"task {task.index}: {draft.error}"
            job_item_finished(job_id=job_id, item=str(task_id), failure=failure)
    return draft


def _pending(suggestion_id: int) -> CriterionSuggestion:
    suggestion = (
        CriterionSuggestion.objects.select_for_update().select_related("task").get(pk=suggestion_id)
    )
    if suggestion.status != SuggestionStatus.PENDING:
        raise InputError(
            {
                "suggestion": gettext("This suggestion was already %(status)s.")
                % {"status": suggestion.status}
            }
        )
    return suggestion


def suggestion_accept(
    *,
    suggestion_id: int,
    user: User,
    text: str | None = None,
    polarity: Any = None,
    weight: Any = None,
) -> Criterion:
    """The suggestion, as the expert edited it, becomes a proposed criterion (by
    criterion_create, which also checks the expert's authoring rights)."""
    with transaction.atomic():
        suggestion = _pending(suggestion_id)
        criterion = authoring.criterion_create(
            task=suggestion.task,
            dimension=suggestion.dimension,
            text=suggestion.text if text is None else text,
            polarity=suggestion.polarity if polarity is None else polarity,
            weight=suggestion.weight if weight is None else weight,
            user=user,
            origin=CriterionOrigin.LLM,
        )
        suggestion.status, suggestion.criterion = SuggestionStatus.ACCEPTED, criterion
        suggestion.decided_by, suggestion.decided_at = user, timezone.now()
        suggestion.save()
    return criterion


def suggestion_reject(*, suggestion_id: int, user: User) -> CriterionSuggestion:
    with transaction.atomic():
        suggestion = _pending(suggestion_id)
        authoring.require_author(user, suggestion.task)
        suggestion.status = SuggestionStatus.REJECTED
        suggestion.decided_by, suggestion.decided_at = user, timezone.now()
        suggestion.save()
    return suggestion
