import csv
import io
import json
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotator.models import ApiToken
from annotator.models.choices import Role
from annotator.models.tokens import TokenScope
from rubrics_app.choices import CriterionStatus, Dimension
from rubrics_app.models import Benchmark, Criterion, Release, ReleaseCriterion, Task
from rubrics_app.services.releases import release_export
from rubrics_app.services.rubric_files import rubrics_export
from tests.api_callers import CALLERS, call, client_for
from tests.factories import UserFactory
from tests.rubric_files import DATA, import_variants, load

pytestmark = pytest.mark.django_db

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


@pytest.fixture(autouse=True)
def fresh_throttle(settings):
    """Throttle counters in a cache of the test's own: they outlive its database, and
    with REDIS_URL set the default cache is shared."""
    settings.CACHES = {"default": {"BACKEND": LOCMEM, "LOCATION": str(uuid.uuid4())}}


@pytest.fixture
def mwb() -> Benchmark:
    """Benchmark "mwb" (3 tasks, every format variant, with levels) and release v1."""
    return import_variants("--tasks", str(DATA / "tasks_variants.json"), "--release", "v1")


@pytest.fixture
def admin_client() -> Client:
    return client_for("admin")


def release_of(benchmark: Benchmark) -> Release:
    return benchmark.releases.get()


# The authorization matrix -----------------------------------------------------------


def read_urls(benchmark: Benchmark) -> dict[str, str]:
    task = benchmark.tasks.order_by("index").first()
    release = release_of(benchmark)
    frozen = release.tasks.first()
    return {
        "benchmarks": reverse("api-benchmark-list"),
        "benchmark": reverse("api-benchmark-detail", args=[benchmark.pk]),
        "tasks": reverse("api-task-list"),
        "task": reverse("api-task-detail", args=[task.pk]),
        "criteria": reverse("api-criterion-list"),
        "criterion": reverse("api-criterion-detail", args=[task.criteria.first().pk]),
        "releases": reverse("api-release-list"),
        "release": reverse("api-release-detail", args=[release.pk]),
        "export rubrics": reverse("api-release-export", args=[release.pk, "rubrics"]),
        "export jsonl": reverse("api-release-export", args=[release.pk, "jsonl"]),
        "export csv": reverse("api-release-export", args=[release.pk, "csv"]),
        "release tasks": reverse("api-release-task-list"),
        "release task": reverse("api-release-task-detail", args=[frozen.pk]),
        "leaderboard": reverse("api-leaderboard", args=[benchmark.pk]),
        "schema": reverse("api-schema"),
    }


def writes(benchmark: Benchmark) -> dict[str, tuple[str, str, dict]]:
    task = benchmark.tasks.order_by("index").first()
    criterion = task.criteria.order_by("pk").first()
    return {
        "create task": (
            "post",
            reverse("api-task-list"),
            {"benchmark": benchmark.pk, "index": 99, "prompt": "Vesicle transport"},
        ),
        "edit task": ("patch", reverse("api-task-detail", args=[task.pk]), {"level": ""}),
        "create criterion": (
            "post",
            reverse("api-criterion-list"),
            {
                "task": task.pk,
                "dimension": "visual",
                "text": "No flicker between frames",
                "polarity": 1,
                "weight": "1.5",
            },
        ),
        "edit criterion": (
            "patch",
            reverse("api-criterion-detail", args=[criterion.pk]),
            {"version": criterion.version, "weight": 0.5},
        ),
        "import rubrics": (
            "post",
            reverse("api-rubrics-import"),
            {"benchmark": "copy", "rubrics": load("rubrics_variants.json")},
        ),
    }


READS = [
    "benchmarks",
    "benchmark",
    "tasks",
    "task",
    "criteria",
    "criterion",
    "releases",
    "release",
    "export rubrics",
    "export jsonl",
    "export csv",
    "release tasks",
    "release task",
    "leaderboard",
    "schema",
]
WRITES = ["create task", "edit task", "create criterion", "edit criterion", "import rubrics"]


@pytest.mark.parametrize("caller", CALLERS)
def test_it_lets_everyone_logged_in_read(mwb, caller):
    client = client_for(caller)
    expected = dict.fromkeys(READS, 401 if caller == "anonymous" else 200)
    if caller == "annotator":
        expected["leaderboard"] = 403  # it names the models: annotators judge blind
    statuses = {name: call(client, "get", url) for name, url in read_urls(mwb).items()}
    assert statuses == expected


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("write", WRITES)
def test_it_lets_only_admins_write(mwb, caller, write):
    method, url, data = writes(mwb)[write]
    status = call(client_for(caller), method, url, data)
    if caller == "anonymous":
        assert status == 401
    elif caller in ("annotator", "reviewer", "read_token"):
        assert status == 403
    else:
        assert status in (200, 201)


