"""Malformed input is a 4xx that says what is wrong, never a 500: each case here was
a reproduced 500 (or a stored nonsense value)."""

import json

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from annotator.models import ClipDecision
from annotator.models.choices import Decision, Role, WorkKind
from annotator.services.assignments import work_batch_create
from rubrics_app.models import Release
from tests.api_callers import client_for
from tests.factories import (
    ClipFactory,
    CriterionFactory,
    GeneratorModelFactory,
    TaskFactory,
    UserFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

OUT_OF_RANGE = "0001-01-01T00:00:00+01:00"  # a valid ISO time before the year 1 in UTC


def admin_client() -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(username="input-admin", role=Role.ADMIN, is_superuser=True))
    return client


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def task():
    return CriterionFactory().task


@pytest.mark.parametrize(
    ("url_name", "query", "named"),
    [
        ("task-history", {"criterion": "abc"}, "criterion"),
        ("task-suggestions", {"job": "abc"}, "job"),
        ("task-history", {"criterion": "9" * 30}, "criterion"),
    ],
)
def test_it_answers_a_malformed_id_in_a_task_page_with_400(task, url_name, query, named):
    response = admin_client().get(reverse(url_name, args=[task.pk]), query)
    assert response.status_code == 400
    assert named in text(response)


def test_it_answers_a_malformed_release_comparison_with_400(task):
    release = Release.objects.create(benchmark=task.benchmark, name="v1")
    client = admin_client()
    url = reverse("release-compare")
    response = client.get(url, {"old": "abc", "new": release.pk})
    assert response.status_code == 400 and "old" in text(response)
    response = client.get(url, {"old": release.pk, "new": "²"})
    assert response.status_code == 400 and "new" in text(response)


def test_it_answers_a_superscript_digit_after_a_task_with_400(task):
    url = reverse("judging-next", args=[task.benchmark.pk])
    response = admin_client().get(url, {"after": "²"})
    assert response.status_code == 400 and "after" in text(response)


def test_it_searches_tasks_for_a_superscript_digit_as_text(task):
    client = admin_client()
    page = client.get(reverse("benchmark-detail", args=[task.benchmark.pk]), {"q": "²"})
    assert page.status_code == 200
    api = client.get("/api/v1/tasks", {"q": "²"})
    assert api.status_code == 200 and api.json()["results"] == []
    huge = client.get("/api/v1/tasks", {"q": "9" * 5000})
    assert huge.status_code == 200 and huge.json()["results"] == []


@pytest.mark.parametrize(
    "url",
    [
        "/benchmarks/{benchmark}/leaderboard/?judge=%00",
        "/videos/?generator=%00",
        "/admin/annotator/video/?q=%00",
        "/admin/rubrics_app/task/?level=%00",
        "/api/v1/verdicts?generator=%00",
        "/tasks/%00/",
    ],
)
def test_it_answers_a_nul_character_in_a_query_or_path_with_400(task, url):
    response = admin_client().get(url.format(benchmark=task.benchmark.pk))
    assert response.status_code == 400
    assert "NUL" in text(response)


def test_it_answers_a_nul_character_in_a_criterion_text_with_400(task):
    url = reverse("criterion-add", args=[task.pk])
    response = admin_client().post(url, {"dimension": "scientific", "text": "a\x00b"})
    assert response.status_code == 400 and "NUL" in text(response)
    assert not task.criteria.filter(text__contains="a").exclude(text__startswith="Crit").exists()


