from django.contrib import admin

from rubrics_app.models import (
    Benchmark,
    CriteriaDraft,
    Criterion,
    CriterionSuggestion,
    PromptTemplate,
    ProposalSet,
    Release,
    Task,
)
from rubrics_app.services import drafting


@admin.register(Benchmark)
class BenchmarkAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Criteria are shown, never written, here. Every write goes through the authoring
# service (authoring rights, the version check, the change back to review, the
# duplicate-text check, numbering, a history reason) that the criteria editor on the
# task page calls, and a status changes only by approving, requesting changes or
# retiring. Routing admin forms through it would make a second editor (a hidden
# version field, a status field mapped onto those actions) that can do nothing the
# editor cannot.


class CriterionInline(admin.TabularInline):
    model = Criterion
    fields = ["dimension", "number", "position", "text", "polarity", "weight", "status", "origin"]
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["index", "benchmark", "level", "prompt"]
    list_filter = ["benchmark", "level"]
    search_fields = ["prompt", "requirement", "source_ref"]
    list_select_related = ["benchmark"]
    inlines = [CriterionInline]


@admin.register(Criterion)
class CriterionAdmin(ReadOnlyAdmin):
    """Looked up here, changed in the criteria editor (see above)."""

    list_display = ["id", "task", "dimension", "number", "polarity", "weight", "status", "origin"]
    list_filter = ["dimension", "status", "origin", "polarity", "task__benchmark"]
    search_fields = ["text"]
    list_select_related = ["task__benchmark"]

    def has_delete_permission(self, request, obj=None):
        return False  # verdicts refer to criteria: the editor retires them instead


@admin.register(PromptTemplate)
class PromptTemplateAdmin(admin.ModelAdmin):
    """Admins edit a prompt by adding a version; earlier versions stay as they were,
    since drafts name the version they were made with."""

    list_display = ["kind", "version", "created_by", "created_at"]
    list_filter = ["kind"]
    fields = ["kind", "text"]

    def has_change_permission(self, request, obj=None):
        return False

    def get_changeform_initial_data(self, request):
        current = drafting.prompt_current()
        return {"kind": current.kind, "text": current.text}

    def save_model(self, request, obj, form, change):
        saved = drafting.prompt_save(kind=obj.kind, text=obj.text, user=request.user)
        obj.pk, obj.version = saved.pk, saved.version


@admin.register(Release)
class ReleaseAdmin(ReadOnlyAdmin):
    """Releases never change: made by reviewers in the app, only viewed here."""

    list_display = ["name", "benchmark", "weight_scheme", "created_by", "created_at"]
    list_filter = ["benchmark"]


@admin.register(CriteriaDraft)
class CriteriaDraftAdmin(ReadOnlyAdmin):
    list_display = ["task", "llm_model", "prompt_version", "ok", "error", "created_at"]
    list_filter = ["ok", "llm_model"]
    list_select_related = ["task__benchmark"]


@admin.register(CriterionSuggestion)
class CriterionSuggestionAdmin(ReadOnlyAdmin):
    list_display = ["text", "task", "dimension", "status", "decided_by"]
    list_filter = ["status", "dimension"]
    list_select_related = ["task__benchmark", "decided_by"]


@admin.register(ProposalSet)
class ProposalSetAdmin(admin.ModelAdmin):
    list_display = ["task", "author", "status", "submitted_at"]
    list_filter = ["status"]
    list_select_related = ["task__benchmark", "author"]
    raw_id_fields = ["task"]
