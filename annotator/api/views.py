"""REST API for downstream tools (DRF). Session authentication for now; API tokens
with scopes come with the API issue."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from annotator.core.api_permissions import GENERATOR_VIEWERS
from annotator.selectors.leaderboard import leaderboard_compute
from annotator.selectors.rubric_health import ANY, Finding, rubric_health
from annotator.selectors.verdicts import Source
from rubrics_app.models import Benchmark, Release
from rubrics_app.selectors import release_chosen


def _release(benchmark: Benchmark, asked: str) -> Release:
    """The release a query asks for, by name or id as on the pages (release_chosen)."""
    release = release_chosen(benchmark.releases.all(), asked)
    if release is None:
        raise NotFound(f"{benchmark.name} has no release named {asked!r} (or with that id).")
    return release


class LeaderboardQuery(serializers.Serializer):
    release = serializers.CharField(required=False, help_text="release name or id")
    # A declared field, which DRF's metaclass moves into _declared_fields; the stubs
    # see the class attribute Field.source (a str) instead.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=[s.value for s in Source], default=Source.DRAFTS
    )
    judge = serializers.CharField(required=False, help_text="judge model of the drafts")


@extend_schema(
    summary="Leaderboard of a benchmark",
    parameters=[LeaderboardQuery],
    responses={200: OpenApiTypes.OBJECT},
    examples=[
        OpenApiExample(
            "Two models",
            value={
                "benchmark": "MicroWorldBench",
                "release": "v1.0",
                "source": "drafts",
                "judge_model": None,
                "rows": [
                    {
                        "generator": "Sora",
                        "overall": 36.27,
                        "by_level": {"Organ-level": 40.1, "Cellular-level": 35.2},
                        "by_dimension": {"scientific": 30.5, "visual": 61.0},
                        "tasks_counted": 459,
                        "tasks_total": 459,
                        "corrected": {
                            "estimate": 31.84,
                            "interval": [27.1, 36.58],
                            "judge": 36.27,
                            "correction": -4.43,
                            "sampled": 100,
                            "verified": 96,
                            "population": 1377,
                            "more_to_halve": 310,
                            "judge_clipped_tasks": 0,
                        },
                    }
                ],
                "calibration": {
                    "method": "prediction-powered inference: ...",
                    "confidence": 0.95,
                    "note": "Only the randomly drawn calibration items enter this estimate...",
                    "sampled": 1000,
                    "verified": 960,
                    "batches": [{"batch": 7, "name": "Calibration", "seed": 1234, "size": 1000}],
                },
            },
            response_only=True,
        )
    ],
)
@api_view(["GET"])
@permission_classes(GENERATOR_VIEWERS)
def leaderboard(request: Request, pk: int) -> Response:
    """Per generator model: overall score, per level, per dimension, and coverage, each
    with its interval; with the judge's drafts (source=drafts) and a calibration sample,
    each model's human-corrected score (`corrected`) and what it rests on
    (`calibration`)."""
    benchmark = get_object_or_404(Benchmark, pk=pk)
    query = LeaderboardQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    release = None
    if "release" in query.validated_data:
        release = _release(benchmark, query.validated_data["release"])
    board = leaderboard_compute(
        benchmark=benchmark,
        release=release,
        source=query.validated_data["source"],
        judge_model=query.validated_data.get("judge"),
    )
    return Response(board.as_dict())


class RubricHealthQuery(serializers.Serializer):
    release = serializers.CharField(required=False, help_text="release name or id")
    judge = serializers.CharField(
        required=False, help_text="judge model of the drafts (default: the first by name)"
    )
    finding = serializers.ChoiceField(
        choices=[ANY, *Finding],
        required=False,
        help_text="only the criteria with this finding (any: with one), the worst first",
    )


@extend_schema(
    summary="Rubric health of a benchmark",
    parameters=[RubricHealthQuery],
    responses={200: OpenApiTypes.OBJECT},
    examples=[
        OpenApiExample(
            "One unreliable criterion",
            value={
                "benchmark": "MicroWorldBench",
                "release": "v1.0",
                "judge_model": "published-judge",
                "thresholds": {
                    "min_pairs": 10,
                    "kappa_below": 0.4,
                    "min_overlap": 5,
                    "alpha_below": 0.667,
                    "min_videos": 5,
                },
                "findings": {"judge-unreliable": 1, "zero-weight": 0},
                "overall": {"n": 12, "accuracy": 0.5, "kappa": 0.2},
                "by_generator": {"Sora": {"n": 12, "accuracy": 0.5, "kappa": 0.2}},
                "criteria": [
                    {
                        "criterion": 4012,
                        "task_index": 17,
                        "dimension": "scientific",
                        "number": 2,
                        "text": "Red blood cells have no nucleus",
                        "polarity": 1,
                        "weight": 2.0,
                        "judge": {
                            "n": 12,
                            "both_1": 3,
                            "judge_1_expert_0": 6,
                            "judge_0_expert_1": 0,
                            "both_0": 3,
                            "accuracy": 0.5,
                            "kappa": 0.2,
                            "over_call_rate": 0.5,
                            "under_call_rate": 0.0,
                        },
                        "experts": {"items": 0, "unanimous": 0, "alpha": None},
                        "videos": 12,
                        "generators": 10,
                        "met": 3,
                        "findings": ["judge-unreliable"],
                    }
                ],
            },
            response_only=True,
        )
    ],
)
@api_view(["GET"])
@permission_classes(GENERATOR_VIEWERS)
def rubric_health_view(request: Request, pk: int) -> Response:
    """Per criterion the judge against the experts (agreement, Cohen's kappa, over- and
    under-call rates, counts), the experts among themselves (Krippendorff's alpha) and
    the verdicts' spread, with its findings; the judge's figures by dimension,
    polarity, level and generator model; the thresholds used."""
    benchmark = get_object_or_404(Benchmark, pk=pk)
    query = RubricHealthQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    release = None
    if "release" in query.validated_data:
        release = _release(benchmark, query.validated_data["release"])
    health = rubric_health(
        benchmark=benchmark, release=release, judge_model=query.validated_data.get("judge")
    )
    return Response(health.as_dict(health.select(query.validated_data.get("finding", ""))))
