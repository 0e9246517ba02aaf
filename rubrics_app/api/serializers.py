"""The rubric API's serializers: what it answers (output) and what it reads (input)."""

import json
from typing import Any

from django.utils.translation import gettext
from rest_framework import serializers
from rest_framework.reverse import reverse

from rubrics_app.api.exports import EXPORTS
from rubrics_app.choices import CriterionStatus, Dimension, Level, Polarity
from rubrics_app.models import (
    Benchmark,
    Criterion,
    Release,
    ReleaseCriterion,
    ReleaseTask,
    Task,
)

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
        raise serializers.ValidationError(
            gettext("not valid UTF-8 JSON (%(error)s)") % {"error": exc}
        ) from None


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
                raise serializers.ValidationError(
                    {
                        upload: gettext("Send %(inline)s or %(upload)s, not both.")
                        % {"inline": inline, "upload": upload}
                    }
                )
            if upload in data:
                data[inline] = data.pop(upload)
        if "rubrics" not in data:
            raise serializers.ValidationError(
                {"rubrics": gettext("Send the rubric file (rubrics or file).")}
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


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
