import json
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotator.celery import app as celery_app
from annotator.core.llm import LLMNotConfigured
from annotator.models import Assignment, ClipDecision, ClipSuggestion, Job, JobStatus, WorkBatch
from annotator.models.choices import ClipStatus, EvaluationStatus, MediaStatus, Role, VideoKind
from annotator.services.clip_drafts import clip_draft, clip_drafts_start, latest_suggestions
from tests.factories import UserFactory, VideoFactory, give_frames
from tests.llm_server import FAST, Reply, images_of

pytestmark = pytest.mark.django_db

CAPTION = "Neutrophils crawl across a glass surface toward a cluster of bacteria. " * 10


def make_clip(ready=True, **fields):
    defaults = {
        "original_name": "clip_0001.mp4",
        "caption": "the caption the clip came with",
        "level": "Cellular-level",
    }
    clip = VideoFactory(
        kind=VideoKind.DATASET,
        task=None,
        generator=None,
        media_status=MediaStatus.MISSING,
        **{**defaults, **fields},
    )
    if ready:
        give_frames(clip)
    return clip


@pytest.fixture
def clip():
    return make_clip(extra={"title": "Neutrophil chasing bacteria (David Rogers, 1950s)"})


def reply(**overrides):
    data = {
        "caption": CAPTION,
        "decision": "accept",
        "reasons": [],
        "level": "Cellular-level",
        "reasoning": "Real microscopy of single cells, no overlay.",
    }
    return Reply(json.dumps({**data, **overrides}))


def test_a_good_reply_is_stored_as_a_suggestion_and_nothing_more(clip, llm_server):
    llm_server.replies = [reply()]
    suggestion = clip_draft(video_id=clip.pk)

    (sent,) = llm_server.requests
    assert sent["json"]["model"] == "test-vlm"
    text = sent["json"]["messages"][0]["content"][0]["text"]
    assert "Title of the video the clip was cut from: Neutrophil chasing bacteria" in text
    assert "about 150 words" in text and '"Subcellular-level"' in text
    assert "- text-overlay: text, subtitles, watermark or logo" in text
    assert len(images_of(sent)) == 8

    assert suggestion.status == EvaluationStatus.OK and suggestion.error == ""
    assert (suggestion.caption, suggestion.decision, suggestion.level) == (
        CAPTION.strip(),
        "accept",
        "Cellular-level",
    )
    assert suggestion.reasoning == "Real microscopy of single cells, no overlay."
    assert suggestion.judge_model == "test-vlm"
    assert (suggestion.prompt_tokens, suggestion.completion_tokens) == (120, 80)
    assert json.loads(suggestion.raw_response)["decision"] == "accept"
    # A suggestion, never a decision.
    assert not ClipDecision.objects.exists()
    clip.refresh_from_db()
    assert clip.caption == "the caption the clip came with" and clip.level == "Cellular-level"
    assert clip.clip_status == ClipStatus.PENDING and clip.final_caption == ""


@pytest.mark.parametrize(
    ("fields", "title"),
    [
        ({"source_ref": "https://youtu.be/abc"}, "https://youtu.be/abc"),
        ({"extra": {"title": ""}}, "clip_0001.mp4"),
    ],
)
def test_without_a_title_the_source_or_the_file_name_stands_in(llm_server, fields, title):
    llm_server.replies = [reply()]
    clip_draft(video_id=make_clip(**fields).pk)
    text = llm_server.requests[0]["json"]["messages"][0]["content"][0]["text"]
    assert f"Title of the video the clip was cut from: {title}\n" in text


def test_malformed_json_is_a_failure_with_its_raw_text(clip, llm_server):
    llm_server.replies = [Reply("Looks like cells to me. {caption: ")]
    suggestion = clip_draft(video_id=clip.pk)
    assert suggestion.status == EvaluationStatus.FAILED
    assert suggestion.error == "the reply holds no JSON object"
    assert suggestion.raw_response == "Looks like cells to me. {caption: "
    assert suggestion.caption == suggestion.decision == suggestion.level == ""


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        (
            {"level": "Tissue-level"},
            "level: expected one of Organ-level, Cellular-level, Subcellular-level, "
            "got 'Tissue-level'",
        ),
        ({"decision": "flag"}, 'decision: expected "accept" or "reject", got \'flag\''),
        ({"caption": ""}, "caption: expected some text, got ''"),
        ({"decision": "reject", "reasons": ["blurry"]}, "reasons: expected codes among"),
        ({"reasons": ["duplicate"]}, "reasons ['duplicate'] given for an accepted clip"),
    ],
)
def test_a_reply_that_does_not_fit_is_a_failure_never_a_guess(clip, llm_server, overrides, error):
    llm_server.replies = [reply(**overrides)]
    suggestion = clip_draft(video_id=clip.pk)
    assert suggestion.status == EvaluationStatus.FAILED
    assert suggestion.error.startswith(f"the reply does not fit: {error}")
    assert json.loads(suggestion.raw_response)["caption"] == overrides.get("caption", CAPTION)
    assert (suggestion.prompt_tokens, suggestion.completion_tokens) == (120, 80)
    assert suggestion.decision == suggestion.level == ""