def test_a_refused_write_changes_nothing(mwb):
    method, url, data = writes(mwb)["create task"]
    before = Task.objects.count()
    assert call(client_for("read_token"), method, url, data) == 403
    assert call(client_for("reviewer"), method, url, data) == 403
    assert Task.objects.count() == before


# Reads, filters, pagination ---------------------------------------------------------


def test_it_lists_tasks_with_their_live_criteria(mwb, admin_client):
    task = mwb.tasks.get(index=1)
    retired = task.criteria.first()
    Criterion.objects.filter(pk=retired.pk).update(status=CriterionStatus.RETIRED)
    answer = admin_client.get(reverse("api-task-detail", args=[task.pk])).json()
    assert answer["index"] == 1 and answer["level"] == "Organ-level"
    ids = {c["id"] for c in answer["criteria"]}
    assert retired.pk not in ids
    assert ids == set(task.criteria.exclude(pk=retired.pk).values_list("pk", flat=True))
    first = answer["criteria"][0]
    assert set(first) >= {"dimension", "number", "text", "polarity", "weight", "version"}


def test_it_filters_tasks(mwb, admin_client):
    url = reverse("api-task-list")

    def indices(**params) -> list[int]:
        response = admin_client.get(url, params)
        assert response.status_code == 200, response.content
        return [t["index"] for t in response.json()["results"]]

    assert indices(level="Cellular-level") == [2]
    assert indices(benchmark=mwb.pk) == [1, 2, 3]
    assert indices(benchmark=mwb.pk, q="capillary") == [1]
    answer = admin_client.get(url, {"dimension": "visual", "status": "approved"}).json()
    dimensions = {c["dimension"] for t in answer["results"] for c in t["criteria"]}
    assert dimensions == {"visual"}

    since = timezone.now() + timedelta(hours=1)
    assert indices(updated_since=since.isoformat()) == []
    # A criterion edited later brings its task back, though the task itself is unchanged.
    mwb.tasks.get(index=3).criteria.filter(number=1).update(updated_at=since + timedelta(1))
    assert indices(updated_since=since.isoformat()) == [3]

    bad = admin_client.get(url, {"level": "Planet-level"})
    assert bad.status_code == 400 and "level" in bad.json()["errors"]


def test_it_filters_criteria_and_frozen_tasks(mwb, admin_client):
    penalties = admin_client.get(
        reverse("api-criterion-list"), {"level": "Organ-level", "dimension": "scientific"}
    ).json()["results"]
    task = mwb.tasks.get(index=1)
    assert {c["id"] for c in penalties} == set(
        task.criteria.filter(dimension="scientific").values_list("pk", flat=True)
    )
    assert admin_client.get(reverse("api-criterion-list"), {"status": "retired"}).json() == {
        "next": None,
        "previous": None,
        "results": [],
    }
    release = release_of(mwb)
    frozen = admin_client.get(
        reverse("api-release-task-list"), {"release": release.pk, "dimension": "instruction"}
    ).json()["results"]
    assert [t["index"] for t in frozen] == [1, 2, 3]
    assert {c["dimension"] for t in frozen for c in t["criteria"]} == {"instruction"}
    assert (
        sum(len(t["criteria"]) for t in frozen)
        == ReleaseCriterion.objects.filter(
            release_task__release=release, dimension=Dimension.INSTRUCTION
        ).count()
    )


def test_it_pages_with_a_cursor_in_constant_queries(admin_client):
    benchmark = Benchmark.objects.create(name="big")
    for index in range(1, 26):
        task = Task.objects.create(benchmark=benchmark, index=index, prompt=f"p{index}")
        for number in (1, 2):
            Criterion.objects.create(
                task=task, dimension="visual", number=number, text=f"c{number}"
            )
    url = reverse("api-task-list")

    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url, {"page_size": page_size}).status_code == 200
        return len(captured)

    assert queries(3) == queries(25)

    seen, page = [], admin_client.get(url, {"page_size": 10}).json()
    while True:
        seen += [t["index"] for t in page["results"]]
        if not page["next"]:
            break
        page = admin_client.get(page["next"]).json()
    assert seen == list(range(1, 26))


LISTS = [
    "api-benchmark-list",
    "api-task-list",
    "api-criterion-list",
    "api-release-list",
    "api-release-task-list",
]


@pytest.mark.parametrize("name", LISTS)
def test_every_list_takes_the_same_queries_whatever_the_page_size(mwb, admin_client, name):
    import_variants("--release", "v2")
    Benchmark.objects.create(name="other")

    def queries(page_size: int) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            answer = admin_client.get(reverse(name), {"page_size": page_size})
        assert answer.status_code == 200
        return len(answer.json()["results"]), len(captured)

    (one, few), (many, lots) = queries(1), queries(50)
    assert one == 1 and many > 1 and few == lots


