import pytest
from django.contrib import admin
from django.urls import reverse

from annotator.models import User
from annotator.models.choices import Role
from tests.factories import CriterionFactory, VideoFactory

pytestmark = pytest.mark.django_db


def test_admins_can_open_every_model_in_the_django_admin(client, admin_user, rf):
    CriterionFactory()
    VideoFactory()
    client.force_login(admin_user)
    request = rf.get("/")
    request.user = admin_user
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert client.get(changelist).status_code == 200, changelist
        add = reverse(f"admin:{meta.app_label}_{meta.model_name}_add")
        expected = 200 if model_admin.has_add_permission(request) else 403
        assert client.get(add).status_code == expected, add


@pytest.mark.parametrize("role", [Role.ANNOTATOR, Role.REVIEWER])
def test_annotators_and_reviewers_cannot_use_the_django_admin(client, role):
    user = User.objects.create_user("someone", password="x", role=role)
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_making_a_user_admin_in_the_admin_opens_the_admin_to_them(client, admin_user):
    user = User.objects.create_user("expert", password="x")
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:annotator_user_change", args=[user.pk]),
        {
            "username": "expert",
            "role": Role.ADMIN,
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert user.role == Role.ADMIN and user.is_staff and user.is_admin
    client.force_login(user)
    assert client.get(reverse("admin:index")).status_code == 200
    client.force_login(admin_user)
    client.post(
        reverse("admin:annotator_user_change", args=[user.pk]),
        {
            "username": "expert",
            "role": Role.REVIEWER,
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    user.refresh_from_db()
    assert user.role == Role.REVIEWER and not user.is_staff and user.is_reviewer


def test_admins_rerun_processing_from_the_django_admin(
    client, admin_user, django_capture_on_commit_callbacks
):
    from unittest import mock

    from annotator.models.choices import MediaStatus

    failed = VideoFactory(media_status=MediaStatus.FAILED, file="videos/x.mp4")
    client.force_login(admin_user)
    with (
        mock.patch("annotator.tasks.video_process.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(
            reverse("admin:annotator_video_changelist"),
            {"action": "reprocess", "_selected_action": [failed.pk]},
        )
    delay.assert_called_once_with(failed.pk)
    failed.refresh_from_db()
    assert failed.media_status == MediaStatus.QUEUED
