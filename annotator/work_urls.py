from django.urls import path

from annotator import work_views

urlpatterns = [
    path("work/", work_views.my_work, name="my-work"),
    path("work/batches/new", work_views.batch_new, name="batch-new"),
    path("work/batches/<int:pk>/", work_views.batch_dashboard, name="batch-dashboard"),
    path("work/batches/<int:pk>/progress.csv", work_views.batch_dashboard_csv, name="batch-csv"),
    path("work/batches/<int:pk>/next", work_views.work_next, name="work-next"),
    path("work/batches/<int:pk>/reassign", work_views.batch_reassign_view, name="batch-reassign"),
    path("work/assignments/<int:pk>/done", work_views.authoring_done, name="authoring-done"),
]
