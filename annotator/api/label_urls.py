"""/api/v1/: labels (verdicts, judge result files, the training set) and admin writes
(videos, draft-judgment jobs)."""

from django.urls import path

from annotator.api import labels, writes

urlpatterns = [
    path("verdicts", labels.verdicts, name="api-verdicts"),
    path(
        "benchmarks/<int:pk>/results/<str:generator>",
        labels.judge_results,
        name="api-judge-results",
    ),
    path("dataset/decisions", labels.dataset_decisions, name="api-dataset-decisions"),
    path("dataset/manifest", labels.dataset_manifest, name="api-dataset-manifest"),
    path("videos", writes.video_create, name="api-videos"),
    path("judge/jobs", writes.judge_job_create, name="api-judge-jobs"),
    path("jobs/<int:pk>", writes.job_detail, name="api-job"),
]
