import re

import pytest
from django.urls import reverse

from annotator.models import ApiToken
from annotator.models.tokens import TokenScope
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/account/"


def test_it_is_linked_from_the_user_name_in_the_navbar(client, annotator_user):
    client.force_login(annotator_user)
    html = client.get(reverse("benchmark-list")).content.decode()
    assert f'href="{reverse("account-settings")}"' in html


def test_it_creates_a_token_and_shows_the_key_once(client, annotator_user):
    client.force_login(annotator_user)
    response = client.post(URL, {"name": "eval-cluster", "scope": TokenScope.WRITE})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    html = response.content.decode()
    key = re.search(r'value="(mwa_[^"]+)"', html)[1]
    assert "shown only this once" in html
    token = ApiToken.objects.get(user=annotator_user)
    assert (token.name, token.scope, token.key_hash) == (
        "eval-cluster",
        TokenScope.WRITE,
        ApiToken.hash(key),
    )
    listing = client.get(URL).content.decode()
    assert key not in listing and token.hint in listing and "read-write" in listing
    api = client.get(reverse("api-benchmark-list"), headers={"Authorization": f"Bearer {key}"})
    assert api.status_code == 200


def test_it_validates_the_form(client, annotator_user):
    client.force_login(annotator_user)
    response = client.post(URL, {"name": "", "scope": "admin"})
    assert response.status_code == 200 and "mwa_" not in response.content.decode()
    assert not ApiToken.objects.exists()


def test_it_lists_only_the_users_own_tokens(client, annotator_user):
    ApiToken.issue(user=annotator_user, name="mine", scope=TokenScope.READ)
    ApiToken.issue(user=UserFactory(username="other"), name="theirs", scope=TokenScope.READ)
    client.force_login(annotator_user)
    html = client.get(URL).content.decode()
    assert "mine" in html and "theirs" not in html and "never" in html


def test_it_revokes_a_token(client, annotator_user):
    token, key = ApiToken.issue(user=annotator_user, name="ci", scope=TokenScope.READ)
    client.force_login(annotator_user)
    response = client.post(reverse("token-revoke", args=[token.pk]), follow=True)
    assert "revoked" in response.content.decode()
    token.refresh_from_db()
    assert not token.active
    api = client.get(reverse("api-benchmark-list"), headers={"Authorization": f"Bearer {key}"})
    assert api.status_code == 401


def test_it_refuses_to_revoke_another_users_token(client, annotator_user):
    token, _ = ApiToken.issue(user=UserFactory(username="other"), name="x", scope=TokenScope.READ)
    client.force_login(annotator_user)
    assert client.post(reverse("token-revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.active


def test_it_needs_a_session_not_a_token(client, annotator_user):
    _, key = ApiToken.issue(user=annotator_user, name="ci", scope=TokenScope.WRITE)
    response = client.get(URL, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert client.post(URL, {"name": "x", "scope": "read"}).status_code == 302
    assert not ApiToken.objects.filter(name="x").exists()
