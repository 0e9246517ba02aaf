from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.models.choices import Role
from rubrics_app.choices import CriterionStatus, Dimension, Polarity, ProposalStatus
from rubrics_app.models import Criterion, ProposalSet
from rubrics_app.services import proposals
from tests.factories import CriterionFactory, TaskFactory, UserFactory, author_of

pytestmark = pytest.mark.django_db

DIVIDE = "Cells divide into two daughter cells"
DIVIDE_REPHRASED = "The cell divides into two daughter cells"
CONDENSE = "Chromosomes condense before division"


def item(text, dimension="scientific", polarity=1, weight="1"):
    return {"dimension": dimension, "text": text, "polarity": polarity, "weight": weight}


def submitted_set(task, user, *items):
    proposal_set = proposals.proposal_set_for(task=task, user=user)
    proposals.proposal_set_save(proposal_set=proposal_set, user=user, items=list(items))
    return proposals.proposal_set_submit(proposal_set=proposal_set, user=user)


def form(*items):
    """The edit formset's POST data for rows."""
    data = {"rows": "1", "form-TOTAL_FORMS": str(len(items)), "form-INITIAL_FORMS": "0"}
    for index, row in enumerate(items):
        for name in ("dimension", "text", "polarity", "weight"):
            data[f"form-{index}-{name}"] = str(row[name])
    return data


@pytest.fixture
def task():
    task = TaskFactory()
    CriterionFactory(task=task, number=1, position=0, text=DIVIDE, weight=Decimal(2))
    CriterionFactory(
        task=task, dimension=Dimension.VISUAL, number=1, position=0, text="Colors look natural"
    )
    CriterionFactory(task=task, number=2, position=1, text="Gone", status=CriterionStatus.RETIRED)
    return task


def test_an_experts_set_starts_as_the_rubric_and_round_trips(client, task):
    expert = author_of(task, username="alice")
    client.force_login(expert)
    url = reverse("proposal-edit", args=[task.pk])
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "not saved yet" in html
    assert DIVIDE in html and "Colors look natural" in html and "Gone" not in html
    assert not ProposalSet.objects.exists()  # looking starts nothing

    rows = [
        item(DIVIDE, weight="2"),
        item("Colors look natural", "visual"),
        item("Nuclei  stay visible", "scientific", polarity=-1, weight="0.5"),
    ]
    # Adding and removing rows re-renders the form and saves nothing.
    added = client.post(url, {**form(*rows), "add": "instruction"})
    assert added.status_code == 200 and not ProposalSet.objects.exists()
    instruction = added.context["blocks"][2]
    assert [r.item["text"] for r in instruction.rows] == [""]
    assert added.context["focus"] == instruction.rows[0].index
    removed = client.post(url, {**form(*rows), "remove": "1"})  # rows sort by dimension
    assert [r.item["text"] for r in removed.context["blocks"][0].rows] == [DIVIDE]

    assert client.post(url, form(*rows)).status_code == 302
    proposal_set = ProposalSet.objects.get(task=task, author=expert)
    assert proposal_set.status == ProposalStatus.OPEN
    saved = list(proposal_set.criteria.order_by("dimension", "position"))
    assert [(c.dimension, c.position, c.text, c.polarity, c.weight) for c in saved] == [
        ("scientific", 0, DIVIDE, 1, Decimal(2)),
        ("scientific", 1, "Nuclei stay visible", -1, Decimal("0.5")),
        ("visual", 0, "Colors look natural", 1, Decimal(1)),
    ]
    html = client.get(url).content.decode()
    assert "Nuclei stay visible" in html and "Saved." in html

    response = client.post(reverse("proposal-submit", args=[task.pk]), form(*rows))
    assert response.status_code == 302
    proposal_set.refresh_from_db()
    assert proposal_set.status == ProposalStatus.SUBMITTED and proposal_set.submitted_at
    # Saving the same rows changes nothing; a change takes it back until submitted again.
    client.post(url, form(*rows))
    proposal_set.refresh_from_db()
    assert proposal_set.status == ProposalStatus.SUBMITTED
    client.post(url, form(*rows[:2]))
    proposal_set.refresh_from_db()
    assert proposal_set.status == ProposalStatus.OPEN and proposal_set.submitted_at is None
    assert proposal_set.criteria.count() == 2
    # The task's own criteria were never touched.
    assert task.criteria.filter(status=CriterionStatus.APPROVED).count() == 2


