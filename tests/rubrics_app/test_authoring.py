from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from annotator.models.choices import Role
from rubrics_app.choices import CriterionStatus, Dimension, Polarity
from rubrics_app.models import Criterion
from rubrics_app.selectors import tasks_with_review_state
from rubrics_app.services import authoring
from tests.factories import CriterionFactory, TaskFactory, UserFactory, author_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def criterion():
    return CriterionFactory(text="Cells divide once", weight=Decimal(2), number=1, position=0)


def edit(client, criterion, version=None, **fields):
    data = {"version": criterion.version if version is None else version, **fields}
    return client.post(reverse("criterion-edit", args=[criterion.pk]), data)


def test_an_annotators_edit_is_a_proposal_recorded_in_the_history(client, criterion):
    user = author_of(criterion.task, username="maria")
    client.force_login(user)
    response = edit(client, criterion, text="Cells divide exactly once", weight="2.5")
    assert response.status_code == 200
    criterion.refresh_from_db()
    assert criterion.text == "Cells divide exactly once" and criterion.weight == Decimal("2.5")
    assert criterion.status == CriterionStatus.PROPOSED and criterion.version == 2
    assert criterion.updated_by == user
    last = criterion.history.first()
    assert last.history_user == user and last.history_change_reason == "edited"
    # The answer is the re-rendered dimension, with its new maximum.
    assert 'data-max="scientific">2.5<' in response.content.decode()


def test_an_edit_on_a_stale_version_is_refused_and_says_who_changed_it(client, criterion):
    first = author_of(criterion.task, username="first")
    second = author_of(criterion.task, username="second")
    loaded_version = criterion.version  # both open the editor on this version
    client.force_login(first)
    assert edit(client, criterion, version=loaded_version, text="First's text").status_code == 200
    client.force_login(second)
    response = edit(client, criterion, version=loaded_version, text="Second's text")
    assert response.status_code == 409
    html = response.content.decode()
    assert "Changed by first at" in html and "First&#x27;s text" in html
    assert "Second&#x27;s text" in html  # the refused text is kept in the form to re-apply
    criterion.refresh_from_db()
    assert criterion.text == "First's text"
    with pytest.raises(authoring.EditConflict, match="Changed by first"):
        authoring.criterion_update(
            criterion_id=criterion.pk, version=loaded_version, user=second, text="x"
        )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"text": "   "}, "The criterion needs a text."),
        ({"weight": "11"}, "Weight must be between 0 and 10."),
        ({"weight": "-1"}, "Weight must be between 0 and 10."),
        ({"weight": "heavy"}, "Weight must be a number."),
        ({"text": "the OTHER criterion"}, "This task already has a criterion with this text."),
    ],
)
def test_invalid_edits_are_refused_with_a_message(client, criterion, fields, message):
    CriterionFactory(task=criterion.task, text="The other criterion", number=2)
    client.force_login(author_of(criterion.task))
    response = edit(client, criterion, **fields)
    assert response.status_code == 422
    assert message in response.content.decode()
    criterion.refresh_from_db()
    assert criterion.version == 1 and criterion.text == "Cells divide once"


def test_a_criterion_in_an_unknown_dimension_is_refused_naming_the_dimensions(client, criterion):
    client.force_login(author_of(criterion.task))
    response = client.post(
        reverse("criterion-add", args=[criterion.task_id]),
        {"dimension": "physics", "text": "Nuclei visible", "polarity": "1", "weight": "1"},
    )
    assert response.status_code == 400
    assert response.content.decode() == (
        "unknown dimension 'physics': one of scientific, visual, instruction"
    )
    assert not Criterion.objects.filter(text="Nuclei visible").exists()


def test_adding_moving_flipping_and_retiring(client, criterion):
    client.force_login(author_of(criterion.task))
    task = criterion.task
    response = client.post(
        reverse("criterion-add", args=[task.pk]),
        {"dimension": "scientific", "text": "Nuclei visible", "polarity": "-1", "weight": "1"},
    )
    assert response.status_code == 200
    added = Criterion.objects.get(text="Nuclei visible")
    assert (added.number, added.position, added.polarity) == (2, 1, Polarity.PENALTY)
    assert added.status == CriterionStatus.PROPOSED and added.origin == "expert"

    client.post(reverse("criterion-action", args=[added.pk, "up"]), {"version": added.version})
    order = list(task.criteria.order_by("position").values_list("text", flat=True))
    assert order == ["Nuclei visible", "Cells divide once"]

    criterion.refresh_from_db()  # the move changed its position, so its version
    assert edit(client, criterion, polarity="-1").status_code == 200
    criterion.refresh_from_db()
    assert criterion.polarity == Polarity.PENALTY

    response = client.post(
        reverse("criterion-action", args=[criterion.pk, "retire"]), {"version": criterion.version}
    )
    criterion.refresh_from_db()
    assert criterion.status == CriterionStatus.RETIRED
    assert "Cells divide once" not in response.content.decode()


