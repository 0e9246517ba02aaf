"""Watch-time telemetry against rubber-stamping (issue 18, item 7): what the expert had
watched of a video is stored with each verdict they give, in the same write; reviewers
see per annotator the verdicts confirmed without watching, list them, and export the
measure; an expert sees their own measure, never another's."""

import csv
import io
import json
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.core.errors import InputError
from annotator.models import Judgment
from annotator.models.choices import Role, VerdictSource, WorkKind
from annotator.selectors.work_stats import annotator_progress, unwatched_verdicts
from annotator.services import verdicts
from annotator.services.assignments import work_batch_create
from annotator.services.watch import Watched, watch_parse
from tests.annotator.test_judging import judge_of, judged_task, page
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def seen(coverage, replays=0, frame_steps=0, seconds=30.0):
    return Watched(
        coverage=coverage, replays=replays, frame_steps=frame_steps, seconds_on_task=seconds
    )


def report(*videos, coverage=0.4, replays=1, frame_steps=3, seconds=12.5):
    """The field the judging page posts (static/js/watch.js)."""
    return json.dumps(
        {
            "seconds_on_task": seconds,
            "videos": {
                str(v.public_id): {
                    "coverage": coverage,
                    "replays": replays,
                    "frame_steps": frame_steps,
                }
                for v in videos
            },
        }
    )


def measure(judgment):
    judgment.refresh_from_db()
    return (
        judgment.watch_coverage,
        judgment.watch_replays,
        judgment.watch_frame_steps,
        judgment.watch_seconds,
    )


# --- the page's measure, read -------------------------------------------------------------


def test_it_reads_the_pages_measure_and_clamps_the_coverage_and_the_seconds():
    a, b = uuid.uuid4(), uuid.uuid4()
    zero = {"coverage": 0, "replays": 0, "frame_steps": 0}
    parsed = watch_parse(
        {
            "seconds_on_task": 12.345,
            "videos": {
                str(a): {"coverage": 0.41234, "replays": 2, "frame_steps": 7},
                str(b): {"coverage": 1.02, "replays": 0, "frame_steps": 0.0},
            },
        }
    )
    assert parsed == {a: seen(0.412, 2, 7, 12.3), b: seen(1.0, 0, 0, 12.3)}
    # A tab left open for days counts a day.
    assert watch_parse({"seconds_on_task": 1e9, "videos": {}}) == {}
    (kept,) = watch_parse({"seconds_on_task": 1e9, "videos": {str(a): {**zero}}}).values()
    assert kept.seconds_on_task == 86400.0


@pytest.mark.parametrize(
    "data, message",
    [
        ([], "Expected"),
        ({"seconds_on_task": 1}, "Expected"),
        ({"seconds_on_task": "1", "videos": {}}, "seconds_on_task is not a number"),
        ({"seconds_on_task": -1, "videos": {}}, "seconds_on_task -1 is negative"),
        ({"seconds_on_task": 1, "videos": {"abc": {}}}, "'abc' is not a video id"),
        ({"seconds_on_task": 1, "videos": {"V": 3}}, None),
        ({"seconds_on_task": 1, "videos": {"V": {"coverage": -0.1}}}, "coverage -0.1 is negative"),
        ({"seconds_on_task": 1, "videos": {"V": {"coverage": True}}}, "coverage is not a number"),
        (
            {"seconds_on_task": 1, "videos": {"V": {"coverage": 0.5, "replays": 1.5}}},
            "replays 1.5 is not a whole number",
        ),
        (
            {"seconds_on_task": 1, "videos": {"V": {"coverage": 0.5, "replays": 0}}},
            "frame_steps is not a number",
        ),
        (
            {"seconds_on_task": 1, "videos": {"V": {"coverage": 0, "replays": 10**7}}},
            "replays 10000000 is over 1000000",
        ),
    ],
)
def test_a_malformed_measure_is_refused_naming_what(data, message):
    key = str(uuid.uuid4())
    if isinstance(data, dict) and "V" in data.get("videos", {}):
        data["videos"] = {key: data["videos"]["V"]}
    with pytest.raises(InputError, match=message or f"video {key}: expected"):
        watch_parse(data)


