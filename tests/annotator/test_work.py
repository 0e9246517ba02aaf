import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotator.core.errors import InputError
from annotator.models import Assignment, GoldAnswer, Judgment, WorkBatch
from annotator.models.choices import Role, VerdictSource, WorkKind
from annotator.selectors.work_stats import (
    annotator_progress,
    done_over_time,
    judging_agreement,
    krippendorff_alpha,
)
from annotator.services import verdicts
from annotator.services.assignments import batch_reassign, work_batch_create
from rubrics_app.choices import CriterionStatus, Dimension
from rubrics_app.models import Criterion, Task
from rubrics_app.rubric_format import rubric_file
from rubrics_app.services.authoring import criterion_retire
from tests.factories import (
    BenchmarkFactory,
    CriterionFactory,
    GeneratorModelFactory,
    TaskFactory,
    UserFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db


def batch(kind, items, users, overlap=1, name="b"):
    return work_batch_create(
        name=name, kind=kind, items=items, users=users, overlap=overlap, created_by=None
    )


def test_krippendorff_alpha_matches_the_published_worked_example():
    """Krippendorff (2011), 'Computing Krippendorff's alpha-reliability', the nominal
    example: 4 observers, 12 units, missing values; alpha = 0.743."""
    rows = {
        "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    }
    units = [
        {rater: values[u] for rater, values in rows.items() if values[u] is not None}
        for u in range(12)
    ]
    assert krippendorff_alpha(units) == pytest.approx(0.743, abs=0.001)
    assert krippendorff_alpha([{1: "a", 2: "a"}]) is None


def test_my_work_lists_only_my_batches_and_continues_in_the_right_workspace(client):
    me, other = UserFactory(username="me"), UserFactory(username="other")
    bench = BenchmarkFactory()
    tasks = [TaskFactory(benchmark=bench) for _ in range(2)]
    judging = batch(WorkKind.JUDGE, tasks, [me], name="judge round")
    authoring = batch(WorkKind.AUTHOR, tasks, [me], name="author round")
    batch(WorkKind.AUTHOR, tasks, [other], name="not mine")
    client.force_login(me)
    html = client.get(reverse("my-work")).content.decode()
    assert "judge round" in html and "author round" in html and "not mine" not in html
    response = client.get(reverse("work-next", args=[judging.pk]))
    assert response["Location"] == reverse("judging-task", args=[tasks[0].pk])
    response = client.get(reverse("work-next", args=[authoring.pk]))
    assert response["Location"] == reverse("task-detail", args=[tasks[0].pk])


def test_an_author_marks_a_task_done_and_goes_on_to_the_next(client):
    me = UserFactory()
    tasks = [TaskFactory() for _ in range(2)]
    authoring = batch(WorkKind.AUTHOR, tasks, [me])
    client.force_login(me)
    html = client.get(reverse("task-detail", args=[tasks[0].pk])).content.decode()
    assert 'id="authoring-done"' in html
    first = Assignment.objects.get(user=me, task=tasks[0])
    response = client.post(reverse("authoring-done", args=[first.pk]))
    assert response["Location"] == reverse("work-next", args=[authoring.pk])
    response = client.get(reverse("work-next", args=[authoring.pk]))
    assert response["Location"] == reverse("task-detail", args=[tasks[1].pk])
    other = UserFactory()
    client.force_login(other)
    assert client.post(reverse("authoring-done", args=[first.pk])).status_code == 404


def judged(task, videos=2):
    criteria = [CriterionFactory(task=task, dimension=d) for d in Dimension.values]
    clips = [
        VideoFactory(task=task, generator=GeneratorModelFactory(name=f"G{n}"))
        for n in range(videos)
    ]
    return criteria, clips


def test_judging_assignments_are_done_when_every_verdict_is_given():
    me = UserFactory()
    task = TaskFactory()
    criteria, clips = judged(task, videos=2)
    batch(WorkKind.JUDGE, [task], [me])
    for c in criteria:
        verdicts.verdict_set(video=clips[0], criterion_id=c.pk, user=me, verdict=1)
    for c in criteria[:-1]:
        verdicts.verdict_set(video=clips[1], criterion_id=c.pk, user=me, verdict=1)
    assert Assignment.objects.get().done_at is None
    # The save of the last verdict marks the assignment done, not the next page read.
    verdicts.verdict_set(video=clips[1], criterion_id=criteria[-1].pk, user=me, verdict=0)
    last = Judgment.objects.get(user=me, video=clips[1], criterion=criteria[-1])
    assert Assignment.objects.get().done_at == last.updated_at


def test_retiring_the_criteria_still_wanting_verdicts_completes_the_judging():
    me, reviewer = UserFactory(), UserFactory(role=Role.REVIEWER)
    task = TaskFactory()
    criteria, clips = judged(task, videos=2)
    batch(WorkKind.JUDGE, [task], [me])
    for clip in clips:
        for c in criteria[:-1]:
            verdicts.verdict_set(video=clip, criterion_id=c.pk, user=me, verdict=1)
    assert Assignment.objects.get().done_at is None
    unjudged = criteria[-1]
    criterion_retire(criterion_id=unjudged.pk, version=unjudged.version, user=reviewer)
    last = Judgment.objects.filter(user=me).latest("updated_at")
    assert Assignment.objects.get().done_at == last.updated_at


def test_a_rubric_import_that_retires_criteria_completes_the_judging(tmp_path):
    me = UserFactory()
    task = TaskFactory()
    kept, dropped = CriterionFactory(task=task, number=1), CriterionFactory(task=task, number=2)
    video = VideoFactory(task=task)
    batch(WorkKind.JUDGE, [task], [me])
    verdicts.verdict_set(video=video, criterion_id=kept.pk, user=me, verdict=1)
    assert Assignment.objects.get().done_at is None
    record = rubric_file(
        Task.objects.filter(pk=task.pk),
        [(task.pk, kept.dimension, kept.number, kept.text, kept.polarity, kept.weight)],
    )
    path = tmp_path / "rubrics.json"
    path.write_text(json.dumps(record))
    call_command("import_rubrics", str(path), "--benchmark", task.benchmark.name, stdout=StringIO())
    assert Criterion.objects.get(pk=dropped.pk).status == CriterionStatus.RETIRED
    assert Assignment.objects.get().done_at is not None


def test_a_task_judged_before_it_is_handed_out_is_done_at_once():
    me = UserFactory()
    task = TaskFactory()
    criteria, (clip,) = judged(task, videos=1)
    for c in criteria:
        verdicts.verdict_set(video=clip, criterion_id=c.pk, user=me, verdict=1)
    batch(WorkKind.JUDGE, [task], [me])
    last = Judgment.objects.filter(user=me).latest("updated_at")
    assert Assignment.objects.get().done_at == last.updated_at


def test_work_pages_and_the_dashboard_only_read(client):
    me = UserFactory(role=Role.REVIEWER)
    task = TaskFactory()
    criteria, (clip,) = judged(task, videos=1)
    work = batch(WorkKind.JUDGE, [task], [me])
    for c in criteria:
        verdicts.verdict_set(video=clip, criterion_id=c.pk, user=me, verdict=1)
    # Even with a done state left unset (as before this was kept on save), reads don't fix it.
    Assignment.objects.update(done_at=None)
    client.force_login(me)
    with CaptureQueriesContext(connection) as queries:
        for name, args in (
            ("my-work", []),
            ("work-next", [work.pk]),
            ("batch-dashboard", [work.pk]),
        ):
            assert client.get(reverse(name, args=args)).status_code in (200, 302)
    writes = [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))
    ]
    assert not writes


