"""Blind judging holds everywhere: an annotator never learns which generator made a
video, nor which of their clips is a synthetic gold clip, on any page, partial, media
URL or API endpoint they can call. The walk goes
over every URL pattern of the project (not a hand-picked list), filling its parameters
from the objects made here; reviewers and admins do see the names."""

import itertools
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse

from annotator.core.visibility import may_see_generator
from annotator.models import (
    ApiToken,
    Assignment,
    GoldAnswer,
    GoldVariant,
    ImportBatch,
    Job,
    JobItem,
    JobStatus,
    JudgeEvaluation,
    Judgment,
    RejectReason,
    Video,
    WorkBatch,
)
from annotator.models.choices import (
    ClipStatus,
    Decision,
    EvaluationStatus,
    GoldDefect,
    ReportStatus,
    VerdictSource,
    VerdictStatus,
    VideoKind,
    WorkKind,
)
from annotator.models.tokens import TokenScope
from annotator.services import judge_drafts
from annotator.services.assignments import work_batch_create
from annotator.services.calibration import calibration_batch_create
from annotator.services.s3 import s3_client
from annotator.services.verdicts import verdict_set
from annotator.services.videos import videos_import_generated
from annotator.views.videos import SERVABLE_FIELDS
from rubrics_app.choices import Dimension
from rubrics_app.models import CriteriaDraft, CriterionSuggestion
from rubrics_app.services.releases import release_create
from tests import url_walk
from tests.factories import (
    BenchmarkFactory,
    ClipFactory,
    CriterionFactory,
    TaskFactory,
)
from tests.videos import make_video

pytestmark = pytest.mark.django_db

# Distinctive enough that no page holds them by chance; found case-insensitively.
NAMES = ("SecretModelXYZ", "HiddenGenQRS")
_LEAK = re.compile("|".join(NAMES), re.IGNORECASE)
# What would tell a gold clip: the word, or its defect as the gold pages name it.
_GOLD = re.compile(
    "|".join([r"\bgold", "synthetic", *(str(label) for _, label in GoldDefect.choices)]),
    re.IGNORECASE,
)


