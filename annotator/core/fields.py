"""Fields shared across the app: who made a row, and the one reading of a moment
(since=, as_of=, --as-of) that every view, API endpoint and command uses."""

import re
from datetime import UTC, datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotator.core.errors import InputError

MOMENT_EXAMPLE = "2025-06-01T12:00:00Z"


def user_reference() -> models.ForeignKey:
    """Who made or changed a row: optional, kept (as null) when the user is deleted,
    and no reverse accessor on the user."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )


def moment_parse(value: str, *, name: str = "time") -> datetime:
    """An ISO-8601 date or time (UTC unless it says otherwise) as an aware UTC datetime.
    InputError, naming `name`, for anything else, including a time that exists only
    outside the years 1-9999 once in UTC (0001-01-01T00:00:00+01:00): Python cannot
    hold it, so every later use of it would fail."""
    # An unescaped "+" in a query string arrives as a space: 12:00+02:00 -> 12:00 02:00.
    value = re.sub(r"(:\d\d(?:\.\d+)?) (\d\d(?::?\d\d)?)$", r"\1+\2", value.strip())
    try:
        parsed = datetime.fromisoformat(value)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except ValueError:
        problem = gettext("is not an ISO-8601 time (a date, or a date and time)")
    except OverflowError:
        problem = gettext("is outside the years 1 to 9999 in UTC")
    raise InputError(
        gettext("%(name)s %(value)s %(problem)s; give one such as %(example)s.")
        % {"name": name, "value": repr(value), "problem": problem, "example": MOMENT_EXAMPLE}
    )


@extend_schema_field(OpenApiTypes.DATETIME)
class MomentField(serializers.Field):
    """A query parameter read by moment_parse."""

    def to_internal_value(self, data: object) -> datetime:
        if not isinstance(data, str) or not data.strip():
            raise serializers.ValidationError(
                gettext("expected an ISO-8601 time such as %(example)s")
                % {"example": MOMENT_EXAMPLE}
            )
        try:
            return moment_parse(data, name=str(self.field_name))
        except InputError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()
