"""REST API of the rubrics: benchmarks, tasks with their live criteria, frozen releases
and their exports; admins create and edit tasks and criteria and import rubric files,
always through the services that the pages and commands use."""

import csv
import itertools
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import django_filters
from django.db.models import Case, Exists, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings

from annotator.core.api_permissions import AdminWrites
from annotator.core.negotiation import ExportNegotiation
from rubrics_app.choices import CriterionStatus, Dimension, Level, Polarity
from rubrics_app.filtersets import TaskFilter
from rubrics_app.models import (
    LIVE_CRITERIA,
    Benchmark,
    Criterion,
    Release,
    ReleaseCriterion,
    ReleaseTask,
    Task,
)
from rubrics_app.rubric_format import DIMENSION_KEYS, format_weight
from rubrics_app.selectors import benchmarks_with_counts, count_of, tasks_with_review_state
from rubrics_app.services.authoring import criterion_create, criterion_update
from rubrics_app.services.releases import release_export
from rubrics_app.services.rubric_files import rubrics_import
from rubrics_app.services.tasks import task_create, task_update

READ_AND_ADMIN_WRITES = [*api_settings.DEFAULT_PERMISSION_CLASSES, AdminWrites]
MAX_INT = 2**31 - 1  # PositiveIntegerField on PostgreSQL

# Serializers: output ---------------------------------------------------------------


class CriterionSerializer(serializers.ModelSerializer):
    weight = serializers.DecimalField(max_digits=12, decimal_places=6, coerce_to_string=False)

    class Meta:
        model = Criterion
        fields = [
            "id",
            "task",
            "dimension",
            "number",
            "position",
            "text",
            "polarity",
            "weight",
            "status",
            "origin",
            "version",
            "updated_at",
        ]
        read_only_fields = fields


class TaskSerializer(serializers.ModelSerializer):
    # Declared: DRF drops allow_blank from read-only model fields, so the schema's enum
    # left out the "" of a task without a level.
    level = serializers.ChoiceField(
        Level.choices, allow_blank=True, read_only=True, help_text='"" when not set'
    )
    criteria = CriterionSerializer(many=True, read_only=True, help_text="live criteria")

    class Meta:
        model = Task
        fields = [
            "id",
            "benchmark",
            "index",
            "prompt",
            "requirement",
            "level",
            "source_ref",
            "metadata",
            "updated_at",
            "criteria",
        ]
        read_only_fields = fields


class BenchmarkSerializer(serializers.ModelSerializer):
    n_tasks = serializers.IntegerField(read_only=True)
    n_organ = serializers.IntegerField(read_only=True, help_text="Organ-level tasks")
    n_cellular = serializers.IntegerField(read_only=True, help_text="Cellular-level tasks")
    n_subcellular = serializers.IntegerField(read_only=True, help_text="Subcellular-level tasks")
    n_criteria = serializers.IntegerField(read_only=True, help_text="live criteria")

    class Meta:
        model = Benchmark
        fields = [
            "id",
            "name",
            "description",
            "created_at",
            "n_tasks",
            "n_organ",
            "n_cellular",
            "n_subcellular",
            "n_criteria",
        ]
        read_only_fields = fields


class ReleaseSerializer(serializers.ModelSerializer):
    n_tasks = serializers.IntegerField(read_only=True)
    n_criteria = serializers.IntegerField(read_only=True)
    exports = serializers.SerializerMethodField()

    class Meta:
        model = Release
        fields = [
            "id",
            "benchmark",
            "name",
            "weight_scheme",
            "notes",
            "created_at",
            "n_tasks",
            "n_criteria",
            "exports",
        ]
        read_only_fields = fields

    def get_exports(self, release: Release) -> dict[str, str]:
        request = self.context.get("request")
        return {
            kind: reverse("api-release-export", args=[release.pk, kind], request=request)
            for kind in EXPORTS
        }


class ReleaseCriterionSerializer(serializers.ModelSerializer):
    weight = serializers.DecimalField(max_digits=12, decimal_places=6, coerce_to_string=False)

    class Meta:
        model = ReleaseCriterion
        fields = ["dimension", "number", "position", "text", "polarity", "weight"]
        read_only_fields = fields


