"""Password guessing: a username and address pair is locked after AXES_FAILURE_LIMIT
wrong passwords (django-axes, attempts in the database), until the cool-off ends or an
admin unlocks it."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-1"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def log_in(username: str, password: str, address: str = "10.0.0.1") -> tuple[Client, object]:
    client = Client(REMOTE_ADDR=address)
    response = client.post(reverse("login"), {"username": username, "password": password})
    return client, response


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def guess(username: str, times: int = 3, address: str = "10.0.0.1") -> list[int]:
    """The statuses of `times` wrong passwords."""
    return [log_in(username, "wrong-guess", address)[1].status_code for _ in range(times)]


def test_it_locks_out_the_right_password_after_the_failure_limit(annotator_user):
    # The login form saying the password did not match, then the lockout page.
    assert guess("ann") == [200, 200, 429]
    client, response = log_in("ann", PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)
    page = response.content.decode()
    assert "Too many failed logins" in page and "Try again in 15 minutes" in page
    assert "<strong>ann</strong>" in page


def test_it_lets_the_right_password_in_below_the_limit(annotator_user):
    assert guess("ann", times=2) == [200, 200]
    client, response = log_in("ann", PASSWORD)
    assert response.status_code == 302 and logged_in(client)
    # A success forgets the failures: two more guesses do not lock.
    assert guess("ann", times=2) == [200, 200]
    assert logged_in(log_in("ann", PASSWORD)[0])


def test_it_locks_only_that_username_from_that_address(annotator_user):
    UserFactory(username="other")
    guess("ann")
    assert logged_in(log_in("other", PASSWORD)[0])
    assert logged_in(log_in("ann", PASSWORD, address="10.0.0.2")[0])


def test_it_unlocks_after_the_cool_off(annotator_user):
    guess("ann")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert logged_in(log_in("ann", PASSWORD)[0])


def test_it_is_unlocked_by_an_admin_in_the_admin(annotator_user, admin_user):
    guess("ann")
    attempt = AccessAttempt.objects.get(username="ann")
    admin = Client()
    admin.force_login(admin_user)
    listing = admin.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200 and "ann" in listing.content.decode()
    delete = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert admin.post(delete, {"post": "yes"}).status_code == 302
    assert logged_in(log_in("ann", PASSWORD)[0])


def test_it_keeps_the_attempts_from_an_annotator_in_the_admin(annotator_user):
    guess("ann", times=1)
    outsider = Client()
    outsider.force_login(annotator_user)
    response = outsider.get(reverse("admin:axes_accessattempt_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_it_is_unlocked_with_the_reset_command(annotator_user):
    guess("ann")
    call_command("axes_reset_username", "ann")
    assert logged_in(log_in("ann", PASSWORD)[0])


def test_it_counts_the_admin_login_page_too(admin_user):
    for _ in range(3):
        Client().post(reverse("admin:login"), {"username": "boss", "password": "wrong"})
    response = Client().post(reverse("admin:login"), {"username": "boss", "password": PASSWORD})
    assert response.status_code == 429
