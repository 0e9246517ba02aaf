"""/api/v1/: every endpoint for downstream tools."""

from django.urls import include, path

from annotator.api import schema, views

urlpatterns = [
    path("schema/", schema.schema_view, name="api-schema"),
    path("docs/", schema.docs_view, name="api-docs"),
    path("benchmarks/<int:pk>/leaderboard", views.leaderboard, name="api-leaderboard"),
    path("", include("rubrics_app.api.urls")),
    path("", include("annotator.api.label_urls")),
]