class ReleaseTaskSerializer(serializers.ModelSerializer):
    criteria = ReleaseCriterionSerializer(many=True, read_only=True)

    class Meta:
        model = ReleaseTask
        fields = ["id", "release", "index", "prompt", "requirement", "level", "criteria"]
        read_only_fields = fields


# Serializers: input ----------------------------------------------------------------


class TaskCreateSerializer(serializers.Serializer):
    benchmark = serializers.PrimaryKeyRelatedField(queryset=Benchmark.objects.all())
    index = serializers.IntegerField(min_value=0, max_value=MAX_INT)
    prompt = serializers.CharField()
    requirement = serializers.CharField(required=False, allow_blank=True, default="")
    level = serializers.ChoiceField(Level.choices, required=False, allow_blank=True, default="")
    source_ref = serializers.CharField(required=False, allow_blank=True, default="")


class TaskUpdateSerializer(serializers.Serializer):
    prompt = serializers.CharField(required=False)
    requirement = serializers.CharField(required=False, allow_blank=True)
    level = serializers.ChoiceField(Level.choices, required=False, allow_blank=True)
    source_ref = serializers.CharField(required=False, allow_blank=True)


class CriterionCreateSerializer(serializers.Serializer):
    task = serializers.PrimaryKeyRelatedField(queryset=Task.objects.all())
    dimension = serializers.ChoiceField(Dimension.choices)
    text = serializers.CharField()
    polarity = serializers.ChoiceField(Polarity.choices)
    weight = serializers.DecimalField(max_digits=12, decimal_places=6, coerce_to_string=False)


class CriterionUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, max_value=MAX_INT, help_text="the version the edit was made on"
    )
    text = serializers.CharField(required=False)
    polarity = serializers.ChoiceField(Polarity.choices, required=False)
    weight = serializers.DecimalField(
        max_digits=12, decimal_places=6, coerce_to_string=False, required=False
    )


def _json_upload(upload: Any) -> Any:
    try:
        return json.loads(upload.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise serializers.ValidationError(f"not valid UTF-8 JSON ({exc})") from None


class RubricImportSerializer(serializers.Serializer):
    benchmark = serializers.CharField(max_length=100, help_text="created when new")
    rubrics = serializers.JSONField(required=False, help_text="the rubric file's JSON array")
    file = serializers.FileField(required=False, help_text="or the rubric file itself")
    tasks = serializers.JSONField(required=False, help_text="the task metadata file's array")
    tasks_file = serializers.FileField(required=False, help_text="or the metadata file itself")
    status = serializers.ChoiceField(
        [s for s in CriterionStatus.values if s != CriterionStatus.RETIRED],
        default=CriterionStatus.APPROVED,
        help_text="status of new and changed criteria",
    )
    release = serializers.CharField(
        max_length=50, required=False, default="", help_text="also freeze a release by this name"
    )
    weight_scheme = serializers.CharField(max_length=100, required=False, default="")

    def validate_file(self, upload: Any) -> Any:
        return _json_upload(upload)

    def validate_tasks_file(self, upload: Any) -> Any:
        return _json_upload(upload)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        for inline, upload in (("rubrics", "file"), ("tasks", "tasks_file")):
            if inline in data and upload in data:
                raise serializers.ValidationError({upload: f"Send {inline} or {upload}, not both."})
            if upload in data:
                data[inline] = data.pop(upload)
        if "rubrics" not in data:
            raise serializers.ValidationError(
                {"rubrics": "Send the rubric file (rubrics or file)."}
            )
        return data


class LeftOutSerializer(serializers.Serializer):
    task_index = serializers.IntegerField()
    dimension = serializers.ChoiceField(Dimension.choices)
    number = serializers.IntegerField()
    text = serializers.CharField()


class ReleaseReportSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="release.pk")
    name = serializers.CharField(source="release.name")
    tasks = serializers.IntegerField()
    criteria = serializers.IntegerField(help_text="criteria frozen")
    earlier_versions = serializers.IntegerField(
        help_text="of them, criteria being edited or reviewed, frozen at their last approved "
        "version"
    )
    left_out = LeftOutSerializer(
        many=True, help_text="live criteria never approved, so not in the release"
    )