def test_the_service_starts_a_set_as_a_copy_of_the_live_criteria(task):
    expert = author_of(task)
    proposal_set = proposals.proposal_set_for(task=task, user=expert)
    copied = proposal_set.criteria.order_by("dimension", "position")
    assert [(c.dimension, c.text, c.weight) for c in copied] == [
        ("scientific", DIVIDE, Decimal(2)),
        ("visual", "Colors look natural", Decimal(1)),
    ]
    assert proposals.proposal_set_for(task=task, user=expert) == proposal_set  # one per expert


@pytest.mark.parametrize(
    ("rows", "key", "message"),
    [
        ([item("ok"), item("   ")], "1.text", "The criterion needs a text."),
        ([item("ok", weight="11")], "0.weight", "Weight must be between 0 and 10."),
        ([item("ok", weight="-1")], "0.weight", "Weight must be between 0 and 10."),
        ([item("ok", weight="heavy")], "0.weight", "Weight must be a number."),
        ([item("ok", polarity="2")], "0.polarity", "Polarity must be +1"),
        (
            [item("Nuclei visible"), item("Other"), item("nuclei  VISIBLE ")],
            "2.text",
            "The same text is already criterion 1 of Scientific fidelity.",
        ),
    ],
)
def test_invalid_sets_are_refused_with_a_message_per_row(client, task, rows, key, message):
    expert = author_of(task)
    proposal_set = proposals.proposal_set_for(task=task, user=expert)
    with pytest.raises(ValidationError) as raised:
        proposals.proposal_set_save(proposal_set=proposal_set, user=expert, items=rows)
    assert any(message in m for m in raised.value.message_dict[key])
    assert proposal_set.criteria.count() == 2  # nothing written

    client.force_login(expert)
    response = client.post(reverse("proposal-edit", args=[task.pk]), form(*rows))
    assert response.status_code == 422
    assert message in response.content.decode().replace("&#x27;", "'")


def test_the_same_text_in_two_dimensions_is_fine_and_an_empty_set_is_not_submitted(task):
    expert = author_of(task)
    proposal_set = proposals.proposal_set_for(task=task, user=expert)
    rows = [item("Sharp", "visual"), item("Sharp", "instruction")]
    proposals.proposal_set_save(proposal_set=proposal_set, user=expert, items=rows)
    proposals.proposal_set_save(proposal_set=proposal_set, user=expert, items=[])
    with pytest.raises(ValidationError, match="at least one criterion"):
        proposals.proposal_set_submit(proposal_set=proposal_set, user=expert)


def test_another_expert_cannot_change_my_set(client, task):
    mine, other = author_of(task, username="alice"), UserFactory(username="bob", role=Role.REVIEWER)
    proposal_set = submitted_set(task, mine, item(DIVIDE))
    with pytest.raises(PermissionDenied):
        proposals.proposal_set_save(proposal_set=proposal_set, user=other, items=[item("x")])
    with pytest.raises(PermissionDenied):
        proposals.proposal_set_submit(proposal_set=proposal_set, user=other)
    # The page edits the signed-in expert's own set: there is no way to reach mine.
    client.force_login(other)
    client.post(reverse("proposal-edit", args=[task.pk]), form(item("Bob's criterion")))
    assert ProposalSet.objects.get(author=other).criteria.get().text == "Bob's criterion"
    proposal_set.refresh_from_db()
    assert [c.text for c in proposal_set.criteria.all()] == [DIVIDE]
    assert proposal_set.status == ProposalStatus.SUBMITTED