def test_a_reject_with_known_reasons_is_a_suggestion(clip, llm_server):
    llm_server.replies = [reply(decision="reject", reasons=["text-overlay", "scene-cut"])]
    suggestion = clip_draft(video_id=clip.pk)
    assert (suggestion.status, suggestion.decision) == (EvaluationStatus.OK, "reject")


def test_server_errors_retry_then_succeed(clip, llm_server):
    llm_server.replies = [Reply("busy", status=500, headers=FAST), reply()]
    suggestion = clip_draft(video_id=clip.pk)
    assert suggestion.status == EvaluationStatus.OK and len(llm_server.requests) == 2


def test_a_clip_without_judge_frames_fails_with_the_reason(llm_server):
    clip = make_clip(ready=False)
    suggestion = clip_draft(video_id=clip.pk)
    assert suggestion.status == EvaluationStatus.FAILED
    assert suggestion.error == (
        "media not ready (status: no file): the video has no judge frames yet"
    )
    assert suggestion.raw_response == "" and suggestion.prompt_tokens is None
    assert not llm_server.requests


def test_running_again_adds_the_newest_suggestion_which_is_shown(clip, llm_server):
    other = make_clip(original_name="other.mp4")
    llm_server.replies = [reply(), reply(caption="Second look."), Reply("no idea"), reply()]
    clip_draft(video_id=clip.pk)
    second = clip_draft(video_id=clip.pk)
    clip_draft(video_id=clip.pk)  # fails: the last good one stays shown
    clip_draft(video_id=other.pk)
    never = make_clip(original_name="never.mp4")
    assert ClipSuggestion.objects.filter(video=clip).count() == 3
    shown = latest_suggestions([clip.pk, other.pk, never.pk])
    assert shown[clip.pk] == second and shown[clip.pk].caption == "Second look."
    assert shown[other.pk].video_id == other.pk and never.pk not in shown


def test_the_latest_suggestions_take_one_query(clip, llm_server, django_assert_num_queries):
    clips = [clip, *(make_clip(original_name=f"c{n}.mp4") for n in range(3))]
    llm_server.replies = [reply() for _ in clips]
    for c in clips:
        clip_draft(video_id=c.pk)
    with django_assert_num_queries(1):
        assert set(latest_suggestions(c.pk for c in clips)) == {c.pk for c in clips}


def test_starting_drafts_over_clips_records_job_progress(
    admin_user, llm_server, django_capture_on_commit_callbacks
):
    good = make_clip(original_name="good.mp4")
    bad = make_clip(original_name="bad.mp4")
    unready = make_clip(original_name="unready.mp4", ready=False)
    generated = VideoFactory()  # the judge's, not ours
    llm_server.replies = [reply(), reply(level="cellular")]
    with django_capture_on_commit_callbacks(execute=True):
        job = clip_drafts_start(
            videos=[good, bad, unready, generated], user=admin_user, description=""
        )
    job.refresh_from_db()
    assert (job.kind, job.total, job.succeeded, job.failed) == ("clip_drafts", 3, 1, 2)
    assert job.status == JobStatus.DONE and job.created_by == admin_user
    assert job.description == "caption drafts: 3 clips"
    assert job.failures[0].startswith(f"clip {bad.pk} (bad.mp4): the reply does not fit: level")
    assert job.failures[1].startswith(f"clip {unready.pk} (unready.mp4): media not ready")
    assert len(llm_server.requests) == 2
    assert not generated.clip_suggestions.exists()


def test_only_admins_start_drafts_and_only_with_a_model(clip, llm_server, settings):
    for role in (Role.ANNOTATOR, Role.REVIEWER):
        with pytest.raises(PermissionDenied, match="Only admins can start caption drafts"):
            clip_drafts_start(videos=[clip], user=UserFactory(role=role))
    settings.LLM_BASE_URL = ""
    with pytest.raises(LLMNotConfigured):
        clip_drafts_start(videos=[clip], user=None)
    assert not Job.objects.exists() and not llm_server.requests


