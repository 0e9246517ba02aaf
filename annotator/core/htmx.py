"""The request type the views are annotated with. Every page needs a login
(LoginRequiredMiddleware), so `request.user` is a `User`, never `AnonymousUser`, and
django-htmx's middleware sets `request.htmx` on every request. Only an annotation: the
views receive Django's HttpRequest as ever."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from annotator.models import User


class AuthedHttpRequest(HttpRequest):
    user: User
    htmx: HtmxDetails