def test_near_duplicates_are_grouped_across_experts_with_support_counts(task):
    alice, bob, carol, dave = (
        author_of(task, username=n) for n in ("alice", "bob", "carol", "dave")
    )
    submitted_set(task, alice, item(DIVIDE, weight="2"), item("Colors look natural", "visual"))
    submitted_set(task, bob, item(DIVIDE_REPHRASED, weight="3"), item(CONDENSE, weight="1"))
    submitted_set(
        task,
        carol,
        item(DIVIDE, polarity=-1, weight="1"),
        item("Cells divide into two daughter cells.", "instruction"),
    )
    still_writing = proposals.proposal_set_for(task=task, user=dave)  # not submitted
    proposals.proposal_set_save(proposal_set=still_writing, user=dave, items=[item(DIVIDE)])

    scientific, visual, instruction = proposals.proposal_groups(task=task)
    assert [g.key for g in (scientific, visual, instruction)] == Dimension.values
    divide, condense = scientific.groups
    assert divide.support == 3 and divide.n_experts == 3 and divide.has_majority
    assert [u.username for u in divide.experts] == ["alice", "bob", "carol"]
    assert divide.texts == [(DIVIDE, 2), (DIVIDE_REPHRASED, 1)]
    assert divide.text == DIVIDE  # the most common text
    assert divide.polarity == Polarity.POSITIVE and divide.polarity_disputed
    assert divide.weight == Decimal(2)  # the median of 1, 2, 3
    assert condense.support == 1 and not condense.has_majority
    assert [m.text for m in condense.members] == [CONDENSE]
    assert [g.support for g in visual.groups] == [1]
    assert [g.text for g in instruction.groups] == ["Cells divide into two daughter cells."]


def test_an_expert_with_two_near_duplicates_counts_once(task):
    alice = author_of(task)
    submitted_set(task, alice, item(DIVIDE), item(DIVIDE_REPHRASED))
    submitted_set(task, author_of(task), item(CONDENSE))
    (condense, divide), _, _ = (block.groups for block in proposals.proposal_groups(task=task))
    assert [m.text for m in condense.members] == [CONDENSE]  # first: the average position is 0
    assert len(divide.members) == 2 and divide.support == 1 and divide.n_experts == 2


