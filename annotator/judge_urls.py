from django.urls import path

from annotator import judge_views

urlpatterns = [
    path("judge/", judge_views.judge_drafts_page, name="judge-drafts"),
    path("judge/start", judge_views.judge_drafts_start_view, name="judge-drafts-start"),
    path("judge/jobs/<int:pk>/rerun", judge_views.judge_drafts_rerun_view, name="judge-rerun"),
]
