"""Labels for downstream tools: every verdict with its provenance, one model's judge
result file, and the training set (clips with their decisions, the manifest).
Reviewers, admins and tokens: these are everyone's labels."""

from collections.abc import Iterator

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.decorators import (
    api_view,
    content_negotiation_class,
    permission_classes,
    renderer_classes,
)
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from annotator.core.api_permissions import REVIEWERS_ONLY
from annotator.core.errors import InputError
from annotator.core.fields import MomentField
from annotator.core.negotiation import ExportNegotiation
from annotator.models import GeneratorModel
from annotator.models.choices import VerdictSource, VerdictStatus
from annotator.selectors.dataset_export import dataset_export, snapshot_parse
from annotator.selectors.verdict_export import (
    VerdictFilters,
    verdict_rows,
    verdicts_csv,
    verdicts_filtered,
    verdicts_jsonl,
)
from annotator.services.judge_results import results_export
from rubrics_app.models import Benchmark

JSONL = "application/x-ndjson; charset=utf-8"
CSV = "text/csv; charset=utf-8"
STREAMED = {(200, "application/x-ndjson"): OpenApiTypes.STR, (200, "text/csv"): OpenApiTypes.STR}
VERDICT_EXAMPLE = (
    '{"video_id": 4120, "generator": "Sora", "task_index": 12, "benchmark": "MicroWorldBench", '
    '"criterion_id": 880, "criterion_number": 3, "dimension": "scientific", "verdict": 1, '
    '"source": "human", "user": "mlopez", "judge_model": null, "status": "confirmed", '
    '"time_mark": 2.3, "coverage": 0.875, "replays": 1, "frame_steps": 6, "seconds_on_task": 94.5, '
    '"created_at": "2025-06-01T09:12:44.120518Z", "updated_at": "2025-06-01T09:12:44.120518Z"}\n'
)
EVAL_EXAMPLE = {
    "raw_response": '{"scores": [1, 0, 1, 1, 0], "reasoning": "..."}',
    "parsed_result": {"scores": [1, 0, 1, 1, 0], "reasoning": "..."},
}


def export_view(view):
    """A GET export for reviewers and tokens, whose errors are JSON."""
    view = permission_classes(REVIEWERS_ONLY)(view)
    view = content_negotiation_class(ExportNegotiation)(view)
    view = renderer_classes([JSONRenderer])(view)
    return api_view(["GET"])(view)


def _file(chunks: Iterator[bytes], content_type: str, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class VerdictQuery(serializers.Serializer):
    format = serializers.ChoiceField(choices=["jsonl", "csv"], default="jsonl")
    generator = serializers.SlugRelatedField(
        slug_field="name",
        queryset=GeneratorModel.objects.all(),
        required=False,
        help_text="generator model name",
    )
    benchmark = serializers.PrimaryKeyRelatedField(
        queryset=Benchmark.objects.all(), required=False, help_text="benchmark id"
    )
    release = serializers.CharField(
        required=False, help_text="release name (needs benchmark): only its frozen criteria"
    )
    # A declared field, which DRF's metaclass moves into _declared_fields; the stubs
    # see the class attribute Field.source (a str) instead.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=VerdictSource.choices, required=False
    )
    status = serializers.ChoiceField(choices=VerdictStatus.choices, required=False)
    since = MomentField(required=False, help_text="updated at or after this time")

    def validate(self, attrs: dict) -> dict:
        if "release" in attrs:
            benchmark = attrs.get("benchmark")
            if benchmark is None:
                raise serializers.ValidationError(
                    {"release": gettext("release names are per benchmark: give benchmark too")}
                )
            release = benchmark.releases.filter(name=attrs["release"]).first()
            if release is None:
                raise serializers.ValidationError(
                    {
                        "release": gettext("benchmark %(benchmark)s has no release %(release)s")
                        % {"benchmark": benchmark.name, "release": repr(attrs["release"])}
                    }
                )
            attrs["release"] = release
        return attrs


@extend_schema(
    parameters=[VerdictQuery],
    responses={**STREAMED, 400: OpenApiResponse(description="a filter value is not valid")},
    examples=[
        OpenApiExample(
            "one verdict per line",
            value=VERDICT_EXAMPLE,
            media_type="application/x-ndjson",
            response_only=True,
        )
    ],
    summary="Every verdict with its provenance (JSONL or CSV, streamed)",
)
@export_view
def verdicts(request: Request) -> StreamingHttpResponse:
    """One row per verdict, oldest first: video, generator model, task index, benchmark,
    criterion id, number and dimension, verdict, source (human or llm), the expert's
    user name or the judge model, status (draft or confirmed), the expert's time mark,
    what the expert had watched of the video when giving it (coverage: the share of its
    duration played, 0 to 1; replays; frame_steps; seconds_on_task: how long the
    judging page had been open; all null where not measured), created_at, updated_at."""
    query = VerdictQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    filters = dict(query.validated_data)
    fmt = filters.pop("format")
    rows = verdict_rows(verdicts_filtered(VerdictFilters(**filters)))
    if fmt == "csv":
        return _file(verdicts_csv(rows), CSV, "verdicts.csv")
    return _file(verdicts_jsonl(rows), JSONL, "verdicts.jsonl")