# --- stored with the verdicts, in the same write ---------------------------------------------


def test_a_verdict_keeps_the_measure_it_was_given_with_and_a_change_replaces_it():
    task, criteria, (video, _) = judged_task()
    expert = judge_of(task)
    first = criteria[0].pk
    verdicts.verdict_set(
        video=video, criterion_id=first, user=expert, verdict=0, watched=seen(0.3, 1, 4, 20)
    )
    mine = Judgment.objects.get(source=VerdictSource.HUMAN, criterion_id=first)
    assert measure(mine) == (0.3, 1, 4, 20.0)
    assert mine.history.first().watch_coverage == 0.3  # audited with the verdict
    verdicts.verdict_set(
        video=video, criterion_id=first, user=expert, verdict=1, watched=seen(0.9, 2, 0, 50)
    )
    assert measure(mine) == (0.9, 2, 0, 50.0)
    # Changed where nothing measured it (the API): no measure of another verdict is kept.
    verdicts.verdict_set(video=video, criterion_id=first, user=expert, verdict=0)
    assert measure(mine) == (None, None, None, None)


def test_the_measure_adds_no_query_to_a_save():
    task, criteria, (video, other) = judged_task()
    expert = judge_of(task)
    counts = []
    for clip, watched in ((video, None), (other, seen(0.5))):
        for verdict in (0, 1):  # a first verdict, then a change
            with CaptureQueriesContext(connection) as queries:
                verdicts.verdict_set(
                    video=clip,
                    criterion_id=criteria[0].pk,
                    user=expert,
                    verdict=verdict,
                    watched=watched,
                )
            counts.append(len(queries))
    assert counts[:2] == counts[2:]


def test_bulk_confirms_store_each_videos_own_measure():
    task, criteria, (video, other) = judged_task()
    expert = judge_of(task)
    confirmed = verdicts.drafts_confirm(
        videos=[video, other], user=expert, watched={video.pk: seen(0.25, 0, 2, 9)}
    )
    assert confirmed.count == 2 * len(criteria)
    stored = set(
        Judgment.objects.filter(source=VerdictSource.HUMAN).values_list(
            "video_id", "watch_coverage", "watch_frame_steps", "watch_seconds"
        )
    )
    assert stored == {(video.pk, 0.25, 2, 9.0), (other.pk, None, None, None)}


def test_setting_a_dimension_to_0_stores_the_measure():
    task, _, (video,) = judged_task(videos=1)
    Judgment.objects.filter(criterion__dimension="visual").delete()  # no drafts there
    expert = judge_of(task)
    verdicts.dimension_absent(video=video, dimension="visual", user=expert, watched=seen(0.05))
    values = Judgment.objects.filter(source=VerdictSource.HUMAN).values_list(
        "verdict", "watch_coverage"
    )
    assert list(values) == [(0, 0.05), (0, 0.05)]


# --- posted by the judging page --------------------------------------------------------------


def test_the_saves_of_the_page_store_what_it_posts(client):
    task, criteria, (video, other) = judged_task()
    expert = judge_of(task)
    client.force_login(expert)
    save = reverse("verdict-save", args=[video.public_id])
    answer = client.post(
        save, {"criterion": criteria[0].pk, "verdict": 0, "watch": report(video, other)}
    )
    assert answer.status_code == 200
    mine = Judgment.objects.get(source=VerdictSource.HUMAN, criterion=criteria[0])
    assert measure(mine) == (0.4, 1, 3, 12.5)
    # The task's confirm: each video its own measure.
    watched = json.loads(report(video, other, coverage=0.8, replays=0, frame_steps=0))
    watched["videos"][str(other.public_id)]["coverage"] = 0.1
    confirm = client.post(
        reverse("task-confirm", args=[task.pk]),
        {"video": [video.public_id, other.public_id], "watch": json.dumps(watched)},
    )
    assert confirm.status_code == 200
    coverage = dict(
        Judgment.objects.filter(source=VerdictSource.HUMAN)
        .exclude(pk=mine.pk)
        .values_list("video_id", "watch_coverage")
        .distinct()
    )
    assert coverage == {video.pk: 0.8, other.pk: 0.1}


