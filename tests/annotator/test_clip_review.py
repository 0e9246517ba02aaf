import json

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from annotator.core.errors import InputError
from annotator.models import Assignment, ClipDecision, ClipSuggestion, GoldAnswer
from annotator.models.choices import (
    ClipStatus,
    Decision,
    EvaluationStatus,
    MediaStatus,
    Role,
    WorkKind,
)
from annotator.selectors.clip_stats import clip_stats, fleiss
from annotator.selectors.work_stats import annotator_progress
from annotator.services.assignments import distribute, work_batch_create
from annotator.services.clip_review import (
    Answer,
    adjudicate,
    clip_decide,
    clips_reject,
    decision_undo,
    queue,
)
from rubrics_app.choices import Level
from tests.factories import ClipFactory, UserFactory

pytestmark = pytest.mark.django_db

ACCEPT = Answer(Decision.ACCEPT, caption="Red blood cells in a capillary.", level=Level.CELLULAR)
REJECT = Answer(Decision.REJECT, reasons=["black-borders"])


def batch_of(clips, users, overlap=1):
    return work_batch_create(
        kind=WorkKind.VERIFY,
        name="round 1",
        items=clips,
        users=users,
        overlap=overlap,
        created_by=None,
    )


@given(n_items=st.integers(0, 60), n_users=st.integers(1, 9), overlap=st.integers(1, 9))
def test_each_item_goes_to_k_distinct_annotators_and_loads_differ_by_at_most_one(
    n_items, n_users, overlap
):
    if overlap > n_users:
        with pytest.raises(InputError, match="needs at least"):
            distribute(n_items, n_users, overlap)
        return
    targets = distribute(n_items, n_users, overlap)
    assert all(len(set(users)) == overlap for users in targets)
    loads = [sum(u in users for users in targets) for u in range(n_users)]
    assert max(loads) - min(loads) <= 1


def test_a_batch_hands_out_each_clip_to_k_annotators_in_queue_order():
    users = [UserFactory() for _ in range(3)]
    clips = [ClipFactory() for _ in range(5)]
    batch = batch_of(clips, users, overlap=2)
    assert Assignment.objects.filter(batch=batch).count() == 10
    for user in users:
        positions = list(queue(batch, user).values_list("position", flat=True))
        assert positions == list(range(len(positions)))
    assert Assignment.history.count() == 10  # the audit trail has the hand-out


def test_accepting_with_overlap_one_makes_the_clip_final():
    user = UserFactory()
    clip = ClipFactory()
    batch = batch_of([clip], [user])
    clip_decide(batch=batch, user=user, video_id=clip.pk, answer=ACCEPT)
    clip.refresh_from_db()
    assert clip.clip_status == ClipStatus.ACCEPTED
    assert clip.final_caption == ACCEPT.caption and clip.final_level == Level.CELLULAR
    assert clip.decided_at is not None
    assert not queue(batch, user).exists()


@pytest.mark.parametrize(
    "answer, message",
    [
        (Answer(Decision.REJECT), "needs at least one reason"),
        (Answer(Decision.REJECT, reasons=["made-up"]), "Unknown reject reason: made-up"),
        (Answer(Decision.ACCEPT, caption="x"), "needs a level"),
        (Answer(Decision.ACCEPT, level=Level.ORGAN), "needs a caption"),
        (Answer("maybe"), "Unknown decision"),
    ],
)
def test_an_incomplete_answer_is_refused_with_what_is_missing(answer, message):
    user = UserFactory()
    clip = ClipFactory()
    batch = batch_of([clip], [user])
    with pytest.raises(InputError, match=message):
        clip_decide(batch=batch, user=user, video_id=clip.pk, answer=answer)
    assert not ClipDecision.objects.exists()
    assert queue(batch, user).count() == 1


def test_a_clip_whose_media_failed_cannot_be_accepted_but_can_be_rejected():
    user = UserFactory()
    clip = ClipFactory(media_status=MediaStatus.FAILED)
    batch = batch_of([clip], [user])
    with pytest.raises(InputError, match="only a clip that plays can be accepted"):
        clip_decide(batch=batch, user=user, video_id=clip.pk, answer=ACCEPT)
    clip_decide(batch=batch, user=user, video_id=clip.pk, answer=REJECT)
    clip.refresh_from_db()
    assert clip.clip_status == ClipStatus.REJECTED


