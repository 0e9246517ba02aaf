"""Every URL pattern (tests/url_walk.py: admin and API included), called as an admin
with hostile query strings and hostile form fields: malformed input is a 4xx, never a
5xx. Path parameters are filled from objects of every kind; each request runs
in a transaction that is rolled back, so a POST that deletes or logs out spoils
nothing for the next one."""

import copy
import re
import uuid

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpResponse
from django.test import Client

from annotator.models import ApiToken, ImportBatch, Job
from annotator.models.choices import Role, WorkKind
from annotator.models.tokens import TokenScope
from annotator.services.assignments import work_batch_create
from rubrics_app.models import CriteriaDraft, CriterionSuggestion
from rubrics_app.services.releases import release_create
from tests import url_walk
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

# Every parameter name a view, filter set, query serializer or admin list reads (grep
# request.GET, request.POST, query_params and the filter sets), and some it may read.
# Not format: DRF answers an unknown ?format= with 404 before the view reads anything.
NAMES = """q after before criterion job old new page since as_of generator judge clip reveal
release source kind user start end benchmark status video scope level review
media_status batch confirmed clips cursor o p e next task dimension polarity weight text
version comment add remove rows adopt seen name notes weight_scheme decision reasons
caption seconds gold leaving to users overlap create verdict blind file action index
prompt requirement id pk offset limit ordering search media_status__exact kind__exact
generator__id__exact task__id__exact level__exact status__exact role__exact size seed""".split()  # noqa: SIM905

OUT_OF_RANGE = "0001-01-01T00:00:00+01:00"
# One value for every name at once, each kind of malformed value in its own request.
QUERY_VALUES = ["abc", "²", "9" * 30, "9" * 5000, "-1", "1.5", OUT_OF_RANGE, "9999-12-31", "\x00"]
FORM_VALUES = ["abc", "²", "9" * 30, "\x00", "nan"]


def world() -> dict:
    """One object of each kind, and the admin who calls."""
    admin = UserFactory(username="walker", role=Role.ADMIN, is_superuser=True)
    benchmark = BenchmarkFactory()
    task = TaskFactory(benchmark=benchmark)
    criterion = CriterionFactory(task=task)
    video = VideoFactory(task=task, generator=GeneratorModelFactory(name="Sora"))
    video.file.save("clip.mp4", ContentFile(b"x" * 100))
    clip = ClipFactory()
    release = release_create(benchmark=benchmark, name="v1", user=admin).release
    verify = work_batch_create(
        kind=WorkKind.VERIFY, name="clips", items=[clip], users=[admin], overlap=1,
        created_by=admin,
    )  # fmt: skip
    judge = work_batch_create(
        kind=WorkKind.JUDGE, name="judge", items=[task], users=[admin], overlap=1,
        created_by=admin,
    )  # fmt: skip
    job = Job.objects.create(kind="judge", description="a job", created_by=admin)
    token, _ = ApiToken.issue(user=admin, name="walk", scope=TokenScope.WRITE)
    draft = CriteriaDraft.objects.create(
        task=task, job=job, llm_model="m", prompt_version=1, ok=True
    )
    suggestion = CriterionSuggestion.objects.create(
        draft=draft, task=task, dimension=criterion.dimension, text="A suggestion", polarity=1,
        weight=1,
    )  # fmt: skip
    objects = {
        "benchmarks": benchmark,
        "tasks": task,
        "criteria": criterion,
        "releases": release,
        "release-tasks": release.tasks.first(),
        "videos": video,
        "batches": verify,
        "adjudication": clip,
        "jobs": job,
        "tokens": token,
        "suggestions": suggestion,
        "assignments": judge.assignments.first(),
        "import": ImportBatch.objects.create(name="upload"),
    }
    return {"admin": admin, "objects": objects, "video": video, "generator": "Sora"}


def _candidates(setting: dict, chain: url_walk.Chain):
    """Path values for one pattern: the id of an object of the kind its route names
    last before the id (tasks/<pk> a task...), an admin page's own model's object."""
    route = url_walk.route(chain)
    admin = getattr(chain[-1].callback, "model_admin", None)

    def candidates(name: str, converter: str) -> list[str]:
        if name == "object_id" and admin is not None:
            obj = admin.model._default_manager.first()
            return [str(obj.pk) if obj else "1"]
        if converter == "uuid":
            return [str(setting["video"].public_id)]
        if name == "generator":
            return [setting["generator"]]
        if converter in ("int", "positional") or name in ("pk", "object_id", "content_type_id"):
            before = route[: route.find(name)] if name in route else route
            kinds = [k for k in re.findall(r"[a-z-]+", before) if k in setting["objects"]]
            kind = "import" if "videos/batches" in before else (kinds[-1] if kinds else None)
            return [str((setting["objects"].get(kind) or setting["admin"]).pk)]
        return url_walk.WORDS.get(name, ["1"])[:1]

    return candidates


def calls(client: Client, method: str, path: str, data: dict) -> HttpResponse:
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        response = getattr(client, method)(path, data)
        transaction.set_rollback(True)
    client.cookies = cookies  # a logout is rolled back with the session's row
    return response


def answered(response: HttpResponse) -> str:
    """The status and the start of the body (a 503 from /readyz names its check)."""
    body = b"" if response.streaming else response.content[:200]
    return f"{response.status_code} {body.decode(errors='replace')}"


@pytest.fixture
def walk(settings):
    settings.API_THROTTLE_RATE = "1000000/min"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": str(uuid.uuid4()),
        }
    }
    setting = world()
    client = Client(raise_request_exception=False)
    client.force_login(setting["admin"])
    paths = [
        (route, url) for _, route, url in url_walk.walk(lambda chain: _candidates(setting, chain))
    ]
    return client, paths


def test_the_walk_covers_every_url_pattern(walk):
    client, paths = walk
    assert url_walk.unvisited({route for route, _ in paths}) == set()
    assert len(paths) > 200
    # The paths reach their pages as the admin: the hostile values reach the views.
    statuses = [calls(client, "get", path, {}).status_code for _, path in paths]
    assert statuses.count(200) > 140 and 500 not in statuses


def test_it_answers_no_hostile_query_string_with_a_5xx(walk):
    client, paths = walk
    failures = []
    for value in QUERY_VALUES:
        query = dict.fromkeys(NAMES, value)
        for name, path in paths:
            response = calls(client, "get", path, query)
            if response.status_code >= 500:
                failures.append(f"GET {path} ({name}) with {value[:20]!r}: {answered(response)}")
    assert failures == [], "\n".join(failures)


def test_it_answers_no_hostile_form_with_a_5xx(walk):
    client, paths = walk
    failures = []
    for value in FORM_VALUES:
        form = dict.fromkeys(NAMES, value)
        for name, path in paths:
            response = calls(client, "post", path, form)
            # 503: a service the request needs is off (the language model, here), whatever
            # the input (annotator.core.errors.Unavailable).
            if response.status_code >= 500 and response.status_code != 503:
                failures.append(f"POST {path} ({name}) with {value[:20]!r}: {answered(response)}")
    assert failures == [], "\n".join(failures)


def test_it_answers_a_nul_in_any_form_field_with_400(walk):
    client, paths = walk
    html = [(route, path) for route, path in paths if not path.startswith("/api/")]
    statuses = {
        path: calls(client, "post", path, {"text": "a\x00b"}).status_code for _, path in html
    }
    assert {path for path, status in statuses.items() if status != 400} == set()