@pytest.mark.parametrize(
    "watch",
    [
        "not json",
        '{"seconds_on_task": 1, "videos": {"x": {}}}',
        '{"seconds_on_task": -5, "videos": {}}',
    ],
)
def test_a_malformed_measure_is_a_400_that_names_it_and_saves_nothing(client, watch):
    task, criteria, (video, _) = judged_task()
    client.force_login(judge_of(task))
    for url, data in (
        (reverse("verdict-save", args=[video.public_id]), {"criterion": criteria[0].pk}),
        (reverse("drafts-confirm", args=[video.public_id]), {}),
        (reverse("task-confirm", args=[task.pk]), {"video": [video.public_id]}),
    ):
        answer = client.post(url, {"verdict": 1, **data, "watch": watch})
        assert answer.status_code == 400
        assert "watch:" in answer.content.decode()
    assert not Judgment.objects.filter(source=VerdictSource.HUMAN).exists()


def test_an_expert_sees_their_own_measure_never_anothers(client):
    task, criteria, (video, _) = judged_task()
    me, colleague = judge_of(task), judge_of(task)
    for user, coverage in ((colleague, 0.07), (me, 0.62)):
        for c in criteria[:2]:
            verdicts.verdict_set(
                video=video, criterion_id=c.pk, user=user, verdict=1, watched=seen(coverage)
            )
    verdicts.verdict_set(
        video=video, criterion_id=criteria[2].pk, user=me, verdict=1, watched=seen(0.9)
    )
    client.force_login(me)
    html = page(client, task).content.decode()
    mine = html.split(f'id="checklist-{video.public_id}"')[1].split('class="dimension-checks"')[0]
    assert "watched 62%" in mine  # the least of their own
    assert "7%" not in html and html.count('class="small text-body-secondary watched"') == 1
    # Nor anywhere else: the dashboard and the export are for reviewers.
    batch_id = me.assignments.get().batch_id
    assert client.get(reverse("batch-dashboard", args=[batch_id])).status_code == 403
    dashboard = reverse("batch-dashboard", args=[batch_id])
    assert client.get(dashboard, {"unwatched": 1}).status_code == 403
    assert client.get(reverse("batch-csv", args=[batch_id])).status_code == 403
    assert client.get(reverse("api-verdicts")).status_code == 403


# --- the batch's dashboard and the export, for reviewers ----------------------------------


def watched_batch(settings):
    """Two experts in one batch, one task of two videos x 6 criteria: a watched one
    video, not the other; b confirmed every draft at 10% but gave one verdict with no
    measure (as through the API)."""
    settings.WATCH_COVERAGE_MIN = 0.5
    task, criteria, (video, other) = judged_task()
    a, b = UserFactory(username="a"), UserFactory(username="b")
    work = work_batch_create(
        name="j", kind=WorkKind.JUDGE, items=[task], users=[a, b], overlap=2, created_by=None
    )
    verdicts.drafts_confirm(
        videos=[video, other], user=a, watched={video.pk: seen(0.95), other.pk: seen(0.3)}
    )
    verdicts.verdict_set(video=video, criterion_id=criteria[0].pk, user=b, verdict=0)
    verdicts.drafts_confirm(
        videos=[video, other],
        user=b,
        watched={video.pk: seen(0.1, 0, 2, 4), other.pk: seen(0.1, 0, 2, 4)},
    )
    return work, video