@pytest.fixture
def world(tmp_path, annotator_user, reviewer_user, admin_user, django_capture_on_commit_callbacks):
    """A benchmark whose task has videos of two models imported the usual way
    (<Model>/<index>.mp4, processed by the media pipeline), judge drafts with their
    reasoning, verdicts, a judging batch giving the task to the annotator, a judge job
    naming the models, a release, clips and a token: everything a page can show."""
    benchmark = BenchmarkFactory(name="blindbench")
    task = TaskFactory(benchmark=benchmark, index=1)
    criteria = [
        CriterionFactory(task=task, dimension=d, number=n, position=n)
        for d in Dimension.values
        for n in (1, 2)
    ]
    files = []
    for shade, name in enumerate(NAMES):
        (tmp_path / name).mkdir()
        files.append((f"{name}/1.mp4", make_video(tmp_path / name / "1.mp4", shade=shade * 80)))
    batch = ImportBatch.objects.create(name="import", created_by=admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        videos_import_generated(benchmark=benchmark, files=files, batch=batch)
    videos = list(Video.objects.filter(task=task).select_related("generator"))
    assert len(videos) == 2 and all(v.media_status == "ready" for v in videos)
    for video in videos:
        for dimension in Dimension.values:
            evaluation = JudgeEvaluation.objects.create(
                video=video,
                dimension=dimension,
                judge_model="gpt-judge",
                status=EvaluationStatus.OK,
                reasoning="the cells divide in order",
            )
            for c in criteria:
                if c.dimension == dimension:
                    Judgment.objects.create(
                        video=video,
                        criterion=c,
                        verdict=1,
                        source=VerdictSource.LLM,
                        judge_model="gpt-judge",
                        evaluation=evaluation,
                        status=VerdictStatus.DRAFT,
                    )
    for kind in (WorkKind.JUDGE, WorkKind.AUTHOR):
        work_batch_create(
            name=f"{kind} batch",
            kind=kind,
            items=[task],
            users=[annotator_user],
            overlap=1,
            created_by=admin_user,
        )
    # A calibration sample of the task's items, handed to the annotator.
    calibration_batch_create(
        benchmark=benchmark,
        release=None,
        judge_model=None,
        size=3,
        seed=0,
        users=[annotator_user],
        created_by=reviewer_user,
    )
    clip = ClipFactory()
    # A gold copy of an accepted clip, hidden in the annotator's clips.
    gold = ClipFactory(kind=VideoKind.GOLD, external_id=clip.external_id)
    GoldVariant.objects.create(
        source=ClipFactory(clip_status=ClipStatus.ACCEPTED),
        defect=GoldDefect.TEXT,
        reason=RejectReason.objects.get(code="text-overlay"),
        video=gold,
        status=ReportStatus.DONE,
    )
    GoldAnswer.objects.create(video=gold, decision=Decision.REJECT)
    work_batch_create(
        name="clips",
        kind=WorkKind.VERIFY,
        items=[clip, gold],
        users=[annotator_user],
        overlap=1,
        created_by=admin_user,
    )
    for user in (annotator_user, reviewer_user):
        verdict_set(video=videos[0], criterion_id=criteria[0].pk, user=user, verdict=0)
    job = Job.objects.create(
        kind=judge_drafts.JOB_KIND,
        status=JobStatus.DONE,
        total=3,
        failed=1,
        description=f"draft judgments: {NAMES[0]} in blindbench, 1 video",
        failures=[f"task 1, {NAMES[0]}, visual (video {videos[0].pk}): no reply"],
        created_by=admin_user,
    )
    JobItem.objects.create(job=job, key=f"{videos[0].pk}:visual", failure=job.failures[0])
    draft = CriteriaDraft.objects.create(task=task, llm_model="gpt", prompt_version=1, ok=True)
    suggestion = CriterionSuggestion.objects.create(
        draft=draft,
        task=task,
        dimension="visual",
        text="Membranes stay whole",
        polarity=1,
        weight=Decimal(1),
    )
    release = release_create(benchmark=benchmark, name="v1", user=reviewer_user).release
    token, key = ApiToken.issue(user=annotator_user, name="mine", scope=TokenScope.READ)
    objects = [
        *(model.objects.all() for model in (Judgment, JudgeEvaluation, WorkBatch, Assignment)),
        release.tasks.all(),
        [benchmark, task, *criteria, *videos, clip, gold, batch, job, draft, suggestion, release],
        [token, annotator_user, reviewer_user, admin_user],
    ]
    return {
        "task": task,
        "videos": videos,
        "token": key,
        "pks": sorted({o.pk for o in itertools.chain(*objects)}),
        "uuids": [str(v.public_id) for v in [*videos, clip, gold]],
        "query": {"reveal": "1", "job": job.pk, "generator": videos[0].generator_id},
    }


def _candidates(world, chain: url_walk.Chain):
    route = url_walk.route(chain)

    def candidates(name: str, converter: str) -> list[str]:
        if converter in ("int", "positional") or name in ("pk", "object_id"):
            # The admin refuses a user who is not staff before it reads any object.
            return [str(pk) for pk in world["pks"]][: 1 if route.startswith("admin/") else None]
        if converter == "uuid":
            return world["uuids"]
        if name == "generator":
            return list(NAMES)
        return url_walk.WORDS.get(name, ["x"])

    return candidates


def _leaks(response, leak: re.Pattern = _LEAK) -> list[str]:
    """Where the response names a generator (or says what `leak` finds): its body, a
    header (Location, Content-Disposition, Link...)."""
    # A login redirect's next= is the caller's own URL (/admin/annotator/goldanswer/).
    headers = {h: v.split("?next=")[0] for h, v in response.headers.items()}
    found = [f"header {h}" for h, v in headers.items() if leak.search(v)]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if leak.search(body.decode("utf-8", "replace")):
        found.append("body")
    return found


def test_it_lets_reviewers_and_admins_see_generators_and_no_one_else(
    annotator_user, reviewer_user, admin_user
):
    assert may_see_generator(reviewer_user) and may_see_generator(admin_user)
    assert not may_see_generator(annotator_user)
    assert not may_see_generator(AnonymousUser())


def test_it_shows_a_reviewer_the_generator_on_the_task_page(client, reviewer_user, world):
    client.force_login(reviewer_user)
    html = client.get(reverse("task-detail", args=[world["task"].pk])).content.decode()
    assert all(name in html for name in NAMES)


def test_it_labels_an_annotators_task_page_as_the_judging_page_does(client, annotator_user, world):
    client.force_login(annotator_user)
    task_page = client.get(reverse("task-detail", args=[world["task"].pk])).content.decode()
    judging = client.get(reverse("judging-task", args=[world["task"].pk])).content.decode()
    for html in (task_page, judging):
        assert "Video A" in html and "Video B" in html
        assert not _LEAK.search(html)

    # The same video carries the same letter on both pages.
    def letters(html):
        return re.findall(r'data-video="([^"]+)"[\s\S]*?(Video [AB])', html)

    assert letters(task_page) == letters(judging)


def test_it_addresses_videos_by_opaque_ids_for_annotators(client, annotator_user, world):
    """Database ids follow the import order (<Model>/ folders, alphabetically), so
    they would link a model's videos across tasks; annotators see public ids only."""
    client.force_login(annotator_user)
    for url in (
        reverse("task-detail", args=[world["task"].pk]),
        reverse("judging-task", args=[world["task"].pk]),
    ):
        html = client.get(url).content.decode()
        for video in world["videos"]:
            assert str(video.public_id) in html
            assert not re.search(rf'videos/{video.pk}/|data-video="{video.pk}"', html)
            assert f'id="checklist-{video.pk}"' not in html


def test_it_keeps_htmx_answers_blind_whatever_the_annotator_posts(client, annotator_user, world):
    client.force_login(annotator_user)
    video = world["videos"][0]
    criterion = world["task"].criteria.first()
    # A save answers with its row and score, no label; confirming, with the checklist.
    for url, data, label in (
        (reverse("verdict-save", args=[video.public_id]), {"criterion": criterion.pk}, ""),
        (reverse("drafts-confirm", args=[video.public_id]), {"dimension": "visual"}, "Video "),
    ):
        response = client.post(url, {**data, "verdict": 1, "blind": "0"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert label in response.content.decode() and not _leaks(response)
    html = client.get(reverse("judging-task", args=[world["task"].pk]), {"reveal": "1"})
    assert not _leaks(html)


def test_it_never_names_a_generator_nor_a_gold_clip_to_an_annotator_on_any_url(
    annotator_user, world
):
    session = Client(raise_request_exception=False)
    session.force_login(annotator_user)
    token = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {world['token']}")
    leaks, visited, requests = [], set(), 0
    for _, route, url in url_walk.walk(lambda chain: _candidates(world, chain)):
        visited.add(route)
        clients = [session, token] if url.startswith("/api/v1/") else [session]
        # Pages answer htmx requests with partials; and the query parameters that
        # ask for names or name a job or a model.
        variants = [({}, {}), ({}, url_walk.HTMX), (world["query"], {})]
        if url.startswith("/admin/"):
            variants = variants[:1]
        for caller in clients:
            for query, extra in variants:
                response = caller.get(url, query, headers=extra)
                requests += 1
                # The API's schema lists the video kinds, gold among them: of no clip.
                for leak in (_LEAK,) if url.startswith("/api/v1/schema/") else (_LEAK, _GOLD):
                    leaks += [f"{url} {query} {extra}: {where}" for where in _leaks(response, leak)]
    assert leaks == [], "\n".join(leaks)
    assert url_walk.unvisited(visited) == set()
    assert len(visited) > 200 and requests > 1000


def test_it_keeps_s3_keys_and_presigned_urls_free_of_model_names(
    s3_storage, tmp_path, client, annotator_user, django_capture_on_commit_callbacks
):
    """Files are stored by their content's hash, wherever they came from
    (<Model>/<index>.mp4), so a presigned URL's key says nothing of the model."""
    task = TaskFactory(index=1)
    files = []
    for shade, name in enumerate(NAMES):
        (tmp_path / name).mkdir()
        files.append((f"{name}/1.mp4", make_video(tmp_path / name / "1.mp4", shade=shade * 80)))
    with django_capture_on_commit_callbacks(execute=True):
        videos_import_generated(benchmark=task.benchmark, files=files)
    work_batch_create(
        name="judging",
        kind=WorkKind.JUDGE,
        items=[task],
        users=[annotator_user],
        overlap=1,
        created_by=None,
    )
    client.force_login(annotator_user)
    html = client.get(reverse("judging-task", args=[task.pk])).content.decode()
    assert s3_storage in html and not _LEAK.search(html)
    for video in Video.objects.filter(task=task):
        for field in SERVABLE_FIELDS:
            if getattr(video, field):
                response = client.get(reverse("video-media", args=[video.public_id, field]))
                assert response.status_code == 302 and not _leaks(response)
    keys = [o["Key"] for o in s3_client().list_objects_v2(Bucket=s3_storage)["Contents"]]
    assert keys and not any(_LEAK.search(key) for key in keys)


def test_it_lets_an_annotator_follow_only_the_jobs_they_started(client, annotator_user):
    mine = Job.objects.create(kind="criteria_draft", total=1, created_by=annotator_user)
    theirs = Job.objects.create(kind=judge_drafts.JOB_KIND, total=1, created_by=None)
    client.force_login(annotator_user)
    for name in ("job-detail", "api-job"):
        assert client.get(reverse(name, args=[mine.pk])).status_code == 200
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