def test_reassigning_moves_only_unfinished_items_to_the_least_loaded_who_lack_them():
    a, b, c = (UserFactory(username=n) for n in "abc")
    tasks = [TaskFactory() for _ in range(6)]
    work = batch(WorkKind.AUTHOR, tasks, [a, b, c], overlap=2)
    done = Assignment.objects.filter(user=a).order_by("position").first()
    done.done_at = timezone.now()
    done.save()
    moved = batch_reassign(batch=work, leaving=a, to=[b, c])
    assert moved == 3
    assert list(Assignment.objects.filter(user=a)) == [done]
    for task in tasks:  # still k distinct annotators per item
        holders = list(Assignment.objects.filter(task=task).values_list("user_id", flat=True))
        assert len(holders) == len(set(holders)) == 2
    with pytest.raises(InputError, match="at least one other"):
        batch_reassign(batch=work, leaving=b, to=[b])


def test_the_reassign_form_names_what_is_wrong_and_moves_nothing(client):
    a, b = UserFactory(username="a"), UserFactory(username="b")
    work = batch(WorkKind.AUTHOR, [TaskFactory() for _ in range(2)], [a], overlap=1)
    client.force_login(UserFactory(username="boss", role=Role.ADMIN))
    url = reverse("batch-reassign", args=[work.pk])

    def refused(data: dict) -> str:
        answer = client.post(url, data, follow=True)
        assert answer.status_code == 200
        assert Assignment.objects.filter(user=a).count() == 2  # nothing moved
        return " ".join(str(m) for m in answer.context["messages"])

    assert refused({}) == "Choose who leaves."
    assert refused({"leaving": "abc"}) == "Choose who leaves."
    assert refused({"leaving": 99999}) == "Choose who leaves."
    assert "99999" in refused({"leaving": a.pk, "to": [b.pk, 99999]})  # named, not dropped
    answer = client.post(url, {"leaving": a.pk, "to": [b.pk]}, follow=True)
    assert "2 unfinished items of a reassigned." in answer.content.decode()
    assert Assignment.objects.filter(user=b).count() == 2