def test_it_answers_a_nul_character_in_a_json_body_with_400():
    GeneratorModelFactory(name="Sora")
    response = client_for("write_token").post(
        "/api/v1/judge/jobs",
        json.dumps({"scope": "generator", "generator": "So\x00ra"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "NUL" in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/verdicts", "since"),
        ("/api/v1/dataset/manifest", "as_of"),
        ("/api/v1/dataset/decisions", "as_of"),
        ("/api/v1/verdicts", "since"),
    ],
)
def test_it_answers_an_api_time_out_of_range_with_400(path, name):
    client = client_for("read_token")
    for moment in (OUT_OF_RANGE, "9999-12-31T23:59:59-01:00"):
        response = client.get(path, {name: moment})
        assert response.status_code == 400, moment
        assert name in response.json()["errors"]


def test_it_answers_a_dataset_export_time_out_of_range_with_400():
    client = admin_client()
    response = client.get(reverse("dataset-export", args=["jsonl"]), {"as_of": OUT_OF_RANGE})
    assert response.status_code == 400 and "as_of" in text(response)


def test_it_answers_a_range_beyond_any_file_with_416():
    video = VideoFactory()
    video.file.save("clip.mp4", ContentFile(b"x" * 1000))
    client = admin_client()
    url = reverse("video-media", args=[video.public_id, "file"])
    response = client.get(url, headers={"Range": f"bytes={'9' * 5000}-"})
    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */1000"
    # A suffix longer than the file is the whole file.
    response = client.get(url, headers={"Range": f"bytes=-{'9' * 5000}"})
    assert response.status_code == 206
    assert response["Content-Range"] == "bytes 0-999/1000"


@pytest.fixture
def clip_batch():
    expert = UserFactory(username="expert", role=Role.ANNOTATOR)
    clips = [ClipFactory(), ClipFactory()]
    batch = work_batch_create(
        kind=WorkKind.VERIFY, name="round", items=clips[:1], users=[expert], overlap=1,
        created_by=None,
    )  # fmt: skip
    client = Client(raise_request_exception=False)
    client.force_login(expert)
    return client, batch, clips


def test_it_answers_deciding_a_clip_not_assigned_to_you_with_a_4xx(clip_batch):
    client, batch, clips = clip_batch
    response = client.post(
        reverse("clip-decide", args=[batch.pk]),
        {"video": clips[1].public_id, "decision": Decision.REJECT, "reasons": ["black-borders"]},
    )
    assert 400 <= response.status_code < 500
    assert "not assigned to you" in text(response)
    assert not ClipDecision.objects.exists()


@pytest.mark.parametrize("seconds", ["nan", "inf", "-inf", "-5", "1e400"])
def test_it_refuses_a_time_spent_that_is_not_a_duration(clip_batch, seconds):
    client, batch, clips = clip_batch
    response = client.post(
        reverse("clip-decide", args=[batch.pk]),
        {"video": clips[0].public_id, "decision": Decision.REJECT, "reasons": ["black-borders"],
         "seconds": seconds},
    )  # fmt: skip
    assert response.status_code == 422
    assert "seconds" in text(response)
    assert not ClipDecision.objects.exists()


def test_it_answers_json_nested_too_deep_with_json_400():
    body = "[" * 100_000 + "]" * 100_000
    response = client_for("write_token").post(
        "/api/v1/tasks", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "JSON" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/v1/tasks/abc", "/api/v1/"])
def test_it_answers_an_unknown_api_path_with_json_404(path):
    response = client_for("read_token").get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_it_reads_a_rubric_import_larger_than_the_form_limit(settings):
    padding = "x" * (3 * 1024**2)  # over DATA_UPLOAD_MAX_MEMORY_SIZE, under the API's limit
    body = json.dumps({"benchmark": "", "rubrics": [], "padding": padding})
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = client_for("write_token").post(
        "/api/v1/rubrics/import", body, content_type="application/json"
    )
    assert response.status_code == 400  # read, and refused for what it says
    assert "benchmark" in response.json()["errors"]


def test_it_answers_an_api_body_over_the_api_limit_with_json_413(settings):
    settings.API_UPLOAD_MAX_BYTES = 1000
    response = client_for("write_token").post(
        "/api/v1/rubrics/import", json.dumps({"x": "y" * 2000}), content_type="application/json"
    )
    assert response.status_code == 413
    assert "API_UPLOAD_MAX_BYTES" in response.json()["detail"]


def test_it_answers_an_html_form_over_the_form_limit_with_413(task, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    url = reverse("criterion-add", args=[task.pk])
    response = admin_client().post(url, {"dimension": "scientific", "text": "y" * 2000})
    assert response.status_code == 413
    assert "too large" in text(response)


def test_it_still_answers_unknown_pages_outside_the_api_with_html(task):
    response = admin_client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_an_unrelated_task_id_does_not_count_as_after(task):
    other = TaskFactory()
    url = reverse("judging-next", args=[task.benchmark.pk])
    response = admin_client().get(url, {"after": other.pk})
    assert response.status_code == 400 and "after" in text(response)


def test_it_answers_an_upload_to_a_malformed_benchmark_with_400():
    client = admin_client()
    batch = client.post(reverse("batch-create"), {"name": "b"}).json()
    upload = ContentFile(b"not read", name="1.mp4")
    response = client.post(
        reverse("batch-upload", args=[batch["id"]]), {"file": upload, "benchmark": "abc"}
    )
    assert response.status_code == 400
    assert "benchmark" in response.json()["error"]