def test_a_reviewers_merge_replaces_the_rubric_and_closes_the_sets(client, task):
    reviewer = UserFactory(username="rev", role=Role.REVIEWER)
    alice, bob, carol = (author_of(task, username=n) for n in ("alice", "bob", "carol"))
    kept = task.criteria.get(text=DIVIDE)
    visual = task.criteria.get(text="Colors look natural")
    retired_before = task.criteria.get(text="Gone")
    sets = [
        submitted_set(task, alice, item(DIVIDE, weight="2"), item(CONDENSE, weight="1")),
        submitted_set(task, bob, item(DIVIDE_REPHRASED, weight="4"), item(CONDENSE, weight="3")),
        submitted_set(task, carol, item(DIVIDE, weight="3"), item("Membrane blebs", polarity=-1)),
    ]
    client.force_login(reviewer)
    review = client.get(reverse("proposal-review", args=[task.pk]))
    assert review.status_code == 200
    html = review.content.decode()
    assert "3 of 3 experts" in html and "2 of 3 experts" in html and "1 of 3 experts" in html
    divide, condense, blebs = (row.group for row in review.context["blocks"][0].rows)
    assert blebs.text == "Membrane blebs" and blebs.support == 1
    assert [row.adopt for row in review.context["blocks"][0].rows] == [True, True, False]

    response = client.post(
        reverse("proposal-merge", args=[task.pk]),
        {
            "seen": review.context["seen"],
            "adopt": [divide.key, condense.key],
            f"text-{divide.key}": DIVIDE,
            f"polarity-{divide.key}": "1",
            f"weight-{divide.key}": "3",  # the median of 2, 3, 4
            f"text-{condense.key}": "Chromosomes condense before the division",
            f"polarity-{condense.key}": "1",
            f"weight-{condense.key}": "2.5",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse(
        "task-detail", args=[task.pk]
    )
    live = list(task.criteria.exclude(status=CriterionStatus.RETIRED).order_by("position"))
    assert [(c.dimension, c.text, c.weight, c.position) for c in live] == [
        ("scientific", DIVIDE, Decimal(3), 0),
        ("scientific", "Chromosomes condense before the division", Decimal("2.5"), 1),
    ]
    assert all(c.status == CriterionStatus.APPROVED for c in live)
    assert live[0].pk == kept.pk and live[0].number == 1  # kept: same criterion, edited
    assert live[1].number == 3  # new, numbered after the retired "Gone" (2)
    assert live[1].created_by == reviewer and live[1].origin == "expert"
    visual.refresh_from_db()
    assert visual.status == CriterionStatus.RETIRED  # nobody proposed it: retired, not deleted
    assert Criterion.objects.filter(pk=retired_before.pk).exists()

    kept_history = Criterion.objects.get(pk=kept.pk).history.first()
    assert kept_history.history_user == reviewer
    assert kept_history.history_change_reason == "merged (3 of 3 experts: alice, bob, carol)"
    assert visual.history.first().history_user == reviewer
    created_history = live[1].history.get()
    assert created_history.history_user == reviewer and created_history.history_type == "+"

    for proposal_set in sets:
        proposal_set.refresh_from_db()
        assert proposal_set.status == ProposalStatus.MERGED
    with pytest.raises(ValidationError, match="merged"):
        proposals.proposal_set_save(proposal_set=sets[0], user=alice, items=[item("x")])
    with pytest.raises(ValidationError, match="merged"):
        proposals.proposal_set_submit(proposal_set=sets[0], user=alice)
    client.force_login(alice)
    page = client.get(reverse("proposal-edit", args=[task.pk]))
    assert page.context["read_only"] and 'name="text"' not in page.content.decode()
    refused = client.post(reverse("proposal-edit", args=[task.pk]), form(item("x")))
    assert refused.status_code == 422 and "can no longer change" in refused.content.decode()
    assert [c.text for c in sets[0].criteria.order_by("position")] == [DIVIDE, CONDENSE]


def test_merge_defaults_come_from_the_group(task):
    reviewer = UserFactory(role=Role.REVIEWER)
    submitted_set(task, author_of(task), item(DIVIDE_REPHRASED, weight="1"))
    submitted_set(task, author_of(task), item(DIVIDE_REPHRASED, polarity=-1, weight="2"))
    submitted_set(task, author_of(task), item(DIVIDE, polarity=-1, weight="6"))
    ((divide,), _, _) = (block.groups for block in proposals.proposal_groups(task=task))
    (merged,) = proposals.proposals_merge(task=task, user=reviewer, choices=[{"group": divide.key}])
    assert (merged.text, merged.polarity, merged.weight) == (
        DIVIDE_REPHRASED,
        Polarity.PENALTY,
        Decimal(2),
    )
    # The live criterion with one of the group's texts was kept and rephrased.
    assert merged.number == 1 and merged.version == 2


def test_merge_refuses_bad_choices_and_a_stale_page(client, task):
    reviewer = UserFactory(role=Role.REVIEWER)
    alice = author_of(task)
    submitted_set(task, alice, item(DIVIDE), item(CONDENSE))
    client.force_login(reviewer)
    review = client.get(reverse("proposal-review", args=[task.pk]))
    divide, condense = (row.group for row in review.context["blocks"][0].rows)
    url = reverse("proposal-merge", args=[task.pk])
    data = {
        "seen": review.context["seen"],
        "adopt": [divide.key, condense.key],
        f"text-{divide.key}": "Same",
        f"weight-{divide.key}": "1",
        f"text-{condense.key}": "same",
        f"weight-{condense.key}": "12",
    }
    response = client.post(url, data)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Another adopted group has the same final text." in html
    assert "Weight must be between 0 and 10." in html
    assert 'value="12"' in html  # the reviewer's input is kept
    assert client.post(url, {"seen": review.context["seen"]}).status_code == 422  # nothing adopted
    sideways = client.post(url, {**data, f"polarity-{divide.key}": "sideways"})
    assert sideways.status_code == 422 and "Select a valid choice" in sideways.content.decode()
    assert sideways.context["blocks"][0].rows[0].errors["polarity"]  # shown by its group

    submitted_set(task, author_of(task), item(DIVIDE))  # a new set arrives meanwhile
    data.update({f"text-{condense.key}": CONDENSE, f"weight-{condense.key}": "1"})
    response = client.post(url, data)
    assert response.status_code == 409
    assert "changed since you opened the page" in response.content.decode()
    assert set(task.criteria.values_list("status", flat=True)) == {"approved", "retired"}
    assert task.criteria.filter(text="Same").count() == 0
    assert not ProposalSet.objects.filter(status=ProposalStatus.MERGED).exists()


def test_annotators_cannot_see_the_review_page_or_merge(client, task):
    annotator = author_of(task)
    submitted_set(task, annotator, item(DIVIDE))
    client.force_login(annotator)
    assert client.get(reverse("proposal-review", args=[task.pk])).status_code == 403
    response = client.post(reverse("proposal-merge", args=[task.pk]), {"adopt": ["1"]})
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        proposals.proposals_merge(task=task, user=annotator, choices=[])
    assert ProposalSet.objects.get().status == ProposalStatus.SUBMITTED
    page = client.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert reverse("proposal-edit", args=[task.pk]) in page
    assert reverse("proposal-review", args=[task.pk]) not in page
    client.force_login(UserFactory(role=Role.REVIEWER))
    page = client.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert reverse("proposal-review", args=[task.pk]) in page


def test_the_review_page_runs_the_same_queries_whatever_the_number_of_sets(client):
    client.force_login(UserFactory(role=Role.REVIEWER))
    counts = []
    for n_sets in (1, 5):
        task = TaskFactory()
        for n in range(n_sets):
            submitted_set(
                task,
                author_of(task),
                item(DIVIDE, weight=str(n)),
                item(f"Criterion number {n} about {n * 'x'}", "visual"),
                item(CONDENSE, "instruction", polarity=-1),
            )
        proposals.proposal_set_for(task=task, user=author_of(task))  # one still writing
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("proposal-review", args=[task.pk]))
        assert response.status_code == 200
        assert f"{n_sets} of {n_sets} expert" in response.content.decode()
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_editors_save_is_all_or_nothing(task):
    expert = author_of(task)
    with pytest.raises(ValidationError):
        proposals.own_set_save(task=task, user=expert, items=[item("")], submit=True)
    assert not ProposalSet.objects.exists()  # an invalid first save starts no set
    proposals.own_set_save(task=task, user=expert, items=[item("Cells divide")])
    with pytest.raises(ValidationError):  # submitting rows of which one is invalid
        proposals.own_set_save(
            task=task, user=expert, items=[item("Cells divide"), item("", "visual")], submit=True
        )
    own = ProposalSet.objects.get()
    assert own.status == ProposalStatus.OPEN
    assert [c.text for c in own.criteria.all()] == ["Cells divide"]
    submitted = proposals.own_set_save(task=task, user=expert, items=None, submit=True)
    assert submitted.status == ProposalStatus.SUBMITTED


def test_rows_without_the_formsets_management_form_are_refused_not_saved_as_empty(client, task):
    expert = author_of(task)
    client.force_login(expert)
    url = reverse("proposal-edit", args=[task.pk])
    client.post(url, form(item("Cells divide")))
    response = client.post(url, {"rows": "1", "form-0-text": "x"})  # a page from before
    assert response.status_code == 400 and "reload the page" in response.content.decode()
    assert [c.text for c in ProposalSet.objects.get().criteria.all()] == ["Cells divide"]