def test_undo_takes_back_the_last_decision_and_keeps_it_in_the_history():
    user = UserFactory()
    first, second = ClipFactory(), ClipFactory()
    batch = batch_of([first, second], [user])
    clip_decide(batch=batch, user=user, video_id=first.pk, answer=ACCEPT)
    clip_decide(batch=batch, user=user, video_id=second.pk, answer=REJECT)
    undone = decision_undo(batch=batch, user=user)
    assert undone.video_id == second.pk and undone.decision == Decision.REJECT
    second.refresh_from_db()
    assert second.clip_status == ClipStatus.PENDING
    assert list(queue(batch, user).values_list("video_id", flat=True)) == [second.pk]
    history = ClipDecision.history.filter(video_id=second.pk).order_by("history_date")
    assert [h.history_type for h in history] == ["+", "-"]
    assert decision_undo(batch=batch, user=user).video_id == first.pk
    assert decision_undo(batch=batch, user=user) is None


def test_agreeing_answers_are_final_and_a_fixed_typo_is_no_disagreement():
    a, b = UserFactory(), UserFactory()
    clip = ClipFactory()
    batch = batch_of([clip], [a, b], overlap=2)
    clip_decide(batch=batch, user=a, video_id=clip.pk, answer=ACCEPT)
    clip.refresh_from_db()
    assert clip.clip_status == ClipStatus.PENDING
    typo_fixed = Answer(
        Decision.ACCEPT, caption="Red blood cells in a capilary.", level=Level.CELLULAR
    )
    clip_decide(batch=batch, user=b, video_id=clip.pk, answer=typo_fixed)
    clip.refresh_from_db()
    assert clip.clip_status == ClipStatus.ACCEPTED


@pytest.mark.parametrize(
    "second",
    [
        REJECT,
        Answer(Decision.ACCEPT, caption=ACCEPT.caption, level=Level.ORGAN),
        Answer(
            Decision.ACCEPT,
            caption="Platelets aggregate at a wound site in an arteriole.",
            level=Level.CELLULAR,
        ),
    ],
    ids=["decision", "level", "caption"],
)
def test_disagreement_goes_to_adjudication_where_the_reviewer_decides(second):
    a, b = UserFactory(), UserFactory()
    reviewer = UserFactory(role=Role.REVIEWER)
    clip = ClipFactory()
    batch = batch_of([clip], [a, b], overlap=2)
    clip_decide(batch=batch, user=a, video_id=clip.pk, answer=ACCEPT)
    clip_decide(batch=batch, user=b, video_id=clip.pk, answer=second)
    clip.refresh_from_db()
    assert clip.clip_status == ClipStatus.ADJUDICATION
    adjudicate(video=clip, reviewer=reviewer, answer=REJECT)
    clip.refresh_from_db()
    assert clip.clip_status == ClipStatus.REJECTED
    with pytest.raises(InputError, match="already made the final decision"):
        clip_decide(batch=batch, user=a, video_id=clip.pk, answer=ACCEPT)


def test_a_flag_goes_to_a_reviewer_at_once():
    a, b = UserFactory(), UserFactory()
    clip = ClipFactory()
    batch = batch_of([clip], [a, b], overlap=2)
    clip_decide(batch=batch, user=a, video_id=clip.pk, answer=Answer(Decision.FLAG))
    clip.refresh_from_db()
    assert clip.clip_status == ClipStatus.ADJUDICATION


def test_annotators_cannot_adjudicate():
    with pytest.raises(InputError, match="Only reviewers"):
        adjudicate(video=ClipFactory(), reviewer=UserFactory(), answer=REJECT)


def test_an_annotator_can_only_answer_clips_assigned_to_them():
    a, b = UserFactory(), UserFactory()
    mine, theirs = ClipFactory(), ClipFactory()
    batch = batch_of([mine, theirs], [a, b])  # overlap 1: one clip each
    assert list(queue(batch, a).values_list("video_id", flat=True)) == [mine.pk]
    with pytest.raises(InputError, match="not assigned to you"):
        clip_decide(batch=batch, user=a, video_id=theirs.pk, answer=ACCEPT)


def test_grid_rejects_many_at_once_or_none():
    user = UserFactory()
    clips = [ClipFactory() for _ in range(3)]
    batch = batch_of(clips, [user])
    with pytest.raises(InputError):
        clips_reject(batch=batch, user=user, video_ids=[c.pk for c in clips], reasons=[])
    assert not ClipDecision.objects.exists()
    assert (
        clips_reject(
            batch=batch, user=user, video_ids=[c.pk for c in clips[:2]], reasons=["duplicate"]
        )
        == 2
    )
    assert queue(batch, user).count() == 1