def test_the_task_goes_to_the_judge_queue():
    route = celery_app.amqp.router.route({}, "annotator.tasks.clip_draft_task")
    assert route["queue"].name == "judge"


def draft_clips(*args):
    out, err = StringIO(), StringIO()
    call_command("draft_clips", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_drafts_chosen_clips_here_with_sync(clip, llm_server):
    unready = make_clip(original_name="unready.mp4", ready=False)
    make_clip(original_name="not-asked.mp4")
    llm_server.replies = [reply(decision="reject", reasons=["duplicate"])]
    out, err = draft_clips("--ids", f"{clip.pk},{unready.pk}", "--sync")
    assert f"clip {clip.pk}: reject, Cellular-level\n" in out
    assert err == f"clip {unready.pk}: media not ready (status: no file): the video has no " + (
        "judge frames yet\n"
    )
    job = Job.objects.get()
    assert f"job #{job.pk}: 2 of 2 clips done, 1 succeeded, 1 failed" in out
    assert job.created_by is None and ClipSuggestion.objects.count() == 2


def test_the_command_queues_a_batchs_pending_clips(
    clip, admin_user, llm_server, django_capture_on_commit_callbacks
):
    decided = make_clip(original_name="decided.mp4", clip_status=ClipStatus.ACCEPTED)
    make_clip(original_name="elsewhere.mp4")
    batch = WorkBatch.objects.create(name="week 1", kind="verify")
    for position, video in enumerate([clip, decided]):
        for user in (admin_user, UserFactory()):  # overlap 2: each clip assigned twice
            Assignment.objects.create(batch=batch, user=user, video=video, position=position)
    llm_server.replies = [reply()]
    with django_capture_on_commit_callbacks(execute=True):
        out, _ = draft_clips("--batch", str(batch.pk), "--pending")
        job = Job.objects.get()
        assert out == (
            f"job #{job.pk}: 0 of 1 clips done, 0 succeeded, 0 failed\n"
            f"the rest is queued for the judge workers; follow it at /jobs/{job.pk}/\n"
        )
    # The workers' part, done here on commit.
    assert [s.video_id for s in ClipSuggestion.objects.all()] == [clip.pk]
    job.refresh_from_db()
    assert (job.succeeded, job.status) == (1, JobStatus.DONE)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ([], "Say which clips: --batch, --pending and/or --ids."),
        (["--batch", "999"], "--batch 999: there is no such work batch."),
        (["--ids", "1,x"], "--ids '1,x': expected clip ids separated by commas"),
    ],
)
def test_the_command_refuses_a_vague_or_wrong_choice(llm_server, args, error):
    with pytest.raises(CommandError, match="nothing was written") as raised:
        draft_clips(*args)
    assert error in str(raised.value)
    assert not Job.objects.exists()


def test_the_command_names_ids_that_are_no_dataset_clips(clip, llm_server):
    generated = VideoFactory()
    with pytest.raises(CommandError) as raised:
        draft_clips("--ids", f"{clip.pk},{generated.pk}")
    assert f"--ids: {generated.pk} is not a dataset clip." in str(raised.value)


def test_the_command_says_when_no_model_is_configured(clip, settings):
    settings.LLM_BASE_URL = ""
    with pytest.raises(CommandError, match="No language model is configured"):
        draft_clips("--ids", str(clip.pk))


def test_admins_start_drafts_from_the_video_admin(
    client, admin_user, clip, llm_server, django_capture_on_commit_callbacks
):
    llm_server.replies = [reply()]
    client.force_login(admin_user)
    changelist = reverse("admin:annotator_video_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            changelist,
            {"action": "draft_clip_suggestions", "_selected_action": [clip.pk]},
            follow=True,
        )
    job = Job.objects.get()
    assert f"Job #{job.pk} started: caption suggestions for 1 dataset clips." in (
        response.content.decode()
    )
    assert latest_suggestions([clip.pk])[clip.pk].caption == CAPTION.strip()

    generated = VideoFactory()
    response = client.post(
        changelist,
        {"action": "draft_clip_suggestions", "_selected_action": [generated.pk]},
        follow=True,
    )
    assert "No dataset clips selected." in response.content.decode()
    assert Job.objects.count() == 1
