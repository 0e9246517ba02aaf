"""The judge's evidence on the timeline (issue 18, item 6): the 8 judge frames marked
on each video's bar at the protocol's positions, the judge's reasoning per dimension
in a panel, and an expert's time mark on a verdict, kept, audited and exported."""

import json
import re

import pytest
from django.urls import reverse

from annotator.models import JudgeEvaluation, Judgment
from annotator.models.choices import EvaluationStatus, VerdictSource
from annotator.services import verdicts
from annotator.services.verdicts import verdict_set, verdict_time_mark
from annotator.video_analysis import judge_frame_positions
from tests.annotator.test_judging import judge_of, judged_task, page

pytestmark = pytest.mark.django_db


def with_frames(video, frame_count=96, fps=24.0):
    video.frame_count, video.fps, video.duration = frame_count, fps, frame_count / fps
    video.judge_frames = [f"videos/derived/judge_{k}.jpg" for k in range(8)]
    video.save()
    return video


def mark_url(video):
    return reverse("verdict-mark", args=[video.public_id])


def test_a_mark_goes_with_the_experts_own_verdict_and_a_time_of_the_video(client):
    task, criteria, (video, _) = judged_task()
    with_frames(video)
    expert = judge_of(task)
    first = criteria[0].pk
    with pytest.raises(verdicts.InputError, match="verdict on this criterion first"):
        verdict_time_mark(video=video, criterion_id=first, user=expert, seconds=1.0)
    verdict_set(video=video, criterion_id=first, user=expert, verdict=1)
    for bad in (-1.0, 4.5, float("nan")):
        with pytest.raises(verdicts.InputError, match="not a time of this video"):
            verdict_time_mark(video=video, criterion_id=first, user=expert, seconds=bad)
    checklist = verdict_time_mark(video=video, criterion_id=first, user=expert, seconds=2.3456)
    assert [c.time_mark for c in checklist.time_marks] == [2.35]
    mine = Judgment.objects.get(video=video, criterion_id=first, source=VerdictSource.HUMAN)
    assert mine.time_mark == 2.35
    assert mine.history.first().time_mark == 2.35  # audited like every change
    verdict_time_mark(video=video, criterion_id=first, user=expert, seconds=None)
    assert Judgment.objects.get(pk=mine.pk).time_mark is None


def test_a_mark_is_posted_shown_on_the_row_and_the_bar_and_exported(client, reviewer_user):
    task, criteria, (video, _) = judged_task()
    with_frames(video)
    expert = judge_of(task)
    client.force_login(expert)
    refused = client.post(mark_url(video), {"criterion": criteria[0].pk, "seconds": "1.5"})
    assert refused.status_code == 422
    assert "first" in json.loads(refused["HX-Trigger"])["said"]["text"]
    verdict_set(video=video, criterion_id=criteria[0].pk, user=expert, verdict=1)
    answer = client.post(mark_url(video), {"criterion": criteria[0].pk, "seconds": "1.5"})
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "@1.50 s" in html  # the row
    assert f'id="timeline-{video.public_id}" hx-swap-oob="true"' in html  # the bar
    assert 'class="time-mark" style="left: 37.50%"' in html  # 1.5 of 4 s
    assert client.post(mark_url(video), {"criterion": "x"}).status_code == 400
    # After a reload: on the page, and in the verdict export.
    shown = page(client, task).content.decode()
    assert "@1.50 s" in shown and 'data-time="1.500"' in shown
    client.force_login(reviewer_user)
    export = b"".join(client.get(reverse("api-verdicts")).streaming_content)
    rows = [json.loads(line) for line in export.splitlines()]
    assert [r["time_mark"] for r in rows if r["source"] == "human"] == [1.5]


def test_the_bar_marks_the_judges_frames_at_the_protocols_positions(client):
    task, _, (video, other) = judged_task()
    with_frames(video, frame_count=90, fps=30.0)
    client.force_login(judge_of(task))
    html = page(client, task).content.decode()
    bar = html.split(f'id="timeline-{video.public_id}"')[1].split("</div>")[0]
    times = [float(t) for t in re.findall(r'class="judge-mark"[^>]*data-time="([\d.]+)"', bar)]
    assert times == pytest.approx([p / 30.0 for p in judge_frame_positions(90)], abs=0.001)
    frames = re.findall(r'<img src="([^"]+)"', bar)
    assert frames == [
        reverse("video-media", args=[video.public_id, f"judge-{k}"]) for k in range(8)
    ]
    assert all(str(video.generator) not in f for f in frames)  # addressed by public id only
    missing = client.get(reverse("video-media", args=[video.public_id, "judge-8"]))
    assert missing.status_code == 404
    # A video not processed yet has no frames to mark.
    empty = html.split(f'id="timeline-{other.public_id}"')[1].split("</div>")[0]
    assert "judge-mark" not in empty


def test_the_judges_reasoning_shows_in_a_panel_per_dimension(client):
    task, _, (video, _) = judged_task()
    reply = JudgeEvaluation.objects.create(
        video=video,
        dimension="visual",
        judge_model="gpt",
        status=EvaluationStatus.OK,
        reasoning="Cells <b>flicker</b> at 2 s.",
    )
    Judgment.objects.filter(video=video, criterion__dimension="visual").update(evaluation=reply)
    client.force_login(judge_of(task))
    html = page(client, task).content.decode()
    assert html.count('class="judge-reasoning') == 2 * 3  # 2 videos x 3 dimensions
    panel = html.split(f'id="checklist-{video.public_id}"')[1].split('data-dimension="visual"')[1]
    assert "Cells &lt;b&gt;flicker&lt;/b&gt; at 2 s." in panel.split("</details>")[0]
    assert "no reasoning given" in html  # the other dimensions' replies gave none