class RubricImportReportSerializer(serializers.Serializer):
    benchmark = serializers.IntegerField(source="benchmark.pk")
    benchmark_name = serializers.CharField(source="benchmark.name")
    tasks_created = serializers.IntegerField()
    tasks_updated = serializers.IntegerField()
    tasks_unchanged = serializers.IntegerField()
    tasks_not_in_file = serializers.IntegerField()
    criteria_created = serializers.IntegerField()
    criteria_updated = serializers.IntegerField()
    criteria_unchanged = serializers.IntegerField()
    criteria_retired = serializers.IntegerField()
    warnings = serializers.ListField(child=serializers.CharField())
    release = ReleaseReportSerializer(allow_null=True)


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# Filters ---------------------------------------------------------------------------


def task_criteria(dimension: str | None = None, status: str | None = None) -> Prefetch:
    """A task's criteria in file order: the live ones, or those in `status`."""
    criteria = Criterion.objects.order_by("dimension", "position", "number")
    criteria = criteria.filter(status=status) if status else criteria.filter(LIVE_CRITERIA)
    if dimension:
        criteria = criteria.filter(dimension=dimension)
    return Prefetch("criteria", queryset=criteria)


class TaskApiFilter(TaskFilter):
    """The task list page's filters, plus what a synchronising tool needs."""

    benchmark = django_filters.ModelChoiceFilter(queryset=Benchmark.objects.all())
    updated_since = django_filters.IsoDateTimeFilter(
        method="changed_since", label="the task or one of its criteria changed at or after"
    )
    dimension = django_filters.ChoiceFilter(
        choices=Dimension.choices, method="nested", label="only the criteria of this dimension"
    )
    status = django_filters.ChoiceFilter(
        choices=CriterionStatus.choices, method="nested", label="only criteria in this status"
    )

    class Meta(TaskFilter.Meta):
        fields = [*TaskFilter.Meta.fields, "benchmark", "updated_since", "dimension", "status"]

    def changed_since(self, queryset: QuerySet[Task], name: str, value: datetime) -> QuerySet:
        edited = Criterion.objects.filter(task=OuterRef("pk"), updated_at__gte=value)
        return queryset.filter(Q(updated_at__gte=value) | Exists(edited))

    def nested(self, queryset: QuerySet[Task], name: str, value: str) -> QuerySet[Task]:
        return queryset  # applied to the prefetched criteria in filter_queryset

    def filter_queryset(self, queryset: QuerySet[Task]) -> QuerySet[Task]:
        queryset = super().filter_queryset(queryset)
        wanted = self.form.cleaned_data
        return queryset.prefetch_related(
            task_criteria(dimension=wanted.get("dimension"), status=wanted.get("status"))
        )


class CriterionApiFilter(django_filters.FilterSet):
    benchmark = django_filters.ModelChoiceFilter(
        field_name="task__benchmark", queryset=Benchmark.objects.all()
    )
    task = django_filters.ModelChoiceFilter(queryset=Task.objects.all())
    level = django_filters.ChoiceFilter(field_name="task__level", choices=Level.choices)
    dimension = django_filters.ChoiceFilter(choices=Dimension.choices)
    status = django_filters.ChoiceFilter(choices=CriterionStatus.choices)
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Criterion
        fields = ["benchmark", "task", "level", "dimension", "status", "updated_since"]


class ReleaseFilter(django_filters.FilterSet):
    benchmark = django_filters.ModelChoiceFilter(queryset=Benchmark.objects.all())

    class Meta:
        model = Release
        fields = ["benchmark"]


