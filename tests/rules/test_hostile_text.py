"""Nothing a user typed runs as script: a generator named `</script><script>...` (from
an upload, an S3 prefix, a folder name or the API), a task prompt, a criterion, a
caption, a judge's reasoning... are escaped on every page, and every page carries a
Content-Security-Policy that runs no inline script, so a future slip is blocked by the
browser too. The walk goes over every URL pattern of the project as an admin (who
sees everything, generator names included), filling parameters from the objects
made here."""

import itertools
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import models
from django.test import Client
from django.urls import reverse

from annotator.models import (
    ApiToken,
    ClipDecision,
    ClipSuggestion,
    ImportBatch,
    Job,
    JudgeEvaluation,
    Judgment,
    RejectReason,
)
from annotator.models.choices import EvaluationStatus, Role, VerdictSource, VerdictStatus, WorkKind
from annotator.models.tokens import TokenScope
from annotator.services.assignments import work_batch_create
from annotator.services.calibration import calibration_batch_create
from rubrics_app.choices import Dimension
from rubrics_app.models import CriteriaDraft, CriterionSuggestion
from rubrics_app.services.releases import release_create
from tests import url_walk
from tests.factories import (
    BenchmarkFactory,
    ClipFactory,
    CriterionFactory,
    GeneratorModelFactory,
    TaskFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

HOSTILE = "</script><script>alert(1)</script>"
# How it reads once escaped: by the template language, or by json_script.
SHOWN_SAFELY = ("&lt;/script&gt;&lt;script&gt;alert(1)", "\\u003C/script\\u003E\\u003Cscript")
# Pages that show generator names (or the other texts): each must show them, escaped.
MUST_SHOW = [
    "leaderboard",
    "rubric-health",
    "video-list",
    "task-detail",
    "judging-task",
    "benchmark-detail",
    "admin:annotator_generatormodel_changelist",
]


@pytest.fixture
def world(annotator_user, reviewer_user, admin_user):
    """A benchmark, a task, criteria, videos of two models (one of them hostile) with
    judge drafts, batches of every kind, a clip with a caption and answers, a judge
    job, criteria suggestions, a release and a token: the hostile string in every
    text a user or an import can set."""
    benchmark = BenchmarkFactory(name=f"bench {HOSTILE}")
    task = TaskFactory(benchmark=benchmark, index=1, prompt=HOSTILE, requirement=HOSTILE)
    criteria = [
        CriterionFactory(task=task, dimension=d, text=f"{HOSTILE} {d}", number=1, position=1)
        for d in Dimension.values
    ]
    generators = [GeneratorModelFactory(name=HOSTILE), GeneratorModelFactory(name="plain-model")]
    videos = [VideoFactory(task=task, generator=g, media_status="ready") for g in generators]
    for video, criterion in itertools.product(videos, criteria):
        evaluation = JudgeEvaluation.objects.create(
            video=video,
            dimension=criterion.dimension,
            judge_model=HOSTILE,
            status=EvaluationStatus.OK,
            reasoning=HOSTILE,
        )
        Judgment.objects.create(
            video=video,
            criterion=criterion,
            verdict=1,
            source=VerdictSource.LLM,
            judge_model=HOSTILE,
            evaluation=evaluation,
            status=VerdictStatus.DRAFT,
        )
    clip = ClipFactory(caption=HOSTILE)
    batches = {
        kind: work_batch_create(
            name=f"{kind} {HOSTILE}",
            kind=kind,
            items=[clip] if kind == WorkKind.VERIFY else [task],
            users=[annotator_user],
            overlap=1,
            created_by=admin_user,
        )
        for kind in WorkKind.values
        if kind != WorkKind.CALIBRATE
    }
    # A calibration batch is drawn, never chosen: of the hostile judge's drafts.
    batches[WorkKind.CALIBRATE] = calibration_batch_create(
        benchmark=benchmark,
        release=None,
        judge_model=None,
        size=2,
        seed=0,
        users=[annotator_user],
        name=f"calibrate {HOSTILE}",
        created_by=admin_user,
    )
    reason = RejectReason.objects.create(code="hostile", label=HOSTILE)
    ClipDecision.objects.create(
        video=clip,
        user=annotator_user,
        batch=batches[WorkKind.VERIFY],
        decision="reject",
        reasons=[reason.code],
        caption=HOSTILE,
    )
    ClipSuggestion.objects.create(
        video=clip, judge_model=HOSTILE, status=EvaluationStatus.OK, caption=HOSTILE
    )
    job = Job.objects.create(
        kind="judge_drafts",
        total=2,
        failed=1,
        description=HOSTILE,
        failures=[HOSTILE],
        created_by=admin_user,
    )
    draft = CriteriaDraft.objects.create(task=task, llm_model=HOSTILE, prompt_version=1, ok=True)
    suggestion = CriterionSuggestion.objects.create(
        draft=draft, task=task, dimension="visual", text=HOSTILE, polarity=1, weight=Decimal(1)
    )
    release = release_create(benchmark=benchmark, name="v1", user=reviewer_user, notes=HOSTILE)
    token, _ = ApiToken.issue(user=admin_user, name=HOSTILE, scope=TokenScope.READ)
    batch = ImportBatch.objects.create(name=HOSTILE, created_by=admin_user)
    objects = [
        benchmark,
        task,
        *criteria,
        *generators,
        *videos,
        clip,
        *batches.values(),
        reason,
        job,
        draft,
        suggestion,
        release.release,
        token,
        batch,
        annotator_user,
        reviewer_user,
        admin_user,
        *Judgment.objects.all(),
        *JudgeEvaluation.objects.all(),
        *ClipDecision.objects.all(),
    ]
    return {"task": task, "videos": videos, "batches": batches, "objects": objects}


def _candidates(world):
    pks = sorted({str(o.pk) for o in world["objects"]}, key=int)
    uuids = [
        str(getattr(o, f.name))
        for o in world["objects"]
        for f in o._meta.fields
        if isinstance(f, models.UUIDField)
    ]

    def candidates(name: str, converter: str) -> list[str]:
        if converter in ("int", "positional") or name in ("pk", "object_id"):
            return pks
        if converter == "uuid":
            return uuids
        if name == "generator":
            return ["plain-model"]
        return url_walk.WORDS.get(name, ["x"])

    return candidates


def _script_src(policy: str) -> str | None:
    directives = dict(part.strip().partition(" ")[::2] for part in policy.split(";"))
    return directives.get("script-src")


def _problems(url: str, response) -> list[str]:
    """What is wrong with an HTML answer: the raw hostile text in it, no CSP, or a CSP
    that would run inline script."""
    if not response.get("Content-Type", "").startswith("text/html"):
        return []
    found = []
    if HOSTILE in response.content.decode("utf-8", "replace"):
        found.append(f"{url}: the raw text")
    policy = response.get("Content-Security-Policy")
    script_src = _script_src(policy) if policy else None
    if script_src is None:
        found.append(f"{url}: no script-src in its Content-Security-Policy ({policy})")
    elif "'unsafe-inline'" in script_src or "'unsafe-eval'" in script_src:
        found.append(f"{url}: script-src {script_src}")
    return found


def test_it_escapes_user_text_and_sends_a_strict_policy_on_every_page(admin_user, world):
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    candidates = _candidates(world)
    problems, shown, visited = [], set(), set()
    for name, route, url in url_walk.walk(lambda chain: candidates):
        visited.add(route)
        # Pages answer htmx requests with partials: both are asked.
        for extra in [{}] if url.startswith(("/admin/", "/api/")) else [{}, url_walk.HTMX]:
            response = client.get(url, headers=extra)
            if response.streaming:
                continue  # media and exports, never HTML
            problems += _problems(url, response)
            if any(s in response.content.decode("utf-8", "replace") for s in SHOWN_SAFELY):
                shown.add(name)
    assert problems == []
    assert url_walk.unvisited(visited) == set()
    assert set(MUST_SHOW) - shown == set()


def test_it_draws_the_leaderboard_chart_from_json_data(client, admin_user, world):
    client.force_login(admin_user)
    html = client.get(reverse("leaderboard", args=[world["task"].benchmark.pk])).content.decode()
    assert '<script id="leaderboard-chart" type="application/json">' in html
    assert "\\u003C/script\\u003E\\u003Cscript\\u003Ealert(1)" in html
    assert HOSTILE not in html


def test_it_allows_no_inline_script_even_for_the_api_docs(client, admin_user):
    client.force_login(admin_user)
    docs = client.get(reverse("api-docs"))
    assert docs.status_code == 200
    assert "<script>" not in docs.content.decode()
    script_src = _script_src(docs["Content-Security-Policy"])
    assert script_src == "'self'"
    setup = client.get(reverse("api-docs"), {"script": ""})
    assert setup.status_code == 200 and "SwaggerUIBundle" in setup.content.decode()


def test_it_still_shows_the_password_rules_as_a_list_when_inviting(client, admin_user, mailoutbox):
    """Django builds that list with format_html and marks it safe itself: the template
    needs no safe filter, and any other help text is escaped."""
    client.force_login(admin_user)
    client.post(reverse("users-invite"), {"email": "new@example.org", "role": Role.ANNOTATOR})
    client.logout()
    link = re.search(r"http://testserver(/invitations/\S+/)", mailoutbox[0].body).group(1)
    html = client.get(link).content.decode()
    assert '<div class="form-text small"><ul><li>' in html and "&lt;li&gt;" not in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_runs_no_hostile_script_and_every_page_still_works_in_a_browser(
    page, live_server, admin_user, world
):
    """In Chromium, as an admin: the main pages, the API docs and the admin open with
    no dialog from the hostile text, no script error and nothing blocked by the
    policy (the page fixture fails on any such console message); the leaderboard
    chart still draws, with the hostile name as a plain label."""
    benchmark, task = world["task"].benchmark, world["task"]
    batches, video = world["batches"], world["videos"][0]
    pages = [
        reverse("benchmark-list"),
        reverse("benchmark-detail", args=[benchmark.pk]),
        reverse("task-detail", args=[task.pk]),
        reverse("task-history", args=[task.pk]),
        reverse("proposal-review", args=[task.pk]),
        reverse("judging-task", args=[task.pk]),
        reverse("leaderboard", args=[benchmark.pk]),
        reverse("release-list", args=[benchmark.pk]),
        reverse("video-list"),
        reverse("video-upload"),
        reverse("my-work"),
        reverse("calibration-new"),
        reverse("clip-batches"),
        *(reverse("batch-dashboard", args=[b.pk]) for b in batches.values()),
        reverse("clip-grid", args=[batches[WorkKind.VERIFY].pk]),
        reverse("judge-drafts"),
        reverse("audit-log"),
        reverse("account-settings"),
        reverse("users-invite"),
        reverse("admin:index"),
        reverse("admin:annotator_generatormodel_changelist"),
        reverse("admin:annotator_video_change", args=[video.pk]),
        reverse("api-docs"),
        reverse("api-leaderboard", args=[benchmark.pk]),  # the browsable API
    ]
    dialogs, errors = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", admin_user.username)
    page.fill("#id_password", "secret-pass-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/benchmarks/")
    for url in pages:
        page.goto(f"{live_server.url}{url}", wait_until="networkidle")
        if url == reverse("leaderboard", args=[benchmark.pk]):
            labels = page.evaluate(
                "() => Chart.getChart(document.getElementById('chart-levels'))"
                ".data.datasets.map(d => d.label)"
            )
            assert sorted(labels) == sorted([HOSTILE, "plain-model"])
            # The drafts, experts and human-corrected chart: the models are its labels.
            models = page.evaluate(
                "() => Chart.getChart(document.getElementById('chart-corrected')).data.labels"
            )
            assert sorted(models) == sorted([HOSTILE, "plain-model"])
    page.goto(f"{live_server.url}{reverse('api-docs')}")
    page.locator(".swagger-ui .info .title").wait_for()
    assert dialogs == [] and errors == []


def test_it_finds_no_inline_script_handler_or_safe_filter_in_the_templates():
    """What the policy would block (an inline script, an on...= handler) and what
    would print data unescaped: a page's scripts are files, its data json_script."""
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>"  # a script without a file
        r"|\son[a-z]+\s*=|\bhx-on\b|javascript:"  # event handlers, htmx's evaluated ones
        r"|\|\s*safe\b|\{%\s*autoescape\s+off"  # data printed unescaped
    )
    found = [
        f"{path.relative_to(settings.BASE_DIR)}:{n}: {line.strip()}"
        for path in sorted((settings.BASE_DIR / "templates").rglob("*.html"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if inline.search(line)
    ]
    assert found == []
