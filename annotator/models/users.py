from django.contrib.auth.models import AbstractUser
from django.db import models

from annotator.core.history import HistoricalRecords
from annotator.models.choices import Role


class User(AbstractUser):
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.ANNOTATOR)
    # The interface language the user last chose (settings.LANGUAGES), so that it
    # follows them to another browser; empty: the browser's Accept-Language decides.
    language = models.CharField(max_length=10, blank=True, default="")
    # For the audit log: role and account changes (never the password hash).
    history = HistoricalRecords(excluded_fields=["password", "last_login"])
    # Set before save(): django-simple-history records it as who made the change.
    _history_user: "User"

    @property
    def is_admin(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN

    @property
    def is_reviewer(self) -> bool:
        """Reviewers approve; admins can do everything reviewers can."""
        return self.is_admin or self.role == Role.REVIEWER