class ReleaseTaskFilter(django_filters.FilterSet):
    release = django_filters.ModelChoiceFilter(queryset=Release.objects.all())
    level = django_filters.ChoiceFilter(choices=Level.choices)
    dimension = django_filters.ChoiceFilter(
        choices=Dimension.choices, method="nested", label="only the criteria of this dimension"
    )

    class Meta:
        model = ReleaseTask
        fields = ["release", "level", "dimension"]

    def nested(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # applied to the prefetched criteria in filter_queryset

    def filter_queryset(self, queryset: QuerySet[ReleaseTask]) -> QuerySet[ReleaseTask]:
        queryset = super().filter_queryset(queryset)
        criteria = ReleaseCriterion.objects.order_by("dimension", "position", "number")
        if dimension := self.form.cleaned_data.get("dimension"):
            criteria = criteria.filter(dimension=dimension)
        return queryset.prefetch_related(Prefetch("criteria", queryset=criteria))


# Views -----------------------------------------------------------------------------

CRITERION_EXAMPLE = {
    "id": 17,
    "task": 3,
    "dimension": "scientific",
    "number": 2,
    "position": 1,
    "text": "Red blood cells have no nucleus.",
    "polarity": 1,
    "weight": 2.0,
    "status": "approved",
    "origin": "imported",
    "version": 4,
    "updated_at": "2025-05-02T09:14:00Z",
}
TASK_EXAMPLE = {
    "id": 3,
    "benchmark": 1,
    "index": 3,
    "prompt": "Blood flow through a stroke-blocked vessel",
    "requirement": "Show the clot, the stalled flow upstream and the ischemic tissue.",
    "level": "Organ-level",
    "source_ref": "channel_title_https://example.org/v",
    "metadata": {"任务中文": "中风血管中的血流"},
    "updated_at": "2025-05-02T09:14:00Z",
    "criteria": [CRITERION_EXAMPLE],
}
RELEASE_EXAMPLE = {
    "id": 2,
    "benchmark": 1,
    "name": "v1.0",
    "weight_scheme": "published",
    "notes": "",
    "created_at": "2025-05-03T10:00:00Z",
    "n_tasks": 459,
    "n_criteria": 6885,
    "exports": {
        kind: f"https://annotator.example/api/v1/releases/2/export/{kind}"
        for kind in ("rubrics", "jsonl", "csv")
    },
}


def page_of(example: dict[str, Any]) -> dict[str, Any]:
    return {
        "next": "https://annotator.example/api/v1/…?cursor=cD0xMDA%3D",
        "previous": None,
        "results": [example],
    }


@extend_schema_view(
    list=extend_schema(
        summary="List benchmarks",
        description="With their task counts (in all and per level) and live criteria.",
        examples=[
            OpenApiExample(
                "A benchmark",
                value=page_of(
                    {
                        "id": 1,
                        "name": "MicroWorldBench",
                        "description": "",
                        "created_at": "2025-05-01T08:00:00Z",
                        "n_tasks": 459,
                        "n_organ": 120,
                        "n_cellular": 200,
                        "n_subcellular": 139,
                        "n_criteria": 6885,
                    }
                ),
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        summary="Fetch a benchmark",
        examples=[
            OpenApiExample(
                "A benchmark",
                value={"id": 1, "name": "MicroWorldBench", "n_tasks": 459},
                response_only=True,
            )
        ],
    ),
)
class BenchmarkViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = r"\d+"
    queryset = benchmarks_with_counts()
    serializer_class = BenchmarkSerializer


def _task_out(pk: int) -> dict[str, Any]:
    task = Task.objects.prefetch_related(task_criteria()).get(pk=pk)
    return TaskSerializer(task).data


@extend_schema_view(
    list=extend_schema(
        summary="List tasks with their criteria",
        description=(
            "Each task with its live criteria (or those of one dimension or status). "
            "`updated_since` also finds tasks whose criteria changed, retirements included."
        ),
        examples=[
            OpenApiExample("A page of tasks", value=page_of(TASK_EXAMPLE), response_only=True)
        ],
    ),
    retrieve=extend_schema(
        summary="Fetch a task with its criteria",
        examples=[OpenApiExample("A task", value=TASK_EXAMPLE, response_only=True)],
    ),
    create=extend_schema(
        summary="Create a task (admins)",
        request=TaskCreateSerializer,
        responses={201: TaskSerializer},
        examples=[
            OpenApiExample(
                "A new task",
                value={
                    "benchmark": 1,
                    "index": 460,
                    "prompt": "White-cell chemotaxis toward a wound",
                    "level": "Cellular-level",
                },
                request_only=True,
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Edit a task (admins)",
        description="Prompt, requirement, level and source reference; the index stays.",
        request=TaskUpdateSerializer,
        responses={200: TaskSerializer},
        examples=[
            OpenApiExample("A new level", value={"level": "Subcellular-level"}, request_only=True)
        ],
    ),
)
class TaskViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = r"\d+"
    queryset = tasks_with_review_state(Task.objects.all())
    serializer_class = TaskSerializer
    filterset_class = TaskApiFilter
    permission_classes = READ_AND_ADMIN_WRITES
    http_method_names = ["get", "post", "patch", "head", "options"]

    def create(self, request: Request) -> Response:
        task = task_create(user=request.user, **_valid(TaskCreateSerializer, request.data))
        return Response(_task_out(task.pk), status=201)

    def partial_update(self, request: Request, pk: int) -> Response:
        task = get_object_or_404(Task, pk=pk)
        changes = _valid(TaskUpdateSerializer, request.data)
        task_update(task_id=task.pk, user=request.user, **changes)
        return Response(_task_out(task.pk))


@extend_schema_view(
    list=extend_schema(
        summary="List criteria",
        description="Every criterion, retired ones included (see `status`).",
        examples=[
            OpenApiExample(
                "A page of criteria", value=page_of(CRITERION_EXAMPLE), response_only=True
            )
        ],
    ),
    retrieve=extend_schema(
        summary="Fetch a criterion",
        examples=[OpenApiExample("A criterion", value=CRITERION_EXAMPLE, response_only=True)],
    ),
    create=extend_schema(
        summary="Add a criterion (admins)",
        description="Added at the end of its dimension, proposed for review.",
        request=CriterionCreateSerializer,
        responses={201: CriterionSerializer},
        examples=[
            OpenApiExample(
                "A penalty point",
                value={
                    "task": 3,
                    "dimension": "scientific",
                    "text": "Red blood cells are shown with a nucleus.",
                    "polarity": -1,
                    "weight": 1,
                },
                request_only=True,
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Edit a criterion (admins)",
        description=(
            "Send the `version` you read: when the criterion changed since, nothing is "
            "written and the answer is 409 with `current_version`. The edit sends the "
            "criterion back to review."
        ),
        request=CriterionUpdateSerializer,
        responses={
            200: CriterionSerializer,
            409: OpenApiResponse(description="changed by someone else since `version`"),
        },
        examples=[
            OpenApiExample("A new weight", value={"version": 4, "weight": 1.5}, request_only=True),
            OpenApiExample(
                "A stale edit",
                value={
                    "detail": "Changed by rev at 2025-05-02 09:14:00; your edit was not saved.",
                    "current_version": 5,
                },
                response_only=True,
                status_codes=["409"],
            ),
        ],
    ),
)
class CriterionViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = r"\d+"
    queryset = Criterion.objects.all()
    serializer_class = CriterionSerializer
    filterset_class = CriterionApiFilter
    permission_classes = READ_AND_ADMIN_WRITES
    http_method_names = ["get", "post", "patch", "head", "options"]

    def create(self, request: Request) -> Response:
        criterion = criterion_create(
            user=request.user, **_valid(CriterionCreateSerializer, request.data)
        )
        return Response(CriterionSerializer(criterion).data, status=201)

    def partial_update(self, request: Request, pk: int) -> Response:
        criterion = get_object_or_404(Criterion, pk=pk)
        changes = _valid(CriterionUpdateSerializer, request.data)
        criterion = criterion_update(criterion_id=criterion.pk, user=request.user, **changes)
        return Response(CriterionSerializer(criterion).data)


# Exports ---------------------------------------------------------------------------

EXPORTS = {
    "rubrics": ("application/json; charset=utf-8", "rubrics.json"),
    "jsonl": ("application/x-ndjson; charset=utf-8", "criteria.jsonl"),
    "csv": ("text/csv; charset=utf-8", "criteria.csv"),
}
ROW_COLUMNS = [
    "task_index",
    "level",
    "prompt",
    "requirement",
    "dimension",
    "number",
    "position",
    "text",
    "polarity",
    "weight",
]
CHUNK = 1 << 16


def _chunks(pieces: Iterable[str]) -> Iterator[bytes]:
    """Pieces joined into blocks of about CHUNK characters: one write per block."""
    block: list[str] = []
    size = 0
    for piece in pieces:
        block.append(piece)
        size += len(piece)
        if size >= CHUNK:
            yield "".join(block).encode()
            block, size = [], 0
    yield "".join(block).encode()


def _criterion_rows(release: Release) -> Iterator[tuple]:
    """One row per frozen criterion, in file order (task, dimension, position)."""
    dimension_order = Case(
        *(When(dimension=d, then=Value(i)) for i, d in enumerate(DIMENSION_KEYS)),
        default=Value(len(DIMENSION_KEYS)),
    )
    return (
        ReleaseCriterion.objects.filter(release_task__release=release)
        .order_by("release_task__index", dimension_order, "position", "number")
        .values_list(
            "release_task__index",
            "release_task__level",
            "release_task__prompt",
            "release_task__requirement",
            "dimension",
            "number",
            "position",
            "text",
            "polarity",
            "weight",
        )
        .iterator(chunk_size=2000)
    )


def _export_pieces(release: Release, kind: str) -> Iterable[str]:
    if kind == "rubrics":
        # Exactly what `export_rubrics --release` writes (annotator.core.commands.write_json).
        encoder = json.JSONEncoder(ensure_ascii=False, indent=2)
        return itertools.chain(encoder.iterencode(release_export(release=release)), ["\n"])
    if kind == "jsonl":
        return (
            json.dumps(
                dict(zip(ROW_COLUMNS, (*row[:-1], float(row[-1])), strict=True)), ensure_ascii=False
            )
            + "\n"
            for row in _criterion_rows(release)
        )
    writer = csv.writer(_Echo())
    return itertools.chain(
        [writer.writerow(ROW_COLUMNS)],
        (writer.writerow((*row[:-1], format_weight(row[-1]))) for row in _criterion_rows(release)),
    )


class _Echo:
    """A file for csv.writer that hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


@extend_schema_view(
    list=extend_schema(
        summary="List releases",
        description="Frozen copies of a benchmark's approved rubrics, newest first per benchmark.",
        examples=[OpenApiExample("A release", value=page_of(RELEASE_EXAMPLE), response_only=True)],
    ),
    retrieve=extend_schema(
        summary="Fetch a release",
        examples=[OpenApiExample("A release", value=RELEASE_EXAMPLE, response_only=True)],
    ),
)
class ReleaseViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = r"\d+"
    queryset = Release.objects.select_related("benchmark").annotate(
        n_tasks=count_of(ReleaseTask.objects.all(), "release"),
        n_criteria=count_of(ReleaseCriterion.objects.all(), "release_task__release"),
    )
    serializer_class = ReleaseSerializer
    filterset_class = ReleaseFilter

    @extend_schema(
        summary="Export a release",
        description=(
            "`rubrics`: the rubric file, byte for byte what `export_rubrics --release` "
            "writes; `jsonl` and `csv`: one row per criterion. Streamed; a release never "
            "changes, so its ETag does not either."
        ),
        parameters=[
            OpenApiParameter(
                "kind", str, OpenApiParameter.PATH, enum=list(EXPORTS), description="format"
            )
        ],
        filters=False,
        responses={
            (200, "application/json"): OpenApiTypes.ANY,
            (200, "application/x-ndjson"): OpenApiTypes.STR,
            (200, "text/csv"): OpenApiTypes.STR,
        },
        examples=[
            OpenApiExample(
                "A CSV export",
                value="task_index,level,prompt,requirement,dimension,number,position,text,"
                "polarity,weight\r\n1,Cellular-level,Cell division,Show...,scientific,1,0,"
                "Chromosomes condense before they separate.,1,2\r\n",
                media_type="text/csv",
                response_only=True,
            )
        ],
    )
    @action(
        detail=True,
        url_path=r"export/(?P<kind>rubrics|jsonl|csv)",
        url_name="export",
        content_negotiation_class=ExportNegotiation,
        filter_backends=[],
    )
    def export(self, request: Request, pk: int, kind: str) -> StreamingHttpResponse:
        release = self.get_object()
        content_type, suffix = EXPORTS[kind]
        response = StreamingHttpResponse(
            _chunks(_export_pieces(release, kind)), content_type=content_type
        )
        name = f"{release.benchmark.name}_{release.name}_{suffix}".replace(" ", "_")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        # Frozen content: the ETag is known without reading it (If-None-Match -> 304).
        response["ETag"] = f'"release-{release.pk}-{release.created_at.timestamp()}-{kind}"'
        return response


@extend_schema_view(
    list=extend_schema(
        summary="List the frozen tasks of releases",
        description="Tasks as they were when the release was made, with their frozen criteria.",
        examples=[
            OpenApiExample(
                "A frozen task",
                value=page_of(
                    {
                        "id": 9,
                        "release": 2,
                        "index": 3,
                        "prompt": TASK_EXAMPLE["prompt"],
                        "requirement": TASK_EXAMPLE["requirement"],
                        "level": "Organ-level",
                        "criteria": [
                            {
                                "dimension": "scientific",
                                "number": 2,
                                "position": 1,
                                "text": CRITERION_EXAMPLE["text"],
                                "polarity": 1,
                                "weight": 2.0,
                            }
                        ],
                    }
                ),
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        summary="Fetch a frozen task",
        examples=[
            OpenApiExample(
                "A frozen task", value={"id": 9, "release": 2, "index": 3}, response_only=True
            )
        ],
    ),
)
class ReleaseTaskViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = r"\d+"
    queryset = ReleaseTask.objects.all()
    serializer_class = ReleaseTaskSerializer
    filterset_class = ReleaseTaskFilter


@extend_schema(
    summary="Import a rubric file (admins)",
    description=(
        "The rubric file as JSON (`rubrics`) or as an upload (`file`, multipart), with an "
        "optional task metadata file. Tasks are upserted by index and criteria by "
        "dimension and number, as `import_rubrics` does; the whole file is checked first "
        "and any problem answers 400 listing them all, with nothing written."
    ),
    request={
        "application/json": RubricImportSerializer,
        "multipart/form-data": RubricImportSerializer,
    },
    responses={200: RubricImportReportSerializer},
    examples=[
        OpenApiExample(
            "One task",
            value={
                "benchmark": "MicroWorldBench",
                "rubrics": [
                    {
                        "index": 1,
                        "task": "Cell division",
                        "requirement": "Show mitosis in order.",
                        "rubrics_scientific": {
                            "d1": "Chromosomes condense.",
                            "s1": "+1",
                            "w1": "2",
                        },
                        "rubrics_visual": {"d1": "No flicker.", "s1": "+1", "w1": "1"},
                        "rubrics_instruction": {"d1": "One cell divides.", "s1": "+1", "w1": "1"},
                    }
                ],
                "release": "v1.1",
            },
            request_only=True,
        ),
        OpenApiExample(
            "A rejected file",
            value={
                "detail": "The input has problems. Nothing was written.",
                "problems": [
                    'task 4, rubrics_visual.s2: polarity must be "+1" or "-1", got \'0\'',
                    "task 9, rubrics_scientific.w1: criterion d1 has no weight w1",
                ],
            },
            response_only=True,
            status_codes=["400"],
        ),
    ],
)
@api_view(["POST"])
@permission_classes(READ_AND_ADMIN_WRITES)
def rubrics_import_view(request: Request) -> Response:
    data = _valid(RubricImportSerializer, request.data)
    report = rubrics_import(
        rubric_data=data["rubrics"],
        tasks_data=data.get("tasks"),
        benchmark_name=data["benchmark"],
        status=data["status"],
        release_name=data["release"],
        weight_scheme=data["weight_scheme"],
    )
    return Response(RubricImportReportSerializer(report).data)
