"""Contamination reports through the API: start one for a benchmark (or a release),
then read it with its findings. Reviewers, admins and tokens only: a report lists
training clips beside benchmark tasks."""

from typing import cast

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from annotator.core.api_permissions import REVIEWERS_ONLY
from annotator.core.fields import MomentField
from annotator.models import ContaminationReport, User
from annotator.models.choices import TrainingSet
from annotator.selectors.contamination import report_as_dict
from annotator.services.contamination import report_start
from rubrics_app.models import Benchmark


class ReportIn(serializers.Serializer):
    release = serializers.CharField(required=False, help_text="release name (default: the tasks)")
    training_set = serializers.ChoiceField(
        choices=TrainingSet.values, default=TrainingSet.CANDIDATES
    )
    as_of = MomentField(required=False, help_text="snapshot time of the accepted set")


EXAMPLE = {
    "id": 4,
    "benchmark": "MicroWorldBench",
    "release": "v1.0",
    "training_set": "accepted",
    "as_of": "2025-06-01T12:00:00+00:00",
    "thresholds": {"title_similarity": 85.0, "hash_distance": 10, "text_similarity": 0.5},
    "status": "done",
    "created_at": "2025-06-01T12:00:03+00:00",
    "finished_at": "2025-06-01T12:00:09+00:00",
    "tasks": 459,
    "tasks_done": 459,
    "clips": 12000,
    "note": "",
    "problems": ["clip clip00017: no video URL or id"],
    "findings": [
        {
            "task_index": 12,
            "task_source_ref": "Amoeba Sisters_Mitosis_https://www.youtube.com/watch?v=f-ldPgEfAHI",
            "clip": "clip00042",
            "clip_source_ref": "https://youtu.be/f-ldPgEfAHI",
            "strength": 1.0,
            "evidence": ["same-source", "visual"],
            "details": ["both from youtube:f-ldPgEfAHI", "a judge frame 3 bits of 64 from ..."],
            "decision": "confirmed",
            "decided_by": "mlopez",
            "decided_at": "2025-06-02T08:10:00+00:00",
        }
    ],
}


@extend_schema(
    summary="Start a contamination report of a benchmark",
    request=ReportIn,
    responses={202: OpenApiTypes.OBJECT},
    examples=[
        OpenApiExample(
            "the accepted set against release v1.0",
            value={"release": "v1.0", "training_set": "accepted"},
            request_only=True,
        ),
        OpenApiExample(
            "queued",
            value={"id": 4, "status": "queued", "url": "/api/v1/contamination/4"},
            response_only=True,
            status_codes=["202"],
        ),
    ],
)
@api_view(["POST"])
@permission_classes(REVIEWERS_ONLY)
def report_create(request: Request, pk: int) -> Response:
    """Computed in the background: poll the URL returned until `status` is done."""
    benchmark = get_object_or_404(Benchmark, pk=pk)
    data = ReportIn(data=request.data)
    data.is_valid(raise_exception=True)
    release = None
    if "release" in data.validated_data:
        release = get_object_or_404(benchmark.releases, name=data.validated_data["release"])
    report = report_start(
        benchmark=benchmark,
        release=release,
        training_set=data.validated_data["training_set"],
        as_of=data.validated_data.get("as_of"),
        user=cast(User, request.user),
    )
    url = reverse("api-contamination-report", args=[report.pk])
    return Response(
        {"id": report.pk, "status": report.status, "url": url},
        status=202,
        headers={"Location": url},
    )


@extend_schema(
    summary="A contamination report with its inputs and findings",
    responses={200: OpenApiTypes.OBJECT},
    examples=[OpenApiExample("a finished report", value=EXAMPLE, response_only=True)],
)
@api_view(["GET"])
@permission_classes(REVIEWERS_ONLY)
def report_detail(request: Request, pk: int) -> Response:
    """Per overlapping (task, clip): the evidence kinds and details, the strength (the
    strongest evidence, 0-1) and the reviewers' decision; the thresholds used."""
    report = get_object_or_404(
        ContaminationReport.objects.select_related("benchmark", "release"), pk=pk
    )
    return Response(report_as_dict(report))