def test_fleiss_kappa_matches_the_worked_example():
    """The worked example on Wikipedia's Fleiss' kappa page: 10 subjects, 14 raters,
    5 categories, kappa 0.210."""
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    categories = ["1", "2", "3", "4", "5"]
    answers = [[c for c, n in zip(categories, row, strict=True) for _ in range(n)] for row in table]
    assert fleiss(answers, categories) == pytest.approx(0.210, abs=0.001)
    assert fleiss([["accept", "accept"]] * 3, ["accept", "reject"]) is None


def test_batch_stats_on_a_hand_computed_fixture():
    a, b = UserFactory(username="a"), UserFactory(username="b")
    clips = [ClipFactory() for _ in range(3)]
    batch = batch_of(clips, [a, b], overlap=2)
    seconds = iter([10, 20, 30, 40])
    for clip, (ans_a, ans_b) in zip(clips[:2], [(ACCEPT, ACCEPT), (ACCEPT, REJECT)], strict=True):
        for user, answer in ((a, ans_a), (b, ans_b)):
            timed = Answer(
                answer.decision, answer.reasons, answer.caption, answer.level, next(seconds)
            )
            clip_decide(batch=batch, user=user, video_id=clip.pk, answer=timed)
    by_name = {p.username: p for p in annotator_progress(batch)}
    assert (by_name["a"].done, by_name["a"].remaining, by_name["a"].seconds) == (2, 1, [10, 30])
    assert by_name["a"].median_seconds == 20 and by_name["a"].items_per_hour == 180
    assert by_name["b"].median_seconds == 30 and by_name["b"].items_per_hour == 120
    stats = clip_stats(batch)
    assert stats.outcome[ClipStatus.ACCEPTED] == 1
    assert stats.outcome[ClipStatus.ADJUDICATION] == 1
    assert stats.outcome[ClipStatus.PENDING] == 1
    assert stats.accept_rate == 1.0
    assert stats.reasons == [("black borders", 1)]
    # Two clips, two raters: (accept, accept), (accept, reject): p_accept = 3/4.
    # P_bar = (1 + 0) / 2 = 0.5; P_e = 0.75^2 + 0.25^2 = 0.625; kappa = -0.333.
    assert stats.kappa == pytest.approx(-1 / 3) and stats.kappa_clips == 2
    # Krippendorff's alpha (nominal), same data: D_o = 2/4 = 0.5 (one disagreeing pair of
    # 4 pairable values, counted both ways: 2 / 4), D_e = 2*3*1 / (4*3) = 0.5: alpha 0.
    assert stats.alpha == pytest.approx(0.0)


# Pages


@pytest.fixture
def two_clips(annotator_user):
    clips = [ClipFactory(), ClipFactory()]
    return batch_of(clips, [annotator_user]), clips


def test_the_workspace_shows_the_first_clip_and_preloads_the_next(
    client, annotator_user, two_clips
):
    batch, (first, second) = two_clips
    client.force_login(annotator_user)
    html = client.get(reverse("clip-verify", args=[batch.pk])).content.decode()
    assert f'id="clip-video-{first.public_id}"' in html
    assert f'id="clip-video-{second.public_id}"' in html
    assert html.index(f"clip-video-{first.public_id}") < html.index("clip-preload")
    assert "0 of 2 done" in html


