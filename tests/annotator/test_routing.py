"""Judging batches routed by expected draft errors (annotator/selectors/routing.py):
the item order on a constructed example, served item by item through the pages, the
prior for criteria nobody checked, the estimate of wrong drafts left on the dashboard,
the reviewer's threshold, and who may set it."""

import random

import pytest
from django.urls import reverse

from annotator.core.errors import InputError
from annotator.models import Assignment, Judgment, WorkBatch
from annotator.models.choices import BatchOrder, Role, VerdictSource, VerdictStatus, WorkKind
from annotator.selectors.routing import (
    Prior,
    items_of,
    items_routed,
    ranked,
    reliabilities,
    remaining_wrong,
    wrong_chances,
)
from annotator.selectors.rubric_health import rubric_health
from annotator.services.assignments import work_batch_create
from rubrics_app.choices import Dimension
from rubrics_app.models import Criterion
from tests.factories import (
    BenchmarkFactory,
    CriterionFactory,
    GeneratorModelFactory,
    TaskFactory,
    UserFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db
JUDGE = "gpt-judge"


def draft(video, criterion, verdict):
    Judgment.objects.create(
        video=video,
        criterion=criterion,
        verdict=verdict,
        source=VerdictSource.LLM,
        judge_model=JUDGE,
        status=VerdictStatus.DRAFT,
    )


def expert_verdict(video, criterion, verdict, user):
    Judgment.objects.create(
        video=video,
        criterion=criterion,
        verdict=verdict,
        source=VerdictSource.HUMAN,
        user=user,
        status=VerdictStatus.CONFIRMED,
    )


@pytest.fixture
def world():
    """Three tasks of one criterion each. The judge was checked on 4 videos of the
    first (wrong on 3) and of the second (wrong on none), never on the third. Left to
    verify: one video of the first and of the third, four of the second.
    Pooled: 3 wrong of 8 pairs, rate (3 + 1/2) / 9 = 7/18. Spread, over the pairs of
    pairs (12 each): m = (3 x 3 + 0) / 24 = 3/8, E[p^2] = (3 x 2) / 24 = 1/4, variance
    1/4 - 9/64 = 7/64, so a + b = (3/8 x 5/8) / (7/64) - 1 = 8/7: the prior is
    Beta(4/9, 44/63), and P(wrong) is (3 + 4/9) / (4 + 8/7) = 217/324 on the first,
    (4/9) / (36/7) = 7/81 on the second and 7/18 (the prior's mean) on the third."""
    benchmark = BenchmarkFactory()
    checker = UserFactory(username="checker", role=Role.ANNOTATOR)
    tasks, criteria = [], []
    for _ in range(3):
        task = TaskFactory(benchmark=benchmark)
        tasks.append(task)
        criteria.append(CriterionFactory(task=task))
    models = [GeneratorModelFactory(name=f"secret-model-{i}") for i in range(8)]
    for task, criterion, wrong in ((tasks[0], criteria[0], 3), (tasks[1], criteria[1], 0)):
        for i in range(4):
            video = VideoFactory(task=task, generator=models[i])
            draft(video, criterion, 1)
            expert_verdict(video, criterion, 0 if i < wrong else 1, checker)
    left = {}
    for task, criterion, n in zip(tasks, criteria, (1, 4, 1), strict=True):
        left[task.pk] = [VideoFactory(task=task, generator=models[4 + i]) for i in range(n)]
        for video in left[task.pk]:
            draft(video, criterion, 1)
    return {"tasks": tasks, "criteria": criteria, "benchmark": benchmark, "left": left}


@pytest.fixture
def interleaved(world):
    """The world, and a visual criterion of the second task nobody checked, drafted on
    its four videos left: items at the prior's mean 7/18, as the third task's."""
    t2 = world["tasks"][1]
    visual = CriterionFactory(task=t2, dimension=Dimension.VISUAL)
    for video in world["left"][t2.pk]:
        draft(video, visual, 1)
    return world


def expected_order(world):
    """By hand: the first task's video left (217/324), the second's four visual items
    (7/18, ahead of the third task's tie by task order), the third's (7/18), the
    second's scientific ones (7/81); then, in task order, the items with nothing left
    to verify: the checked videos (the second's visual criterion never drafted)."""
    t1, t2, t3 = world["tasks"]
    left = world["left"]
    sci, vis = Dimension.SCIENTIFIC, Dimension.VISUAL
    checked = {
        t: list(t.videos.exclude(pk__in=[v.pk for v in left[t.pk]]).order_by("pk"))
        for t in (t1, t2)
    }
    return (
        [(t1.pk, left[t1.pk][0].pk, sci)]
        + [(t2.pk, v.pk, vis) for v in left[t2.pk]]
        + [(t3.pk, left[t3.pk][0].pk, sci)]
        + [(t2.pk, v.pk, sci) for v in left[t2.pk]]
        + [(t1.pk, v.pk, sci) for v in checked[t1]]
        + [(t2.pk, v.pk, d) for v in checked[t2] for d in (sci, vis)]
    )


def test_it_ranks_items_by_expected_wrong_drafts_across_tasks(interleaved):
    world = interleaved
    t1, t2, t3 = world["tasks"]
    order = expected_order(world)
    assert items_routed([t1.pk, t2.pk, t3.pk]) == order
    expert = UserFactory(username="expert")
    batch = work_batch_create(
        name="routed",
        kind=WorkKind.JUDGE,
        items=[t1, t2, t3],
        users=[expert],
        overlap=1,
        created_by=None,
        order=BatchOrder.ERRORS,
    )
    assert batch.order == BatchOrder.ERRORS and batch.served_by_item
    stored = batch.items.order_by("position").values_list("video__task_id", "video_id", "dimension")
    assert list(stored) == order
    # Tasks dealt out in the order of their first item.
    served = list(batch.assignments.order_by("position").values_list("task_id", flat=True))
    assert served == [t1.pk, t2.pk, t3.pk]
    plain = work_batch_create(
        name="plain",
        kind=WorkKind.JUDGE,
        items=[t1, t2, t3],
        users=[expert],
        overlap=1,
        created_by=None,
    )
    assert not plain.served_by_item and not plain.items.exists()
    assert list(plain.assignments.order_by("position").values_list("task_id", flat=True)) == [
        t1.pk,
        t2.pk,
        t3.pk,
    ]


def test_a_routed_batch_serves_its_items_one_by_one_through_the_pages(client, interleaved):
    """The expert follows work-next: each item opens the judging page at its video and
    dimension, the save that finishes it offers the next, and the dashboard's estimate
    of wrong drafts left falls as the likeliest ones are verified."""
    world = interleaved
    t1, t2, t3 = world["tasks"]
    expert = UserFactory(username="expert")
    reviewer = UserFactory(username="rev", role=Role.REVIEWER)
    batch = work_batch_create(
        name="routed",
        kind=WorkKind.JUDGE,
        items=[t1, t2, t3],
        users=[expert],
        overlap=1,
        created_by=None,
        order=BatchOrder.ERRORS,
    )
    client.force_login(reviewer)
    html = client.get(reverse("batch-dashboard", args=[batch.pk])).content.decode()
    start = remaining_wrong(batch)
    assert start.items == 10  # 1 + 4 x 2 + 1 items with drafts nobody verified
    assert f"{start.wrong:.1f}</span> wrong drafts" in html
    assert '<span class="num">10</span> (video, dimension) items' in html
    assert "served one by one" in html

    client.force_login(expert)
    items = {(i.video_id, i.dimension): i for i in batch.items.select_related("video")}
    for k, (task_id, video_id, dimension) in enumerate(expected_order(world)):
        response = client.get(reverse("work-next", args=[batch.pk]))
        item = items[(video_id, dimension)]
        page = reverse("judging-task", args=[task_id])
        assert response["Location"] == f"{page}?item={item.pk}"
        html = client.get(response["Location"]).content.decode()
        assert 'id="batch-item"' in html and f"· {dimension}</strong>" in html
        assert f'data-video="{item.video.public_id}" data-item-dimension="{dimension}"' in html
        assert html.count("data-item-dimension") == 1
        assert f'hx-vals=\'{{"item": "{item.pk}"}}\'' in html
        assert "secret-model" not in html  # blind to the generator models
        criterion = Criterion.objects.get(task_id=task_id, dimension=dimension)
        saved = client.post(
            reverse("verdict-save", args=[item.video.public_id]),
            {"criterion": criterion.pk, "verdict": 1, "item": item.pk},
        )
        assert saved.status_code == 200
        body = saved.content.decode()
        assert 'id="batch-item" hx-swap-oob="true"' in body and 'id="next-item"' in body
        assert reverse("work-next", args=[batch.pk]) in body
        if k == 5:  # the six likeliest verified: what is left is the second task's
            client.force_login(reviewer)
            html = client.get(reverse("batch-dashboard", args=[batch.pk])).content.decode()
            now = remaining_wrong(batch)
            assert now.items == 4 and now.wrong < start.wrong / 2
            assert f"{now.wrong:.1f}</span> wrong drafts" in html
            assert '<span class="num">4</span> (video, dimension) items' in html
            client.force_login(expert)
    response = client.get(reverse("work-next", args=[batch.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("my-work")
    assert "All your items of routed are done." in response.content.decode()
    assert not Assignment.objects.filter(batch=batch, done_at__isnull=True).exists()
    assert remaining_wrong(batch).items == 0


def test_an_item_of_someone_else_or_malformed_is_refused(client, world):
    t1, t2, t3 = world["tasks"]
    expert, other = UserFactory(username="expert"), UserFactory(username="other")
    batch = work_batch_create(
        name="routed",
        kind=WorkKind.JUDGE,
        items=[t1, t2, t3],
        users=[expert],
        overlap=1,
        created_by=None,
        order=BatchOrder.ERRORS,
    )
    work_batch_create(
        name="theirs",
        kind=WorkKind.JUDGE,
        items=[t1, t2, t3],
        users=[other],
        overlap=1,
        created_by=None,
    )
    item = batch.items.select_related("video").get(video=world["left"][t1.pk][0])
    page = reverse("judging-task", args=[t1.pk])
    client.force_login(other)  # judges the task, but was not given the item
    assert client.get(f"{page}?item={item.pk}").status_code == 404
    save = reverse("verdict-save", args=[item.video.public_id])
    criterion = world["criteria"][0]
    response = client.post(save, {"criterion": criterion.pk, "verdict": 1, "item": item.pk})
    assert response.status_code == 404
    assert not Judgment.objects.filter(user=other).exists()
    client.force_login(expert)
    response = client.get(f"{page}?item=abc")
    assert response.status_code == 400 and "item" in response.content.decode()
    other_task = reverse("judging-task", args=[t2.pk])  # the item is not of that task
    assert client.get(f"{other_task}?item={item.pk}").status_code == 404
    # Confirming the drafts of the item's dimension finishes it too.
    confirm = reverse("drafts-confirm", args=[item.video.public_id])
    response = client.post(confirm, {"dimension": Dimension.SCIENTIFIC, "item": item.pk})
    assert response.status_code == 200 and 'id="next-item"' in response.content.decode()
    html = client.get(f"{page}?item={item.pk}").content.decode()
    assert "Item done." in html


def test_the_reliabilities_are_rubric_healths_pairs(world):
    counted = reliabilities([world["benchmark"].pk])
    assert counted == {world["criteria"][0].pk: (3, 4), world["criteria"][1].pk: (0, 4)}
    health = rubric_health(benchmark=world["benchmark"])
    assert counted == {
        c.criterion_id: (c.judge.judge_1_expert_0 + c.judge.judge_0_expert_1, c.judge.n)
        for c in health.criteria
        if c.judge.n
    }


def test_the_prior_is_fitted_to_the_criteria_and_beta_1_1_with_nothing_checked():
    chance, prior = wrong_chances({1: (3, 4), 2: (0, 4)})
    assert (prior.a, prior.b) == pytest.approx((4 / 9, 44 / 63))  # the world's, by hand
    assert prior.mean == pytest.approx(7 / 18)
    assert chance == pytest.approx({1: 217 / 324, 2: 7 / 81})
    # A criterion nobody checked sits between the unreliable and the reliable one.
    assert chance[2] < prior.mean < chance[1]
    _, nothing = wrong_chances({})
    assert (nothing.a, nothing.b) == (1, 1) and nothing.p_wrong(0, 0) == 0.5
    # None checked twice: the spread cannot be told, the prior weighs 2 pairs.
    _, once = wrong_chances({1: (1, 1), 2: (0, 1)})
    assert once == Prior.pooled(1, 2) and once.a + once.b == 2
    assert Prior.pooled(0, 100).mean > 0  # a perfect record never rules a criterion out
    # Criteria that are all either always or never wrong: the weight floors at 1 pair.
    split, floored = wrong_chances({1: (4, 4), 2: (0, 4), 3: (0, 1)})
    assert floored.a + floored.b == 1 and split[3] == pytest.approx(0.45 / 2)


def test_a_judge_that_errs_alike_everywhere_is_not_condemned_on_one_pair():
    """Ten criteria checked on ten videos each, wrong 0, 1 or 2 times: no more spread
    than chance alone gives a judge wrong one time in ten everywhere (E[p^2] from the
    pairs of pairs, 6/900, is below the mean squared, 1/100), so the prior weighs all
    100 pairs. A new criterion's single wrong pair then says little: the item holding
    only it (item A) comes after an item of two criteria nobody checked (item B), one
    wrong draft in ten each. The former fixed prior of 2 pairs put A first (0.41 against
    0.23 expected wrong drafts), sending the expert to one draft where two were as
    likely wrong each."""
    record = {c: (w, 10) for c, w in enumerate([0, 0, 0, 1, 1, 1, 1, 2, 2, 2])}
    chance, prior = wrong_chances({**record, 10: (1, 1)})
    assert prior.a + prior.b == 101
    assert chance[10] == pytest.approx(0.12, abs=0.005)
    dimension_of = dict.fromkeys(range(13), Dimension.SCIENTIFIC)
    drafts = [(1, 100, 10), (2, 200, 11), (2, 200, 12)]
    order = ranked(items_of(drafts, dimension_of, chance, prior), [1, 2])
    assert [i.video_id for i in order] == [200, 100]
    assert order[0].expected_wrong == pytest.approx(2 * prior.mean)
    old = Prior.pooled(11, 101)
    old_chance = {c: old.p_wrong(w, n) for c, (w, n) in {**record, 10: (1, 1)}.items()}
    old_order = ranked(items_of(drafts, dimension_of, old_chance, old), [1, 2])
    assert [i.video_id for i in old_order] == [100, 200]


def test_with_one_pair_the_fitted_prior_gives_the_exact_posterior_of_a_mixture():
    """Criteria drawn as in bench/routing.py: a fifth wrong 40% of the time, the rest
    3%. Fitted from 2,000 criteria checked ten times each, the Beta prior gives a new
    criterion's first pair the chance the true mixture gives it (0.314 after a wrong
    draft, 0.080 after a right one: the first two moments suffice), where the former
    fixed prior of 2 pairs made it 0.40 and 0.07."""
    rng = random.Random(16)
    record = {}
    for c in range(2000):
        rate = 0.40 if rng.random() < 0.2 else 0.03
        record[c] = (sum(rng.random() < rate for _ in range(10)), 10)
    chance, prior = wrong_chances({**record, -1: (1, 1), -2: (0, 1)})

    def exact(wrong: int) -> float:
        shaky = 0.2 * 0.4**wrong * 0.6 ** (1 - wrong)
        solid = 0.8 * 0.03**wrong * 0.97 ** (1 - wrong)
        return (0.4 * shaky + 0.03 * solid) / (shaky + solid)

    assert chance[-1] == pytest.approx(exact(1), abs=0.02)
    assert chance[-2] == pytest.approx(exact(0), abs=0.01)
    assert 3 < prior.a + prior.b < 4


def test_the_remaining_estimate_covers_unverified_items_only(world):
    t1, t2, t3 = world["tasks"]
    batch = work_batch_create(
        name="b",
        kind=WorkKind.JUDGE,
        items=[t1, t2, t3],
        users=[UserFactory()],
        overlap=1,
        created_by=None,
    )
    left = remaining_wrong(batch)
    assert left.items == 6
    assert left.wrong == pytest.approx(217 / 324 + 4 * 7 / 81 + 7 / 18)
    assert left.threshold is None and not left.below
    # An expert verifies the third task's video: its item is no longer counted (and the
    # new pair moves the fitted prior, hence the reliabilities).
    video = t3.videos.get()
    expert_verdict(video, world["criteria"][2], 1, UserFactory())
    after = remaining_wrong(batch)
    assert after.items == 5
    chance, _ = wrong_chances(
        {c.pk: v for c, v in zip(world["criteria"], [(3, 4), (0, 4), (0, 1)], strict=True)}
    )
    assert after.wrong == pytest.approx(
        chance[world["criteria"][0].pk] + 4 * chance[world["criteria"][1].pk]
    )


def test_work_stops_being_suggested_below_the_threshold(client, world):
    t1, t2, t3 = world["tasks"]
    expert = UserFactory(username="expert")
    reviewer = UserFactory(username="rev", role=Role.REVIEWER)
    batch = work_batch_create(
        name="routed",
        kind=WorkKind.JUDGE,
        items=[t1, t2, t3],
        users=[expert],
        overlap=1,
        created_by=None,
        order=BatchOrder.ERRORS,
    )
    client.force_login(reviewer)
    html = client.get(reverse("batch-dashboard", args=[batch.pk])).content.decode()
    assert 'id="remaining-wrong"' in html and "1.4</span> wrong drafts" in html
    assert "below-threshold" not in html
    response = client.post(reverse("batch-threshold", args=[batch.pk]), {"stop_below": "1"})
    assert response.status_code == 302
    client.force_login(expert)
    response = client.get(reverse("work-next", args=[batch.pk]))
    assert response["Location"].startswith(reverse("judging-task", args=[t1.pk]) + "?item=")

    client.force_login(reviewer)
    client.post(reverse("batch-threshold", args=[batch.pk]), {"stop_below": "2"})
    assert WorkBatch.objects.get(pk=batch.pk).stop_below == 2
    html = client.get(reverse("batch-dashboard", args=[batch.pk])).content.decode()
    assert 'id="below-threshold"' in html
    client.force_login(expert)
    response = client.get(reverse("work-next", args=[batch.pk]), follow=True)
    assert response.redirect_chain[0][0] == reverse("my-work")
    html = response.content.decode()
    assert "below the threshold of 2" in html and "no more work is suggested" in html
    # The expert judges blind: neither the judge nor the models are named to them.
    assert JUDGE not in html and "secret-model" not in html

    client.force_login(reviewer)  # cleared: sent on again
    client.post(reverse("batch-threshold", args=[batch.pk]), {"stop_below": ""})
    assert WorkBatch.objects.get(pk=batch.pk).stop_below is None
    client.force_login(expert)
    response = client.get(reverse("work-next", args=[batch.pk]))
    assert response["Location"].startswith(reverse("judging-task", args=[t1.pk]) + "?item=")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "The threshold is a number of wrong drafts"),
        ("-1", "The threshold cannot be negative."),
        ("nan", "The threshold is a number of wrong drafts"),
    ],
)
def test_a_bad_threshold_is_refused_with_a_message(client, world, value, message):
    batch = work_batch_create(
        name="b",
        kind=WorkKind.JUDGE,
        items=world["tasks"],
        users=[UserFactory()],
        overlap=1,
        created_by=None,
    )
    client.force_login(UserFactory(role=Role.REVIEWER))
    response = client.post(reverse("batch-threshold", args=[batch.pk]), {"stop_below": value})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert WorkBatch.objects.get(pk=batch.pk).stop_below is None


def test_only_judging_batches_have_a_threshold(client):
    bench = BenchmarkFactory()
    batch = work_batch_create(
        name="a",
        kind=WorkKind.AUTHOR,
        items=[TaskFactory(benchmark=bench)],
        users=[UserFactory()],
        overlap=1,
        created_by=None,
    )
    client.force_login(UserFactory(role=Role.REVIEWER))
    response = client.post(reverse("batch-threshold", args=[batch.pk]), {"stop_below": "1"})
    assert response.status_code == 422 and "Only a judging batch" in response.content.decode()


def test_annotators_and_outsiders_cannot_set_the_threshold(client, world):
    expert = UserFactory(username="expert")
    batch = work_batch_create(
        name="b",
        kind=WorkKind.JUDGE,
        items=world["tasks"],
        users=[expert],
        overlap=1,
        created_by=None,
    )
    url = reverse("batch-threshold", args=[batch.pk])
    response = client.post(url, {"stop_below": "100"})
    assert response.status_code == 302 and reverse("login") in response["Location"]
    for user in (expert, UserFactory(username="outsider")):
        client.force_login(user)
        assert client.post(url, {"stop_below": "100"}).status_code == 403
        assert client.get(reverse("batch-dashboard", args=[batch.pk])).status_code == 403
    assert WorkBatch.objects.get(pk=batch.pk).stop_below is None


def test_the_batch_form_offers_the_order_and_refuses_bad_input(client, world):
    admin = UserFactory(username="boss", role=Role.ADMIN)
    expert = UserFactory(username="expert")
    client.force_login(admin)
    form = {
        "name": "routed",
        "kind": WorkKind.JUDGE,
        "overlap": 1,
        "benchmark": world["benchmark"].pk,
        "users": [expert.pk],
    }
    assert "by expected draft errors" in client.get(reverse("batch-new")).content.decode()
    response = client.post(reverse("batch-new"), {**form, "order": "bogus"})
    assert response.status_code == 422
    assert "Order by task or by expected draft errors." in response.content.decode()
    response = client.post(
        reverse("batch-new"), {**form, "kind": WorkKind.AUTHOR, "order": BatchOrder.ERRORS}
    )
    assert response.status_code == 422
    assert "Only a judging batch can be ordered" in response.content.decode()
    response = client.post(reverse("batch-new"), {**form, "order": "errors", "create": "1"})
    assert response.status_code == 302
    batch = WorkBatch.objects.get(name="routed")
    t1, t2, t3 = world["tasks"]
    assert batch.order == BatchOrder.ERRORS
    served = list(batch.assignments.order_by("position").values_list("task_id", flat=True))
    assert served == [t1.pk, t3.pk, t2.pk]
    with pytest.raises(InputError, match="Only a judging batch"):
        work_batch_create(
            name="x",
            kind=WorkKind.AUTHOR,
            items=world["tasks"],
            users=[expert],
            overlap=1,
            created_by=None,
            order=BatchOrder.ERRORS,
        )
