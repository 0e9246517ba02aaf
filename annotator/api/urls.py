"""/api/v1/: every endpoint for downstream tools."""

from django.urls import include, path

from annotator.api import schema, views

urlpatterns = [
    path("schema/", schema.schema_view, name="api-schema"),
    path("docs/", schema.docs_view, name="api-docs"),
    path("benchmarks/<int:pk>/leaderboard", views.leaderboard, name="api-leaderboard"),
    path(
        "benchmarks/<int:pk>/rubric-health",
        views.rubric_health_view,
        name="api-rubric-health",
    ),
    path("", include("rubrics_app.api.urls")),
    path("", include("annotator.api.label_urls")),
]