def test_the_column_counts_each_experts_verdicts_confirmed_without_watching(settings):
    work, _ = watched_batch(settings)
    people = {p.username: p for p in annotator_progress(work)}
    assert (people["a"].unwatched, people["a"].watch_measured) == (6, 12)
    assert people["a"].unwatched_share == 0.5
    assert (people["b"].unwatched, people["b"].watch_measured) == (11, 11)  # 1 unmeasured
    settings.WATCH_COVERAGE_MIN = 0.2
    assert [p.unwatched for p in annotator_progress(work)] == [0, 11]  # a at 30% is not


def test_the_filter_lists_them_by_expert_newest_first(settings):
    work, _ = watched_batch(settings)
    listed = unwatched_verdicts(work)
    assert [v.username for v in listed] == ["a"] * 6 + ["b"] * 11
    assert {v.coverage for v in listed} == {0.3, 0.1}
    assert listed[-1].frame_steps == 2 and listed[-1].seconds_on_task == 4.0
    assert len(unwatched_verdicts(work, limit=5)) == 5


def test_reviewers_see_the_column_and_the_filter_on_the_dashboard(client, settings):
    work, video = watched_batch(settings)
    client.force_login(UserFactory(role=Role.REVIEWER))
    url = reverse("batch-dashboard", args=[work.pk])
    html = client.get(url).content.decode()
    assert "Confirmed without watching" in html
    assert "6 of 12 (50%)" in html and "11 of 11 (100%)" in html
    assert 'href="?unwatched=1#unwatched-verdicts"' in html and 'id="unwatched-list"' not in html
    listed = client.get(url, {"unwatched": "1"}).content.decode()
    table = listed.split('id="unwatched-list"')[1].split("</table>")[0]
    assert table.count("<tr>") == 1 + 17  # the header and each verdict
    assert "Confirmed with less than 50% of the video played" in listed
    assert f"<code>{str(video.public_id)[:8]}</code>" in table
    assert "Gen0" not in listed and "Gen1" not in listed  # blind, as by default
    rows = list(csv.reader(io.StringIO(client.get(reverse("batch-csv", args=[work.pk])).text)))
    assert rows[0][-2:] == ["unwatched", "watch_measured"] and rows[1][-2:] == ["6", "12"]


def test_the_dashboard_runs_the_same_queries_whatever_the_verdicts(client, settings):
    client.force_login(UserFactory(role=Role.REVIEWER))

    def count(n_tasks):
        users = [UserFactory() for _ in range(2)]
        tasks = [judged_task(videos=2)[0] for _ in range(n_tasks)]
        work = work_batch_create(
            name="j", kind=WorkKind.JUDGE, items=tasks, users=users, overlap=2, created_by=None
        )
        for user in users:
            for task in tasks:
                videos = list(task.videos.all())
                verdicts.drafts_confirm(
                    videos=videos, user=user, watched={v.pk: seen(0.2) for v in videos}
                )
        with CaptureQueriesContext(connection) as queries:
            url = reverse("batch-dashboard", args=[work.pk])
            assert client.get(url, {"unwatched": "1"}).status_code == 200
        return len(queries)

    assert count(1) == count(4)


def test_the_export_has_each_verdicts_measure(client, settings, reviewer_user):
    _, video = watched_batch(settings)
    client.force_login(reviewer_user)
    export = b"".join(client.get(reverse("api-verdicts")).streaming_content)
    rows = [json.loads(line) for line in export.splitlines()]
    b = [r for r in rows if r["user"] == "b" and r["video_id"] == video.pk]
    assert {(r["coverage"], r["replays"], r["frame_steps"], r["seconds_on_task"]) for r in b} == {
        (None, None, None, None),
        (0.1, 0, 2, 4.0),
    }
    assert all(r["coverage"] is None for r in rows if r["source"] == "llm")
