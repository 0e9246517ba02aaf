"""/api/v1/ admin writes: registering videos, starting draft judgments, polling jobs."""

import json

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotator.models import Job, JobStatus, Video
from annotator.models.choices import MediaStatus, VideoKind
from annotator.services.s3 import s3_client
from tests.api_callers import CALLERS, call, client_for
from tests.factories import (
    BenchmarkFactory,
    GeneratorModelFactory,
    TaskFactory,
    VideoFactory,
    make_task,
    make_video,
)
from tests.llm_server import judge_reply
from tests.videos import make_video as make_video_file

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Every caller is a new user with a password: hashing it properly would be most of
    the time of these tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def post_json(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


# --- authorization matrix -------------------------------------------------------------
# Expected status per caller, in CALLERS order:
# anonymous, annotator, reviewer, admin, read_token, write_token.
ADMIN_POSTS = {
    "get": (401, 405, 405, 405, 405, 405),
    "post": (401, 403, 403, "ok", 403, "ok"),
    "put": (401, 403, 403, 405, 403, 405),
    "delete": (401, 403, 403, 405, 403, 405),
}
ANYONE_READS = {
    "get": (401, 200, 200, 200, 200, 200),
    "post": (401, 405, 405, 405, 403, 405),
    "put": (401, 405, 405, 405, 403, 405),
    "delete": (401, 405, 405, 405, 403, 405),
}


@pytest.fixture
def registrable(s3_storage, tmp_path):
    """A generated video waiting in the bucket, and the request that registers it."""
    task = TaskFactory(index=3)
    s3_client().upload_file(str(make_video_file(tmp_path / "3.mp4")), s3_storage, "runs/Sora/3.mp4")
    return {
        "kind": "generated",
        "s3_key": "runs/Sora/3.mp4",
        "benchmark": task.benchmark.pk,
        "task_index": 3,
        "generator": "Sora",
    }


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("method", ADMIN_POSTS)
def test_only_admins_and_write_tokens_register_videos(registrable, method, caller):
    expected = ADMIN_POSTS[method][CALLERS.index(caller)]
    status = call(client_for(caller), method, reverse("api-videos"), registrable)
    assert status == (201 if expected == "ok" else expected)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("method", ADMIN_POSTS)
def test_only_admins_and_write_tokens_start_draft_judgments(settings, method, caller):
    settings.LLM_BASE_URL, settings.LLM_MODEL = "http://127.0.0.1:9/v1", "test-vlm"
    video = VideoFactory()
    expected = ADMIN_POSTS[method][CALLERS.index(caller)]
    data = {"scope": "video", "video": video.pk}
    status = call(client_for(caller), method, reverse("api-judge-jobs"), data)
    assert status == (202 if expected == "ok" else expected)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("method", ANYONE_READS)
def test_anyone_logged_in_follows_a_job(method, caller):
    job = Job.objects.create(kind="judge_drafts", total=3)
    expected = ANYONE_READS[method][CALLERS.index(caller)]
    if (method, caller) == ("get", "annotator"):
        expected = 404  # a judge job names models: annotators follow only their own jobs
    assert call(client_for(caller), method, reverse("api-job", args=[job.pk])) == expected


# --- registering videos ---------------------------------------------------------------


def test_a_key_in_the_bucket_becomes_the_models_video(
    admin_client, registrable, s3_storage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(admin_client, reverse("api-videos"), registrable)
    assert response.status_code == 201, response.content
    body = response.json()
    video = Video.objects.get()
    assert body["outcome"] == "created" and body["message"] == ""
    assert body["video"] == {
        **body["video"],
        "id": video.pk,
        "kind": "generated",
        "benchmark": registrable["benchmark"],
        "task_index": 3,
        "generator": "Sora",
        "source_path": "runs/Sora/3.mp4",
        "original_name": "3.mp4",
        "sha256": video.sha256,
    }
    # Stored by content in the media storage (the same bucket), and processed.
    keys = {o["Key"] for o in s3_client().list_objects_v2(Bucket=s3_storage)["Contents"]}
    assert video.file.name in keys and video.file.name.startswith("videos/")
    video.refresh_from_db()
    assert video.media_status == MediaStatus.READY, video.media_error

    again = post_json(admin_client, reverse("api-videos"), registrable)
    assert again.status_code == 200 and again.json()["outcome"] == "unchanged"
    assert Video.objects.count() == 1


def test_a_key_becomes_a_dataset_clip(admin_client, s3_storage, tmp_path):
    path = make_video_file(tmp_path / "c.webm", codec="libvpx")
    s3_client().upload_file(str(path), s3_storage, "clips/division_0001.webm")
    data = {"kind": "dataset", "s3_key": "clips/division_0001.webm"}
    response = post_json(admin_client, reverse("api-videos"), data)
    assert response.status_code == 201
    video = Video.objects.get()
    assert (video.kind, video.task, video.generator) == (VideoKind.DATASET, None, None)
    assert response.json()["video"]["generator"] is None


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"s3_key": "runs/Sora/4.mp4"}, "s3://{bucket}/runs/Sora/4.mp4: no such object"),
        ({"s3_key": "runs/Sora/3.txt"}, "runs/Sora/3.txt: not a video file"),
        ({"task_index": 99}, "task 99 is not in benchmark"),
        ({"generator": None}, "a generated video needs benchmark, task_index and generator"),
        ({"kind": "dataset"}, "a dataset clip has no benchmark, task_index or generator"),
    ],
)
def test_a_registration_that_does_not_fit_is_a_400(
    admin_client, registrable, s3_storage, change, problem
):
    data = {k: v for k, v in {**registrable, **change}.items() if v is not None}
    response = post_json(admin_client, reverse("api-videos"), data)
    assert response.status_code == 400
    assert response.json()["problems"][0].startswith(problem.format(bucket=s3_storage))
    assert not Video.objects.exists()


