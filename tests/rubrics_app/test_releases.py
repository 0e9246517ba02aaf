import html
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotator.models.choices import Role
from rubrics_app.choices import CriterionStatus
from rubrics_app.models import Criterion, Release
from rubrics_app.services import authoring
from rubrics_app.services.releases import release_compare, release_create
from tests.factories import UserFactory
from tests.rubric_files import as_data, import_variants, load

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def benchmark():
    return import_variants()


def test_a_release_never_changes_after_it_is_frozen(benchmark, tmp_path):
    release_create(benchmark=benchmark, name="v1.0", user=UserFactory(role=Role.REVIEWER))
    run("export_rubrics", str(tmp_path / "before.json"), "--release", "v1.0")
    before = (tmp_path / "before.json").read_bytes()
    assert as_data(json.loads(before)) == as_data(load("rubrics_variants.json"))

    criterion = Criterion.objects.get(task__index=1, dimension="scientific", number=1)
    authoring.criterion_update(
        criterion_id=criterion.pk,
        version=criterion.version,
        user=UserFactory(role=Role.REVIEWER),
        text="Rewritten",
        weight="9",
    )
    benchmark.tasks.filter(index=2).update(prompt="A new prompt")
    run("export_rubrics", str(tmp_path / "after.json"), "--release", "v1.0")
    assert (tmp_path / "after.json").read_bytes() == before
    run("export_rubrics", str(tmp_path / "live.json"))
    assert (tmp_path / "live.json").read_bytes() != before


def test_importing_can_freeze_raw_and_remapped_weights_as_two_releases(tmp_path):
    data = load("rubrics_variants.json")
    raw = tmp_path / "raw.json"
    raw.write_text(json.dumps(data))
    out = run(
        "import_rubrics",
        str(raw),
        "--benchmark",
        "mwb",
        "--release",
        "v1.0-raw",
        "--weight-scheme",
        "raw expert weights",
    )
    assert "release v1.0-raw of mwb: 3 tasks, 41 approved criteria" in out
    data[0]["rubrics_scientific"]["w1"] = "1"
    data[1]["rubrics_visual"]["w7"] = "0.5"
    remapped = tmp_path / "remapped.json"
    remapped.write_text(json.dumps(data))
    run("import_rubrics", str(remapped), "--release", "v1.0", "--weight-scheme", "remapped")

    old, new = Release.objects.get(name="v1.0-raw"), Release.objects.get(name="v1.0")
    assert new.weight_scheme == "remapped"
    comparison = release_compare(old=old, new=new)
    assert [(c.task_index, c.dimension, c.number, c.kind) for c in comparison.changes] == [
        (1, "scientific", 1, "weight"),
        (2, "visual", 7, "weight"),
    ]
    assert comparison.changes[0].weight_delta == -1
    run("export_rubrics", str(tmp_path / "old.json"), "--release", "v1.0-raw")
    assert as_data(json.loads((tmp_path / "old.json").read_text())) == as_data(
        load("rubrics_variants.json")
    )
    with pytest.raises(CommandError, match=r"already has a release 'v1\.0'"):
        run("import_rubrics", str(remapped), "--release", "v1.0")
    with pytest.raises(CommandError, match="has no release 'v9'"):
        run("export_rubrics", str(tmp_path / "x.json"), "--release", "v9")


def test_the_comparison_names_added_removed_and_changed_criteria(benchmark, client):
    release_create(benchmark=benchmark, name="a", user=None)
    reviewer = UserFactory(role=Role.REVIEWER)
    task = benchmark.tasks.get(index=1)
    changed = task.criteria.get(dimension="visual", number=1)
    authoring.criterion_update(criterion_id=changed.pk, version=1, user=reviewer, text="Smooth")
    authoring.criterion_retire(
        criterion_id=task.criteria.get(dimension="visual", number=3).pk, version=1, user=reviewer
    )
    added = authoring.criterion_create(
        task=task, dimension="visual", text="No blur", polarity=1, weight="1", user=reviewer
    )
    for criterion in Criterion.objects.filter(status=CriterionStatus.PROPOSED):
        authoring.criterion_approve(
            criterion_id=criterion.pk, version=criterion.version, user=reviewer
        )
    release_create(benchmark=benchmark, name="b", user=reviewer)
    a, b = Release.objects.get(name="a"), Release.objects.get(name="b")
    kinds = {(c.dimension, c.number): c.kind for c in release_compare(old=a, new=b).changes}
    assert kinds == {
        ("visual", 1): "changed",
        ("visual", 3): "removed",
        ("visual", added.number): "added",
    }
    client.force_login(reviewer)
    html = client.get(reverse("release-compare"), {"old": a.pk, "new": b.pk}).content.decode()
    assert "1 added" in html and "1 removed" in html and "1 changed" in html


def test_reviewers_freeze_releases_in_the_browser_and_annotators_cannot(benchmark, client):
    client.force_login(UserFactory(role=Role.ANNOTATOR))
    client.post(reverse("release-list", args=[benchmark.pk]), {"name": "v1"})
    assert not Release.objects.exists()
    client.force_login(UserFactory(role=Role.REVIEWER))
    response = client.post(
        reverse("release-list", args=[benchmark.pk]),
        {"name": "v1", "weight_scheme": "raw"},
        follow=True,
    )
    assert "release v1 of mwb: 3 tasks, 41 approved criteria" in response.content.decode()
    release = Release.objects.get()
    download = client.get(reverse("release-export", args=[release.pk]))
    assert download["Content-Disposition"] == 'attachment; filename="mwb_v1_rubrics.json"'
    assert as_data(json.loads(download.content)) == as_data(load("rubrics_variants.json"))


def test_a_bad_release_form_goes_back_to_the_page_naming_the_field(benchmark, client):
    client.force_login(UserFactory(role=Role.REVIEWER))
    url = reverse("release-list", args=[benchmark.pk])
    for data, message in (
        ({"name": "v" * 51}, "name: Ensure this value has at most 50 characters (it has 51)."),
        ({"name": "  "}, "a release needs a name, for example v1.0"),
    ):
        response = client.post(url, data, HTTP_REFERER=f"http://testserver{url}", follow=True)
        assert response.redirect_chain == [(f"http://testserver{url}", 302)]
        assert message in html.unescape(response.content.decode())
    assert not Release.objects.exists()
