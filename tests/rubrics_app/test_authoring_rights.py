"""Who may change a task's criteria: annotators only on tasks assigned to them for
authoring, reviewers and admins on every task; in the editor, the suggestions, the
proposed sets, the API and the services. The Django admin only shows criteria."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from annotator.models.choices import Role, WorkKind
from annotator.services.assignments import work_batch_create
from rubrics_app.choices import CriterionStatus, SuggestionStatus
from rubrics_app.models import (
    CriteriaDraft,
    Criterion,
    CriterionSuggestion,
    ProposalSet,
)
from rubrics_app.selectors import may_author
from rubrics_app.services import authoring, drafting, proposals
from tests.factories import CriterionFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db

REFUSAL = "only when it is assigned to you for authoring"


def assign(kind: str, task, user) -> None:
    work_batch_create(
        name=f"{kind} round", kind=kind, items=[task], users=[user], overlap=1, created_by=None
    )


@pytest.fixture
def criterion():
    return CriterionFactory(text="Cells divide once", weight=Decimal(2), number=1, position=0)


@pytest.fixture
def outsider(criterion):
    """An annotator who judges this task and authors another one: no authoring here."""
    user = UserFactory(username="outsider")
    assign(WorkKind.JUDGE, criterion.task, user)
    assign(WorkKind.AUTHOR, TaskFactory(benchmark=criterion.task.benchmark), user)
    return user


@pytest.fixture
def author(criterion):
    user = UserFactory(username="author")
    assign(WorkKind.AUTHOR, criterion.task, user)
    return user


@pytest.fixture
def suggestion(criterion):
    draft = CriteriaDraft.objects.create(
        task=criterion.task, llm_model="test-vlm", prompt_version=1, ok=True
    )
    return CriterionSuggestion.objects.create(
        draft=draft,
        task=criterion.task,
        dimension="visual",
        text="The membrane stays smooth",
        polarity=1,
        weight=Decimal(1),
    )


def editor_requests(criterion) -> dict[str, tuple[str, str, dict]]:
    version = {"version": criterion.version}
    action = lambda name: reverse("criterion-action", args=[criterion.pk, name])  # noqa: E731
    return {
        "add": (
            "post",
            reverse("criterion-add", args=[criterion.task_id]),
            {"dimension": "scientific", "text": "Two daughter cells", "weight": "1"},
        ),
        "open the editor": ("get", reverse("criterion-edit", args=[criterion.pk]), {}),
        "edit": (
            "post",
            reverse("criterion-edit", args=[criterion.pk]),
            {**version, "text": "Cells divide twice", "weight": "9"},
        ),
        "flip the polarity": (
            "post",
            reverse("criterion-edit", args=[criterion.pk]),
            {**version, "polarity": "-1"},
        ),
        # A stale version: refused for the right, not as a conflict naming who edited.
        "edit a stale version": (
            "post",
            reverse("criterion-edit", args=[criterion.pk]),
            {"version": 7, "text": "Cells divide twice"},
        ),
        "move down": ("post", action("down"), version),
        "retire": ("post", action("retire"), version),
    }


REQUESTS = [
    "add",
    "open the editor",
    "edit",
    "flip the polarity",
    "edit a stale version",
    "move down",
    "retire",
]


@pytest.mark.parametrize("name", REQUESTS)
def test_it_refuses_an_outsider_annotator_in_the_editor(client, criterion, outsider, name):
    CriterionFactory(task=criterion.task, number=2, position=1)  # something to move past
    method, url, data = editor_requests(criterion)[name]
    client.force_login(outsider)
    response = getattr(client, method)(url, data)
    assert response.status_code == 403
    assert REFUSAL in response.content.decode()
    stored = Criterion.objects.get(pk=criterion.pk)
    assert (stored.text, stored.weight, stored.polarity, stored.status, stored.version) == (
        "Cells divide once",
        Decimal(2),
        1,
        CriterionStatus.APPROVED,
        1,
    )
    assert Criterion.objects.filter(task=criterion.task).count() == 2


@pytest.mark.parametrize("who", ["author", "reviewer", "admin"])
@pytest.mark.parametrize("name", ["add", "open the editor", "edit", "move down", "retire"])
def test_it_lets_an_assigned_author_a_reviewer_and_an_admin_write(
    client, criterion, author, who, name
):
    CriterionFactory(task=criterion.task, number=2, position=1)
    user = {
        "author": author,
        "reviewer": UserFactory(role=Role.REVIEWER),
        "admin": UserFactory(role=Role.ADMIN),
    }[who]
    method, url, data = editor_requests(criterion)[name]
    client.force_login(user)
    response = getattr(client, method)(url, data)
    assert response.status_code == 200, response.content.decode()
    stored = Criterion.objects.get(pk=criterion.pk)
    if name == "edit":
        assert (stored.text, stored.status) == ("Cells divide twice", CriterionStatus.PROPOSED)
    if name == "retire":
        assert stored.status == CriterionStatus.RETIRED
    if name == "add":
        assert criterion.task.criteria.filter(text="Two daughter cells").exists()


def test_the_task_page_offers_the_editing_tools_only_to_those_who_may_use_them(
    client, criterion, outsider, author, suggestion
):
    tools = [
        reverse("criterion-edit", args=[criterion.pk]),
        reverse("criterion-action", args=[criterion.pk, "retire"]),
        reverse("criterion-add", args=[criterion.task_id]),
        reverse("proposal-edit", args=[criterion.task_id]),
        reverse("suggestion-decide", args=[suggestion.pk, "accept"]),
    ]
    page = reverse("task-detail", args=[criterion.task_id])
    client.force_login(outsider)
    html = client.get(page).content.decode()
    assert "Cells divide once" in html and "The membrane stays smooth" in html
    assert [url for url in tools if url in html] == []
    client.force_login(author)
    html = client.get(page).content.decode()
    assert [url for url in tools if url not in html] == []


def test_an_outsider_cannot_decide_on_suggestions_or_draft(
    client, criterion, outsider, suggestion, settings
):
    settings.LLM_BASE_URL, settings.LLM_MODEL = "http://127.0.0.1:9/v1", "test-vlm"
    client.force_login(outsider)
    for decision in ("accept", "reject"):
        response = client.post(reverse("suggestion-decide", args=[suggestion.pk, decision]))
        assert response.status_code == 403 and REFUSAL in response.content.decode()
    response = client.post(reverse("task-draft", args=[criterion.task_id]))
    assert response.status_code == 403 and REFUSAL in response.content.decode()
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.PENDING
    assert Criterion.objects.count() == 1 and CriteriaDraft.objects.count() == 1


def test_an_assigned_author_accepts_a_suggestion(client, criterion, author, suggestion):
    client.force_login(author)
    response = client.post(
        reverse("suggestion-decide", args=[suggestion.pk, "accept"]),
        {"text": "The membrane stays smooth", "polarity": "1", "weight": "1"},
    )
    assert response.status_code == 200
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.ACCEPTED
    assert suggestion.criterion.status == CriterionStatus.PROPOSED


def test_an_outsider_cannot_propose_a_set(client, criterion, outsider, author):
    url = reverse("proposal-edit", args=[criterion.task_id])
    row = {"rows": "1", "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "0"}
    row |= {"form-0-dimension": "visual", "form-0-text": "Smooth"}
    row |= {"form-0-polarity": "1", "form-0-weight": "1"}
    client.force_login(outsider)
    for response in (
        client.get(url),
        client.post(url, row),
        client.post(reverse("proposal-submit", args=[criterion.task_id]), row),
    ):
        assert response.status_code == 403 and REFUSAL in response.content.decode()
    assert not ProposalSet.objects.exists()
    client.force_login(author)
    assert client.get(url).status_code == 200
    assert client.post(url, row).status_code == 302
    assert ProposalSet.objects.get().author == author


def test_an_author_whose_task_was_reassigned_can_no_longer_change_their_set(criterion, author):
    own = proposals.proposal_set_for(task=criterion.task, user=author)
    author.assignments.all().delete()
    with pytest.raises(PermissionDenied, match=REFUSAL):
        proposals.proposal_set_save(
            proposal_set=own,
            user=author,
            items=[{"dimension": "visual", "text": "Smooth", "polarity": 1, "weight": 1}],
        )
    with pytest.raises(PermissionDenied, match=REFUSAL):
        proposals.proposal_set_submit(proposal_set=own, user=author)


def test_the_services_refuse_an_outsider_whoever_calls_them(criterion, outsider, suggestion):
    """The API, commands and tasks call these: the rule holds for each."""
    assert not may_author(outsider, criterion.task)
    calls = [
        lambda: authoring.criterion_create(
            task=criterion.task, dimension="visual", text="x", polarity=1, weight=1, user=outsider
        ),
        lambda: authoring.criterion_update(
            criterion_id=criterion.pk, version=1, user=outsider, text="x"
        ),
        lambda: authoring.criterion_move(
            criterion_id=criterion.pk, version=1, user=outsider, offset=1
        ),
        lambda: authoring.criterion_retire(criterion_id=criterion.pk, version=1, user=outsider),
        lambda: drafting.suggestion_accept(suggestion_id=suggestion.pk, user=outsider),
        lambda: drafting.suggestion_reject(suggestion_id=suggestion.pk, user=outsider),
        lambda: proposals.proposal_set_for(task=criterion.task, user=outsider),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied, match=REFUSAL):
            call()
    assert Criterion.objects.get(pk=criterion.pk).version == 1


def test_the_api_refuses_an_outsiders_criterion_writes(client, criterion, outsider):
    client.force_login(outsider)
    edit = client.patch(
        reverse("api-criterion-detail", args=[criterion.pk]),
        {"version": 1, "weight": 9},
        content_type="application/json",
    )
    add = client.post(
        reverse("api-criterion-list"),
        {"task": criterion.task_id, "dimension": "visual", "text": "x", "polarity": 1, "weight": 1},
        content_type="application/json",
    )
    assert (edit.status_code, add.status_code) == (403, 403)
    assert "detail" in edit.json() and "detail" in add.json()
    assert Criterion.objects.get(pk=criterion.pk).weight == 2 and Criterion.objects.count() == 1


def test_the_django_admin_shows_criteria_but_does_not_change_them(client, admin_user, criterion):
    client.force_login(admin_user)
    url = reverse("admin:rubrics_app_criterion_change", args=[criterion.pk])
    form = client.get(url)
    assert form.status_code == 200 and "Cells divide once" in form.content.decode()
    assert 'name="text"' not in form.content.decode()
    response = client.post(
        url,
        {
            "task": criterion.task_id,
            "dimension": "scientific",
            "number": 1,
            "position": 0,
            "text": "Cells divide twice",
            "polarity": 1,
            "weight": "9",
            "status": "approved",
            "origin": "expert",
            "version": 1,
        },
    )
    assert response.status_code == 403
    assert client.get(reverse("admin:rubrics_app_criterion_add")).status_code == 403
    delete = reverse("admin:rubrics_app_criterion_delete", args=[criterion.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    task_form = client.get(reverse("admin:rubrics_app_task_change", args=[criterion.task_id]))
    assert "Cells divide once" in task_form.content.decode()
    assert 'name="criteria-0-text"' not in task_form.content.decode()
    stored = Criterion.objects.get(pk=criterion.pk)
    assert (stored.text, stored.weight, stored.version) == ("Cells divide once", 2, 1)