def test_without_a_bucket_a_key_cannot_be_registered(admin_client, settings):
    settings.S3_BUCKET = ""
    response = post_json(
        admin_client, reverse("api-videos"), {"kind": "dataset", "s3_key": "a.mp4"}
    )
    assert response.status_code == 400
    assert response.json()["problems"] == ["no S3 bucket is configured (S3_BUCKET)"]


@pytest.mark.parametrize(
    "data",
    [{"kind": "dataset"}, {"kind": "clip", "s3_key": "a.mp4"}],
)
def test_the_request_names_a_kind_and_a_key_or_a_file(admin_client, data):
    response = post_json(admin_client, reverse("api-videos"), data)
    assert response.status_code == 400 and response.json()["errors"]


def upload(client, content: bytes, name="7.mp4", **fields):
    return client.post(reverse("api-videos"), {"file": SimpleUploadedFile(name, content), **fields})


def test_an_uploaded_file_becomes_the_models_video(admin_client, tmp_path, settings):
    task = TaskFactory(index=7)
    content = make_video_file(tmp_path / "v.mp4").read_bytes()
    # Videos have their own limit, VIDEO_MAX_BYTES, not the API's general one.
    settings.API_UPLOAD_MAX_BYTES = len(content) // 2
    response = upload(
        admin_client,
        content,
        kind="generated",
        benchmark=task.benchmark.pk,
        task_index=7,
        generator="Veo",
    )
    assert response.status_code == 201, response.content
    video = Video.objects.get()
    assert (video.task, video.generator.name, video.original_name) == (task, "Veo", "7.mp4")
    with default_storage.open(video.file.name) as fh:
        assert fh.read() == content


