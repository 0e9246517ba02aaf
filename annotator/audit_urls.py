from django.urls import path

from annotator import audit_views, invitation_views

urlpatterns = [
    path("audit/", audit_views.audit_log, name="audit-log"),
    path("audit/log.csv", audit_views.audit_csv, name="audit-csv"),
    path("users/invite", invitation_views.users_invite, name="users-invite"),
    path(
        "invitations/<uidb64>/<token>/",
        invitation_views.invitation_accept,
        name="invitation-accept",
    ),
]