def test_judging_dashboard_numbers_on_a_hand_computed_fixture(client):
    """Two experts, one task, two videos x three criteria (one per dimension).
    They agree on 5 of the 6 (video, criterion) items; gold on two items."""
    a, b = UserFactory(username="a"), UserFactory(username="b")
    task = TaskFactory()
    criteria, clips = judged(task)
    work = batch(WorkKind.JUDGE, [task], [a, b], overlap=2)
    answers = {a: [1, 1, 0, 1, 0, 0], b: [1, 1, 0, 1, 0, 1]}
    items = [(v, c) for v in clips for c in criteria]
    for user, values in answers.items():
        for (video, criterion), value in zip(items, values, strict=True):
            verdicts.verdict_set(video=video, criterion_id=criterion.pk, user=user, verdict=value)
    for video, criterion in items:  # the judge says 1 everywhere
        Judgment.objects.create(
            video=video,
            criterion=criterion,
            verdict=1,
            source=VerdictSource.LLM,
            judge_model="gpt",
            status="draft",
        )
    GoldAnswer.objects.create(video=clips[0], criterion=criteria[0], verdict=1)
    GoldAnswer.objects.create(video=clips[1], criterion=criteria[2], verdict=0)
    people = {p.username: p for p in annotator_progress(work)}
    assert (people["a"].done, people["a"].remaining) == (1, 0)
    assert (people["a"].gold_correct, people["a"].gold_total) == (2, 2)
    assert (people["b"].gold_correct, people["b"].gold_total) == (1, 2)
    series = done_over_time(work)
    assert series[0][1] == 1 and series[-1][1] == 2 and series[-1][0] <= timezone.now()
    agreement = judging_agreement(work)
    shares = {label.split()[-2]: (n, share) for label, n, share in agreement.per_criterion}
    assert shares["scientific"] == (2, 1.0) and shares["instruction"] == (2, 0.5)
    # Per dimension, two videos each: scientific and visual agree on both -> alpha 1
    # (both values) or undefined (one value); instruction: (0,0) and (0,1) -> alpha 0.
    assert agreement.per_dimension["instruction"] == pytest.approx(0.0)
    client.force_login(UserFactory(role=Role.ADMIN))
    html = client.get(reverse("batch-dashboard", args=[work.pk])).content.decode()
    assert "50% of 2" in html and "100% of 2" in html
    # The judge against the newest expert verdict per item (b's): 4 of 6 agree.
    assert 'id="judge-agreement"' in html and "67%" in html
    csv = client.get(reverse("batch-csv", args=[work.pk])).content.decode().splitlines()
    assert csv[0].startswith("annotator,assigned,done") and csv[1].startswith("a,1,1,0")


