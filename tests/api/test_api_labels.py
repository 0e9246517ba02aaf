"""/api/v1/ labels: the verdict export, judge result files, the training set."""

import csv
import io
import json
import tracemalloc
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotator.models import ClipDecision, GeneratorModel, Judgment, Video
from annotator.models.choices import ClipStatus, Decision, VerdictSource, VerdictStatus
from annotator.selectors.dataset_export import dataset_export
from annotator.services.judge_results import results_export, results_import
from rubrics_app.choices import CriterionStatus, Dimension
from rubrics_app.models import Criterion
from rubrics_app.services.releases import release_create
from tests.api_callers import CALLERS, call, client_for
from tests.factories import (
    BenchmarkFactory,
    ClipFactory,
    CriterionFactory,
    GeneratorModelFactory,
    TaskFactory,
    UserFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Every caller is a new user with a password: hashing it properly would be most of
    the time of these tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


JUDGE = "gpt-4o"


def draft(video, criterion, verdict=1, judge=JUDGE):
    return Judgment.objects.create(
        video=video,
        criterion=criterion,
        verdict=verdict,
        source=VerdictSource.LLM,
        judge_model=judge,
        status=VerdictStatus.DRAFT,
    )


def expert_verdict(video, criterion, user, verdict=0):
    return Judgment.objects.create(
        video=video,
        criterion=criterion,
        verdict=verdict,
        source=VerdictSource.HUMAN,
        user=user,
        status=VerdictStatus.CONFIRMED,
    )


@pytest.fixture
def labels():
    """Benchmark mwb, task 1: two scientific criteria (the second still a draft, so
    release v1 leaves it out) and one visual; Sora's video with the judge's drafts and
    one expert verdict, Veo's with one draft. Another benchmark has one draft of Sora."""
    bench = BenchmarkFactory(name="mwb")
    task = TaskFactory(benchmark=bench, index=1)
    sci1 = CriterionFactory(task=task, dimension=Dimension.SCIENTIFIC, number=1)
    sci2 = CriterionFactory(
        task=task, dimension=Dimension.SCIENTIFIC, number=2, status=CriterionStatus.DRAFT
    )
    vis = CriterionFactory(task=task, dimension=Dimension.VISUAL, number=1)
    release_create(benchmark=bench, name="v1", user=None)
    sora, veo = GeneratorModelFactory(name="Sora"), GeneratorModelFactory(name="Veo")
    sora_video = VideoFactory(task=task, generator=sora, source_path="videos/Sora/1.mp4")
    veo_video = VideoFactory(task=task, generator=veo)
    drafts = [draft(sora_video, c) for c in (sci1, sci2, vis)]
    expert = UserFactory(username="expert")
    confirmed = expert_verdict(sora_video, sci1, expert)
    veo_draft = draft(veo_video, sci1, verdict=0)
    other = BenchmarkFactory(name="other")
    other_criterion = CriterionFactory(task=TaskFactory(benchmark=other, index=7))
    other_draft = draft(VideoFactory(task=other_criterion.task, generator=sora), other_criterion)
    return SimpleNamespace(
        bench=bench,
        other=other,
        sora=sora,
        sora_video=sora_video,
        criteria=(sci1, sci2, vis),
        drafts=drafts,
        confirmed=confirmed,
        veo_draft=veo_draft,
        other_draft=other_draft,
    )


# --- authorization matrix -------------------------------------------------------------
# Expected status per caller, in CALLERS order:
# anonymous, annotator, reviewer, admin, read_token, write_token.
REVIEWERS_READ = {
    "get": (401, 403, 200, 200, 200, 200),
    "post": (401, 403, 405, 405, 403, 405),
    "put": (401, 403, 405, 405, 403, 405),
    "delete": (401, 403, 405, 405, 403, 405),
}
ENDPOINTS = {
    "verdicts": lambda data: reverse("api-verdicts"),
    "verdicts csv": lambda data: reverse("api-verdicts") + "?format=csv",
    "judge results": lambda data: reverse("api-judge-results", args=[data.bench.pk, "Sora"]),
    "dataset decisions": lambda data: reverse("api-dataset-decisions"),
    "dataset manifest": lambda data: reverse("api-dataset-manifest"),
}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("method", REVIEWERS_READ)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_it_lets_reviewers_and_tokens_read_everyones_labels(labels, endpoint, method, caller):
    url = ENDPOINTS[endpoint](labels)
    expected = REVIEWERS_READ[method][CALLERS.index(caller)]
    assert call(client_for(caller), method, url) == expected


# --- verdict export ---------------------------------------------------------------------


def jsonl(response):
    assert response.status_code == 200, response.content
    assert response.streaming
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    return [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]


def get_verdicts(client, **params):
    return client.get(reverse("api-verdicts"), params)


@pytest.fixture
def reviewer_client(client, reviewer_user):
    client.force_login(reviewer_user)
    return client


def test_it_exports_one_row_per_verdict_with_its_provenance(labels, reviewer_client):
    rows = jsonl(get_verdicts(reviewer_client))
    assert len(rows) == Judgment.objects.count() == 6
    sci1 = labels.criteria[0]
    confirmed = labels.confirmed
    assert rows[3] == {
        "video_id": labels.sora_video.pk,
        "generator": "Sora",
        "task_index": 1,
        "benchmark": "mwb",
        "criterion_id": sci1.pk,
        "criterion_number": 1,
        "dimension": "scientific",
        "verdict": 0,
        "source": "human",
        "user": "expert",
        "judge_model": None,
        "status": "confirmed",
        "time_mark": None,
        "coverage": None,
        "replays": None,
        "frame_steps": None,
        "seconds_on_task": None,
        "created_at": confirmed.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": confirmed.updated_at.isoformat().replace("+00:00", "Z"),
    }
    assert rows[0]["source"] == "llm" and rows[0]["user"] is None
    assert rows[0]["judge_model"] == JUDGE and rows[0]["status"] == "draft"
    assert [r["criterion_id"] for r in rows] == list(
        Judgment.objects.order_by("pk").values_list("criterion_id", flat=True)
    )


def test_the_csv_has_the_same_rows_with_empty_fields_for_none(labels, reviewer_client):
    response = get_verdicts(reviewer_client, format="csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="verdicts.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    as_jsonl = jsonl(get_verdicts(reviewer_client))
    assert len(rows) == 6
    assert rows[3] == {k: "" if v is None else str(v) for k, v in as_jsonl[3].items()}
    assert rows[0]["user"] == "" and rows[0]["judge_model"] == JUDGE


def pairs(response):
    return sorted((row["video_id"], row["criterion_id"]) for row in jsonl(response))


def pairs_of(*judgments):
    return sorted((j.video_id, j.criterion_id) for j in judgments)


def test_it_filters(labels, reviewer_client):
    def get(**params):
        return pairs(get_verdicts(reviewer_client, **params))

    assert get(generator="Veo") == pairs_of(labels.veo_draft)
    assert get(benchmark=labels.other.pk) == pairs_of(labels.other_draft)
    sci1, _, vis = labels.criteria
    in_release = Judgment.objects.filter(criterion__in=[sci1, vis])
    assert get(benchmark=labels.bench.pk, release="v1") == pairs_of(*in_release)
    assert get(source="human") == get(status="confirmed") == pairs_of(labels.confirmed)
    assert get(generator="Sora", source="llm", benchmark=labels.bench.pk) == pairs_of(
        *labels.drafts
    )


def test_since_takes_a_date_or_a_time(labels, reviewer_client):
    def get(since):
        return pairs(get_verdicts(reviewer_client, since=since))

    later = datetime(2031, 1, 2, 10, 0, tzinfo=UTC)
    Judgment.objects.filter(pk=labels.veo_draft.pk).update(updated_at=later)
    assert get("2031-01-02") == get("2031-01-02T10:00:00Z") == pairs_of(labels.veo_draft)
    assert get("2031-01-02T10:00:00.000001Z") == get("2031-01-03") == []
    # An offset whose "+" arrived as a space (unescaped in the query string).
    assert get("2031-01-02T11:00:00 01:00") == pairs_of(labels.veo_draft)
    assert len(get("2000-01-01")) == Judgment.objects.count()


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"generator": "Nope"}, "generator", "Object with name=Nope does not exist."),
        ({"benchmark": "999999"}, "benchmark", 'Invalid pk "999999" - object does not exist.'),
        ({"release": "v1"}, "release", "release names are per benchmark: give benchmark too"),
        ({"source": "robot"}, "source", '"robot" is not a valid choice.'),
        ({"status": "final"}, "status", '"final" is not a valid choice.'),
        ({"since": "yesterday"}, "since", "since 'yesterday' is not an ISO-8601 time"),
        ({"format": "xml"}, "format", '"xml" is not a valid choice.'),
    ],
)
def test_a_bad_filter_is_a_400_that_names_it(labels, reviewer_client, params, field, message):
    response = get_verdicts(reviewer_client, **params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][field][0].startswith(message)


