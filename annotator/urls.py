from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from annotator.views import (
    accounts,
    audit,
    calibration,
    clips,
    contamination,
    dataset_export,
    gold,
    health,
    invitations,
    judge_drafts,
    judging,
    leaderboard,
    rubric_health,
    videos,
    work,
)
from rubrics_app.views import benchmarks, drafting, editor, proposals, releases

urlpatterns = [
    path("", accounts.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("api/v1/", include("annotator.api.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", accounts.language_set, name="set_language"),
    # The scripts' strings in the page's language; the login page loads it too.
    path(
        "i18n/catalog.js",
        login_not_required(JavaScriptCatalog.as_view()),
        name="javascript-catalog",
    ),
    path("account/", accounts.account_settings, name="account-settings"),
    path("account/tokens/<int:pk>/revoke", accounts.token_revoke, name="token-revoke"),
    path("admin/", admin.site.urls),
    path("benchmarks/", benchmarks.benchmark_list, name="benchmark-list"),
    path("benchmarks/<int:pk>/", benchmarks.benchmark_detail, name="benchmark-detail"),
    path("benchmarks/<int:pk>/leaderboard/", leaderboard.leaderboard_page, name="leaderboard"),
    path(
        "benchmarks/<int:pk>/rubric-health/",
        rubric_health.rubric_health_page,
        name="rubric-health",
    ),
    path(
        "benchmarks/<int:pk>/rubric-health.csv",
        rubric_health.rubric_health_csv,
        name="rubric-health-csv",
    ),
    path(
        "benchmarks/<int:pk>/contamination/",
        contamination.report_list,
        name="contamination-list",
    ),
    path("contamination/<int:pk>/", contamination.report_page, name="contamination-report"),
    path(
        "contamination/<int:pk>/report.<slug:fmt>",
        contamination.report_download,
        name="contamination-download",
    ),
    path(
        "contamination/findings/<int:pk>/decide",
        contamination.finding_decide_view,
        name="contamination-decide",
    ),
    path("tasks/<int:pk>/", benchmarks.task_detail, name="task-detail"),
    path("tasks/<int:pk>/reference", contamination.reference_upload, name="task-reference"),
    path("tasks/<int:pk>/history/", editor.task_history, name="task-history"),
    # proposals
    path("tasks/<int:pk>/proposal/", proposals.proposal_edit, name="proposal-edit"),
    path("tasks/<int:pk>/proposal/submit", proposals.proposal_submit, name="proposal-submit"),
    path("tasks/<int:pk>/proposals/", proposals.proposal_review, name="proposal-review"),
    path("tasks/<int:pk>/proposals/merge", proposals.proposal_merge, name="proposal-merge"),
    # judge
    path("judge/", judge_drafts.judge_drafts_page, name="judge-drafts"),
    path("judge/start", judge_drafts.judge_drafts_start_view, name="judge-drafts-start"),
    path("judge/jobs/<int:pk>/rerun", judge_drafts.judge_drafts_rerun_view, name="judge-rerun"),
    # clip
    path("clips/", clips.batch_list, name="clip-batches"),
    path("clips/batches/<int:pk>/", clips.clip_verify, name="clip-verify"),
    path("clips/batches/<int:pk>/decide", clips.clip_decide_view, name="clip-decide"),
    path("clips/batches/<int:pk>/undo", clips.clip_undo_view, name="clip-undo"),
    path("clips/batches/<int:pk>/grid/", clips.clip_grid, name="clip-grid"),
    path("clips/batches/<int:pk>/grid/reject", clips.clip_grid_reject, name="clip-grid-reject"),
    path("clips/batches/<int:pk>/grid/keep", clips.clip_grid_keep, name="clip-grid-keep"),
    path("clips/adjudication/", clips.adjudication_list, name="adjudication-list"),
    path("clips/gold/", gold.gold_clips_view, name="gold-clips"),
    path("clips/adjudication/<int:pk>/", clips.adjudication_clip, name="adjudication-clip"),
    # work
    path("work/", work.my_work, name="my-work"),
    path("work/batches/new", work.batch_new, name="batch-new"),
    path("work/calibration/new", calibration.calibration_new, name="calibration-new"),
    path("work/batches/<int:pk>/", work.batch_dashboard, name="batch-dashboard"),
    path("work/batches/<int:pk>/progress.csv", work.batch_dashboard_csv, name="batch-csv"),
    path("work/batches/<int:pk>/next", work.work_next, name="work-next"),
    path("work/batches/<int:pk>/reassign", work.batch_reassign_view, name="batch-reassign"),
    path("work/batches/<int:pk>/threshold", work.batch_threshold, name="batch-threshold"),
    path("work/assignments/<int:pk>/done", work.authoring_done, name="authoring-done"),
    # audit
    path("audit/", audit.audit_log, name="audit-log"),
    path("audit/log.csv", audit.audit_csv, name="audit-csv"),
    path("users/invite", invitations.users_invite, name="users-invite"),
    path(
        "invitations/<uidb64>/<token>/",
        invitations.invitation_accept,
        name="invitation-accept",
    ),
    path("tasks/<int:pk>/criteria/", editor.criterion_add, name="criterion-add"),
    path("criteria/<int:pk>/edit", editor.criterion_edit, name="criterion-edit"),
    path("criteria/<int:pk>/row", editor.criterion_row, name="criterion-row"),
    path("criteria/<int:pk>/<slug:action>", editor.criterion_action, name="criterion-action"),
    path("tasks/<int:pk>/draft", drafting.task_draft, name="task-draft"),
    path("tasks/<int:pk>/suggestions", drafting.task_suggestions, name="task-suggestions"),
    path(
        "suggestions/<int:pk>/<slug:decision>",
        drafting.suggestion_decide,
        name="suggestion-decide",
    ),
    path("benchmarks/<int:pk>/draft", drafting.benchmark_draft, name="benchmark-draft"),
    path("jobs/<int:pk>/", drafting.job_detail, name="job-detail"),
    path("benchmarks/<int:pk>/releases/", releases.release_list, name="release-list"),
    path("releases/<int:pk>/export.json", releases.release_download, name="release-export"),
    path("releases/compare/", releases.release_compare_view, name="release-compare"),
    path("media/videos/<uuid:public_id>/<slug:field>", videos.video_media, name="video-media"),
    path("judging/", judging.judging_home, name="judging-home"),
    path("judging/tasks/<int:pk>/", judging.judging_task, name="judging-task"),
    path("judging/benchmarks/<int:pk>/next", judging.judging_next, name="judging-next"),
    path(
        "judging/benchmarks/<int:pk>/progress",
        judging.judging_progress,
        name="judging-progress",
    ),
    path("judging/videos/<uuid:public_id>/verdict", judging.verdict_save, name="verdict-save"),
    path("judging/videos/<uuid:public_id>/mark", judging.verdict_mark, name="verdict-mark"),
    path(
        "judging/videos/<uuid:public_id>/confirm",
        judging.drafts_confirm_view,
        name="drafts-confirm",
    ),
    path(
        "judging/videos/<uuid:public_id>/absent",
        judging.dimension_absent_view,
        name="dimension-absent",
    ),
    path("judging/tasks/<int:pk>/confirm", judging.task_confirm_view, name="task-confirm"),
    path("judging/undo", judging.bulk_undo_view, name="bulk-undo"),
    path("videos/", videos.video_list, name="video-list"),
    path("videos/reprocess", videos.videos_reprocess_view, name="videos-reprocess"),
    path("videos/upload/", videos.video_upload_page, name="video-upload"),
    path("videos/batches/", videos.batch_create_view, name="batch-create"),
    path("videos/batches/<int:pk>/files", videos.batch_upload_view, name="batch-upload"),
    path("videos/batches/<int:pk>/states", videos.batch_states, name="batch-states"),
    path(
        "dataset/export/<slug:export_format>",
        dataset_export.dataset_export_view,
        name="dataset-export",
    ),
]

# JSON under /api/, pages elsewhere (annotator.core.error_views).
handler400 = "annotator.core.error_views.bad_request"
handler403 = "annotator.core.error_views.permission_denied"
handler404 = "annotator.core.error_views.page_not_found"
handler500 = "annotator.core.error_views.server_error"