def test_it_answers_304_to_an_unchanged_resource(mwb, admin_client):
    url = reverse("api-task-detail", args=[mwb.tasks.get(index=2).pk])
    first = admin_client.get(url)
    etag = first["ETag"]
    assert admin_client.get(url, headers={"If-None-Match": etag}).status_code == 304
    Task.objects.filter(index=2).update(prompt="changed")
    again = admin_client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 200 and again["ETag"] != etag

    export = reverse("api-release-export", args=[release_of(mwb).pk, "csv"])
    etag = admin_client.get(export)["ETag"]
    assert admin_client.get(export, headers={"If-None-Match": etag}).status_code == 304


# Exports ----------------------------------------------------------------------------


def streamed(response) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_the_rubric_export_is_what_export_rubrics_writes(mwb, admin_client, tmp_path):
    out = tmp_path / "v1.json"
    call_command(
        "export_rubrics", str(out), "--benchmark", "mwb", "--release", "v1", stdout=StringIO()
    )
    response = admin_client.get(reverse("api-release-export", args=[release_of(mwb).pk, "rubrics"]))
    assert streamed(response) == out.read_bytes()
    assert response["Content-Disposition"] == 'attachment; filename="mwb_v1_rubrics.json"'


def test_an_exported_release_reimports_into_identical_data(mwb, admin_client):
    release = release_of(mwb)
    body = streamed(admin_client.get(reverse("api-release-export", args=[release.pk, "rubrics"])))
    upload = SimpleUploadedFile("rubrics.json", body, content_type="application/json")
    response = admin_client.post(
        reverse("api-rubrics-import"), {"benchmark": "copy", "file": upload, "release": "r"}
    )
    assert response.status_code == 200, response.content
    report = response.json()
    assert report["benchmark_name"] == "copy" and report["tasks_created"] == 3
    assert report["release"]["criteria"] == release.tasks.aggregate(n=Count("criteria"))["n"]
    copy = Benchmark.objects.get(name="copy")
    assert rubrics_export(benchmark=copy) == release_export(release=release)
    assert release_export(release=copy.releases.get()) == release_export(release=release)