def test_deciding_answers_with_the_next_clip_and_its_address(client, annotator_user, two_clips):
    batch, (first, second) = two_clips
    client.force_login(annotator_user)
    response = client.post(
        reverse("clip-decide", args=[batch.pk]),
        {
            "video": first.public_id,
            "decision": "reject",
            "reasons": ["duplicate"],
            "seconds": "4.2",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response["HX-Push-Url"].endswith(f"?clip={second.public_id}")
    assert "1 of 2 done" in response.content.decode()
    assert ClipDecision.objects.get().seconds == 4.2


def test_a_decision_takes_a_fixed_number_of_queries(client, annotator_user):
    """A verifier's decision is answered with the next clip's workspace. A rejection
    here (in the test's transaction, where the service's own is a savepoint) took 29
    queries, 7 of them needless: the assignment looked up twice, update_or_create's
    two savepoints (four statements), the queue read twice for the current and the
    next clip, the batch's membership checked apart from the batch."""
    clips = [ClipFactory() for _ in range(5)]
    batch = batch_of(clips, [annotator_user])
    client.force_login(annotator_user)

    def decide(clip) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                reverse("clip-decide", args=[batch.pk]),
                {"video": clip.public_id, "decision": "reject", "reasons": ["duplicate"]},
                headers={"HX-Request": "true"},
            )
        assert response.status_code == 200
        return len(queries)

    assert decide(clips[0]) == decide(clips[1]) == 22


def test_a_changed_answer_replaces_the_earlier_one(annotator_user):
    clip = ClipFactory()
    batch = batch_of([clip], [annotator_user])
    clip_decide(batch=batch, user=annotator_user, video_id=clip.pk, answer=ACCEPT)
    rejected = Answer(Decision.REJECT, ["duplicate"])
    first = ClipDecision.objects.get()
    clip_decide(batch=batch, user=annotator_user, video_id=clip.pk, answer=rejected)
    (answer,) = ClipDecision.objects.all()
    assert (answer.pk, answer.decision, answer.reasons, answer.caption) == (
        first.pk,
        Decision.REJECT,
        ["duplicate"],
        "",
    )
    assert answer.updated_at > first.updated_at
    assert [h.decision for h in answer.history.order_by("history_date")] == ["accept", "reject"]


def test_a_refused_decision_answers_422_with_the_reason_and_keeps_the_caption(
    client, annotator_user, two_clips
):
    batch, (first, _) = two_clips
    client.force_login(annotator_user)
    response = client.post(
        reverse("clip-decide", args=[batch.pk]),
        {"video": first.public_id, "decision": "accept", "caption": "my edited caption"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "needs a level" in html and "my edited caption" in html


def test_undo_view_brings_the_clip_back_with_the_answer_given(client, annotator_user, two_clips):
    batch, (first, _) = two_clips
    client.force_login(annotator_user)
    client.post(
        reverse("clip-decide", args=[batch.pk]),
        {
            "video": first.public_id,
            "decision": "reject",
            "reasons": ["scene-cut"],
            "caption": "kept",
        },
    )
    response = client.post(reverse("clip-undo", args=[batch.pk]), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and f'data-video="{first.public_id}"' in html
    assert 'value="scene-cut" id="reason-scene-cut" data-key="5"\n           checked' in html
    assert "kept" in html
    # The workspace's save line says what was undone; with nothing left, that too.
    name = first.external_id or first.original_name
    assert json.loads(response["HX-Trigger"])["said"] == {
        "text": f"undid your answer on {name} (reject)",
        "ok": True,
    }
    client.post(reverse("clip-undo", args=[batch.pk]), headers={"HX-Request": "true"})
    response = client.post(reverse("clip-undo", args=[batch.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"])["said"]["text"] == "nothing to undo"


def test_other_annotators_batches_and_clips_are_not_served(client, annotator_user, two_clips):
    batch, (first, _) = two_clips
    other = UserFactory(username="other")
    client.force_login(other)
    assert client.get(reverse("clip-verify", args=[batch.pk])).status_code == 404
    assert client.get(reverse("clip-grid", args=[batch.pk])).status_code == 404
    assert "round 1" not in client.get(reverse("clip-batches")).content.decode()
    response = client.post(
        reverse("clip-decide", args=[batch.pk]), {"video": first.public_id, "decision": "flag"}
    )
    assert response.status_code == 404 and not ClipDecision.objects.exists()


def test_progress_and_adjudication_are_for_reviewers(
    client, annotator_user, reviewer_user, two_clips
):
    batch, _ = two_clips
    client.force_login(annotator_user)
    assert client.get(reverse("batch-dashboard", args=[batch.pk])).status_code == 403
    assert client.get(reverse("adjudication-list")).status_code == 403
    client.force_login(reviewer_user)
    assert client.get(reverse("batch-dashboard", args=[batch.pk])).status_code == 200


def test_grid_rejects_the_selected_clips(client, annotator_user, two_clips):
    batch, (first, second) = two_clips
    client.force_login(annotator_user)
    html = client.get(reverse("clip-grid", args=[batch.pk])).content.decode()
    assert f'value="{first.public_id}"' in html and f'value="{second.public_id}"' in html
    response = client.post(
        reverse("clip-grid-reject", args=[batch.pk]),
        {"video": [first.public_id, second.public_id], "reasons": "low-quality"},
    )
    assert response.status_code == 302
    assert set(ClipDecision.objects.values_list("decision", flat=True)) == {"reject"}


def test_adjudication_page_shows_all_answers_and_takes_the_final_one(client, reviewer_user):
    a, b = UserFactory(username="alice"), UserFactory(username="bob")
    clip = ClipFactory()
    batch = batch_of([clip], [a, b], overlap=2)
    clip_decide(batch=batch, user=a, video_id=clip.pk, answer=ACCEPT)
    clip_decide(batch=batch, user=b, video_id=clip.pk, answer=REJECT)
    client.force_login(reviewer_user)
    html = client.get(reverse("adjudication-clip", args=[clip.pk])).content.decode()
    assert "alice" in html and "bob" in html and "black-borders" in html
    response = client.post(
        reverse("adjudication-clip", args=[clip.pk]),
        {"decision": "accept", "caption": "Final words.", "level": Level.ORGAN},
    )
    assert response.status_code == 302
    clip.refresh_from_db()
    assert (clip.clip_status, clip.final_caption, clip.final_level) == (
        ClipStatus.ACCEPTED,
        "Final words.",
        Level.ORGAN,
    )
    # The page the reviewer lands on says what their decision did.
    said = [str(m) for m in get_messages(response.wsgi_request)]
    name = clip.external_id or clip.original_name
    assert said == [f"{name}: accepted as the final decision. The adjudication queue is empty."]


def test_admin_sees_the_plan_before_creating_a_batch(client, admin_user):
    users = [UserFactory(username=f"u{n}") for n in range(3)]
    for _ in range(4):
        ClipFactory()
    client.force_login(admin_user)
    data = {
        "name": "b",
        "kind": "verify",
        "overlap": 2,
        "users": [u.pk for u in users],
        "unassigned": "1",
    }
    html = client.post(reverse("batch-new"), {**data, "preview": "1"}).content.decode()
    assert 'id="plan"' in html and "4 items \N{MULTIPLICATION SIGN} overlap 2" in html
    assert not Assignment.objects.exists()
    response = client.post(reverse("batch-new"), {**data, "create": "1"})
    assert response.status_code == 302 and Assignment.objects.count() == 8


def test_workspace_queries_do_not_grow_with_the_batch(client, annotator_user):
    def count(n_clips: int) -> int:
        batch = batch_of([ClipFactory() for _ in range(n_clips)], [annotator_user])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("clip-verify", args=[batch.pk])).status_code == 200
        return len(queries)

    client.force_login(annotator_user)
    assert count(2) == count(30)


def test_the_workspace_shows_the_model_suggestion_as_a_suggestion(
    client, annotator_user, two_clips
):
    batch, (first, _) = two_clips
    ClipSuggestion.objects.create(
        video=first,
        judge_model="test-vlm",
        status=EvaluationStatus.OK,
        caption="Suggested: erythrocytes deform in a narrow capillary.",
        decision=Decision.ACCEPT,
        level=Level.CELLULAR,
    )
    client.force_login(annotator_user)
    html = client.get(reverse("clip-verify", args=[batch.pk])).content.decode()
    assert 'id="suggestion"' in html and "Suggested: erythrocytes deform" in html
    assert first.caption in html  # the caption box still holds the draft caption
    assert not ClipDecision.objects.exists()


def test_an_admin_keeps_an_adjudicated_clip_as_a_gold_item(client, admin_user, reviewer_user):
    a = UserFactory(username="alice")
    clip = ClipFactory()
    batch = batch_of([clip], [a])
    clip_decide(batch=batch, user=a, video_id=clip.pk, answer=ACCEPT)
    with pytest.raises(InputError, match="Only admins"):
        adjudicate(video=clip, reviewer=reviewer_user, answer=REJECT, gold=True)
    client.force_login(admin_user)
    response = client.post(
        reverse("adjudication-clip", args=[clip.pk]),
        {"decision": "reject", "reasons": "duplicate", "gold": "1"},
    )
    assert response.status_code == 302
    gold = GoldAnswer.objects.get()
    assert (gold.video_id, gold.decision, gold.created_by) == (clip.pk, "reject", admin_user)
    people = {p.username: p for p in annotator_progress(batch)}
    assert (people["alice"].gold_correct, people["alice"].gold_total) == (0, 1)


def test_a_malformed_time_is_refused_with_a_message(client, annotator_user, two_clips):
    batch, (first, _) = two_clips
    client.force_login(annotator_user)
    response = client.post(
        reverse("clip-decide", args=[batch.pk]),
        {"video": first.public_id, "decision": "flag", "seconds": "soon"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422 and "seconds: Enter a number." in response.content.decode()
    assert not ClipDecision.objects.exists()
