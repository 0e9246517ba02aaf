"""The request type the views are annotated with. Every page needs a login
(LoginRequiredMiddleware), so `request.user` is a `User`, never `AnonymousUser`, and
django-htmx's middleware sets `request.htmx` on every request. Only an annotation: the
views receive Django's HttpRequest as ever. And what the workspaces' answers tell
their scripts besides their HTML."""

from django.http import HttpRequest, HttpResponse
from django_htmx.http import trigger_client_event
from django_htmx.middleware import HtmxDetails

from annotator.models import User


class AuthedHttpRequest(HttpRequest):
    user: User
    htmx: HtmxDetails


def said(response: HttpResponse, text: str, *, ok: bool | None = True) -> HttpResponse:
    """The workspace's save-status line shows `text` for this answer in place of
    "saved" (static/js/player.js): what a bulk write or an undo did, or that there was
    nothing to do (`ok` None: neither success nor failure)."""
    return trigger_client_event(response, "said", {"text": text, "ok": ok})
