from django.contrib import admin

from rubrics_app.models import Benchmark, Criterion, Task


@admin.register(Benchmark)
class BenchmarkAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


class CriterionInline(admin.TabularInline):
    model = Criterion
    fields = ["dimension", "number", "position", "text", "polarity", "weight", "status", "origin"]
    extra = 0


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["index", "benchmark", "level", "prompt"]
    list_filter = ["benchmark", "level"]
    search_fields = ["prompt", "requirement", "source_ref"]
    list_select_related = ["benchmark"]
    inlines = [CriterionInline]


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["id", "task", "dimension", "number", "polarity", "weight", "status", "origin"]
    list_filter = ["dimension", "status", "origin", "polarity", "task__benchmark"]
    search_fields = ["text"]
    list_select_related = ["task__benchmark"]
    raw_id_fields = ["task", "created_by"]
