from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from annotator import (
    account_views,
    dataset_export_views,
    judging_views,
    leaderboard_views,
    views,
)
from rubrics_app import drafting_views, editor_views, release_views
from rubrics_app import views as rubric_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="benchmark-list"), name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("api/v1/", include("annotator.api.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("account/", account_views.account_settings, name="account-settings"),
    path("account/tokens/<int:pk>/revoke", account_views.token_revoke, name="token-revoke"),
    path("admin/", admin.site.urls),
    path("benchmarks/", rubric_views.benchmark_list, name="benchmark-list"),
    path("benchmarks/<int:pk>/", rubric_views.benchmark_detail, name="benchmark-detail"),
    path(
        "benchmarks/<int:pk>/leaderboard/", leaderboard_views.leaderboard_page, name="leaderboard"
    ),
    path("tasks/<int:pk>/", rubric_views.task_detail, name="task-detail"),
    path("tasks/<int:pk>/history/", editor_views.task_history, name="task-history"),
    path("", include("rubrics_app.proposal_urls")),
    path("", include("annotator.judge_urls")),
    path("", include("annotator.clip_urls")),
    path("", include("annotator.work_urls")),
    path("", include("annotator.audit_urls")),
    path("tasks/<int:pk>/criteria/", editor_views.criterion_add, name="criterion-add"),
    path("criteria/<int:pk>/edit", editor_views.criterion_edit, name="criterion-edit"),
    path("criteria/<int:pk>/row", editor_views.criterion_row, name="criterion-row"),
    path("criteria/<int:pk>/<slug:action>", editor_views.criterion_action, name="criterion-action"),
    path("tasks/<int:pk>/draft", drafting_views.task_draft, name="task-draft"),
    path("tasks/<int:pk>/suggestions", drafting_views.task_suggestions, name="task-suggestions"),
    path(
        "suggestions/<int:pk>/<slug:decision>",
        drafting_views.suggestion_decide,
        name="suggestion-decide",
    ),
    path("benchmarks/<int:pk>/draft", drafting_views.benchmark_draft, name="benchmark-draft"),
    path("jobs/<int:pk>/", drafting_views.job_detail, name="job-detail"),
    path("benchmarks/<int:pk>/releases/", release_views.release_list, name="release-list"),
    path("releases/<int:pk>/export.json", release_views.release_download, name="release-export"),
    path("releases/compare/", release_views.release_compare_view, name="release-compare"),
    path("media/videos/<uuid:public_id>/<slug:field>", views.video_media, name="video-media"),
    path("judging/tasks/<int:pk>/", judging_views.judging_task, name="judging-task"),
    path("judging/benchmarks/<int:pk>/next", judging_views.judging_next, name="judging-next"),
    path(
        "judging/benchmarks/<int:pk>/progress",
        judging_views.judging_progress,
        name="judging-progress",
    ),
    path(
        "judging/videos/<uuid:public_id>/verdict", judging_views.verdict_save, name="verdict-save"
    ),
    path(
        "judging/videos/<uuid:public_id>/confirm",
        judging_views.drafts_confirm_view,
        name="drafts-confirm",
    ),
    path("videos/", views.video_list, name="video-list"),
    path("videos/reprocess", views.videos_reprocess_view, name="videos-reprocess"),
    path("videos/upload/", views.video_upload_page, name="video-upload"),
    path("videos/batches/", views.batch_create_view, name="batch-create"),
    path("videos/batches/<int:pk>/files", views.batch_upload_view, name="batch-upload"),
    path(
        "dataset/export/<slug:export_format>",
        dataset_export_views.dataset_export_view,
        name="dataset-export",
    ),
]

# JSON under /api/, pages elsewhere (annotator.error_views).
handler400 = "annotator.error_views.bad_request"
handler403 = "annotator.error_views.permission_denied"
handler404 = "annotator.error_views.page_not_found"
handler500 = "annotator.error_views.server_error"
