"""The six kinds of API caller of the authorization matrix, and how each one calls."""

import json

from django.test import Client

from annotator.models import ApiToken
from annotator.models.choices import Role
from annotator.models.tokens import TokenScope
from tests.factories import UserFactory

CALLERS = ["anonymous", "annotator", "reviewer", "admin", "read_token", "write_token"]


def client_for(caller: str) -> Client:
    """A client that calls as `caller`: a session for the three roles, an admin's
    token for the two token kinds (so the scope alone decides), nothing for anonymous."""
    client = Client()
    if caller in ("annotator", "reviewer", "admin"):
        client.force_login(UserFactory(username=f"api-{caller}", role=Role(caller)))
    elif caller in ("read_token", "write_token"):
        admin = UserFactory(username=f"api-{caller}", role=Role.ADMIN)
        scope = TokenScope.READ if caller == "read_token" else TokenScope.WRITE
        _, key = ApiToken.issue(user=admin, name=caller, scope=scope)
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client


def call(client: Client, method: str, url: str, data: dict | None = None) -> int:
    """The status of one call; bodies are JSON."""
    if method in ("get", "head", "options", "delete"):
        response = getattr(client, method)(url)
    else:
        response = getattr(client, method)(
            url, json.dumps(data or {}), content_type="application/json"
        )
    return response.status_code
