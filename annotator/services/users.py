from annotator.models import User
from annotator.models.choices import Role


def user_set_role(*, user: User, role: str) -> User:
    """The role decides what a user may do in the app; admins also get the Django
    admin site, which is where users and roles are managed."""
    user.role = Role(role)
    user.is_staff = user.role == Role.ADMIN or user.is_superuser
    user.save(update_fields=["role", "is_staff"])
    return user
