from django.conf import settings
from django.db import models


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
