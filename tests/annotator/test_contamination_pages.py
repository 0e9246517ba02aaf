"""The contamination pages, downloads and API; acting on confirmed overlaps (exports,
the release list, the clip workspace and grid); who may see any of it."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from annotator.models import ContaminationFinding, ContaminationReport, Video
from annotator.models.choices import ClipStatus, OverlapDecision, VideoKind, WorkKind
from annotator.services import contamination
from annotator.services.assignments import work_batch_create
from rubrics_app.models import Release
from tests.factories import ClipFactory, TaskFactory, make_video
from tests.videos import make_video as make_video_file

pytestmark = pytest.mark.django_db

YT = "https://www.youtube.com/watch?v=f-ldPgEfAHI"


@pytest.fixture
def world(reviewer_user):
    task = TaskFactory(index=7, source_ref=f"Amoeba Sisters_Mitosis_{YT}")
    clip = ClipFactory(
        external_id="clip-x",
        source_ref="https://youtu.be/f-ldPgEfAHI",
        caption="",
        file="videos/x.mp4",
        clip_status=ClipStatus.ACCEPTED,
        final_caption="Cells divide.",
        decided_at=timezone.now() - timedelta(days=1),
    )
    other = ClipFactory(
        external_id="clip-y",
        caption="",
        file="videos/y.mp4",
        clip_status=ClipStatus.ACCEPTED,
        final_caption="Blood flows.",
        decided_at=timezone.now() - timedelta(days=1),
    )
    report = contamination.report_start(benchmark=task.benchmark, user=reviewer_user)
    report = contamination.report_compute(report_id=report.pk)
    return task, clip, other, report


def test_a_reviewer_starts_a_report_and_follows_it(
    client, reviewer_user, world, django_capture_on_commit_callbacks
):
    task, *_ = world
    client.force_login(reviewer_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("contamination-list", args=[task.benchmark.pk]),
            {"training_set": "candidates"},
        )
    report = ContaminationReport.objects.first()
    assert response.status_code == 302 and response.url == reverse(
        "contamination-report", args=[report.pk]
    )
    html = client.get(response.url).content.decode()
    assert report.status == "done" and "1 of 1 tasks" in html
    assert 'id="task-7"' in html and "<td>clip-x</td>" in html and "<td>clip-y</td>" not in html
    assert "both from youtube:f-ldPgEfAHI" in html and "85.0 of 100" in html
    listing = client.get(reverse("contamination-list", args=[task.benchmark.pk]))
    assert listing.status_code == 200 and f">{report.pk}</a>" in listing.content.decode()


def test_the_downloads(client, reviewer_user, world):
    _, _, _, report = world
    client.force_login(reviewer_user)
    csv = client.get(reverse("contamination-download", args=[report.pk, "csv"]))
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0].startswith("task_index,") and lines[1].startswith("7,")
    data = json.loads(
        client.get(reverse("contamination-download", args=[report.pk, "json"])).content
    )
    assert data["findings"][0]["clip"] == "clip-x" and data["thresholds"]["hash_distance"] == 10
    assert client.get(reverse("contamination-download", args=[report.pk, "xml"])).status_code == 404


def test_a_reviewer_decides_with_htmx(client, reviewer_user, world):
    _, _, _, report = world
    finding = report.findings.get()
    client.force_login(reviewer_user)
    response = client.post(
        reverse("contamination-decide", args=[finding.pk]),
        {"decision": "confirmed"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'value="confirmed" aria-pressed="true"' in response.content.decode()
    finding.refresh_from_db()
    assert (finding.decision, finding.decided_by) == ("confirmed", reviewer_user)
    bad = client.post(reverse("contamination-decide", args=[finding.pk]), {"decision": "maybe"})
    assert bad.status_code == 400


def test_the_api(client, reviewer_user, world, django_capture_on_commit_callbacks):
    task, _, _, report = world
    client.force_login(reviewer_user)
    data = client.get(reverse("api-contamination-report", args=[report.pk])).json()
    assert data["findings"][0]["evidence"] == ["same-source"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("api-contamination-create", args=[task.benchmark.pk]),
            {"training_set": "accepted"},
            content_type="application/json",
        )
    assert response.status_code == 202
    again = client.get(response["Location"]).json()
    assert (again["status"], again["training_set"], again["clips"]) == ("done", "accepted", 2)


def test_annotators_see_nothing_of_it(client, annotator_user, world):
    task, _, _, report = world
    finding = report.findings.get()
    client.force_login(annotator_user)
    for url in [
        reverse("contamination-list", args=[task.benchmark.pk]),
        reverse("contamination-report", args=[report.pk]),
        reverse("contamination-download", args=[report.pk, "csv"]),
        reverse("contamination-download", args=[report.pk, "json"]),
        reverse("api-contamination-report", args=[report.pk]),
    ]:
        assert client.get(url).status_code == 403, url
    decide = client.post(
        reverse("contamination-decide", args=[finding.pk]), {"decision": "confirmed"}
    )
    assert decide.status_code == 403
    create = client.post(
        reverse("api-contamination-create", args=[task.benchmark.pk]), {}, "application/json"
    )
    assert create.status_code == 403
    assert ContaminationFinding.objects.get().decision == OverlapDecision.OPEN
    html = client.get(reverse("benchmark-detail", args=[task.benchmark.pk])).content.decode()
    assert "contamination" not in html.lower()


def test_reference_videos_are_for_reviewers_only_and_never_judged(
    client, tmp_path, admin_user, annotator_user, reviewer_user
):
    task = TaskFactory()
    generated = make_video(task)
    path = make_video_file(tmp_path / "ref.mp4")
    client.force_login(admin_user)
    response = client.post(
        reverse("task-reference", args=[task.pk]),
        {"file": SimpleUploadedFile("ref.mp4", path.read_bytes())},
    )
    assert response.status_code == 302
    reference = Video.objects.get(kind=VideoKind.REFERENCE)
    assert reference.task == task and reference.generator is None
    media = reverse("video-media", args=[reference.public_id, "file"])

    client.force_login(reviewer_user)
    assert (
        'id="reference-video"'
        in client.get(reverse("task-detail", args=[task.pk])).content.decode()
    )
    assert client.get(media).status_code == 200

    client.force_login(annotator_user)
    page = client.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert "reference-video" not in page and str(reference.public_id) not in page
    assert "Video A" in page  # the generated one, blind
    assert client.get(media).status_code == 404
    assert (
        client.post(
            reverse("task-reference", args=[task.pk]),
            {"file": SimpleUploadedFile("ref.mp4", path.read_bytes())},
        ).status_code
        == 403
    )

    client.force_login(reviewer_user)
    judging = client.get(reverse("judging-task", args=[task.pk])).content.decode()
    assert str(generated.public_id) in judging and str(reference.public_id) not in judging


def test_exports_can_leave_confirmed_overlaps_out(client, reviewer_user, world, tmp_path):
    *_, report = world
    contamination.finding_decide(
        finding=report.findings.get(), decision=OverlapDecision.CONFIRMED, user=reviewer_user
    )

    def ids(path):
        return [row["id"] for row in json.loads(path.read_text())]

    call_command("export_dataset", f"--out={tmp_path / 'all.json'}")
    call_command("export_dataset", "--exclude-overlaps", f"--out={tmp_path / 'clean.json'}")
    assert ids(tmp_path / "all.json") == ["clip-x", "clip-y"]
    assert ids(tmp_path / "clean.json") == ["clip-y"]

    client.force_login(reviewer_user)
    page = client.get(reverse("dataset-export", args=["manifest"]), {"exclude_overlaps": "1"})
    assert [row["id"] for row in json.loads(page.content)] == ["clip-y"]
    api = client.get(reverse("api-dataset-manifest"), {"exclude_overlaps": "true"})
    assert [row["id"] for row in api.json()] == ["clip-y"]
    assert len(client.get(reverse("api-dataset-manifest")).json()) == 2


def test_the_release_list_counts_tasks_with_confirmed_overlaps(client, reviewer_user, world):
    task, _, _, report = world
    release = Release.objects.create(benchmark=task.benchmark, name="v1")
    release.tasks.create(task=task, index=task.index, prompt=task.prompt)
    client.force_login(reviewer_user)
    url = reverse("release-list", args=[task.benchmark.pk])
    assert f'data-overlapping="{release.pk}">0<' in client.get(url).content.decode()
    contamination.finding_decide(
        finding=report.findings.get(), decision=OverlapDecision.CONFIRMED, user=reviewer_user
    )
    assert f'data-overlapping="{release.pk}"><a' in client.get(url).content.decode()


def test_the_workspace_and_grid_show_reviewers_a_clips_overlap(
    client, reviewer_user, annotator_user, world
):
    _, clip, _, _ = world
    batch = work_batch_create(
        kind=WorkKind.VERIFY,
        name="round",
        items=[clip],
        users=[reviewer_user, annotator_user],
        overlap=2,
        created_by=None,
    )
    client.force_login(reviewer_user)
    workspace = client.get(reverse("clip-verify", args=[batch.pk])).content.decode()
    assert 'id="clip-overlaps"' in workspace and "task 7" in workspace
    assert "overlap: task 7" in client.get(reverse("clip-grid", args=[batch.pk])).content.decode()
    client.force_login(annotator_user)
    assert (
        "clip-overlaps" not in client.get(reverse("clip-verify", args=[batch.pk])).content.decode()
    )
    assert "overlap:" not in client.get(reverse("clip-grid", args=[batch.pk])).content.decode()


def test_a_bad_snapshot_time_is_refused_and_starts_nothing(client, reviewer_user, world):
    task, *_ = world
    client.force_login(reviewer_user)
    url = reverse("contamination-list", args=[task.benchmark.pk])
    response = client.post(url, {"training_set": "accepted", "as_of": "yesterday-ish"})
    assert response.status_code == 422
    response = client.post(url, {"training_set": "everything"})
    assert response.status_code == 422 and ContaminationReport.objects.count() == 1