def test_annotators_cannot_approve(client, criterion):
    annotator = UserFactory(role=Role.ANNOTATOR)
    client.force_login(annotator)
    response = client.post(
        reverse("criterion-action", args=[criterion.pk, "approve"]), {"version": criterion.version}
    )
    assert response.status_code == 403
    assert "Only reviewers approve" in response.content.decode()
    with pytest.raises(PermissionDenied):
        authoring.criterion_approve(
            criterion_id=criterion.pk, version=criterion.version, user=annotator
        )
    assert (
        "approve</button>"
        not in client.get(reverse("task-detail", args=[criterion.task.pk])).content.decode()
    )


def test_reviewers_approve_or_request_changes_and_tasks_follow(client):
    task = TaskFactory()
    one = CriterionFactory(task=task, status=CriterionStatus.PROPOSED, number=1)
    two = CriterionFactory(task=task, status=CriterionStatus.PROPOSED, number=2)
    client.force_login(UserFactory(role=Role.REVIEWER))
    url = reverse("criterion-action", args=[one.pk, "approve"])
    assert client.post(url, {"version": one.version}).status_code == 200
    changes = reverse("criterion-action", args=[two.pk, "request-changes"])
    assert client.post(changes, {"version": two.version}).status_code == 422  # no comment
    response = client.post(
        changes, {"version": two.version}, headers={"HX-Prompt": "Say which nuclei"}
    )
    assert response.status_code == 200 and "Reviewer: Say which nuclei" in response.content.decode()
    two.refresh_from_db()
    assert two.status == CriterionStatus.DRAFT
    assert tasks_with_review_state(type(task).objects.filter(pk=task.pk)).get().n_unapproved == 1
    authoring.criterion_approve(
        criterion_id=two.pk, version=two.version, user=UserFactory(role=Role.REVIEWER)
    )
    assert tasks_with_review_state(type(task).objects.filter(pk=task.pk)).get().n_unapproved == 0
    page = client.get(reverse("benchmark-detail", args=[task.benchmark.pk]), {"review": "approved"})
    assert [t.pk for t in page.context["page"]] == [task.pk]


def test_the_history_page_shows_who_changed_what(client, criterion):
    user = author_of(criterion.task, username="maria")
    authoring.criterion_update(
        criterion_id=criterion.pk, version=1, user=user, text="Cells divide exactly once"
    )
    client.force_login(user)
    html = client.get(reverse("task-history", args=[criterion.task.pk])).content.decode()
    assert "maria" in html and "<ins>exactly</ins>" in html
    assert html.count("<tr>") >= 3  # header, the creation, the edit


def test_new_criteria_number_after_retired_ones():
    task = TaskFactory()
    CriterionFactory(
        task=task, number=7, status=CriterionStatus.RETIRED, dimension=Dimension.VISUAL
    )
    expert = author_of(task)
    created = authoring.criterion_create(
        task=task, dimension="visual", text="t", polarity=1, weight="1", user=expert
    )
    assert created.number == 8
    with pytest.raises(ValidationError):
        authoring.criterion_create(
            task=task, dimension="visual", text="T ", polarity=1, weight="1", user=expert
        )


def test_the_editors_forms_name_a_malformed_field_and_write_nothing(client, criterion):
    client.force_login(author_of(criterion.task))
    add = reverse("criterion-add", args=[criterion.task_id])
    response = client.post(add, {"dimension": "scientific", "text": "Nuclei", "polarity": "x"})
    assert response.status_code == 422 and "Select a valid choice" in response.content.decode()
    assert not Criterion.objects.filter(text="Nuclei").exists()
    response = client.post(add, {"dimension": "scientific", "text": "Nuclei visible"})
    assert response.status_code == 200  # polarity and weight left out: + and 1
    added = Criterion.objects.get(text="Nuclei visible")
    assert (added.polarity, added.weight) == (Polarity.POSITIVE, Decimal(1))
    response = edit(client, criterion, version="v2", text="Changed")
    assert response.status_code == 422
    assert "The edit does not say which version it changes." in response.content.decode()
    response = edit(client, criterion, weight="2")  # what is left out stays as it is
    criterion.refresh_from_db()
    assert (criterion.text, criterion.weight) == ("Cells divide once", Decimal(2))
