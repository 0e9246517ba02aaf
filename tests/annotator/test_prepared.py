"""Prepared querysets (annotator.core.prepared): compiled once, they must return what
the queryset returns for every call's values, on SQLite and on PostgreSQL."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotator.core.prepared import Prepared
from annotator.core.sessions import SessionStore
from annotator.models import Judgment, Video
from annotator.models.choices import Role
from annotator.services import verdicts
from rubrics_app.models import Criterion, Task
from rubrics_app.selectors import live_criteria
from tests.annotator.test_judging import judge_of, judged_task
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_it_returns_the_querysets_instances_for_each_calls_values():
    criteria_of = Prepared(lambda task: live_criteria().filter(task_id=task), task=Task._meta.pk)
    tasks = [judged_task(per_dimension=n)[0] for n in (1, 2)]
    for task in tasks:
        expected = list(live_criteria().filter(task=task))
        with CaptureQueriesContext(connection) as queries:
            got = criteria_of(task=task.pk)
        assert len(queries) == 1  # counted as any query is
        assert got == expected
        assert [vars(c) | {"_state": None} for c in got] == [
            vars(c) | {"_state": None} for c in expected
        ]
        assert not got[0]._state.adding and got[0]._state.db == "default"
    assert criteria_of(task=-1) == []


def test_values_list_rows_get_the_columns_converters():
    """SQLite keeps UUIDs as text and decimals as reals: the rows come back as the ORM
    gives them, not as the driver does."""
    of_task = Prepared(
        lambda task: Video.objects.filter(task_id=task).order_by("pk").values_list("public_id"),
        task=Task._meta.pk,
    )
    weights = Prepared(
        lambda task: Criterion.objects.filter(task_id=task).order_by("pk").values_list("weight"),
        task=Task._meta.pk,
    )
    task, _, videos = judged_task()
    assert of_task(task=task.pk) == [(v.public_id,) for v in videos]
    assert isinstance(of_task(task=task.pk)[0][0], uuid.UUID)
    expected = list(Criterion.objects.filter(task=task).order_by("pk").values_list("weight"))
    assert weights(task=task.pk) == expected


def test_a_judgeable_video_is_one_the_user_may_judge_whoever_asked_before():
    """One compiled query serves every annotator: the user is a value, not part of the
    SQL. A video of a task assigned to another is not found; a reviewer finds any."""
    task, _, (video, _) = judged_task()
    other_task, _, (other_video, _) = judged_task()
    mine, theirs = judge_of(task), judge_of(other_task)
    reviewer = UserFactory(role=Role.REVIEWER)
    for _ in range(2):  # compiled on the first round, reused on the second
        assert verdicts.judgeable_video(mine, video.public_id) == video
        assert verdicts.judgeable_video(mine, other_video.public_id) is None
        assert verdicts.judgeable_video(theirs, other_video.public_id) == other_video
        assert verdicts.judgeable_video(theirs, video.public_id) is None
        assert verdicts.judgeable_video(reviewer, video.public_id) == video
        assert verdicts.judgeable_video(mine, uuid.uuid4()) is None
    found = verdicts.judgeable_video(mine, video.public_id)
    assert found.task_id == task.pk and found.get_deferred_fields() >= {"file", "kind"}


def test_a_checklist_shows_the_same_from_either_reader():
    """The save's checklist (prepared reads) and the page's (the ORM) agree, for the
    expert and for a colleague whose verdicts it must not show."""
    task, criteria, (video, _) = judged_task()
    me, colleague = judge_of(task), judge_of(task)
    verdicts.verdict_set(video=video, criterion_id=criteria[0].pk, user=me, verdict=0)
    verdicts.verdict_set(video=video, criterion_id=criteria[1].pk, user=colleague, verdict=1)
    for user in (me, colleague):
        saved = verdicts.video_checklist(video, user)
        (page,) = verdicts.workspace(task=task, user=user, blind=True, only=video)
        assert [(c.criterion, c.draft, c.mine) for s in saved.sections for c in s[1]] == [
            (c.criterion, c.draft, c.mine) for s in page.sections for c in s[1]
        ]
    assert Judgment.objects.filter(video=video, source="human").count() == 2


def test_a_session_is_good_until_it_expires(client):
    user = UserFactory()
    client.force_login(user)
    account = reverse("account-settings")
    assert client.get(account).status_code == 200
    session = Session.objects.get()
    assert SessionStore(session.session_key).load()[SESSION_KEY] == str(user.pk)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get(account).status_code == 302  # to the login page
    store = SessionStore(session.session_key)
    assert store.load() == {} and store.session_key is None
    assert SessionStore("no-such-key").load() == {}


def test_it_refuses_what_it_cannot_read_back():
    with pytest.raises(ValueError, match="one model's columns"):
        Prepared(
            lambda task: Criterion.objects.filter(task_id=task).select_related("task"),
            task=Task._meta.pk,
        )(task=1)
    with pytest.raises(ValueError, match="one model's columns"):
        Prepared(
            lambda task: Task.objects.filter(pk=task).annotate(n=Count("criteria")),
            task=Task._meta.pk,
        )(task=1)
    with pytest.raises(ValueError, match="values_list"):
        Prepared(lambda task: Task.objects.filter(pk=task).values("pk"), task=Task._meta.pk)(task=1)
    with pytest.raises(TypeError, match="integer, UUID, text or time"):
        Prepared(
            lambda weight: Criterion.objects.filter(weight=weight),
            weight=Criterion._meta.get_field("weight"),
        )(weight=1)
