from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from annotator.core import queue
from annotator.core.llm import LLMNotConfigured
from annotator.models import (
    ClipDecision,
    ClipSuggestion,
    GeneratorModel,
    GoldAnswer,
    ImportBatch,
    Job,
    JudgeEvaluation,
    Judgment,
    RejectReason,
    User,
    Video,
    WorkBatch,
)
from annotator.models.choices import VideoKind
from annotator.services.clip_drafts import clip_drafts_start
from annotator.services.media import PIPELINE_FIELDS, videos_reprocess
from annotator.services.users import user_set_role


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "role", "is_active"]
    list_filter = ["role", "is_active", "is_superuser"]
    fieldsets = [
        (None, {"fields": ["username", "password", "role"]}),
        ("Personal info", {"fields": ["first_name", "last_name", "email"]}),
        (
            "Django permissions",
            {"fields": ["is_active", "is_superuser", "groups"], "classes": ["collapse"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["username", "role", "password1", "password2"]}),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        user_set_role(user=obj, role=obj.role)


@admin.register(GeneratorModel)
class GeneratorModelAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "generator",
        "task",
        "original_name",
        "media_status",
        "duration",
        "width",
        "height",
        "codec",
    ]
    list_filter = ["kind", "media_status", "generator", "level", "batch"]
    search_fields = ["original_name", "source_path", "caption", "source_ref", "sha256"]
    list_select_related = ["generator", "task__benchmark"]
    raw_id_fields = ["task", "batch"]
    readonly_fields = [
        "sha256",
        "processing_started_at",
        "created_at",
        *(f for f in PIPELINE_FIELDS if f not in ("media_status", "media_error")),
    ]
    actions = ["reprocess", "draft_clip_suggestions"]

    @admin.action(description="Re-run media processing")
    def reprocess(self, request, queryset):
        with queue.watch_for_page(request):
            count = videos_reprocess(videos=queryset)
        self.message_user(request, f"{count} videos queued for processing.")

    @admin.action(description="Draft caption suggestions with the LLM")
    def draft_clip_suggestions(self, request, queryset):
        # Generated videos in the selection are left out: the judge drafts those.
        if not queryset.filter(kind=VideoKind.DATASET).exists():
            self.message_user(request, "No dataset clips selected.", messages.WARNING)
            return
        try:
            with queue.watch_for_page(request):
                job = clip_drafts_start(videos=queryset, user=request.user)
        except (PermissionDenied, LLMNotConfigured) as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(
            request, f"Job #{job.pk} started: caption suggestions for {job.total} dataset clips."
        )


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["name", "created_by", "created_at"]
    search_fields = ["name"]


@admin.register(JudgeEvaluation)
class JudgeEvaluationAdmin(admin.ModelAdmin):
    list_display = ["id", "video", "dimension", "judge_model", "status", "created_at"]
    list_filter = ["dimension", "judge_model", "status"]
    list_select_related = ["video__generator"]
    raw_id_fields = ["video"]


@admin.register(Judgment)
class JudgmentAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "video",
        "criterion",
        "verdict",
        "source",
        "status",
        "user",
        "judge_model",
        "updated_at",
    ]
    list_filter = ["source", "status", "judge_model"]
    list_select_related = ["video__generator", "criterion__task__benchmark", "user"]
    raw_id_fields = ["video", "criterion", "evaluation"]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["kind", "description", "status", "total", "succeeded", "failed", "created_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [
        "kind",
        "status",
        "total",
        "succeeded",
        "failed",
        "failures",
        "created_by",
        "created_at",
        "finished_at",
    ]


@admin.register(RejectReason)
class RejectReasonAdmin(admin.ModelAdmin):
    list_display = ["label", "code", "key", "position", "active"]
    list_editable = ["key", "position", "active"]


@admin.register(ClipDecision)
class ClipDecisionAdmin(SimpleHistoryAdmin):
    list_display = ["video", "user", "decision", "level", "adjudication", "created_at"]
    list_filter = ["decision", "adjudication"]
    raw_id_fields = ["video", "user", "batch"]


@admin.register(ClipSuggestion)
class ClipSuggestionAdmin(admin.ModelAdmin):
    list_display = ["video", "judge_model", "status", "decision", "level", "created_at"]
    list_filter = ["status", "judge_model"]
    raw_id_fields = ["video"]


@admin.register(WorkBatch)
class WorkBatchAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "overlap", "created_by", "created_at"]
    list_filter = ["kind"]


@admin.register(GoldAnswer)
class GoldAnswerAdmin(SimpleHistoryAdmin):
    """Known answers annotators are measured against (their accuracy is on each
    batch's dashboard)."""

    list_display = ["video", "criterion", "decision", "verdict", "created_by", "created_at"]
    list_filter = ["decision", "verdict"]
    raw_id_fields = ["video", "criterion"]

    def save_model(self, request, obj, form, change):
        obj.created_by = obj.created_by or request.user
        super().save_model(request, obj, form, change)
