"""/api/v1/: every endpoint for downstream tools."""

from django.urls import path

from annotator.api import views

urlpatterns = [
    path("benchmarks/<int:pk>/leaderboard", views.leaderboard, name="api-leaderboard"),
]
