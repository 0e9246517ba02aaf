import json

import pytest
from django.urls import reverse

from annotator.models import Job, JobStatus
from annotator.models.choices import Role
from rubrics_app.choices import CriterionOrigin, CriterionStatus, SuggestionStatus
from rubrics_app.models import CriteriaDraft, Criterion, CriterionSuggestion, PromptTemplate
from rubrics_app.services import drafting
from tests.factories import CriterionFactory, TaskFactory, UserFactory, author_of
from tests.llm_server import CRITERIA_DRAFT, Reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def task():
    return TaskFactory(prompt="A cell dividing by mitosis", requirement="Two daughter cells.")


@pytest.fixture
def draft(django_capture_on_commit_callbacks):
    """Starts drafting a task from its page; the job's work runs inline (eager)."""

    def start(client, task):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("task-draft", args=[task.pk]))

    return start


def test_a_good_reply_becomes_suggestions(client, draft, task, llm_server):
    llm_server.replies = [Reply("Here you are:\n```json\n" + CRITERIA_DRAFT + "\n```")]
    client.force_login(author_of(task))
    response = draft(client, task)
    assert response.status_code == 200
    suggestions = list(CriterionSuggestion.objects.filter(task=task).order_by("pk"))
    assert [(s.dimension, s.polarity) for s in suggestions] == [
        ("scientific", 1),
        ("scientific", -1),
        ("visual", 1),
        ("instruction", 1),
    ]
    stored = CriteriaDraft.objects.get()
    assert stored.ok and stored.llm_model == "test-vlm" and stored.prompt_version == 1
    assert (stored.prompt_tokens, stored.completion_tokens) == (120, 80)
    sent = llm_server.requests[0]
    assert sent["path"] == "/v1/chat/completions" and sent["json"]["model"] == "test-vlm"
    assert "A cell dividing by mitosis" in sent["json"]["messages"][0]["content"]
    assert Job.objects.get().status == JobStatus.DONE
    # Suggestions are not criteria until an expert accepts them.
    assert not Criterion.objects.exists()
    assert (
        "Chromosomes separate before the cell splits"
        in client.get(reverse("task-detail", args=[task.pk])).content.decode()
    )


def test_experts_accept_edited_or_reject_suggestions(client, draft, task, llm_server):
    llm_server.replies = [Reply(CRITERIA_DRAFT)]
    expert = author_of(task)
    client.force_login(expert)
    draft(client, task)
    first, second, *_ = CriterionSuggestion.objects.order_by("pk")
    malformed = client.post(
        reverse("suggestion-decide", args=[first.pk, "accept"]), {"polarity": "sideways"}
    )
    assert malformed.status_code == 422 and "polarity: Select a valid choice" in (
        malformed.content.decode()
    )
    assert not Criterion.objects.exists()
    response = client.post(
        reverse("suggestion-decide", args=[first.pk, "accept"]),
        {"text": "Chromosomes separate first", "polarity": "1", "weight": "3"},
    )
    assert response.status_code == 200
    assert 'hx-swap-oob="true"' in response.content.decode()  # the dimension refreshes too
    criterion = Criterion.objects.get()
    assert (criterion.text, criterion.weight, criterion.origin, criterion.status) == (
        "Chromosomes separate first",
        3,
        CriterionOrigin.LLM,
        CriterionStatus.PROPOSED,
    )
    client.post(reverse("suggestion-decide", args=[second.pk, "reject"]))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == SuggestionStatus.ACCEPTED and first.criterion == criterion
    assert second.status == SuggestionStatus.REJECTED and second.decided_by == expert
    again = client.post(reverse("suggestion-decide", args=[second.pk, "accept"]))
    assert again.status_code == 422 and "already rejected" in again.content.decode()


def test_malformed_json_is_a_failed_draft_with_its_raw_text(client, draft, task, llm_server):
    llm_server.replies = [Reply("I think the criteria are: cells divide. {not json")]
    client.force_login(author_of(task))
    draft(client, task)
    stored = CriteriaDraft.objects.get()
    assert not stored.ok and stored.error == "the reply holds no JSON object"
    assert stored.raw_response.startswith("I think the criteria are")
    job = Job.objects.get()
    assert job.failed == 1
    assert job.failures == [f"task {task.index}: the reply holds no JSON object"]
    assert not CriterionSuggestion.objects.exists()


