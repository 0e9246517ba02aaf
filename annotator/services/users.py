from django.conf import settings

from annotator.models import User
from annotator.models.choices import Role


def user_set_role(*, user: User, role: str) -> User:
    """The role decides what a user may do in the app; admins also get the Django
    admin site, which is where users and roles are managed."""
    user.role = Role(role)
    user.is_staff = user.role == Role.ADMIN or user.is_superuser
    user.save(update_fields=["role", "is_staff"])
    return user


def user_set_language(*, user: User, language: str) -> None:
    """Remembers the interface language the user chose; one they cannot have is
    ignored, as Django's set_language view ignores it."""
    if language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
