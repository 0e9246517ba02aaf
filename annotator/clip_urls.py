from django.urls import path

from annotator import clip_views

urlpatterns = [
    path("clips/", clip_views.batch_list, name="clip-batches"),
    path("clips/batches/<int:pk>/", clip_views.clip_verify, name="clip-verify"),
    path("clips/batches/<int:pk>/decide", clip_views.clip_decide_view, name="clip-decide"),
    path("clips/batches/<int:pk>/undo", clip_views.clip_undo_view, name="clip-undo"),
    path("clips/batches/<int:pk>/grid/", clip_views.clip_grid, name="clip-grid"),
    path(
        "clips/batches/<int:pk>/grid/reject", clip_views.clip_grid_reject, name="clip-grid-reject"
    ),
    path("clips/adjudication/", clip_views.adjudication_list, name="adjudication-list"),
    path("clips/adjudication/<int:pk>/", clip_views.adjudication_clip, name="adjudication-clip"),
]
