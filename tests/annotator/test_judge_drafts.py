import importlib
import json

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from annotator.celery import app as celery_app
from annotator.core.llm import LLMNotConfigured
from annotator.models import Job, JobStatus, JudgeEvaluation, Judgment
from annotator.models.choices import (
    EvaluationStatus,
    MediaStatus,
    Role,
    VerdictSource,
    VerdictStatus,
)
from annotator.services import judge_drafts
from annotator.services.judge_drafts import JUDGE_PROMPT_VERSION, judge_video_dimension
from tests.factories import (
    COLOURS,
    GeneratorModelFactory,
    UserFactory,
    give_frames,
    make_task,
    make_video,
)
from tests.llm_server import FAST, Reply, images_of, judge_reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def video():
    return make_video(make_task())


def payload_bytes(request) -> int:
    return sum(len(p["image_url"]["url"]) for p in request["json"]["messages"][0]["content"][1:])


def verdicts(video, dimension="scientific"):
    return list(
        Judgment.objects.filter(video=video, criterion__dimension=dimension)
        .order_by("criterion__position")
        .values_list("verdict", flat=True)
    )


def test_a_good_reply_becomes_drafts_in_criterion_order(video, llm_server):
    llm_server.replies = [judge_reply([1, 0, 1])]
    evaluation = judge_video_dimension(video_id=video.pk, dimension="scientific")

    (sent,) = llm_server.requests
    assert sent["json"]["model"] == "test-vlm"
    text = sent["json"]["messages"][0]["content"][0]
    assert text["type"] == "text"
    assert "Neutrophils chase a bacterium" in text["text"]
    assert "Show chemotaxis along a gradient." in text["text"]
    assert (
        "1. (positive point) The neutrophil moves toward the bacterium\n"
        "2. (penalty point) Red blood cells carry nuclei\n"
        "3. (positive point) The bacterium is engulfed\n"
    ) in text["text"]
    assert "exactly 3 scores" in text["text"] and '"scores"' in text["text"]
    images = images_of(sent)
    assert len(images) == 8
    for image, colour in zip(images, COLOURS, strict=True):
        assert image.format == "JPEG"
        pixel = image.convert("RGB").getpixel((image.width // 2, image.height // 2))
        assert all(abs(a - b) <= 8 for a, b in zip(pixel, colour, strict=True)), (pixel, colour)

    assert evaluation.status == EvaluationStatus.OK and evaluation.error == ""
    assert (evaluation.judge_model, evaluation.prompt_version) == ("test-vlm", JUDGE_PROMPT_VERSION)
    assert (evaluation.prompt_tokens, evaluation.completion_tokens) == (120, 80)
    assert evaluation.reasoning == "The cell crawls toward the bacterium."
    assert json.loads(evaluation.raw_response)["scores"] == [1, 0, 1]
    assert verdicts(video) == [1, 0, 1]
    drafts = Judgment.objects.filter(video=video)
    assert {(d.source, d.status, d.judge_model, d.evaluation_id) for d in drafts} == {
        (VerdictSource.LLM, VerdictStatus.DRAFT, "test-vlm", evaluation.pk)
    }


def test_running_again_replaces_the_judges_drafts(video, llm_server):
    llm_server.replies = [judge_reply([1, 0, 1]), judge_reply([0, 1, 0], "second look")]
    judge_video_dimension(video_id=video.pk, dimension="scientific")
    evaluation = judge_video_dimension(video_id=video.pk, dimension="scientific")
    assert JudgeEvaluation.objects.get() == evaluation
    assert evaluation.reasoning == "second look"
    assert verdicts(video) == [0, 1, 0] and Judgment.objects.count() == 3


def test_a_task_delivered_twice_counts_once_on_its_job(video, llm_server):
    """acks_late: a worker lost after storing but before acknowledging gets its task
    delivered again. The item's second outcome replaces its first."""
    job = Job.objects.create(kind=judge_drafts.JOB_KIND, total=2)
    llm_server.replies = [Reply("no idea"), judge_reply([1, 0, 1]), judge_reply([1, 0, 1])]
    judge_video_dimension(video_id=video.pk, dimension="scientific", job_id=job.pk)
    job.refresh_from_db()
    assert (job.succeeded, job.failed, job.status, len(job.failures)) == (0, 1, "running", 1)
    assert judge_drafts.failed_pairs(job) == [(video.pk, "scientific")]
    for _ in range(2):
        judge_video_dimension(video_id=video.pk, dimension="scientific", job_id=job.pk)
    job.refresh_from_db()
    assert (job.succeeded, job.failed, job.status, job.failures) == (1, 0, "running", [])
    assert judge_drafts.failed_pairs(job) == []
    assert job.items.count() == 1


def test_failures_of_jobs_from_before_items_can_still_be_rerun(video):
    migration = importlib.import_module("annotator.migrations.0010_job_items")
    line = f"task {video.task.index}, Sora, visual (video {video.pk}): the reply holds no JSON"
    job = Job.objects.create(
        kind=judge_drafts.JOB_KIND, total=3, failed=1, failures=[line, "video 999, visual: gone"]
    )
    migration.failed_items(django_apps, None)
    assert judge_drafts.failed_pairs(job) == [(video.pk, "visual")]


def test_malformed_json_is_a_failed_evaluation_with_its_raw_text(video, llm_server):
    llm_server.replies = [judge_reply([1, 0, 1]), Reply("The video looks right to me. {scores: 1")]
    judge_video_dimension(video_id=video.pk, dimension="scientific")
    evaluation = judge_video_dimension(video_id=video.pk, dimension="scientific")
    assert evaluation.status == EvaluationStatus.FAILED
    assert evaluation.error == "the reply holds no JSON object"
    assert evaluation.raw_response == "The video looks right to me. {scores: 1"
    # Never a silent zero: the failed reply leaves no verdict, not even the earlier ones.
    assert not Judgment.objects.exists()


@pytest.mark.parametrize(
    ("scores", "error"),
    [
        ([1, 0], "the reply does not fit: 2 scores for 3 criteria"),
        ([1, 0, 1, 1], "the reply does not fit: 4 scores for 3 criteria"),
        ([1, 2, 0], "the reply does not fit: scores: expected a list of 0 and 1, got [1, 2, 0]"),
        ("yes", "the reply does not fit: scores: expected a list of 0 and 1, got 'yes'"),
    ],
)
def test_a_score_list_that_does_not_fit_is_a_failed_evaluation(video, llm_server, scores, error):
    llm_server.replies = [judge_reply(scores)]
    evaluation = judge_video_dimension(video_id=video.pk, dimension="scientific")
    assert (evaluation.status, evaluation.error) == (EvaluationStatus.FAILED, error)
    assert json.loads(evaluation.raw_response)["scores"] == scores
    assert (evaluation.prompt_tokens, evaluation.completion_tokens) == (120, 80)
    assert not Judgment.objects.exists()


@pytest.mark.parametrize("status", [429, 500])
def test_rate_limits_and_server_errors_retry(video, llm_server, status):
    llm_server.replies = [Reply("busy", status=status, headers=FAST), judge_reply([1, 1, 0])]
    evaluation = judge_video_dimension(video_id=video.pk, dimension="scientific")
    assert evaluation.status == EvaluationStatus.OK and len(llm_server.requests) == 2
    assert verdicts(video) == [1, 1, 0]


def test_a_payload_too_large_is_sent_again_with_smaller_frames(video, llm_server):
    llm_server.replies = [
        Reply("payload too large", status=413),
        Reply("payload too large", status=413),
        judge_reply([0, 0, 1]),
    ]
    evaluation = judge_video_dimension(video_id=video.pk, dimension="scientific")
    assert evaluation.status == EvaluationStatus.OK and verdicts(video) == [0, 0, 1]
    first, second, third = llm_server.requests
    assert [max(i.size) for i in images_of(first)] == [1280] * 8
    assert [max(i.size) for i in images_of(second)] == [768] * 8
    assert [max(i.size) for i in images_of(third)] == [512] * 8
    assert payload_bytes(first) > payload_bytes(second) > payload_bytes(third)
    # Still the same frames, in the same order.
    assert [i.convert("RGB").getpixel((10, 10))[0] > 128 for i in images_of(third)] == [
        c[0] > 128 for c in COLOURS
    ]


def test_a_payload_still_too_large_fails_saying_so(video, llm_server):
    llm_server.replies = [Reply("too large", status=413)] * 3
    evaluation = judge_video_dimension(video_id=video.pk, dimension="visual")
    assert evaluation.status == EvaluationStatus.FAILED and len(llm_server.requests) == 3
    assert evaluation.error.startswith("the endpoint answered HTTP 413")
    assert evaluation.error.endswith("(even with frames at JPEG quality 40, long side 512 px)")


def test_timeouts_retry_a_bounded_number_of_times(video, llm_server, settings):
    settings.LLM_TIMEOUT, settings.LLM_MAX_RETRIES = 0.3, 1
    late = json.dumps({"scores": [1, 1], "reasoning": "late"})
    llm_server.replies = [Reply(late, delay=1) for _ in range(3)]
    evaluation = judge_video_dimension(video_id=video.pk, dimension="visual")
    assert evaluation.status == EvaluationStatus.FAILED
    assert evaluation.error == "no answer within 0.3 s, 1 retries"
    assert len(llm_server.requests) == 2  # the first try and one retry
    assert not Judgment.objects.exists()


def test_a_video_without_judge_frames_fails_with_the_reason(llm_server):
    video = make_video(make_task(), ready=False)
    evaluation = judge_video_dimension(video_id=video.pk, dimension="scientific")
    assert evaluation.status == EvaluationStatus.FAILED
    assert (
        evaluation.error == "media not ready (status: no file): the video has no judge frames yet"
    )
    video.media_status = MediaStatus.READY
    video.save()
    evaluation = judge_video_dimension(video_id=video.pk, dimension="scientific")
    assert evaluation.error == "the video has 0 judge frames, 8 needed: process its media again"
    assert not llm_server.requests


def start(client, data):
    # Posted from the page, as a browser does: a refusal goes back there with its message.
    return client.post(reverse("judge-drafts-start"), data, HTTP_REFERER=reverse("judge-drafts"))


def test_a_benchmark_job_counts_progress_and_failures_and_reruns_them(
    client, admin_user, llm_server, django_capture_on_commit_callbacks
):
    task = make_task()
    good = make_video(task)
    pending = make_video(make_task(task.benchmark), GeneratorModelFactory(name="Veo"), ready=False)
    elsewhere = make_video(make_task())  # another benchmark
    llm_server.replies = [judge_reply([1, 0, 1]), judge_reply([1, 1]), Reply("no idea")]
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = start(client, {"scope": "benchmark", "benchmark": task.benchmark.pk})
    assert response.status_code == 302 and response["Location"] == reverse("judge-drafts")
    job = Job.objects.get()
    assert (job.kind, job.total, job.succeeded, job.failed) == ("judge_drafts", 6, 2, 4)
    assert job.status == JobStatus.DONE
    assert job.failures[0] == (
        f"task {task.index}, Sora, instruction (video {good.pk}): the reply holds no JSON object"
    )
    assert job.failures[1].startswith(
        f"task {pending.task.index}, Veo, scientific (video {pending.pk}): media not ready"
    )
    assert len(llm_server.requests) == 3
    assert not JudgeEvaluation.objects.filter(video=elsewhere).exists()

    page = client.get(reverse("judge-drafts")).content.decode()
    assert "6 of 6 done · 2 succeeded · 4 failed" in page
    assert "media not ready" in page and reverse("job-detail", args=[job.pk]) in page
    assert reverse("judge-rerun", args=[job.pk]) in page

    give_frames(pending)
    # The failed items again, in the order they failed: good's instruction, then pending's.
    llm_server.replies = [
        judge_reply([1, 0]),
        judge_reply([0, 0, 0]),
        judge_reply([1, 1]),
        judge_reply([0, 1]),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("judge-rerun", args=[job.pk]))
    rerun = Job.objects.exclude(pk=job.pk).get()
    assert (rerun.total, rerun.succeeded, rerun.failed) == (4, 4, 0)
    assert JudgeEvaluation.objects.filter(status=EvaluationStatus.OK).count() == 6
    assert verdicts(pending) == [0, 0, 0] and verdicts(good, "instruction") == [1, 0]
    # Nothing left to re-run.
    response = client.post(reverse("judge-rerun", args=[job.pk]), follow=True)
    assert "has no failure left to re-run" in response.content.decode()
    assert Job.objects.count() == 2


def test_one_model_or_one_video_can_be_judged(
    client, admin_user, llm_server, django_capture_on_commit_callbacks
):
    task = make_task()
    sora = GeneratorModelFactory(name="Sora")
    first = make_video(task, sora)
    make_video(make_task(), sora)  # another benchmark
    make_video(task, GeneratorModelFactory(name="Veo"))
    llm_server.replies = [judge_reply([1, 0, 1]), judge_reply([1, 1]), judge_reply([0, 1])] * 4
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        start(client, {"scope": "generator", "generator": sora.pk, "benchmark": task.benchmark.pk})
        start(client, {"scope": "generator", "generator": sora.pk})
        start(client, {"scope": "video", "video": first.pk})
    assert [j.total for j in Job.objects.order_by("pk")] == [3, 6, 3]
    assert Job.objects.order_by("pk").first().description == (
        f"draft judgments: Sora in {task.benchmark.name}, 1 video"
    )
    response = start(client, {"scope": "video", "video": "999999"})
    assert Job.objects.count() == 3
    assert "there is no such video" in client.get(response["Location"]).content.decode()


def test_the_task_goes_to_the_judge_queue():
    assert celery_app.amqp.router.route({}, "annotator.tasks.judge_draft_task")["queue"].name == (
        "judge"
    )


@pytest.mark.parametrize("role", [Role.ANNOTATOR, Role.REVIEWER])
def test_only_admins_start_draft_judgments(client, role, video, llm_server):
    user = UserFactory(role=role)
    client.force_login(user)
    assert client.get(reverse("judge-drafts")).status_code == 403
    assert start(client, {"scope": "video", "video": video.pk}).status_code == 403
    job = Job.objects.create(kind="judge_drafts", total=1, failed=1)
    assert client.post(reverse("judge-rerun", args=[job.pk])).status_code == 403
    with pytest.raises(PermissionDenied):
        judge_drafts.judge_drafts_start(videos=video.__class__.objects.all(), user=user)
    assert Job.objects.count() == 1 and not llm_server.requests
    assert 'href="/judge/"' not in client.get(reverse("benchmark-list")).content.decode()


def test_without_a_model_the_page_says_how_to_configure_one(client, admin_user, video, settings):
    settings.LLM_BASE_URL = ""
    client.force_login(admin_user)
    assert 'href="/judge/"' in client.get(reverse("benchmark-list")).content.decode()
    page = client.get(reverse("judge-drafts")).content.decode()
    assert "Drafting judgments is off." in page
    assert "set LLM_BASE_URL, LLM_API_KEY and LLM_MODEL" in page
    response = start(client, {"scope": "video", "video": video.pk})
    assert "No language model is configured" in client.get(response["Location"]).content.decode()
    assert not Job.objects.exists()
    with pytest.raises(LLMNotConfigured):
        judge_drafts.judge_drafts_start(videos=video.__class__.objects.all(), user=admin_user)
