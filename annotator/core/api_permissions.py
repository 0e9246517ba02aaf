"""Who may call what: everyone logged in reads; a read-only token never writes;
writes need the role the endpoint names (reviewer or admin)."""

from typing import cast

from django.utils.translation import gettext_lazy
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.settings import api_settings

from annotator.core.visibility import may_see_generator
from annotator.models import ApiToken
from annotator.models.tokens import TokenScope


def defaults_and(*extra: type[BasePermission]) -> list[type[BasePermission]]:
    """The settings' default permission classes, then `extra`. DRF has imported the
    defaults by the time they are read, though the stubs type them as dotted paths."""
    defaults = cast(list[type[BasePermission]], api_settings.DEFAULT_PERMISSION_CLASSES)
    return [*defaults, *extra]


class TokenScopeAllows(BasePermission):
    """A read-only token may only read (GET, HEAD, OPTIONS)."""

    message = gettext_lazy("This token is read-only.")

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if isinstance(token, ApiToken) and token.scope == TokenScope.READ:
            return request.method in SAFE_METHODS
        return True


class AdminWrites(BasePermission):
    """Anyone logged in reads; admins write."""

    message = gettext_lazy("Only admins can change this.")

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or request.user.is_admin


class ReviewerOnly(BasePermission):
    """Reviewers and admins only, reads included (exports of everyone's work)."""

    message = gettext_lazy("Only reviewers and admins can do this.")

    def has_permission(self, request, view) -> bool:
        return request.user.is_reviewer


class SeesGenerators(BasePermission):
    """Only those who may see generator models (annotator.core.visibility), reads included:
    annotators judge blind."""

    message = gettext_lazy("Only reviewers and admins can see generator models.")

    def has_permission(self, request, view) -> bool:
        return may_see_generator(request.user)


# The lists views name: the defaults (logged in, token scope) plus the role. They read
# the defaults at import; TokenScopeAllows, which the defaults name, is defined above.
ADMIN_WRITES = defaults_and(AdminWrites)
REVIEWERS_ONLY = defaults_and(ReviewerOnly)
GENERATOR_VIEWERS = defaults_and(SeesGenerators)
