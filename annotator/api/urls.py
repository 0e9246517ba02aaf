"""/api/v1/: every endpoint for downstream tools."""

from django.urls import include, path

from annotator.api import contamination, schema, views

urlpatterns = [
    path("schema/", schema.schema_view, name="api-schema"),
    path("docs/", schema.docs_view, name="api-docs"),
    path("benchmarks/<int:pk>/leaderboard", views.leaderboard, name="api-leaderboard"),
    path(
        "benchmarks/<int:pk>/rubric-health",
        views.rubric_health_view,
        name="api-rubric-health",
    ),
    path(
        "benchmarks/<int:pk>/contamination",
        contamination.report_create,
        name="api-contamination-create",
    ),
    path("contamination/<int:pk>", contamination.report_detail, name="api-contamination-report"),
    path("", include("rubrics_app.api.urls")),
    path("", include("annotator.api.label_urls")),
]
