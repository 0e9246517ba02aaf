"""The domain's refusals, one vocabulary for services, views, the API, commands and tasks.

A service refuses with one of four kinds, each answered the same way everywhere
(`refusal` below; pages: `core.middleware.RefusalMiddleware`, API:
`annotator.api.exceptions`):

- bad input: `InputError` (Django's `ValidationError`, so forms and DRF take it as
  theirs; a dict names the fields) — 422 on a page, 400 in the API;
- not allowed: Django's `PermissionDenied` — 403;
- a conflicting edit: `Conflict` — 409;
- a service this needs is not set up or did not answer: `Unavailable` — 503.

Whoever raises one has written nothing. A 404 stays Django's `Http404`."""

from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils.translation import gettext


class InputError(ValidationError):
    """Bad input from a person or a file. Each message names what is wrong and where."""

    def __init__(self, messages: list[str] | str | Mapping[str, str | list[str]]) -> None:
        super().__init__(dict(messages) if isinstance(messages, Mapping) else messages)

    def __str__(self) -> str:
        return "\n".join(refusal(self).messages)  # naming the fields, if any


class Conflict(Exception):
    """The thing changed since the person loaded it; their change was not applied."""


class Unavailable(Exception):
    """Something the request needs (the language model, the mail server) is not
    configured or did not answer."""


# What a view may catch to re-render its own form or panel with the refusal in place.
REFUSALS = (ValidationError, PermissionDenied, Conflict, Unavailable)
Refused = ValidationError | PermissionDenied | Conflict | Unavailable


@dataclass(frozen=True)
class Refusal:
    page_status: int
    api_status: int
    messages: list[str]

    @property
    def message(self) -> str:
        return " ".join(self.messages)


def refusal(exc: Refused) -> Refusal:
    """How a refusal is answered, on pages and in the API."""
    if isinstance(exc, ValidationError):
        messages = exc.messages
        if hasattr(exc, "error_dict"):  # each message says which field it is about
            messages = [
                message if field == NON_FIELD_ERRORS else f"{field}: {message}"
                for field, field_messages in exc.message_dict.items()
                for message in field_messages
            ]
        return Refusal(422, 400, messages)
    if isinstance(exc, PermissionDenied):
        return Refusal(403, 403, [str(exc) or gettext("You may not do this.")])
    if isinstance(exc, Conflict):
        return Refusal(409, 409, [str(exc)])
    return Refusal(503, 503, [str(exc)])