def test_an_upload_over_the_size_limit_is_a_413(admin_client, settings):
    content = b"\0" * 5000
    # Declared far over the limit: refused before the body is read.
    settings.VIDEO_MAX_BYTES = 1000
    far_over = upload(admin_client, b"\0" * (70 * 1024 + 1000), kind="dataset")
    assert far_over.status_code == 413
    assert far_over["Content-Type"] == "application/json"
    assert "VIDEO_MAX_BYTES" in far_over.json()["detail"]
    # Just over: refused once the file's own size is known.
    settings.VIDEO_MAX_BYTES = len(content) - 1
    just_over = upload(admin_client, content, kind="dataset")
    assert just_over.status_code == 413
    assert just_over.json()["detail"] == (
        "7.mp4: 5000 bytes, more than the 4999 bytes a video may have (VIDEO_MAX_BYTES)"
    )
    assert not Video.objects.exists()


def test_an_object_over_the_size_limit_is_not_downloaded(
    admin_client, registrable, s3_storage, settings
):
    settings.VIDEO_MAX_BYTES = 100
    response = post_json(admin_client, reverse("api-videos"), registrable)
    assert response.status_code == 400
    assert "more than the 100 bytes a video may have" in response.json()["problems"][0]


# --- draft judgments and jobs ---------------------------------------------------------


def test_a_model_is_judged_by_a_job_that_can_be_followed(
    admin_client, llm_server, django_capture_on_commit_callbacks
):
    task = make_task()
    sora = GeneratorModelFactory(name="Sora")
    good = make_video(task, sora)
    pending = make_video(make_task(task.benchmark), sora, ready=False)
    make_video(task, GeneratorModelFactory(name="Veo"))  # another model: not judged
    llm_server.replies = [judge_reply([1, 0, 1]), judge_reply([1, 1]), judge_reply([0, 1])]
    data = {"scope": "generator", "generator": "Sora", "benchmark": task.benchmark.pk}
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(admin_client, reverse("api-judge-jobs"), data)
    assert response.status_code == 202, response.content
    job = Job.objects.get()
    assert response["Location"] == reverse("api-job", args=[job.pk]) == response.json()["url"]
    assert (
        response.json()["description"]
        == f"draft judgments: Sora in {task.benchmark.name}, 2 videos"
    )

    polled = admin_client.get(response["Location"]).json()
    assert polled == {
        **polled,
        "id": job.pk,
        "kind": "judge_drafts",
        "status": JobStatus.DONE,
        "total": 6,
        "done": 6,
        "succeeded": 3,
        "failed": 3,
    }
    assert len(polled["failures"]) == 3
    assert polled["failures"][0].startswith(f"task {pending.task.index}, Sora, scientific")
    assert len(llm_server.requests) == 3
    assert good.evaluations.count() == 3


@pytest.mark.parametrize(
    "data, problem",
    [
        ({"scope": "video", "video": 999999}, "video '999999': there is no such video."),
        ({"scope": "benchmark"}, "Choose a benchmark."),
        ({"scope": "benchmark", "benchmark": "new"}, None),
        ({"scope": "generator", "generator": "Nope"}, None),
        ({"scope": "everything"}, None),
    ],
)
def test_a_job_needs_something_to_judge(admin_client, llm_server, data, problem):
    response = post_json(admin_client, reverse("api-judge-jobs"), data)
    assert response.status_code == 400
    if problem:
        assert response.json()["problems"] == [problem]
    assert not Job.objects.exists()


def test_a_benchmark_without_generated_videos_has_nothing_to_judge(admin_client, llm_server):
    data = {"scope": "benchmark", "benchmark": BenchmarkFactory().pk}
    response = post_json(admin_client, reverse("api-judge-jobs"), data)
    assert response.status_code == 400
    assert response.json()["problems"] == ["No generated videos there: nothing to judge."]


def test_without_a_judge_model_starting_is_a_503(admin_client, settings):
    settings.LLM_BASE_URL = ""
    video = VideoFactory()
    response = post_json(
        admin_client, reverse("api-judge-jobs"), {"scope": "video", "video": video.pk}
    )
    assert response.status_code == 503
    assert response.json()["detail"].startswith("No language model is configured")
    assert not Job.objects.exists()


def test_an_unknown_job_is_a_404(admin_client):
    assert admin_client.get(reverse("api-job", args=[999999])).status_code == 404
