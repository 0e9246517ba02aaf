"""Role checks for views. Login itself is required everywhere by
LoginRequiredMiddleware; these refuse a logged-in user without the role (403)."""

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy

from annotator.core.visibility import may_see_generator

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # django-stubs, a dev dependency


def _role_required(check: Callable, refusal: "StrOrPromise") -> Callable:
    # `refusal` is lazy: the decorators are built at import, the language is the request's.
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied(str(refusal))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


REVIEWERS_ONLY = gettext_lazy("Only reviewers and admins can do this.")
ADMINS_ONLY = gettext_lazy("Only admins can do this.")
reviewer_required = _role_required(lambda user: user.is_reviewer, REVIEWERS_ONLY)
admin_required = _role_required(lambda user: user.is_admin, ADMINS_ONLY)
# Pages that exist to name generator models (the leaderboard): annotators judge blind,
# and a score that moves when they change a verdict would tell them the model.
generator_names_required = _role_required(may_see_generator, REVIEWERS_ONLY)
