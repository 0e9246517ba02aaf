import csv
import io
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from annotator.models import GoldAnswer, Judgment, User
from annotator.models.choices import Decision, Role, VerdictSource, VerdictStatus, WorkKind
from annotator.selectors.audit import AuditFilter, audit_entries, audit_page
from annotator.services.assignments import work_batch_create
from annotator.services.clip_review import Answer, clip_decide, decision_undo
from annotator.services.users import user_set_role
from annotator.services.verdicts import drafts_confirm, verdict_set
from rubrics_app.choices import Dimension, Level, Polarity
from rubrics_app.models import Criterion
from rubrics_app.services.authoring import criterion_create, criterion_retire, criterion_update
from rubrics_app.services.tasks import task_update
from tests.factories import (
    ClipFactory,
    CriterionFactory,
    TaskFactory,
    UserFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db
URL = reverse("audit-log")


@contextmanager
def acting_as(user):
    """What HistoryRequestMiddleware does for a request: changes are recorded as the
    user's, for services that leave the history user to the request."""
    request = RequestFactory().get("/")
    request.user = user
    HistoricalRecords.context.request = request
    try:
        yield
    finally:
        del HistoricalRecords.context.request


@pytest.fixture
def expert(db):
    return UserFactory(username="expert", role=Role.ANNOTATOR)


def log(client, **params):
    """The entries on the audit page (newest first) as (who, kind, action, changes)."""
    response = client.get(URL, params)
    assert response.status_code == 200
    return [
        (e.who, e.kind.key, e.action, {c.field: (c.before, c.after) for c in e.changes}, e)
        for e in response.context["page"].entries
    ]


def test_criterion_created_edited_and_retired_are_listed(client, admin_user, expert):
    task = TaskFactory()
    work_batch_create(  # annotators write criteria only of tasks they author
        name="authoring",
        kind=WorkKind.AUTHOR,
        items=[task],
        users=[expert],
        overlap=1,
        created_by=None,
    )
    criterion = criterion_create(
        task=task,
        dimension=Dimension.SCIENTIFIC,
        text="Cells divide",
        polarity=1,
        weight=1,
        user=expert,
    )
    criterion = criterion_update(
        criterion_id=criterion.pk, version=criterion.version, user=expert, text="Cells split"
    )
    criterion_retire(criterion_id=criterion.pk, version=criterion.version, user=admin_user)
    client.force_login(admin_user)

    retired, edited, created = log(client, kind="criterion")
    assert retired[:3] == ("boss", "criterion", "changed")
    assert retired[3]["status"] == ("proposed", "retired")
    assert retired[4].reason == "retired"
    assert edited[:3] == ("expert", "criterion", "changed")
    assert edited[3]["text"] == ("Cells divide", "Cells split")
    assert created[:3] == ("expert", "criterion", "created")
    assert created[3]["polarity"] == ("", Polarity.POSITIVE.label)
    assert created[3]["text"] == ("", "Cells divide")
    page = client.get(URL).content.decode()
    assert "Cells divide" in page and "Cells split" in page
    assert f"{reverse('task-history', args=[task.pk])}?criterion={criterion.pk}" in page


def test_task_edit_is_listed(client, admin_user, reviewer_user):
    task = TaskFactory(prompt="Mitosis")
    task_update(task_id=task.pk, user=reviewer_user, prompt="Meiosis", level=Level.ORGAN)
    client.force_login(admin_user)

    (who, kind, action, changes, entry), created = log(client, kind="task")
    assert created[:3] == ("system", "task", "created")
    assert (who, kind, action) == ("rev", "task", "changed")
    assert changes["prompt"] == ("Mitosis", "Meiosis")
    assert changes["level"] == (Level.CELLULAR.label, Level.ORGAN.label)
    assert entry.url == reverse("task-detail", args=[task.pk])


def test_verdicts_set_changed_and_confirmed_are_listed(client, admin_user, expert):
    video = VideoFactory()
    first, second = CriterionFactory.create_batch(2, task=video.task)
    # The judge's draft, written in bulk as the judge writes them: not in the log.
    Judgment.objects.bulk_create(
        [
            Judgment(
                video=video,
                criterion=second,
                verdict=0,
                source=VerdictSource.LLM,
                judge_model="gpt",
                status=VerdictStatus.DRAFT,
            )
        ]
    )
    with acting_as(expert):
        verdict_set(video=video, criterion_id=first.pk, user=expert, verdict=1)
        verdict_set(video=video, criterion_id=first.pk, user=expert, verdict=0)
        verdict_set(video=video, criterion_id=first.pk, user=expert, verdict=0)  # no change
    assert drafts_confirm(videos=[video], dimension=second.dimension, user=expert).count == 1
    client.force_login(admin_user)

    confirmed, changed, created = log(client, kind="verdict")
    assert confirmed[:3] == ("expert", "verdict", "created")
    assert confirmed[3]["verdict"] == ("", "0")
    assert changed[:3] == ("expert", "verdict", "changed")
    assert changed[3] == {"verdict": ("1", "0")}
    assert created[:3] == ("expert", "verdict", "created")
    assert created[3]["verdict"] == ("", "1")
    assert f"video {video.pk}" in created[4].label


def test_assignments_and_a_clip_decision_made_and_undone_are_listed(client, admin_user, expert):
    clip = ClipFactory(external_id="clip-7")
    batch = work_batch_create(
        name="round 1",
        kind=WorkKind.VERIFY,
        items=[clip],
        users=[expert],
        overlap=1,
        created_by=admin_user,
    )
    answer = Answer(Decision.ACCEPT, caption="Cells in a capillary.", level=Level.CELLULAR)
    with acting_as(expert):
        clip_decide(batch=batch, user=expert, video_id=clip.pk, answer=answer)
        decision_undo(batch=batch, user=expert)
    client.force_login(admin_user)

    [(who, _, action, _, entry)] = log(client, kind="assignment")[-1:]
    assert (who, action) == ("boss", "created")
    assert entry.label == "round 1: clip clip-7 → expert"
    undone, made = log(client, kind="clip_decision")
    assert undone[:3] == ("expert", "clip_decision", "deleted")
    assert made[:3] == ("expert", "clip_decision", "created")
    assert made[3]["decision"] == ("", "accept")
    # The decision is gone: its entries stay, labelled from the history, unlinked.
    assert made[4].label == "clip clip-7 by expert" and made[4].url is None
    assert "(deleted since)" in client.get(URL, {"kind": "clip_decision"}).content.decode()


def test_gold_answer_and_role_change_are_listed(client, admin_user, expert):
    clip = ClipFactory()
    with acting_as(admin_user):
        GoldAnswer.objects.create(video=clip, decision=Decision.REJECT, created_by=admin_user)
        user_set_role(user=expert, role=Role.REVIEWER)
    client.force_login(admin_user)

    [gold] = log(client, kind="gold")
    assert gold[:3] == ("boss", "gold", "created")
    assert gold[3]["decision"] == ("", "reject")
    role = log(client, kind="user")[0]
    assert role[:3] == ("boss", "user", "changed")
    assert role[3]["role"] == ("annotator", "reviewer")
    assert role[4].url == reverse("admin:annotator_user_change", args=[expert.pk])


def test_a_role_changed_in_the_django_admin_is_listed(client, admin_user, expert):
    client.force_login(admin_user)
    data = {
        "username": "expert",
        "role": Role.ADMIN,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    response = client.post(reverse("admin:annotator_user_change", args=[expert.pk]), data)
    assert response.status_code == 302

    changes = {
        field: change
        for who, _, action, c, _ in log(client, kind="user")
        for field, change in c.items()
        if who == "boss" and action == "changed"
    }
    assert changes["role"] == ("annotator", "admin")
    assert changes["staff status"] == ("no", "yes")


def test_logins_and_saves_that_change_nothing_are_not_entries(client, admin_user, expert):
    client.force_login(admin_user)
    # Through the login page (saves last_login): the login throttle needs the request.
    client.post(reverse("login"), {"username": "expert", "password": "secret-pass-1"})
    client.force_login(admin_user)
    assert [e[4].label for e in log(client, kind="user")] == ["expert", "boss"]
    assert all(e[2] == "created" for e in log(client, kind="user"))


def test_entries_of_a_deleted_object_stay(client, admin_user):
    criterion = CriterionFactory(text="Ribosomes visible")
    criterion.task.delete()
    client.force_login(admin_user)

    deleted, created = log(client, kind="criterion")
    assert deleted[2] == "deleted" and created[2] == "created"
    assert "Ribosomes visible" in deleted[4].label and deleted[4].url is None
    assert not Criterion.objects.exists()
    assert [e[2] for e in log(client, kind="task")] == ["deleted", "created"]


def test_filters_by_kind_user_and_date(client, admin_user, reviewer_user):
    task = TaskFactory()
    task_update(task_id=task.pk, user=reviewer_user, prompt="By the reviewer")
    task_update(task_id=task.pk, user=admin_user, prompt="By the admin")
    client.force_login(admin_user)

    assert {e[1] for e in log(client)} == {"task", "user"}
    assert [e[3]["prompt"][1] for e in log(client, user=reviewer_user.pk)] == ["By the reviewer"]
    today = timezone.localdate()
    assert len(log(client, kind="task", start=today, end=today)) == 3
    assert log(client, kind="task", end=today - timedelta(days=1)) == []
    assert log(client, start=today + timedelta(days=1)) == []
    response = client.get(URL, {"start": today, "end": today - timedelta(days=1)})
    assert "starts after it ends" in response.content.decode()


@pytest.mark.parametrize("role", [Role.ANNOTATOR, Role.REVIEWER])
def test_annotators_and_reviewers_are_refused(client, role):
    client.force_login(UserFactory(role=role))
    assert client.get(URL).status_code == 403
    assert client.get(reverse("audit-csv")).status_code == 403


def test_it_needs_a_login(client):
    assert client.get(URL).status_code == 302


def test_pages_go_older_and_newer_without_gaps_or_repeats(admin_user):
    tasks = TaskFactory.create_batch(4)
    for n in range(3):
        for task in tasks:
            task_update(task_id=task.pk, user=admin_user, prompt=f"version {n}")
    everything = [e.cursor for e in audit_page(AuditFilter(), size=1000).entries]
    seen, page = [], audit_page(AuditFilter(), size=4)
    while True:
        seen += [e.cursor for e in page.entries]
        if not page.older:
            break
        page = audit_page(AuditFilter(), before=page.older, size=4)
    assert seen == everything and len(seen) == len(set(seen)) == 4 * 4 + 1
    back = audit_page(AuditFilter(), after=page.entries[0].cursor, size=4)
    assert [e.cursor for e in back.entries] == everything[12:16]
    assert audit_page(AuditFilter(), before="garbled").entries[0].cursor == everything[0]


def test_a_page_takes_a_fixed_number_of_queries(client, admin_user, expert):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    client.force_login(admin_user)
    video = VideoFactory()
    criteria = CriterionFactory.create_batch(3, task=video.task)

    def history(n):
        for i in range(n):
            with acting_as(expert):
                for criterion in criteria:
                    verdict_set(video=video, criterion_id=criterion.pk, user=expert, verdict=i % 2)
            task_update(task_id=video.task_id, user=admin_user, prompt=f"prompt {n} {i}")
            with acting_as(admin_user):
                user_set_role(user=expert, role=[Role.REVIEWER, Role.ANNOTATOR][i % 2])

    history(2)
    few = queries()
    history(40)
    assert queries() == few


def test_csv_has_the_filtered_log(client, admin_user, reviewer_user):
    task = TaskFactory(prompt="Old")
    task_update(task_id=task.pk, user=reviewer_user, prompt="New")
    client.force_login(admin_user)

    response = client.get(reverse("audit-csv"), {"kind": "task"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["who"], r["kind"], r["change"]) for r in rows] == [
        ("rev", "task", "changed"),
        ("system", "task", "created"),
    ]
    assert "prompt: Old → New" in rows[0]["details"]
    assert rows[0]["object id"] == str(task.pk)


def test_csv_reads_the_log_in_chunks(admin_user):
    users = UserFactory.create_batch(5)
    with acting_as(admin_user):
        for user in users:
            user_set_role(user=user, role=Role.REVIEWER)
    entries = list(audit_entries(AuditFilter(kind="user"), chunk=3))
    assert [e.action for e in entries].count("changed") == 5
    assert len(entries) == 5 + User.objects.count()
    assert entries == sorted(entries, key=lambda e: e.when, reverse=True)


def test_logging_in_adds_no_history_row(client, annotator_user):
    from annotator.models import User

    before = User.history.count()
    login = client.post(reverse("login"), {"username": "ann", "password": "secret-pass-1"})
    assert login.status_code == 302
    annotator_user.refresh_from_db()
    assert annotator_user.last_login is not None and User.history.count() == before


def test_every_history_manager_is_of_one_class_and_knows_its_instance(expert):
    """annotator.core.history builds simple-history's manager class once (each history
    row written reads it), not on every `instance.history`."""
    first, second = CriterionFactory(), CriterionFactory()
    assert type(first.history) is type(second.history) is type(Criterion.history)
    assert list(first.history.values_list("id", flat=True)) == [first.pk]
    assert type(expert.history) is type(first.history)
    assert expert.history.instance == expert and Criterion.history.instance is None
