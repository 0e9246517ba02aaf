"""Freezing a release while criteria are being edited: every live criterion is frozen at
its last approved version, and one never approved is left out and named in a warning."""

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from annotator.models.choices import Role
from annotator.selectors.leaderboard import leaderboard_compute
from rubrics_app.choices import CriterionStatus
from rubrics_app.models import Benchmark, Criterion, Release
from rubrics_app.services import authoring
from rubrics_app.services.releases import release_create, release_export
from tests.factories import UserFactory
from tests.rubric_files import DATA, as_data, import_variants, load

pytestmark = pytest.mark.django_db


@pytest.fixture
def benchmark():
    return import_variants()


@pytest.fixture
def reviewer():
    return UserFactory(username="rev", role=Role.REVIEWER)


def first_criterion() -> Criterion:
    """Task 1's "Cells are biconcave discs", +1, weight 2 in the fixture."""
    return Criterion.objects.get(task__index=1, dimension="scientific", number=1)


def edit(criterion: Criterion, user, **changes) -> Criterion:
    criterion.refresh_from_db()
    return authoring.criterion_update(
        criterion_id=criterion.pk, version=criterion.version, user=user, **changes
    )


def approve(criterion: Criterion, user) -> Criterion:
    criterion.refresh_from_db()
    return authoring.criterion_approve(
        criterion_id=criterion.pk, version=criterion.version, user=user
    )


def freeze(client, benchmark: Benchmark, name: str) -> tuple[Release, dict[str, str]]:
    """Freezes in the browser; the page's messages by their level (alert class)."""
    response = client.post(
        reverse("release-list", args=[benchmark.pk]), {"name": name}, follow=True
    )
    html = response.content.decode()
    alerts = dict(re.findall(r'<div class="alert alert-(\w+) py-2">(.*?)</div>', html, re.S))
    return Release.objects.get(benchmark=benchmark, name=name), alerts


def scientific_1(entries: list[dict]) -> tuple[str, float]:
    block = next(e for e in entries if e["index"] == 1)["rubrics_scientific"]
    return block["d1"], float(block["w1"])


def test_it_freezes_the_approved_version_of_a_criterion_being_edited(
    benchmark, reviewer, client, tmp_path
):
    edited = edit(first_criterion(), reviewer, text="Cells are round", weight="9")
    assert edited.status == CriterionStatus.PROPOSED
    client.force_login(reviewer)
    release, alerts = freeze(client, benchmark, "v1")
    assert "41 approved criteria (1 being edited or reviewed" in alerts["success"]
    assert "warning" not in alerts

    # The file export and the API export hold the old text and weight: the whole file.
    call_command("export_rubrics", str(tmp_path / "v1.json"), "--release", "v1", stdout=StringIO())
    exported = json.loads((tmp_path / "v1.json").read_text())
    assert scientific_1(exported) == ("Cells are biconcave discs", 2.0)
    assert as_data(exported) == as_data(load("rubrics_variants.json"))
    api = client.get(reverse("api-release-export", args=[release.pk, "rubrics"]))
    assert as_data(json.loads(b"".join(api.streaming_content))) == as_data(exported)
    assert scientific_1(release_export(release=release)) == ("Cells are biconcave discs", 2.0)
    # The live rubric has the edit.
    assert first_criterion().text == "Cells are round"


def test_it_freezes_the_newest_approved_version(benchmark, reviewer):
    criterion = first_criterion()
    edit(criterion, reviewer, text="Cells are biconcave", weight="3")
    approve(criterion, reviewer)
    edit(criterion, reviewer, text="Cells are round", weight="9")
    authoring.criterion_request_changes(
        criterion_id=criterion.pk, version=criterion.version + 1, user=reviewer, comment="no"
    )
    assert Criterion.objects.get(pk=criterion.pk).status == CriterionStatus.DRAFT
    report = release_create(benchmark=benchmark, name="v2", user=reviewer)
    assert (report.criteria, report.earlier_versions, report.left_out) == (41, 1, [])
    assert scientific_1(release_export(release=report.release)) == ("Cells are biconcave", 3.0)


