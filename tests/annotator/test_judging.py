import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.models import Judgment
from annotator.models.choices import Role, VerdictSource, VerdictStatus, WorkKind
from annotator.services import verdicts
from annotator.services.assignments import work_batch_create
from rubrics_app.choices import Dimension, Polarity
from tests.factories import (
    CriterionFactory,
    GeneratorModelFactory,
    TaskFactory,
    UserFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db


def judged_task(videos=2, per_dimension=2, **task):
    task = TaskFactory(**task)
    criteria = [
        CriterionFactory(
            task=task,
            dimension=d,
            number=n,
            position=n,
            polarity=Polarity.PENALTY if n == per_dimension else Polarity.POSITIVE,
        )
        for d in Dimension.values
        for n in range(1, per_dimension + 1)
    ]
    clips = [
        VideoFactory(task=task, generator=GeneratorModelFactory(name=f"Gen{i}"))
        for i in range(videos)
    ]
    for clip in clips:
        for c in criteria:
            Judgment.objects.create(
                video=clip,
                criterion=c,
                verdict=1,
                source=VerdictSource.LLM,
                judge_model="gpt",
                status=VerdictStatus.DRAFT,
            )
    return task, criteria, clips


def judge_of(*tasks, user=None):
    """An annotator (a new one unless given) with these tasks assigned for judging."""
    user = user or UserFactory()
    work_batch_create(
        name="judging", kind=WorkKind.JUDGE, items=tasks, users=[user], overlap=1, created_by=None
    )
    return user


def page(client, task, **params):
    return client.get(reverse("judging-task", args=[task.pk]), params)


def test_an_expert_starts_from_drafts_then_confirms_and_flips(client):
    task, criteria, (video, _) = judged_task()
    expert = judge_of(task)
    client.force_login(expert)
    html = page(client, task).content.decode()
    assert html.count("state-draft") == 12 and "state-confirmed" not in html

    url = reverse("verdict-save", args=[video.public_id])
    response = client.post(url, {"criterion": criteria[0].pk, "verdict": 0})
    assert response.status_code == 200 and "state-confirmed" in response.content.decode()
    client.post(reverse("drafts-confirm", args=[video.public_id]), {"dimension": "scientific"})
    mine = dict(Judgment.objects.filter(user=expert).values_list("criterion_id", "verdict"))
    assert mine == {criteria[0].pk: 0, criteria[1].pk: 1}  # the flip is kept
    assert Judgment.objects.filter(user=expert, status=VerdictStatus.CONFIRMED).count() == 2
    # Saving again replaces, never duplicates.
    client.post(url, {"criterion": criteria[0].pk, "verdict": 1})
    assert Judgment.objects.filter(user=expert, criterion=criteria[0]).count() == 1


def test_the_live_score_follows_the_verdicts(client):
    task, criteria, (video,) = judged_task(videos=1)
    client.force_login(judge_of(task))
    # Drafts say every criterion holds: positives earn 1 each, penalties charge 1 each.
    (checklist,) = verdicts.workspace(task=task, user=UserFactory(), blind=True)
    assert checklist.score == 0
    for c in criteria:
        if c.polarity == Polarity.PENALTY:
            client.post(
                reverse("verdict-save", args=[video.public_id]), {"criterion": c.pk, "verdict": 0}
            )
    html = page(client, task).content.decode()
    assert 'class="num fw-semibold live-score">100.00<' in html


def test_bad_verdicts_are_refused(client):
    task, criteria, (video,) = judged_task(videos=1)
    other = CriterionFactory()  # a criterion of another task
    client.force_login(judge_of(task))
    url = reverse("verdict-save", args=[video.public_id])
    assert client.post(url, {"criterion": criteria[0].pk, "verdict": 3}).status_code == 422
    response = client.post(url, {"criterion": other.pk, "verdict": 1})
    assert response.status_code == 422
    assert "not a live criterion of the video" in response.content.decode()
    # The reason shows in the whole checklist, which takes the place of the one row.
    assert response["HX-Retarget"] == f"#checklist-{video.public_id}"
    assert response["HX-Reswap"] == "outerHTML"
    assert f'id="checklist-{video.public_id}"' in response.content.decode()
    assert not Judgment.objects.filter(source=VerdictSource.HUMAN).exists()


def test_a_save_is_answered_with_its_row_and_the_score(client):
    task, criteria, (video,) = judged_task(videos=1)
    expert = judge_of(task)
    client.force_login(expert)
    url = reverse("verdict-save", args=[video.public_id])
    penalty = next(c for c in criteria if c.polarity == Polarity.PENALTY)
    html = client.post(url, {"criterion": penalty.pk, "verdict": 0}).content.decode()
    # One row, the saved one, confirmed at 0; drafts elsewhere: 3 of 3 points earned,
    # 2 of 3 penalties charged per dimension.
    assert html.count('class="check ') == 1 and f'data-criterion="{penalty.pk}"' in html
    assert 'data-state="confirmed"' in html and 'aria-pressed="false"' in html
    assert f'id="score-{video.public_id}" hx-swap-oob="true"' in html
    (checklist,) = verdicts.workspace(task=task, user=expert, blind=True)
    assert f">{checklist.score:.2f}<" in html
    # Flipped, saved again and saved unchanged: one verdict, one history row per change.
    client.post(url, {"criterion": penalty.pk, "verdict": 1})
    client.post(url, {"criterion": penalty.pk, "verdict": 1})
    mine = Judgment.objects.get(user=expert, criterion=penalty)
    assert mine.verdict == 1 and mine.history.count() == 2


def test_a_save_runs_the_same_queries_whatever_the_size(client):
    expert = UserFactory()
    client.force_login(expert)
    counts = []
    for videos, per_dimension in ((1, 1), (8, 5)):
        task, criteria, clips = judged_task(videos=videos, per_dimension=per_dimension)
        judge_of(task, user=expert)
        # Alike in both: the saved verdict is the last one its dimension lacked.
        last = criteria[-1]
        for other in criteria:
            if other.dimension == last.dimension and other != last:
                verdicts.verdict_set(video=clips[-1], criterion_id=other.pk, user=expert, verdict=1)
        url = reverse("verdict-save", args=[clips[-1].public_id])
        for verdict in (0, 1):  # a first verdict, then a change
            with CaptureQueriesContext(connection) as queries:
                answer = client.post(url, {"criterion": last.pk, "verdict": verdict})
            assert answer.status_code == 200
            counts.append(len(queries))
    assert counts[:2] == counts[2:]
    # A first verdict that fills no dimension cannot finish a calibration item: the
    # calibration assignments are not read (most saves of a task).
    with CaptureQueriesContext(connection) as queries:
        url = reverse("verdict-save", args=[clips[0].public_id])
        assert client.post(url, {"criterion": criteria[0].pk, "verdict": 1}).status_code == 200
    assert len(queries) == counts[0] - 1


def test_annotators_see_neither_model_names_nor_others_verdicts(client):
    task, criteria, (video, _) = judged_task()
    colleague, me = judge_of(task), judge_of(task)
    verdicts.verdict_set(video=video, criterion_id=criteria[0].pk, user=colleague, verdict=0)
    client.force_login(me)
    html = page(client, task, reveal="1").content.decode()
    assert "Gen0" not in html and "Gen1" not in html and "Video A" in html
    assert "state-confirmed" not in html  # the colleague's verdict is not mine
    order = [c.video.pk for c in verdicts.workspace(task=task, user=me, blind=True)]
    assert order == [c.video.pk for c in verdicts.workspace(task=task, user=me, blind=True)]
    reviewer = UserFactory(role=Role.REVIEWER)
    client.force_login(reviewer)
    assert "Gen0" not in page(client, task).content.decode()
    assert "Gen0" in page(client, task, reveal="1").content.decode()


def test_the_queue_counts_done_tasks_and_serves_the_next_one(client):
    first, _, clips = judged_task(videos=1, per_dimension=1, index=1)
    second, _, _ = judged_task(videos=1, per_dimension=1, index=2, benchmark=first.benchmark)
    # A task without generated videos has nothing to judge: not in the queue.
    empty, _, _ = judged_task(videos=0, per_dimension=1, index=3, benchmark=first.benchmark)
    expert = judge_of(first, second, empty)
    client.force_login(expert)
    next_url = reverse("judging-next", args=[first.benchmark.pk])
    progress_url = reverse("judging-progress", args=[first.benchmark.pk])
    assert client.get(next_url)["Location"] == reverse("judging-task", args=[first.pk])
    assert client.get(next_url, {"after": "x"}).status_code == 400  # not a task of it
    # From a task's page, "next" skips to the unfinished task after it.
    response = client.get(next_url, {"after": first.pk})
    assert response["Location"] == reverse("judging-task", args=[second.pk])
    # The page loads the progress right after itself.
    assert progress_url in page(client, first).content.decode()
    assert client.get(progress_url).content.decode() == "0 of 2 tasks done"
    for dimension in Dimension.values:
        verdicts.drafts_confirm(videos=[clips[0]], dimension=dimension, user=expert)
    assert client.get(progress_url).content.decode() == "1 of 2 tasks done"
    assert client.get(next_url)["Location"] == reverse("judging-task", args=[second.pk])
    # The only task left, left for "next": it comes round again.
    response = client.get(next_url, {"after": second.pk})
    assert response["Location"] == reverse("judging-task", args=[second.pk])


def test_the_workspace_runs_the_same_queries_whatever_the_size(client):
    expert = UserFactory()
    client.force_login(expert)
    counts = []
    for videos, per_dimension in ((1, 1), (8, 5)):
        task, _, _ = judged_task(videos=videos, per_dimension=per_dimension)
        judge_of(task, user=expert)
        with CaptureQueriesContext(connection) as queries:
            assert page(client, task).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_annotators_judge_only_the_tasks_assigned_to_them(client):
    mine, _, _ = judged_task(index=1)
    theirs, _, (their_video, _) = judged_task(index=2, benchmark=mine.benchmark)
    client.force_login(judge_of(mine))
    assert page(client, mine).status_code == 200
    assert page(client, theirs).status_code == 404
    url = reverse("verdict-save", args=[their_video.public_id])
    assert client.post(url, {"criterion": 1, "verdict": 1}).status_code == 404
    progress = client.get(reverse("judging-progress", args=[mine.benchmark.pk]))
    assert progress.content.decode() == "0 of 1 tasks done"
