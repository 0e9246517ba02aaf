import pytest
from django.urls import reverse

from annotator.models import ApiToken
from annotator.models.tokens import TokenScope
from tests.factories import BenchmarkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def url():
    return reverse("api-leaderboard", args=[BenchmarkFactory().pk])


def test_a_token_authenticates_and_only_its_hash_is_stored(client, reviewer_user, url):
    token, key = ApiToken.issue(user=reviewer_user, name="ci", scope=TokenScope.READ)
    assert key.startswith("mwa_") and key not in token.key_hash and token.hint == key[:12]
    response = client.get(url, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize("header", ["Bearer nope", "Bearer ", "Token mwa_unknown"])
def test_a_bad_token_is_refused_with_401(client, header, url):
    response = client.get(url, headers={"Authorization": header})
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_no_longer_authenticates(client, annotator_user, url):
    token, key = ApiToken.issue(user=annotator_user, name="ci", scope=TokenScope.WRITE)
    token.revoke()
    response = client.get(url, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_a_read_only_token_cannot_write(client, admin_user, url):
    _, key = ApiToken.issue(user=admin_user, name="ro", scope=TokenScope.READ)
    response = client.post(url, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 403 and response.json()["detail"] == "This token is read-only."