class ResultsQuery(serializers.Serializer):
    confirmed = serializers.BooleanField(
        default=False, help_text="human-confirmed verdicts instead of the judge's drafts"
    )
    judge = serializers.CharField(
        required=False, help_text="whose drafts, when several judges made some"
    )


@extend_schema(
    parameters=[ResultsQuery],
    responses={200: OpenApiTypes.ANY, 400: OpenApiResponse(description="choose a judge")},
    examples=[
        OpenApiExample(
            "Sora_result.json",
            value=[
                {
                    "index": 12,
                    "video_path": "videos/Sora/12.mp4",
                    "scientific_eval": EVAL_EXAMPLE,
                    "visual_eval": EVAL_EXAMPLE,
                    "instruction_eval": None,
                }
            ],
            response_only=True,
        )
    ],
    summary="One generator model's judge result file (<Model>_result.json)",
)
@api_view(["GET"])
@permission_classes(REVIEWERS_ONLY)
def judge_results(request: Request, pk: int, generator: str) -> Response:
    """A JSON array of {index, video_path, scientific_eval, visual_eval,
    instruction_eval}, as the export_results command writes it."""
    benchmark = get_object_or_404(Benchmark, pk=pk)
    model = get_object_or_404(GeneratorModel, name=generator)
    query = ResultsQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    try:
        entries = results_export(
            benchmark=benchmark,
            generator=model,
            confirmed=query.validated_data["confirmed"],
            judge_model=query.validated_data.get("judge"),
        )
    except InputError as exc:
        raise serializers.ValidationError({"judge": exc.messages}) from exc
    response = Response(entries)
    response["Content-Disposition"] = f'inline; filename="{model.name}_result.json"'
    return response


class SnapshotQuery(serializers.Serializer):
    as_of = MomentField(required=False, help_text="the snapshot time (default: now)")
    exclude_overlaps = serializers.BooleanField(
        default=False,
        help_text="leave out the clips confirmed as overlapping a benchmark task",
    )


class DecisionsQuery(SnapshotQuery):
    format = serializers.ChoiceField(choices=["jsonl", "csv"], default="jsonl")
    clips = serializers.ChoiceField(
        choices=["answered", "accepted"],
        default="answered",
        help_text="every clip answered by as_of (default), or the accepted set only",
    )


@extend_schema(
    parameters=[DecisionsQuery],
    responses=STREAMED,
    examples=[
        OpenApiExample(
            "one clip per line",
            value=(
                '{"as_of": "2025-06-01T12:00:00Z", "id": "clip00042", "video": '
                '"videos/clip00042.mp4", "prompt": "A neutrophil crawls toward a bacterium.", '
                '"level": "Cellular-level", "status": "accepted", "history": [...]}\n'
            ),
            media_type="application/x-ndjson",
            response_only=True,
        )
    ],
    summary=(
        "Every clip answered by the snapshot, or with clips=accepted the accepted set, "
        "with its decision history (JSONL or CSV, streamed)"
    ),
)
@export_view
def dataset_decisions(request: Request) -> StreamingHttpResponse:
    query = DecisionsQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    as_of = query.validated_data.get("as_of") or snapshot_parse(None)
    export = dataset_export(
        export_format=query.validated_data["format"],
        as_of=as_of,
        answered=query.validated_data["clips"] == "answered",
        exclude_overlaps=query.validated_data["exclude_overlaps"],
    )
    return _file(export.chunks, export.content_type, export.filename)


@extend_schema(
    parameters=[SnapshotQuery],
    responses={(200, "application/json"): OpenApiTypes.ANY},
    examples=[
        OpenApiExample(
            "metadata.json",
            value=[
                {
                    "id": "clip00042",
                    "video": "videos/clip00042.mp4",
                    "prompt": "A neutrophil crawls toward a bacterium.",
                }
            ],
            response_only=True,
        )
    ],
    summary="The training manifest (metadata.json) of the accepted clips",
)
@export_view
def dataset_manifest(request: Request) -> HttpResponse:
    """A JSON array of {id, video, prompt}, `video` relative to the manifest."""
    query = SnapshotQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    as_of = query.validated_data.get("as_of") or snapshot_parse(None)
    export = dataset_export(
        export_format="manifest",
        as_of=as_of,
        exclude_overlaps=query.validated_data["exclude_overlaps"],
    )
    response = HttpResponse(b"".join(export.chunks), content_type=export.content_type)
    response["Content-Disposition"] = f'inline; filename="{export.filename}"'
    return response