def test_the_dashboard_runs_the_same_queries_whatever_the_batch_size(client):
    client.force_login(UserFactory(role=Role.REVIEWER))

    def count(n_tasks: int) -> int:
        users = [UserFactory() for _ in range(3)]
        tasks = [TaskFactory() for _ in range(n_tasks)]
        for task in tasks:
            judged(task, videos=1)
        work = batch(WorkKind.JUDGE, tasks, users, overlap=2)
        for user in users:
            for task in tasks:
                video = task.videos.first()
                for criterion in task.criteria.all():
                    verdicts.verdict_set(
                        video=video, criterion_id=criterion.pk, user=user, verdict=1
                    )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("batch-dashboard", args=[work.pk])).status_code == 200
        return len(queries)

    assert count(2) == count(6)


def test_batch_new_hands_out_a_benchmarks_tasks_with_a_models_videos(client, admin_user):
    bench = BenchmarkFactory()
    model = GeneratorModelFactory(name="Sora")
    with_videos = [TaskFactory(benchmark=bench) for _ in range(3)]
    for task in with_videos:
        VideoFactory(task=task, generator=model)
    TaskFactory(benchmark=bench)  # no video of that model
    users = [UserFactory() for _ in range(2)]
    client.force_login(admin_user)
    data = {
        "name": "judge Sora",
        "kind": "judge",
        "benchmark": bench.pk,
        "generator": model.pk,
        "overlap": 1,
        "users": [u.pk for u in users],
    }
    html = client.post(reverse("batch-new"), {**data, "preview": "1"}).content.decode()
    assert "3 items \N{MULTIPLICATION SIGN} overlap 1" in html
    response = client.post(reverse("batch-new"), {**data, "create": "1"})
    assert response.status_code == 302
    assert set(Assignment.objects.values_list("task_id", flat=True)) == {t.pk for t in with_videos}
    response = client.post(reverse("batch-new"), {**data, "benchmark": "", "preview": "1"})
    assert "Choose the benchmark" in response.content.decode()


def test_only_reviewers_see_dashboards(client, annotator_user):
    work = batch(WorkKind.AUTHOR, [TaskFactory()], [annotator_user])
    client.force_login(annotator_user)
    assert client.get(reverse("batch-dashboard", args=[work.pk])).status_code == 403
    assert client.get(reverse("batch-csv", args=[work.pk])).status_code == 403
    assert client.get(reverse("batch-new")).status_code == 403
    assert Judgment.objects.filter(source=VerdictSource.HUMAN).count() == 0


def test_batch_new_names_each_bad_field_and_creates_nothing(client, admin_user):
    bench = BenchmarkFactory()
    model = GeneratorModelFactory()
    task = TaskFactory(benchmark=bench)
    VideoFactory(task=task, generator=model)
    client.force_login(admin_user)
    data = {
        "name": "b",
        "kind": "judge",
        "benchmark": bench.pk,
        "generator": model.pk,
        "users": [UserFactory().pk],
    }
    response = client.post(reverse("batch-new"), {**data, "overlap": 0, "sample": "abc"})
    page = response.content.decode()
    assert response.status_code == 422 and not WorkBatch.objects.exists()
    assert "Overlap k: Ensure this value is greater than or equal to 1." in page
    assert "Random sample of: Enter a whole number." in page
    html = client.post(reverse("batch-new"), {**data, "overlap": 1, "preview": "1"}).content
    assert "1 item \N{MULTIPLICATION SIGN} overlap 1" in html.decode()