def test_an_unknown_release_of_the_benchmark_is_a_400(labels, reviewer_client):
    response = get_verdicts(reviewer_client, benchmark=labels.bench.pk, release="v9")
    assert response.json()["errors"]["release"] == ["benchmark mwb has no release 'v9'"]


def test_the_export_reads_rows_in_chunks_with_no_query_per_row(labels, reviewer_client):
    response = get_verdicts(reviewer_client, format="csv")
    with CaptureQueriesContext(connection) as queries:
        b"".join(response.streaming_content)
    assert len(queries) == 1


def bulk_verdicts(n_videos: int, n_criteria: int) -> int:
    """n_videos x n_criteria draft verdicts, written by one INSERT ... SELECT."""
    bench = BenchmarkFactory()
    task = TaskFactory(benchmark=bench)
    Criterion.objects.bulk_create(
        Criterion(task=task, dimension=Dimension.SCIENTIFIC, number=n, position=n)
        for n in range(1, n_criteria + 1)
    )
    generators = GeneratorModel.objects.bulk_create(
        GeneratorModel(name=f"model{n}") for n in range(n_videos)
    )
    Video.objects.bulk_create(
        VideoFactory.build(task=task, generator=g, pk=None) for g in generators
    )
    # As Django writes it (SQLite: UTC text without an offset).
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {Judgment._meta.db_table}
                (video_id, criterion_id, verdict, source, judge_model, reasoning, status,
                 created_at, updated_at)
            SELECT v.id, c.id, (v.id + c.id) %% 2, %s, %s, '', %s, %s, %s
            FROM {Video._meta.db_table} v, {Criterion._meta.db_table} c
            WHERE v.task_id = %s AND c.task_id = %s""",
            [VerdictSource.LLM, JUDGE, VerdictStatus.DRAFT, now, now, task.pk, task.pk],
        )
    return n_videos * n_criteria


def test_a_streamed_export_of_100000_verdicts_stays_in_constant_memory(reviewer_client):
    total = bulk_verdicts(100, 1000)
    assert Judgment.objects.count() == total == 100_000
    response = get_verdicts(reviewer_client)
    assert response.status_code == 200 and response.streaming
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        lines = size = 0
        for chunk in response.streaming_content:
            lines += chunk.count(b"\n")
            size += len(chunk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert lines == total
    assert size > 30 * 1024**2  # read a chunk at a time, never held whole
    assert peak - before < 50 * 1024**2, f"{(peak - before) / 1024**2:.1f} MB"


# --- judge result files -----------------------------------------------------------------


def test_the_judge_result_file_is_results_export(labels, reviewer_client):
    url = reverse("api-judge-results", args=[labels.bench.pk, "Sora"])
    response = reviewer_client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'inline; filename="Sora_result.json"'
    expected = results_export(benchmark=labels.bench, generator=labels.sora)
    assert response.json() == expected
    assert expected[0]["scientific_eval"] is None  # drafts without a stored reply

    confirmed = reviewer_client.get(url, {"confirmed": "true"}).json()
    assert confirmed == results_export(
        benchmark=labels.bench, generator=labels.sora, confirmed=True
    )


def test_the_judge_result_file_round_trips_an_imported_one(reviewer_client):
    from tests.annotator.test_judge_results import result_file
    from tests.rubric_files import import_variants

    bench = import_variants()
    data = result_file()
    results_import(benchmark=bench, generator_name="Sora", data=data)
    response = reviewer_client.get(reverse("api-judge-results", args=[bench.pk, "Sora"]))
    sora = GeneratorModel.objects.get(name="Sora")
    assert response.json() == results_export(benchmark=bench, generator=sora)
    assert response.json()[0] == data[0]  # task 2 has a dimension skipped on import


def test_several_judges_need_one_chosen(labels, reviewer_client):
    draft(labels.sora_video, labels.criteria[2], judge="qwen-vl")
    url = reverse("api-judge-results", args=[labels.bench.pk, "Sora"])
    response = reviewer_client.get(url)
    assert response.status_code == 400
    assert "drafts from several judges (gpt-4o, qwen-vl)" in response.json()["errors"]["judge"][0]
    assert reviewer_client.get(url, {"judge": "qwen-vl"}).status_code == 200


def test_an_unknown_model_or_benchmark_is_a_404(labels, reviewer_client):
    url = reverse("api-judge-results", args=[labels.bench.pk, "Nope"])
    assert reviewer_client.get(url).status_code == 404
    assert reviewer_client.get(reverse("api-judge-results", args=[999999, "Sora"])).status_code == (
        404
    )


# --- the training set -------------------------------------------------------------------

AS_OF = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def accepted_clips():
    expert = UserFactory(username="biologist")
    clips = [
        ClipFactory(
            file=f"videos/aa/{n}.mp4",
            clip_status=ClipStatus.ACCEPTED,
            final_caption=f"Caption {n}",
            decided_at=AS_OF - timedelta(days=n),
        )
        for n in range(3)
    ]
    for clip in clips:
        ClipDecision.objects.create(video=clip, user=expert, decision=Decision.ACCEPT)
    ClipDecision.objects.update(created_at=AS_OF - timedelta(days=5))
    return clips


def test_the_manifest_is_the_dataset_export(accepted_clips, reviewer_client):
    as_of = AS_OF - timedelta(days=1)
    response = reviewer_client.get(reverse("api-dataset-manifest"), {"as_of": as_of.isoformat()})
    assert response.status_code == 200
    expected = b"".join(dataset_export(export_format="manifest", as_of=as_of).chunks)
    assert response.content == expected
    assert [row["prompt"] for row in response.json()] == ["Caption 1", "Caption 2"]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_the_decisions_are_the_dataset_export(accepted_clips, reviewer_client, fmt):
    response = reviewer_client.get(
        reverse("api-dataset-decisions"), {"format": fmt, "as_of": "2025-06-01T12:00:00Z"}
    )
    assert response.status_code == 200 and response.streaming
    export = dataset_export(export_format=fmt, as_of=AS_OF, answered=True)
    assert response["Content-Type"] == export.content_type
    body = b"".join(response.streaming_content)
    assert body == b"".join(export.chunks)
    if fmt == "jsonl":
        first = json.loads(body.splitlines()[0])
        assert first["history"][0]["user"] == "biologist" and first["status"] == "accepted"


def test_a_bad_snapshot_time_is_a_400(reviewer_client):
    response = reviewer_client.get(reverse("api-dataset-manifest"), {"as_of": "soon"})
    assert response.status_code == 400 and "as_of" in response.json()["errors"]


def test_the_decisions_cover_rejected_clips_unless_asked_for_the_accepted_set(
    accepted_clips, reviewer_client
):
    rejected = ClipFactory(clip_status=ClipStatus.REJECTED, decided_at=AS_OF - timedelta(days=1))
    ClipDecision.objects.create(
        video=rejected, user=UserFactory(), decision=Decision.REJECT, reasons=["duplicate"]
    )
    ClipDecision.objects.update(created_at=AS_OF - timedelta(days=5))

    def statuses(**params) -> list[str]:
        response = reviewer_client.get(
            reverse("api-dataset-decisions"), {"as_of": AS_OF.isoformat(), **params}
        )
        return [
            json.loads(line)["status"] for line in b"".join(response.streaming_content).splitlines()
        ]

    assert sorted(statuses()) == ["accepted"] * 3 + ["rejected"]
    assert statuses(clips="accepted") == ["accepted"] * 3