def test_it_leaves_out_a_criterion_never_approved_and_names_it_in_a_warning(
    benchmark, reviewer, client
):
    task = benchmark.tasks.get(index=2)
    authoring.criterion_create(
        task=task, dimension="visual", text="No ghosting", polarity=1, weight="1", user=reviewer
    )
    client.force_login(reviewer)
    release, alerts = freeze(client, benchmark, "v1")
    assert "41 approved criteria" in alerts["success"]
    assert "No ghosting" not in alerts["success"]
    assert "1 criteria have no approved version and are not in release v1" in alerts["warning"]
    assert "task 2, Visual quality #" in alerts["warning"] and "No ghosting" in alerts["warning"]
    texts = release.tasks.get(index=2).criteria.values_list("text", flat=True)
    assert "No ghosting" not in texts


def test_the_import_command_and_the_api_report_the_criteria_left_out(
    benchmark, admin_client, tmp_path
):
    # Imported as drafts: a new criterion (never approved) and a reweighted one.
    data = load("rubrics_variants.json")
    task_3 = next(e for e in data if e["index"] == 3)["rubrics_instruction"]
    task_3.update({"d9": "A second track appears", "s9": "-1", "w9": "1"})
    data[0]["rubrics_scientific"]["w1"] = "9"
    (tmp_path / "drafts.json").write_text(json.dumps(data))
    out = StringIO()
    call_command(
        "import_rubrics",
        str(tmp_path / "drafts.json"),
        *("--status", "draft", "--release", "cmd"),
        stdout=out,
    )
    assert "41 approved criteria (1 being edited or reviewed" in out.getvalue()
    assert "warning: 1 criteria have no approved version" in out.getvalue()
    assert "task 3, Instruction following #9 “A second track appears”" in out.getvalue()
    cmd = Release.objects.get(name="cmd")
    assert scientific_1(release_export(release=cmd)) == ("Cells are biconcave discs", 2.0)

    answer = admin_client.post(
        reverse("api-rubrics-import"),
        {"benchmark": "mwb", "rubrics": data, "status": "draft", "release": "api"},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    report = answer.json()["release"]
    assert (report["criteria"], report["earlier_versions"]) == (41, 1)
    assert report["left_out"] == [
        {
            "task_index": 3,
            "dimension": "instruction",
            "number": 9,
            "text": "A second track appears",
        }
    ]


def test_a_retired_criterion_is_not_resurrected(benchmark, reviewer, tmp_path):
    criterion = first_criterion()
    authoring.criterion_retire(criterion_id=criterion.pk, version=criterion.version, user=reviewer)
    report = release_create(benchmark=benchmark, name="retired", user=reviewer)
    assert report.criteria == 40 and report.left_out == []
    assert not report.release.tasks.get(index=1).criteria.filter(number=1, dimension="scientific")

    # Brought back as a draft by a re-import: its approval before the retirement does
    # not count, so it stays out until it is approved again.
    call_command(
        "import_rubrics",
        str(DATA / "rubrics_variants.json"),
        "--status",
        "draft",
        stdout=StringIO(),
    )
    assert first_criterion().status == CriterionStatus.DRAFT
    report = release_create(benchmark=benchmark, name="revived", user=reviewer)
    assert report.criteria == 40
    assert [(c.task_index, c.number) for c in report.left_out] == [(1, 1)]


def test_the_leaderboard_over_a_release_scores_the_frozen_versions(benchmark, reviewer, tmp_path):
    results = [
        {
            "index": 1,
            "video_path": "v.mp4",
            **{
                f"{d}_eval": {"raw_response": "", "parsed_result": {"scores": scores}}
                for d, scores in (
                    ("scientific", [1, 0, 1, 1, 1]),
                    ("visual", [1, 1, 0, 1]),
                    ("instruction", [1, 0, 1, 1, 0]),
                )
            },
        }
    ]
    (tmp_path / "Sora_result.json").write_text(json.dumps(results))
    call_command("import_results", "Sora", str(tmp_path / "Sora_result.json"), stdout=StringIO())
    before = release_create(benchmark=benchmark, name="before", user=reviewer).release
    edit(first_criterion(), reviewer, weight="9")
    during = release_create(benchmark=benchmark, name="during", user=reviewer).release

    scores = [leaderboard_compute(benchmark=benchmark, release=r).rows for r in (before, during)]
    assert scores[0][0].tasks_counted == 1
    assert scores[1] == scores[0]
