"""REST API of the rubrics: benchmarks, tasks with their live criteria, frozen releases
and their exports; admins create and edit tasks and criteria and import rubric files,
always through the services that the pages and commands use."""

from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from annotator.core.api_permissions import ADMIN_WRITES
from annotator.core.api_request import AuthedRequest
from annotator.core.negotiation import ExportNegotiation
from rubrics_app.api.examples import CRITERION_EXAMPLE, RELEASE_EXAMPLE, TASK_EXAMPLE, page_of
from rubrics_app.api.exports import EXPORTS, chunks, export_pieces
from rubrics_app.api.filters import (
    CriterionApiFilter,
    ReleaseFilter,
    ReleaseTaskFilter,
    TaskApiFilter,
    task_criteria,
)
from rubrics_app.api.serializers import (
    BenchmarkSerializer,
    CriterionCreateSerializer,
    CriterionSerializer,
    CriterionUpdateSerializer,
    ReleaseSerializer,
    ReleaseTaskSerializer,
    RubricImportReportSerializer,
    RubricImportSerializer,
    TaskCreateSerializer,
    TaskSerializer,
    TaskUpdateSerializer,
    validated,
)
from rubrics_app.models import (
    Criterion,
    Release,
    ReleaseCriterion,
    ReleaseTask,
    Task,
)
from rubrics_app.rubric_format import download_name
from rubrics_app.selectors import benchmarks_with_counts, count_of, tasks_with_review_state
from rubrics_app.services.authoring import criterion_create, criterion_update
from rubrics_app.services.rubric_files import rubrics_import
from rubrics_app.services.tasks import task_create, task_update


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
    permission_classes = ADMIN_WRITES
    http_method_names = ["get", "post", "patch", "head", "options"]

    def create(self, request: AuthedRequest) -> Response:
        task = task_create(user=request.user, **validated(TaskCreateSerializer, request.data))
        return Response(_task_out(task.pk), status=201)

    def partial_update(self, request: AuthedRequest, pk: int) -> Response:
        task = get_object_or_404(Task, pk=pk)
        changes = validated(TaskUpdateSerializer, request.data)
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
    permission_classes = ADMIN_WRITES
    http_method_names = ["get", "post", "patch", "head", "options"]

    def create(self, request: AuthedRequest) -> Response:
        criterion = criterion_create(
            user=request.user, **validated(CriterionCreateSerializer, request.data)
        )
        return Response(CriterionSerializer(criterion).data, status=201)

    def partial_update(self, request: AuthedRequest, pk: int) -> Response:
        criterion = get_object_or_404(Criterion, pk=pk)
        changes = validated(CriterionUpdateSerializer, request.data)
        criterion = criterion_update(criterion_id=criterion.pk, user=request.user, **changes)
        return Response(CriterionSerializer(criterion).data)


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
            chunks(export_pieces(release, kind)), content_type=content_type
        )
        name = download_name(benchmark=release.benchmark.name, release=release.name, suffix=suffix)
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
@permission_classes(ADMIN_WRITES)
def rubrics_import_view(request: Request) -> Response:
    data = validated(RubricImportSerializer, request.data)
    report = rubrics_import(
        rubric_data=data["rubrics"],
        tasks_data=data.get("tasks"),
        benchmark_name=data["benchmark"],
        status=data["status"],
        release_name=data["release"],
        weight_scheme=data["weight_scheme"],
    )
    return Response(RubricImportReportSerializer(report).data)
