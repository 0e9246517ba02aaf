"""Role checks for views. Login itself is required everywhere by
LoginRequiredMiddleware; these refuse a logged-in user without the role (403)."""

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext

from annotator.core.visibility import may_see_generator


def _role_required(check: Callable, what: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied(gettext("Only %(what)s can do this.") % {"what": what})
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


reviewer_required = _role_required(lambda user: user.is_reviewer, "reviewers and admins")
admin_required = _role_required(lambda user: user.is_admin, "admins")
# Pages that exist to name generator models (the leaderboard): annotators judge blind,
# and a score that moves when they change a verdict would tell them the model.
generator_names_required = _role_required(may_see_generator, "reviewers and admins")
