"""Calibration batches end to end: a reviewer draws a random sample of (video,
dimension) items, experts verify its drafts in the judging workspace, and the
leaderboard (page, API, command) shows each model's human-corrected score."""

import json
import random
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from annotator.core.errors import InputError
from annotator.core.visibility import blind_order
from annotator.models import Assignment, BatchItem, CalibrationSample, Judgment, WorkBatch
from annotator.models.choices import Role, VerdictSource, VerdictStatus, WorkKind
from annotator.selectors.leaderboard import leaderboard_compute
from annotator.services.assignments import work_batch_create
from annotator.services.calibration import calibration_batch_create
from annotator.services.verdicts import verdict_set
from rubrics_app.calibration import stratified_draw
from rubrics_app.choices import Dimension, Level, Polarity
from rubrics_app.services.releases import release_create
from tests.factories import (
    BenchmarkFactory,
    CriterionFactory,
    GeneratorModelFactory,
    TaskFactory,
    UserFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

MODELS = ("alpha-gen", "beta-gen", "gamma-gen")
TASKS = 8
# Per dimension: positive points of weight 2 and 1, a penalty of weight 1; M_t = 9.
CRITERIA = [(Polarity.POSITIVE, Decimal(2)), (Polarity.POSITIVE, Decimal(1)), (Polarity.PENALTY, 1)]


def truth(video, criterion) -> int:
    """The experts' verdict. The weight-2 point is always met, so no task's raw score
    is negative (the items add up to the task score)."""
    draw = random.Random(video.pk * 1000 + criterion.pk).random()
    if criterion.polarity == Polarity.POSITIVE:
        return 1 if criterion.weight == 2 else int(draw < 0.5)
    return int(draw < 0.3)


@pytest.fixture
def bench():
    """8 tasks, 3 models, drafts by a judge who awards every point and sees no error."""
    benchmark = BenchmarkFactory(name="calbench")
    for k in range(TASKS):
        task = TaskFactory(benchmark=benchmark, level=Level.values[k % 3])
        criteria = [
            CriterionFactory(task=task, dimension=d, position=p, polarity=polarity, weight=w)
            for d in Dimension.values
            for p, (polarity, w) in enumerate(CRITERIA)
        ]
        for name in MODELS:
            video = VideoFactory(task=task, generator=GeneratorModelFactory(name=name))
            Judgment.objects.bulk_create(
                Judgment(
                    video=video,
                    criterion=c,
                    verdict=int(c.polarity == Polarity.POSITIVE),
                    source=VerdictSource.LLM,
                    judge_model="gpt-judge",
                    status=VerdictStatus.DRAFT,
                )
                for c in criteria
            )
    return benchmark


@pytest.fixture
def reviewer():
    return UserFactory(username="rev", role=Role.REVIEWER)


@pytest.fixture
def expert():
    return UserFactory(username="ann")


def verify(item: BatchItem, user) -> None:
    """The expert's verdicts on every criterion of the item, as the truth has them."""
    for criterion in item.video.task.criteria.filter(dimension=item.dimension):
        verdict_set(
            video=item.video,
            criterion_id=criterion.pk,
            user=user,
            verdict=truth(item.video, criterion),
        )


def expected(sample_items, generator: str) -> float:
    """By hand: the judge's score (100 for every task) + (N / T) x the mean difference
    on the verified items, an item being worth 100 x S_d / M_t."""
    differences = []
    for item in sample_items:
        if item.video.generator.name != generator:
            continue
        criteria = item.video.task.criteria.filter(dimension=item.dimension)
        human = sum(c.polarity * float(c.weight) * truth(item.video, c) for c in criteria)
        differences.append(100 * (human - 3) / 9)  # the judge: 2 + 1 points, no penalty
    return 100 + 3 * TASKS / TASKS * sum(differences) / len(differences)


def test_a_calibration_batch_from_draw_to_human_corrected_score(client, bench, reviewer, expert):
    client.force_login(reviewer)
    form = client.get(reverse("calibration-new"), {"benchmark": bench.pk})
    assert form.status_code == 200 and "gpt-judge" in form.content.decode()
    response = client.post(
        reverse("calibration-new"),
        {"benchmark": bench.pk, "size": 12, "seed": 11, "users": [expert.pk], "overlap": 1},
    )
    batch = WorkBatch.objects.get(kind=WorkKind.CALIBRATE)
    assert response.status_code == 302
    assert response["Location"] == reverse("batch-dashboard", args=[batch.pk])
    sample = batch.calibration
    assert (sample.seed, sample.size, sample.population, sample.judge_model) == (
        11,
        12,
        72,
        "gpt-judge",
    )
    # Stratified: 4 of each model's 24 items; the draw is the recorded seed's.
    assert sample.strata == {name: [24, 4] for name in MODELS}
    items = list(sample.batch.items.select_related("video__generator", "video__task"))
    assert len(items) == 12
    picks = stratified_draw({name: 24 for name in MODELS}, 12, 11)
    assert [i.video.generator.name for i in items] == [name for name, _ in picks]
    # Handed out by task, in the order of the draw.
    tasks = list(dict.fromkeys(i.video.task_id for i in items))
    mine = Assignment.objects.filter(batch=batch, user=expert).order_by("position")
    assert [a.task_id for a in mine] == tasks
    dashboard = client.get(reverse("batch-dashboard", args=[batch.pk])).content.decode()
    assert 'seed <span class="num">11</span>' in dashboard and "alpha-gen" in dashboard

    # The expert is served each item in the order of the draw, at its task's page,
    # which says what to verify; the save that finishes an item leads to the next.
    client.force_login(expert)
    assert batch.name in client.get(reverse("my-work")).content.decode()
    for item in items:
        response = client.get(reverse("work-next", args=[batch.pk]))
        page = reverse("judging-task", args=[item.video.task_id])
        assert response["Location"] == f"{page}?item={item.pk}"
        html = client.get(response["Location"]).content.decode()
        assert 'id="calibration-items"' in html and 'id="batch-item"' in html
        assert f"· {item.dimension}</strong>" in html
        assert not any(name in html for name in MODELS)
        criteria = list(item.video.task.criteria.filter(dimension=item.dimension))
        for k, criterion in enumerate(criteria):
            saved = client.post(
                reverse("verdict-save", args=[item.video.public_id]),
                {
                    "criterion": criterion.pk,
                    "verdict": truth(item.video, criterion),
                    "item": item.pk,
                },
            )
            assert saved.status_code == 200
            # Only the save that finishes the item brings the way to the next.
            assert ('id="next-item"' in saved.content.decode()) == (k == len(criteria) - 1)
    for task_id in tasks:
        assert Assignment.objects.get(batch=batch, user=expert, task_id=task_id).done_at
    assert client.get(reverse("work-next", args=[batch.pk]))["Location"] == reverse("my-work")

    # The leaderboard: the API, the page and the command.
    client.force_login(reviewer)
    answer = client.get(reverse("api-leaderboard", args=[bench.pk])).json()
    assert answer["calibration"]["sampled"] == answer["calibration"]["verified"] == 12
    assert answer["calibration"]["batches"][0]["seed"] == 11
    assert "prediction-powered" in answer["calibration"]["method"]
    for row in answer["rows"]:
        corrected = row["corrected"]
        assert (corrected["sampled"], corrected["verified"], corrected["population"]) == (4, 4, 24)
        assert corrected["estimate"] == pytest.approx(expected(items, row["generator"]), abs=0.01)
        assert corrected["judge"] == row["overall"] == 100
        low, high = corrected["interval"]
        assert low <= corrected["estimate"] <= high
    assert min(row["corrected"]["correction"] for row in answer["rows"]) < 0
    html = client.get(reverse("leaderboard", args=[bench.pk])).content.decode()
    assert 'id="corrected"' in html and "12 of 12 drawn" in html
    assert "verdicts experts gave on videos they chose themselves" in html
    chart = json.loads(
        html.split('id="leaderboard-chart" type="application/json">')[1].split("<")[0]
    )
    assert chart["corrected"]["models"] == [row["generator"] for row in answer["rows"]]
    first = answer["rows"][0]["corrected"]
    assert chart["corrected"]["corrected"][0] == {
        "y": first["estimate"],
        "yMin": first["interval"][0],
        "yMax": first["interval"][1],
    }
    out = StringIO()
    call_command("leaderboard", "--json", stdout=out)
    assert json.loads(out.getvalue())["rows"][0]["corrected"] == first
    out = StringIO()
    call_command("leaderboard", stdout=out)
    assert f"{first['estimate']:.2f}" in out.getvalue() and "4 of 4 drawn" in out.getvalue()


def test_verifying_every_item_gives_the_experts_score(bench, reviewer, expert):
    """The whole population drawn and verified: the correction is exact, the estimate
    the experts' score, and only the spread over tasks is left in the interval."""
    batch = calibration_batch_create(
        benchmark=bench, release=None, judge_model=None, size=72, users=[expert],
        created_by=reviewer,
    )  # fmt: skip
    for item in batch.items.select_related("video__task"):
        verify(item, expert)
    assert not Assignment.objects.filter(batch=batch, done_at__isnull=True).exists()
    drafts = leaderboard_compute(benchmark=bench)
    experts = {
        row.generator: row for row in leaderboard_compute(benchmark=bench, source="confirmed").rows
    }
    for row in drafts.rows:
        assert row.corrected.verified == row.corrected.population == 24
        assert row.corrected.estimate == pytest.approx(experts[row.generator].overall, abs=0.01)
        assert row.corrected.estimate < row.overall  # the judge over-awards
        assert row.corrected.more_to_halve is None


def test_verdicts_outside_the_random_sample_never_enter(bench, reviewer, expert):
    batch = calibration_batch_create(
        benchmark=bench, release=None, judge_model="gpt-judge", size=6, seed=2,
        users=[expert], created_by=reviewer,
    )  # fmt: skip
    drawn = {(i.video_id, i.dimension) for i in batch.items.all()}
    # The reviewer (not given the batch) verifies drawn items; the expert verifies
    # items of their own choosing, not drawn.
    for item in batch.items.select_related("video__task"):
        verify(item, reviewer)
    chosen = [
        BatchItem(video=video, dimension=d)
        for video in bench.tasks.first().videos.all()
        for d in Dimension.values
        if (video.pk, d) not in drawn
    ]
    for item in chosen:
        verify(item, expert)
    board = leaderboard_compute(benchmark=bench)
    assert board.calibration.sampled == 6 and board.calibration.verified == 0
    assert all(row.corrected.estimate is None for row in board.rows)
    # The experts' own board moves; the human-corrected score waits for the sample.
    assert leaderboard_compute(benchmark=bench, source="confirmed").rows[0].overall is not None


def test_a_new_draw_takes_only_items_left_and_the_samples_pool(bench, reviewer, expert):
    first = calibration_batch_create(
        benchmark=bench, release=None, judge_model=None, size=30, seed=1, users=[expert],
        created_by=reviewer,
    )  # fmt: skip
    with pytest.raises(InputError, match="earlier calibration samples took the others"):
        calibration_batch_create(
            benchmark=bench, release=None, judge_model=None, size=43, users=[expert],
            created_by=reviewer,
        )  # fmt: skip
    second = calibration_batch_create(
        benchmark=bench, release=None, judge_model=None, size=42, seed=1, users=[expert],
        created_by=reviewer,
    )  # fmt: skip
    one = set(first.items.values_list("video_id", "dimension"))
    two = set(second.items.values_list("video_id", "dimension"))
    assert len(one) == 30 and len(two) == 42 and not one & two
    assert second.calibration.population == 42
    with pytest.raises(InputError, match="took all 72 items"):
        calibration_batch_create(
            benchmark=bench, release=None, judge_model=None, size=1, users=[expert],
            created_by=reviewer,
        )  # fmt: skip
    board = leaderboard_compute(benchmark=bench)
    assert board.calibration.sampled == 72 and len(board.calibration.batches) == 2
    # A release's criteria make another population, drawn afresh.
    release = release_create(benchmark=bench, name="v1", user=reviewer).release
    third = calibration_batch_create(
        benchmark=bench, release=release, judge_model=None, size=3, users=[expert],
        created_by=reviewer,
    )  # fmt: skip
    assert third.calibration.population == 72
    assert leaderboard_compute(benchmark=bench).calibration.sampled == 72
    assert leaderboard_compute(benchmark=bench, release=release).calibration.sampled == 3


def _post(client, **fields):
    return client.post(reverse("calibration-new"), fields)


def test_bad_input_is_refused_with_a_message(client, bench, reviewer, expert):
    client.force_login(reviewer)
    good = {"benchmark": bench.pk, "size": 5, "users": [expert.pk], "overlap": 1}
    cases = [
        ({"size": 0}, "The sample size must be at least 1."),
        ({"size": 73}, "A sample of 73 is larger than the 72 items there are to draw."),
        ({"size": "many"}, "Enter a whole number."),
        ({"judge": "other-judge"}, "calbench has no drafts from the judge other-judge."),
        ({"users": []}, "Choose the experts who verify the sample."),
        ({"seed": -1}, "greater than or equal to 0"),
        ({"overlap": 2}, "An overlap of 2 needs at least 2 annotators; 1 chosen."),
        ({"benchmark": BenchmarkFactory(name="empty").pk}, "empty has no judge drafts yet"),
        (
            {
                "release": release_create(
                    benchmark=BenchmarkFactory(), name="x", user=reviewer
                ).release.pk
            },
            "is not one of calbench",
        ),
    ]
    for change, message in cases:
        response = _post(client, **{**good, **change})
        assert response.status_code == 422, change
        assert message in response.content.decode(), (change, response.content.decode()[-800:])
    assert not WorkBatch.objects.exists() and not CalibrationSample.objects.exists()
    # Nor can the plain batch form hand out a calibration batch.
    client.force_login(UserFactory(role=Role.ADMIN))
    response = client.post(
        reverse("batch-new"),
        {
            "kind": "calibrate",
            "benchmark": bench.pk,
            "users": [expert.pk],
            "name": "x",
            "create": 1,
        },
    )
    assert response.status_code == 422  # not one of its kinds
    assert "calibrate is not one of the available choices" in response.content.decode()
    assert not WorkBatch.objects.exists()
    # Nor the service behind it.
    with pytest.raises(InputError, match="A calibration batch is a random draw"):
        work_batch_create(
            name="x", kind=WorkKind.CALIBRATE, items=[bench.tasks.first()], users=[expert],
            overlap=1, created_by=None,
        )  # fmt: skip


def test_annotators_and_outsiders_neither_draw_nor_see_the_scores(client, bench, reviewer, expert):
    batch = calibration_batch_create(
        benchmark=bench, release=None, judge_model=None, size=6, seed=4, users=[expert],
        created_by=reviewer,
    )  # fmt: skip
    pages = [
        reverse("calibration-new"),
        reverse("leaderboard", args=[bench.pk]),
        reverse("batch-dashboard", args=[batch.pk]),
    ]
    api = reverse("api-leaderboard", args=[bench.pk])
    # Outsiders: the login page, and the API refuses.
    for url in pages:
        assert client.get(url)["Location"].startswith("/accounts/login/")
    assert client.get(api).status_code in (401, 403)
    assert _post(client, benchmark=bench.pk, size=3, users=[expert.pk]).status_code == 302
    # Annotators, even the batch's own expert: refused, and blind where they work.
    client.force_login(expert)
    for url in pages:
        assert client.get(url).status_code == 403
    assert client.get(api).status_code == 403
    assert _post(client, benchmark=bench.pk, size=3, users=[expert.pk]).status_code == 403
    assert CalibrationSample.objects.count() == 1
    item = batch.items.select_related("video").first()
    html = client.get(reverse("judging-task", args=[item.video.task_id])).content.decode()
    assert "Calibration sample" in html and not any(name in html for name in MODELS)
    html = client.get(reverse("my-work")).content.decode()
    assert batch.name in html and not any(name in html for name in MODELS)
    assert "New calibration sample" not in html


def test_an_assignment_is_done_when_each_drawn_item_of_its_task_is(bench, reviewer, expert):
    batch = calibration_batch_create(
        benchmark=bench, release=None, judge_model=None, size=72, users=[expert],
        created_by=reviewer,
    )  # fmt: skip
    task = bench.tasks.order_by("pk").first()
    assignment = Assignment.objects.get(batch=batch, task=task)
    items = list(batch.items.filter(video__task=task).select_related("video__task"))
    assert len(items) == 9  # 3 videos x 3 dimensions
    for item in items[:-1]:
        verify(item, expert)
        assignment.refresh_from_db()
        assert assignment.done_at is None
    verify(items[-1], expert)
    assignment.refresh_from_db()
    assert assignment.done_at is not None


def test_the_workspace_shows_a_drawn_video_past_the_first_eight(client, reviewer, expert):
    """A task with 10 models' videos: the page shows 8, and the drawn one wherever it is."""
    benchmark = BenchmarkFactory()
    task = TaskFactory(benchmark=benchmark)
    criteria = [CriterionFactory(task=task, dimension=d) for d in Dimension.values]
    videos = [
        VideoFactory(task=task, generator=GeneratorModelFactory(name=f"gen-{k}")) for k in range(10)
    ]
    Judgment.objects.bulk_create(
        Judgment(
            video=v, criterion=c, verdict=1, source=VerdictSource.LLM, judge_model="j",
            status=VerdictStatus.DRAFT,
        )
        for v in videos
        for c in criteria
    )  # fmt: skip
    client.force_login(expert)
    hidden = {v.pk for v in blind_order(videos, expert)[8:]}  # past the first eight
    drawn = set()
    for seed in range(20):
        batch = calibration_batch_create(
            benchmark=benchmark, release=None, judge_model=None, size=1, seed=seed,
            users=[expert], created_by=reviewer,
        )  # fmt: skip
        item = batch.items.get()
        html = client.get(reverse("judging-task", args=[task.pk])).content.decode()
        assert str(item.video.public_id) in html
        drawn.add(item.video_id)
        assert html.count("<video") == 8 + len(drawn & hidden)
    assert drawn & hidden