def test_jsonl_and_csv_have_one_row_per_frozen_criterion(mwb, admin_client):
    release = release_of(mwb)
    frozen = ReleaseCriterion.objects.filter(release_task__release=release)
    lines = streamed(
        admin_client.get(reverse("api-release-export", args=[release.pk, "jsonl"]))
    ).splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == frozen.count()
    first = frozen.get(release_task__index=1, dimension="scientific", number=1)
    assert rows[0] == {
        "task_index": 1,
        "level": "Organ-level",
        "prompt": first.release_task.prompt,
        "requirement": first.release_task.requirement,
        "dimension": "scientific",
        "number": 1,
        "position": 0,
        "text": first.text,
        "polarity": 1,
        "weight": 2.0,
    }
    response = admin_client.get(
        reverse("api-release-export", args=[release.pk, "csv"]), headers={"Accept": "text/csv"}
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    table = list(csv.DictReader(io.StringIO(streamed(response).decode())))
    assert len(table) == frozen.count()
    assert table[0]["weight"] == "2" and table[0]["polarity"] == "1"
    assert [r["dimension"] for r in table[:15:5]] == ["scientific", "visual", "instruction"]


# Writes -----------------------------------------------------------------------------


def test_a_criterion_edit_on_a_stale_version_is_refused_with_409(mwb, admin_client):
    criterion = mwb.tasks.get(index=1).criteria.first()
    url = reverse("api-criterion-detail", args=[criterion.pk])
    stale = criterion.version
    response = admin_client.patch(
        url, {"version": stale, "text": "Edited first"}, "application/json"
    )
    assert response.status_code == 200
    assert response.json()["version"] == stale + 1 and response.json()["status"] == "proposed"
    response = admin_client.patch(url, {"version": stale, "weight": 3}, "application/json")
    assert response.status_code == 409
    assert response.json()["current_version"] == stale + 1
    assert "not saved" in response.json()["detail"]
    criterion.refresh_from_db()
    assert criterion.text == "Edited first" and criterion.weight != 3


def test_writes_answer_400_with_field_errors(mwb, admin_client):
    task = mwb.tasks.get(index=1)
    url = reverse("api-criterion-list")
    data = {"task": task.pk, "dimension": "smell", "text": "x", "polarity": 1, "weight": 1}
    answer = admin_client.post(url, data, "application/json")
    assert answer.status_code == 400
    assert answer.json()["detail"] == "Invalid input." and "dimension" in answer.json()["errors"]
    # The service's own checks answer the same way.
    data.update(dimension="visual", weight=11)
    answer = admin_client.post(url, data, "application/json")
    assert answer.status_code == 400 and "weight" in answer.json()["errors"]
    duplicate = {"benchmark": mwb.pk, "index": 1, "prompt": "again"}
    answer = admin_client.post(reverse("api-task-list"), duplicate, "application/json")
    assert answer.status_code == 400 and "index" in answer.json()["errors"]


def test_tasks_are_created_and_edited_with_history(mwb, admin_client):
    answer = admin_client.post(
        reverse("api-task-list"),
        {"benchmark": mwb.pk, "index": 4, "prompt": " Vesicle transport ", "level": ""},
        "application/json",
    )
    assert answer.status_code == 201 and answer.json()["prompt"] == "Vesicle transport"
    url = reverse("api-task-detail", args=[answer.json()["id"]])
    answer = admin_client.patch(url, {"level": "Subcellular-level"}, "application/json")
    assert answer.status_code == 200 and answer.json()["level"] == "Subcellular-level"
    task = Task.objects.get(pk=answer.json()["id"])
    assert [h.history_change_reason for h in task.history.order_by("history_id")] == [
        "added",
        "edited",
    ]
    assert task.history.latest().history_user.username == "api-admin"


def test_an_import_with_problems_lists_them_and_writes_nothing(admin_client):
    rubrics = load("rubrics_variants.json")
    rubrics[0]["rubrics_visual"]["s1"] = "0"
    del rubrics[2]["rubrics_scientific"]["w1"]
    answer = admin_client.post(
        reverse("api-rubrics-import"), {"benchmark": "new", "rubrics": rubrics}, "application/json"
    )
    assert answer.status_code == 400
    problems = answer.json()["problems"]
    assert len(problems) == 2 and "task 1, rubrics_visual.s1" in problems[0]
    assert "Nothing was written" in answer.json()["detail"]
    assert not Benchmark.objects.filter(name="new").exists()

    answer = admin_client.post(
        reverse("api-rubrics-import"), {"benchmark": "new"}, "application/json"
    )
    assert answer.status_code == 400 and "rubrics" in answer.json()["errors"]
    broken = SimpleUploadedFile("r.json", b"[{", content_type="application/json")
    answer = admin_client.post(reverse("api-rubrics-import"), {"benchmark": "n", "file": broken})
    assert answer.status_code == 400 and "file" in answer.json()["errors"]


def test_an_oversize_upload_is_refused_with_413(admin_client, settings):
    settings.API_UPLOAD_MAX_BYTES = 1000
    upload = SimpleUploadedFile("r.json", b"[" + b" " * 2000 + b"]")
    answer = admin_client.post(reverse("api-rubrics-import"), {"benchmark": "n", "file": upload})
    assert answer.status_code == 413 and "1000 bytes" in answer.json()["detail"]
    body = {"benchmark": "n", "rubrics": [{"index": i} for i in range(200)]}
    answer = admin_client.post(reverse("api-rubrics-import"), body, "application/json")
    assert answer.status_code == 413
    assert not Benchmark.objects.filter(name="n").exists()


def test_errors_are_json_with_a_detail(mwb):
    anonymous = Client().get(reverse("api-task-list"))
    assert anonymous.status_code == 401 and anonymous.json()["detail"]
    client = client_for("annotator")
    assert client.get(reverse("api-task-detail", args=[10**6])).json()["detail"]
    refused = client.post(reverse("api-task-list"), {}, "application/json")
    assert refused.status_code == 403 and refused.json()["detail"] == "Only admins can change this."


def test_throttling_counts_per_token(settings):
    settings.API_THROTTLE_RATE = "3/min"
    user = UserFactory(username="script-owner", role=Role.ANNOTATOR)
    url = reverse("api-benchmark-list")
    keys = [ApiToken.issue(user=user, name=n, scope=TokenScope.READ)[1] for n in ("a", "b")]
    first = [Client().get(url, headers={"Authorization": f"Bearer {keys[0]}"}) for _ in range(4)]
    assert [r.status_code for r in first] == [200, 200, 200, 429]
    assert first[-1].json()["detail"].startswith("Request was throttled")
    other = Client().get(url, headers={"Authorization": f"Bearer {keys[1]}"})
    assert other.status_code == 200


def test_a_change_made_with_a_token_is_recorded_as_its_owners(mwb):
    client = client_for("write_token")
    answer = client.post(
        reverse("api-task-list"),
        {"benchmark": mwb.pk, "index": 9, "prompt": "Axon growth", "level": ""},
        "application/json",
    )
    assert answer.status_code == 201
    task = Task.objects.get(pk=answer.json()["id"])
    assert task.history.latest().history_user.username == "api-write_token"