def test_a_reply_of_the_wrong_shape_is_a_failed_draft(task, llm_server):
    llm_server.replies = [Reply(json.dumps({"scientific": [{"text": "x", "weight": 40}]}))]
    result = drafting.criteria_draft_run(task_id=task.pk)
    assert not result.ok
    assert result.error == (
        "the reply does not fit: scientific[1]: Weight must be between 0 and 10."
    )


def test_rate_limits_back_off_and_retry(task, llm_server):
    llm_server.replies = [
        Reply("slow down", status=429, headers={"retry-after-ms": "50"}),
        Reply(CRITERIA_DRAFT),
    ]
    result = drafting.criteria_draft_run(task_id=task.pk)
    assert result.ok and len(llm_server.requests) == 2


def test_timeouts_retry_a_bounded_number_of_times(task, llm_server, settings):
    settings.LLM_TIMEOUT, settings.LLM_MAX_RETRIES = 0.3, 1
    llm_server.replies = [
        Reply(CRITERIA_DRAFT, delay=1),
        Reply(CRITERIA_DRAFT, delay=1),
        Reply(CRITERIA_DRAFT),
    ]
    result = drafting.criteria_draft_run(task_id=task.pk)
    assert not result.ok and result.error == "no answer within 0.3 s, 1 retries"
    assert len(llm_server.requests) == 2  # the first try and one retry, then it gives up


def test_without_a_model_the_button_says_how_to_configure_one(client, draft, task, settings):
    settings.LLM_BASE_URL = ""
    client.force_login(author_of(task))
    html = client.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert "Drafting is off: set LLM_BASE_URL, LLM_API_KEY and LLM_MODEL" in html
    assert "GPT judge off: set LLM_BASE_URL" in html
    response = draft(client, task)
    assert response.status_code == 503 and "No language model is configured" in (
        response.content.decode()
    )


def test_with_a_model_the_task_page_says_the_judge_is_on(client, llm_server, task):
    client.force_login(author_of(task))
    html = client.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert "GPT judge configured" in html and "Drafting is off" not in html


def test_drafting_many_tasks_shows_progress(client, llm_server, django_capture_on_commit_callbacks):
    first = TaskFactory()
    TaskFactory(benchmark=first.benchmark)
    CriterionFactory(task=TaskFactory(benchmark=first.benchmark), status=CriterionStatus.PROPOSED)
    llm_server.replies = [Reply(CRITERIA_DRAFT), Reply("no json here")]
    client.force_login(UserFactory(role=Role.REVIEWER))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("benchmark-draft", args=[first.benchmark.pk]),
            {"review": "pending"},
            headers={"HX-Request": "true"},
        )
    job = Job.objects.get()
    assert response["HX-Redirect"] == reverse("job-detail", args=[job.pk])
    assert job.total == 1  # only the task with unapproved criteria
    page = client.get(reverse("job-detail", args=[job.pk])).content.decode()
    assert "1 of 1 done" in page
    client.force_login(UserFactory(role=Role.ANNOTATOR))
    assert client.post(reverse("benchmark-draft", args=[first.benchmark.pk])).status_code == 403


def test_the_prompt_template_is_versioned(task, llm_server):
    first = drafting.prompt_current()
    admin = UserFactory(role=Role.ADMIN)
    second = drafting.prompt_save(
        kind=PromptTemplate.CRITERIA_DRAFT,
        user=admin,
        text="Criteria for {prompt} ({requirement}) as JSON",
    )
    assert (first.version, second.version) == (1, 2)
    llm_server.replies = [Reply(CRITERIA_DRAFT)]
    assert drafting.criteria_draft_run(task_id=task.pk).prompt_version == 2
    assert llm_server.requests[0]["json"]["messages"][0]["content"] == (
        "Criteria for A cell dividing by mitosis (Two daughter cells.) as JSON"
    )
    with pytest.raises(Exception, match=r"only \{prompt\} and \{requirement\}"):
        drafting.prompt_save(kind=PromptTemplate.CRITERIA_DRAFT, text="{task}", user=admin)


def test_admins_edit_the_prompt_in_the_django_admin_as_a_new_version(client):
    client.force_login(UserFactory(role=Role.ADMIN, is_superuser=True))
    add = reverse("admin:rubrics_app_prompttemplate_add")
    assert "You help biologists" in client.get(add).content.decode()  # starts from the current
    client.post(add, {"kind": PromptTemplate.CRITERIA_DRAFT, "text": "New {prompt}"})
    assert list(PromptTemplate.objects.values_list("version", "text")) == [
        (2, "New {prompt}"),
        (1, drafting.DEFAULT_CRITERIA_PROMPT),
    ]
