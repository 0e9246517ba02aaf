"""Confirming drafts in bulk (a dimension, a video, the videos of a task), setting a
dimension to 0 at once, and undoing either."""

import json
from unittest import mock

import pytest
from django.urls import reverse

from annotator.core.errors import Conflict, InputError
from annotator.models import Assignment, Judgment
from annotator.models.choices import BatchOrder, VerdictSource, WorkKind
from annotator.services import verdicts
from annotator.services.assignments import work_batch_create
from tests.annotator.test_judging import judge_of, judged_task
from tests.factories import CriterionFactory, TaskFactory, UserFactory, VideoFactory

pytestmark = pytest.mark.django_db


def mine(user):
    """The expert's verdicts by criterion (of one video in these tests)."""
    return dict(
        Judgment.objects.filter(user=user, source=VerdictSource.HUMAN).values_list(
            "criterion_id", "verdict"
        )
    )


def test_it_confirms_every_draft_of_the_videos_but_keeps_the_flips():
    task, criteria, (first, second) = judged_task()
    expert = judge_of(task)
    verdicts.verdict_set(video=first, criterion_id=criteria[0].pk, user=expert, verdict=0)
    confirmed = verdicts.drafts_confirm(videos=[first, second], user=expert)
    assert confirmed.count == 2 * len(criteria) - 1
    given = {
        (v, c): verdict
        for v, c, verdict in Judgment.objects.filter(user=expert).values_list(
            "video_id", "criterion_id", "verdict"
        )
    }
    assert given[(first.pk, criteria[0].pk)] == 0 and len(given) == 2 * len(criteria)
    assert sum(given.values()) == 2 * len(criteria) - 1  # every draft said 1
    # Each verdict is in the audit history; confirming again finds nothing to do.
    assert Judgment.history.filter(user=expert).count() == 2 * len(criteria)
    assert verdicts.drafts_confirm(videos=[first, second], user=expert).count == 0


def test_it_confirms_one_dimension_of_one_video():
    task, criteria, (video, _) = judged_task()
    expert = judge_of(task)
    confirmed = verdicts.drafts_confirm(videos=[video], user=expert, dimension="scientific")
    scientific = [c.pk for c in criteria if c.dimension == "scientific"]
    assert sorted(mine(expert)) == sorted(scientific) and confirmed.count == len(scientific)
    with pytest.raises(InputError, match="is not a dimension"):
        verdicts.drafts_confirm(videos=[video], user=expert, dimension="taste")


def test_a_confirm_finishing_the_task_marks_it_done_and_its_undo_reopens_it():
    task, _, videos = judged_task()
    expert = judge_of(task)
    confirmed = verdicts.drafts_confirm(videos=videos, user=expert)
    assignment = Assignment.objects.get(user=expert, task=task)
    assert assignment.done_at is not None
    assert verdicts.bulk_undo(user=expert, confirmed=confirmed) == {v.pk for v in videos}
    assignment.refresh_from_db()
    assert assignment.done_at is None
    assert not Judgment.objects.filter(user=expert).exists()
    # The deletions are in the history too (the audit log shows what was taken back).
    assert Judgment.history.filter(user=expert, history_type="-").count() == confirmed.count


def test_undo_takes_back_exactly_what_the_confirm_created():
    task, criteria, (video, _) = judged_task()
    expert = judge_of(task)
    verdicts.verdict_set(video=video, criterion_id=criteria[0].pk, user=expert, verdict=0)
    confirmed = verdicts.drafts_confirm(videos=[video], user=expert)
    verdicts.bulk_undo(user=expert, confirmed=confirmed)
    assert mine(expert) == {criteria[0].pk: 0}  # given one by one: kept


def test_undo_is_refused_when_a_verdict_changed_since():
    task, criteria, (video, _) = judged_task()
    expert = judge_of(task)
    confirmed = verdicts.drafts_confirm(videos=[video], user=expert)
    verdicts.verdict_set(video=video, criterion_id=criteria[1].pk, user=expert, verdict=0)
    with pytest.raises(Conflict, match="changed since"):
        verdicts.bulk_undo(user=expert, confirmed=confirmed)
    assert len(mine(expert)) == len(criteria)  # nothing undone


def test_undo_takes_back_nothing_of_another_experts():
    task, _, (video, _) = judged_task()
    expert, colleague = judge_of(task), judge_of(task)
    confirmed = verdicts.drafts_confirm(videos=[video], user=expert)
    with pytest.raises(Conflict):
        verdicts.bulk_undo(user=colleague, confirmed=confirmed)
    assert len(mine(expert)) == confirmed.count


def test_a_verdict_given_meanwhile_refuses_the_whole_confirm():
    task, criteria, (video, _) = judged_task()
    expert = judge_of(task)
    verdicts.verdict_set(video=video, criterion_id=criteria[0].pk, user=expert, verdict=0)
    # As if read before the other tab's save: the confirm would create it again.
    with (
        mock.patch.object(
            verdicts,
            "verdicts_shown",
            return_value=(
                {(video.pk, c.pk): verdicts.Draft(1, "gpt", "") for c in criteria},
                {},
                {},
            ),
        ),
        pytest.raises(Conflict, match="given meanwhile"),
    ):
        verdicts.drafts_confirm(videos=[video], user=expert)
    assert mine(expert) == {criteria[0].pk: 0}


