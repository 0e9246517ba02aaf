"""Admin writes for downstream tools: register a video (a key in the S3 bucket, or an
upload), start draft judgments by the GPT judge, and follow any job. The services'
InputError becomes a 400 in the API's exception handler."""

from typing import cast

from django.conf import settings
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import parsers, serializers
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from annotator.api.parsers import JSONParser
from annotator.core.api_permissions import ADMIN_WRITES
from annotator.core.visibility import visible_jobs
from annotator.models import GeneratorModel, Job, User, Video
from annotator.models.choices import VideoKind
from annotator.services.judge_drafts import judge_drafts_start, videos_chosen
from annotator.services.video_registration import (
    VideoTooLarge,
    video_register_s3,
    video_register_upload,
)
from annotator.services.videos import Outcome
from rubrics_app.models import Benchmark

# Room for the multipart boundaries and the other fields around the file.
MULTIPART_ENVELOPE = 64 * 1024


class PayloadTooLarge(APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "too_large"


class VideoUploadParser(parsers.MultiPartParser):
    """Multipart bodies up to a video's limit (VIDEO_MAX_BYTES), not the API's general
    API_UPLOAD_MAX_BYTES; refused with 413 before anything is read."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0) if request else 0
        except ValueError:
            declared = 0
        if declared > settings.VIDEO_MAX_BYTES + MULTIPART_ENVELOPE:
            raise PayloadTooLarge(
                f"The request body is {declared} bytes; a video may have at most "
                f"{settings.VIDEO_MAX_BYTES} bytes (VIDEO_MAX_BYTES)."
            )
        return super().parse(stream, media_type, parser_context)


class VideoIn(serializers.Serializer):
    # A task's reference video is attached on the task page (admins), not here.
    kind = serializers.ChoiceField(
        choices=[(k.value, k.label) for k in (VideoKind.DATASET, VideoKind.GENERATED)]
    )
    s3_key = serializers.CharField(
        required=False,
        help_text="the object's whole key in the bucket S3_BUCKET (S3_PREFIX not added)",
    )
    file = serializers.FileField(required=False, help_text="the video, as a multipart upload")
    benchmark = serializers.PrimaryKeyRelatedField(
        queryset=Benchmark.objects.all(), required=False, help_text="generated: benchmark id"
    )
    task_index = serializers.IntegerField(required=False, help_text="generated: task index")
    generator = serializers.CharField(
        required=False, help_text="generated: model name (created when new)"
    )

    def validate(self, attrs: dict) -> dict:
        if ("s3_key" in attrs) == ("file" in attrs):
            raise serializers.ValidationError(gettext("give either s3_key or file"))
        return attrs


class VideoOut(serializers.ModelSerializer):
    benchmark = serializers.IntegerField(source="task.benchmark_id", allow_null=True)
    task_index = serializers.IntegerField(source="task.index", allow_null=True)
    generator = serializers.CharField(source="generator.name", allow_null=True)

    class Meta:
        model = Video
        fields = [
            "id",
            "kind",
            "benchmark",
            "task_index",
            "generator",
            "original_name",
            "source_path",
            "sha256",
            "media_status",
            "created_at",
        ]


class AddedOut(serializers.Serializer):
    video = VideoOut()
    outcome = serializers.ChoiceField(choices=[o.value for o in Outcome])
    message = serializers.CharField(help_text="why a duplicate was not stored again")


@extend_schema(
    request={"application/json": VideoIn, "multipart/form-data": VideoIn},
    responses={
        201: AddedOut,
        200: OpenApiResponse(AddedOut, description="already there: unchanged or a duplicate"),
        400: OpenApiResponse(description="not valid"),
        413: OpenApiResponse(description="the file is larger than VIDEO_MAX_BYTES"),
    },
    examples=[
        OpenApiExample(
            "generated video in S3",
            value={
                "kind": "generated",
                "s3_key": "runs/Sora/12.mp4",
                "benchmark": 1,
                "task_index": 12,
                "generator": "Sora",
            },
            request_only=True,
        ),
        OpenApiExample(
            "dataset clip in S3",
            value={"kind": "dataset", "s3_key": "clips/cell_division_0001.mp4"},
            request_only=True,
        ),
    ],
    summary="Register a video: a key in the S3 bucket, or an uploaded file",
)
@api_view(["POST"])
@parser_classes([JSONParser, VideoUploadParser])
@permission_classes(ADMIN_WRITES)
def video_create(request: Request) -> Response:
    """A dataset clip, or the generated video of a model (`generator`) for a task
    (`benchmark`, `task_index`). Stored by content and queued for processing; the same
    content twice is not stored again (outcome `duplicate`, the existing video)."""
    query = VideoIn(data=request.data)
    query.is_valid(raise_exception=True)
    data = query.validated_data
    target = {
        "kind": data["kind"],
        "benchmark": data.get("benchmark"),
        "task_index": data.get("task_index"),
        "generator_name": data.get("generator", ""),
    }
    if "file" in data:
        try:
            added = video_register_upload(upload=data["file"], **target)
        except VideoTooLarge as exc:
            raise PayloadTooLarge(str(exc)) from exc
    else:
        # An object too large is a plain 400: this request's body is small.
        added = video_register_s3(key=data["s3_key"], **target)
    status = 201 if added.outcome == Outcome.CREATED else 200
    return Response(AddedOut(added).data, status=status)


class JudgeJobIn(serializers.Serializer):
    scope = serializers.ChoiceField(choices=["video", "generator", "benchmark"])
    video = serializers.IntegerField(required=False, help_text="scope video: the video id")
    generator = serializers.SlugRelatedField(
        slug_field="name",
        queryset=GeneratorModel.objects.all(),
        required=False,
        help_text="scope generator: the model name",
    )
    benchmark = serializers.IntegerField(
        required=False, help_text="scope benchmark, or to narrow scope generator: benchmark id"
    )


class JobOut(serializers.ModelSerializer):
    done = serializers.IntegerField(source="finished", help_text="items finished, failed or not")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "url",
            "kind",
            "description",
            "status",
            "total",
            "done",
            "succeeded",
            "failed",
            "failures",
            "created_at",
            "finished_at",
        ]

    def get_url(self, job: Job) -> str:
        return reverse("api-job", args=[job.pk])


@extend_schema(
    request=JudgeJobIn,
    responses={
        202: JobOut,
        400: OpenApiResponse(description="no such video, model or benchmark; nothing to judge"),
        503: OpenApiResponse(description="no judge model is configured (LLM_* settings)"),
    },
    examples=[
        OpenApiExample(
            "one model in a benchmark",
            value={"scope": "generator", "generator": "Sora", "benchmark": 1},
            request_only=True,
        ),
        OpenApiExample("one video", value={"scope": "video", "video": 42}, request_only=True),
    ],
    summary="Start draft judgments by the GPT judge: one video, one model or a benchmark",
)
@api_view(["POST"])
@permission_classes(ADMIN_WRITES)
def judge_job_create(request: Request) -> Response:
    """Queues one request per video and dimension; follow the job at its `url`."""
    query = JudgeJobIn(data=request.data)
    query.is_valid(raise_exception=True)
    data = query.validated_data
    # The judge page's selection, which takes its form's fields as strings.
    form = QueryDict(mutable=True)
    form.update(
        {
            "scope": data["scope"],
            "video": str(data.get("video", "")),
            "generator": str(data["generator"].pk) if "generator" in data else "",
            "benchmark": str(data.get("benchmark", "")),
        }
    )
    videos, description = videos_chosen(form)
    # ADMINS: an admin is logged in (api_view wants a view of a plain Request).
    user = cast(User, request.user)
    job = judge_drafts_start(videos=videos, user=user, description=description)
    body = JobOut(job).data
    return Response(body, status=202, headers={"Location": body["url"]})


@extend_schema(
    responses=JobOut,
    examples=[
        OpenApiExample(
            "a job under way",
            value={
                "id": 31,
                "url": "/api/v1/jobs/31",
                "kind": "judge_drafts",
                "description": "draft judgments: Sora in MicroWorldBench, 459 videos",
                "status": "running",
                "total": 1377,
                "done": 412,
                "succeeded": 409,
                "failed": 3,
                "failures": [
                    "task 88, Sora, visual (video 5120): the reply does not fit: "
                    "4 scores for 5 criteria"
                ],
                "created_at": "2025-06-01T09:00:00Z",
                "finished_at": None,
            },
            response_only=True,
        )
    ],
    summary="A job's progress: status, done of total, failures",
)
@api_view(["GET"])
def job_detail(request: Request, pk: int) -> Response:
    return Response(JobOut(get_object_or_404(visible_jobs(request.user), pk=pk)).data)
