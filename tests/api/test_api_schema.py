import itertools
import uuid

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode, checks
from schemathesis.core.failures import FailureGroup

from annotator.models import ContaminationReport, Job
from rubrics_app.models import Benchmark, Criterion, Release, ReleaseTask, Task
from tests.api_callers import client_for
from tests.factories import GeneratorModelFactory, VideoFactory
from tests.rubric_files import DATA, import_variants

pytestmark = pytest.mark.django_db

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"

# Enough to reach every operation with valid and invalid input, in well under a minute.
EXAMPLES_PER_OPERATION = 12
# What each answer is checked for (schemathesis.checks).
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(autouse=True)
def fresh_throttle(settings):
    """Throttle counters in a cache of the test's own: they outlive its database, and
    with REDIS_URL set the default cache is shared."""
    settings.CACHES = {"default": {"BACKEND": LOCMEM, "LOCATION": str(uuid.uuid4())}}


@pytest.fixture
def keep_connection():
    """Like Django's test client: the app must not close the connection that holds the
    test's transaction at the end of each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def fetch_schema() -> dict:
    response = client_for("read_token").get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_it_serves_an_openapi_schema_with_the_bearer_token_scheme():
    schema = fetch_schema()
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
    }
    security = {
        name for path in schema["paths"].values() for op in path.values()
        for requirement in op.get("security", []) for name in requirement
    }  # fmt: skip
    assert "apiToken" in security


def test_every_operation_is_documented_with_an_example():
    undocumented = []
    for path, operations in fetch_schema()["paths"].items():
        for method, operation in operations.items():
            bodies = [operation.get("requestBody", {}), *operation["responses"].values()]
            examples = [
                media.get("examples")
                for body in bodies
                for media in body.get("content", {}).values()
            ]
            if not operation.get("summary") or not any(examples):
                undocumented.append(f"{method.upper()} {path}")
    assert undocumented == []


def test_the_schema_needs_a_login():
    assert Client().get(reverse("api-schema")).status_code == 401


def test_swagger_ui_is_served_without_a_cdn():
    response = client_for("annotator").get(reverse("api-docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower() and "https://" not in html


# The model of each path's {id}: half the cases call an object that exists, so every
# operation is exercised past its 404 (reads, updates, exports) as well as on junk ids.
MODELS = {
    "benchmarks": Benchmark,
    "tasks": Task,
    "criteria": Criterion,
    "releases": Release,
    "release-tasks": ReleaseTask,
    "jobs": Job,
    "contamination": ContaminationReport,
}


def _existing(case: schemathesis.Case, n: int) -> None:
    """Points every other case's path parameters at objects that exist."""
    params = case.path_parameters or {}
    if n % 2 == 0:
        return
    if "id" in params:
        model = MODELS[case.operation.path.split("/")[3]]
        pks = list(model.objects.order_by("pk").values_list("pk", flat=True)[:3])
        params["id"] = pks[n % len(pks)]
    if "generator" in params:
        params["generator"] = "Sora"


def _run(operation, mode: GenerationMode, auth: dict[str, str]) -> list[str]:
    """The failures of EXAMPLES_PER_OPERATION cases of one operation."""
    failures: list[str] = []
    counter = itertools.count()

    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,  # a fixed seed: the same cases on every run
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case) -> None:
        _existing(case, next(counter))
        response = case.call(headers=auth)
        try:
            case.validate_response(response, checks=CHECKS, headers=auth)
        except FailureGroup as group:
            for problem in group.exceptions:
                title = " ".join(str(problem).split())[:300]
                failures.append(
                    f"{case.method} {case.formatted_path} [{mode.value}] -> "
                    f"{response.status_code}: {title}"
                )

    check()
    return failures


def test_schemathesis_finds_no_failure_with_a_read_write_token(settings, keep_connection):
    """Every operation, writes included, as an admin's read-write token, with valid and
    invalid input: no server error, every answer's status documented, bodies and
    headers as the schema says. Deterministic (derandomize) and bounded."""
    import_variants("--tasks", str(DATA / "tasks_variants.json"), "--release", "v1")
    benchmark = Benchmark.objects.get()
    VideoFactory(task=benchmark.tasks.first(), generator=GeneratorModelFactory(name="Sora"))
    Job.objects.create(kind="judge_drafts", total=1)
    ContaminationReport.objects.create(benchmark=benchmark, training_set="candidates")
    settings.API_THROTTLE_RATE = "100000/min"  # what is tested here is not the throttle
    admin = client_for("write_token")  # an admin's read-write token
    auth = {"Authorization": admin.defaults["HTTP_AUTHORIZATION"]}
    schema = schemathesis.openapi.from_wsgi(reverse("api-schema"), WSGIHandler(), headers=auth)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _run(operation, mode, auth)
    assert operations == len([op for path in fetch_schema()["paths"].values() for op in path])
    assert failures == [], "\n".join(sorted(set(failures)))
