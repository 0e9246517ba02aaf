from django.urls import path

from rubrics_app import proposal_views

urlpatterns = [
    path("tasks/<int:pk>/proposal/", proposal_views.proposal_edit, name="proposal-edit"),
    path("tasks/<int:pk>/proposal/submit", proposal_views.proposal_submit, name="proposal-submit"),
    path("tasks/<int:pk>/proposals/", proposal_views.proposal_review, name="proposal-review"),
    path("tasks/<int:pk>/proposals/merge", proposal_views.proposal_merge, name="proposal-merge"),
]
