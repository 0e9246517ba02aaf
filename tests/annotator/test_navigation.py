"""No dead ends (issue 18, item 9): where a login lands, the menu's Judging page, a
task that is not the annotator's, the release compare's preselection, a release asked
for by name or id alike on the leaderboard page and in the API, the favicon."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.models import Judgment
from annotator.models.choices import Role, VerdictSource, WorkKind
from annotator.services.assignments import work_batch_create
from rubrics_app.models import Release
from rubrics_app.services.releases import release_create
from tests.factories import BenchmarkFactory, UserFactory, make_task, make_video

pytestmark = pytest.mark.django_db


def judging_batch(tasks, user):
    return work_batch_create(
        name="judge", kind=WorkKind.JUDGE, items=tasks, users=[user], overlap=1, created_by=None
    )


@pytest.mark.parametrize(
    ("role", "lands"), [(Role.ANNOTATOR, "my-work"), (Role.REVIEWER, "benchmark-list")]
)
def test_a_login_lands_annotators_on_their_work(client, role, lands):
    user = UserFactory(role=role)
    answer = client.post(
        reverse("login"), {"username": user.username, "password": "secret-pass-1"}, follow=True
    )
    assert answer.redirect_chain[-1][0] == reverse(lands)


def test_the_menu_leads_to_judging_with_progress_per_benchmark(client):
    me = UserFactory()
    task = make_task(BenchmarkFactory(name="Cells"))
    video = make_video(task)
    make_task(task.benchmark)  # not assigned: not counted
    judging_batch([task], me)
    client.force_login(me)
    page = client.get(reverse("my-work")).content.decode()
    assert f'href="{reverse("judging-home")}">Judging</a>' in page
    home = client.get(reverse("judging-home")).content.decode()
    assert "Cells" in home and "0 of 1" in home
    assert reverse("judging-next", args=[task.benchmark.pk]) in home
    for criterion in task.criteria.all():
        Judgment.objects.create(
            video=video, criterion=criterion, user=me, source=VerdictSource.HUMAN, verdict=1
        )
    home = client.get(reverse("judging-home")).content.decode()
    assert "1 of 1" in home and "done" in home


def test_the_judging_page_reads_as_many_queries_for_many_benchmarks_as_for_one(client):
    me = UserFactory()
    client.force_login(me)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("judging-home")).status_code == 200
        return len(captured)

    first = make_task()
    make_video(first)
    judging_batch([first], me)
    one = queries()
    more = [make_task() for _ in range(4)]
    for task in more:
        make_video(task)
    judging_batch(more, me)
    assert queries() == one


def test_a_task_not_assigned_says_where_the_annotators_work_is(client, settings):
    settings.DEBUG = True  # as on a development server: not Django's technical 404
    me = UserFactory()
    task = make_task()
    client.force_login(me)
    answer = client.get(reverse("judging-task", args=[task.pk]))
    assert answer.status_code == 404
    page = answer.content.decode()
    assert "not yours to judge" in page and reverse("judging-home") in page
    assert "technical_404" not in page and "Using the URLconf" not in page


def test_release_compare_preselects_the_older_release_as_old(client):
    reviewer = UserFactory(role=Role.REVIEWER)
    task = make_task()
    older = release_create(benchmark=task.benchmark, name="v1", user=reviewer).release
    newer = release_create(benchmark=task.benchmark, name="v2", user=reviewer).release
    # Frozen in the same instant (a script): the order still follows creation.
    Release.objects.filter(pk=newer.pk).update(created_at=older.created_at)
    client.force_login(reviewer)
    page = client.get(reverse("release-list", args=[task.benchmark.pk])).content.decode()
    checked = dict(re.findall(r'name="(old|new)" value="(\d+)" checked', page))
    assert checked == {"old": str(older.pk), "new": str(newer.pk)}


def test_a_release_is_asked_for_by_name_or_id_alike_on_the_page_and_in_the_api(client):
    reviewer = UserFactory(role=Role.REVIEWER)
    task = make_task()
    make_video(task)
    release = release_create(benchmark=task.benchmark, name="v1.0", user=reviewer).release
    client.force_login(reviewer)
    api = reverse("api-leaderboard", args=[task.benchmark.pk])
    by_name = client.get(api, {"release": "v1.0"}).json()
    by_id = client.get(api, {"release": str(release.pk)}).json()
    assert by_name == by_id and by_name["release"] == "v1.0"
    unknown = client.get(api, {"release": "v9"})
    assert unknown.status_code == 404 and "v9" in unknown.json()["detail"]
    page = reverse("leaderboard", args=[task.benchmark.pk])
    for asked in ("v1.0", str(release.pk)):
        shown = client.get(page, {"release": asked}).content.decode()
        assert re.search(rf'<option value="{release.pk}"[^>]*selected', shown), asked


def test_every_page_names_its_favicon_which_is_served(client):
    client.force_login(UserFactory())
    page = client.get(reverse("my-work")).content.decode()
    (href,) = re.findall(r'<link rel="icon" href="([^"]+)"', page)
    assert href.endswith(".svg")
