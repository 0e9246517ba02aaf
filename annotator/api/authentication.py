"""API token authentication: `Authorization: Bearer <token>` (or `Token <token>`)."""

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from annotator.models import ApiToken, User

# last_used_at is written at most this often, not on every request.
TOUCH_EVERY = timedelta(minutes=1)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("Bearer", "Token")

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode(errors="replace")
        keyword, _, key = header.partition(" ")
        if keyword not in self.keywords:
            return None
        key = key.strip()
        if not key:
            raise exceptions.AuthenticationFailed("No token given after the keyword.")
        token = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash(key)).first()
        if token is None or not token.active:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("This token's user is deactivated.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
