"""The rubric endpoints under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from rubrics_app.api import views as api

router = SimpleRouter(trailing_slash=False)
router.register("benchmarks", api.BenchmarkViewSet, basename="api-benchmark")
router.register("tasks", api.TaskViewSet, basename="api-task")
router.register("criteria", api.CriterionViewSet, basename="api-criterion")
router.register("releases", api.ReleaseViewSet, basename="api-release")
router.register("release-tasks", api.ReleaseTaskViewSet, basename="api-release-task")

urlpatterns = [
    *router.urls,
    path("rubrics/import", api.rubrics_import_view, name="api-rubrics-import"),
]