def test_absent_sets_the_open_criteria_of_a_dimension_to_0():
    task = TaskFactory()
    criteria = [CriterionFactory(task=task, dimension="scientific", number=n) for n in (1, 2, 3)]
    visual = CriterionFactory(task=task, dimension="visual", number=4)
    video = VideoFactory(task=task)
    Judgment.objects.create(
        video=video, criterion=criteria[2], verdict=1, source=VerdictSource.LLM, judge_model="gpt"
    )
    expert = judge_of(task)
    verdicts.verdict_set(video=video, criterion_id=criteria[0].pk, user=expert, verdict=1)
    confirmed = verdicts.dimension_absent(video=video, dimension="scientific", user=expert)
    # The expert's own verdict and the draft are left alone, the other dimension too.
    assert confirmed.count == 1
    assert mine(expert) == {criteria[0].pk: 1, criteria[1].pk: 0}
    assert visual.pk not in mine(expert)
    verdicts.bulk_undo(user=expert, confirmed=confirmed)
    assert mine(expert) == {criteria[0].pk: 1}


# The views.


def post(client, name, arg, data):
    return client.post(reverse(name, args=[arg] if arg is not None else []), data)


def said(response):
    return json.loads(response["HX-Trigger"])


def test_the_task_confirm_answers_with_each_checklist_and_an_undo(client):
    task, criteria, videos = judged_task()
    expert = judge_of(task)
    client.force_login(expert)
    response = post(client, "task-confirm", task.pk, {"video": [str(v.public_id) for v in videos]})
    assert response.status_code == 200
    html = response.content.decode()
    for video in videos:
        assert f'id="checklist-{video.public_id}" hx-target="this"' in html
    assert html.count('hx-swap-oob="true"') == len(videos)
    events = said(response)
    assert events["said"]["text"] == f"confirmed {2 * len(criteria)} drafts of 2 videos · u undoes"
    assert "progress-changed" in events
    assert Judgment.objects.filter(user=expert).count() == 2 * len(criteria)

    undone = post(client, "bulk-undo", None, {"token": events["undo-ready"]["token"]})
    assert undone.status_code == 200
    assert said(undone)["said"]["text"] == f"undid {2 * len(criteria)} verdicts"
    assert not Judgment.objects.filter(user=expert).exists()
    # Used once: again, the verdicts it names are gone.
    again = post(client, "bulk-undo", None, {"token": events["undo-ready"]["token"]})
    assert again.status_code == 409


def test_with_nothing_to_confirm_the_answer_says_so(client):
    task, _, (video, _) = judged_task()
    expert = judge_of(task)
    client.force_login(expert)
    post(client, "drafts-confirm", video.public_id, {})  # the whole video (v)
    response = post(client, "drafts-confirm", video.public_id, {"dimension": "scientific"})
    assert said(response) == {"said": {"text": "nothing to confirm", "ok": None}}
    response = post(client, "dimension-absent", video.public_id, {"dimension": "visual"})
    assert said(response)["said"]["text"].startswith("nothing to set")


def test_an_undo_token_is_checked(client):
    task, criteria, (video, _) = judged_task()
    expert, outsider = judge_of(task), UserFactory()
    client.force_login(expert)
    token = said(post(client, "drafts-confirm", video.public_id, {}))["undo-ready"]["token"]
    assert post(client, "bulk-undo", None, {"token": token + "x"}).status_code == 400
    # Another annotator, without the task: not found; nothing of the expert's is undone.
    client.force_login(outsider)
    assert post(client, "bulk-undo", None, {"token": token}).status_code == 404
    assert Judgment.objects.filter(user=expert).count() == len(criteria)


def test_the_task_confirm_refuses_videos_of_other_tasks(client):
    task, _, _ = judged_task()
    _, _, (elsewhere, _) = judged_task()
    client.force_login(judge_of(task))
    response = post(client, "task-confirm", task.pk, {"video": [str(elsewhere.public_id)]})
    assert response.status_code == 400
    assert not Judgment.objects.filter(source=VerdictSource.HUMAN).exists()


def test_a_bulk_confirm_finishing_the_item_says_so(client):
    task, _, (video, other) = judged_task()
    expert = UserFactory()
    batch = work_batch_create(
        name="routed",
        kind=WorkKind.JUDGE,
        items=[task],
        users=[expert],
        overlap=1,
        created_by=None,
        order=BatchOrder.ERRORS,
    )
    item = batch.items.get(video=video, dimension="scientific")
    client.force_login(expert)
    response = post(
        client,
        "task-confirm",
        task.pk,
        {"video": [str(video.public_id), str(other.public_id)], "item": item.pk},
    )
    html = response.content.decode()
    assert 'id="batch-item" hx-swap-oob="true"' in html and 'id="next-item"' in html
    # Undone, the item is open again, and the banner says so.
    token = said(response)["undo-ready"]["token"]
    html = post(client, "bulk-undo", None, {"token": token, "item": item.pk}).content.decode()
    assert 'id="batch-item" hx-swap-oob="true"' in html and 'id="next-item"' not in html
    assert "verify every criterion of <strong>Video " in html


def test_the_save_filling_a_video_asks_for_the_progress_again(client):
    task, criteria, (video,) = judged_task(videos=1, per_dimension=1)
    client.force_login(judge_of(task))
    url = reverse("verdict-save", args=[video.public_id])
    answers = [client.post(url, {"criterion": c.pk, "verdict": 1}) for c in criteria]
    assert [a.has_header("HX-Trigger") for a in answers] == [False] * (len(criteria) - 1) + [True]
    assert "progress-changed" in said(answers[-1])
    # A change to a finished video changes no count.
    assert not client.post(url, {"criterion": criteria[0].pk, "verdict": 0}).has_header(
        "HX-Trigger"
    )
