"""Request timing that browsers' devtools show and the load benchmark reads; one log
line per request under its request id; NUL characters refused before any view sees
them; the domain's refusals answered alike on every page."""

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import BadRequest, MiddlewareNotUsed, PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.functional import SimpleLazyObject, empty
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import reswap, retarget

from annotator.core.errors import REFUSALS, refusal
from annotator.core.observability import request_id

request_log = logging.getLogger("annotator.requests")

# An id the proxy in front may send; anything else (too long, odd characters that
# could forge log lines) is replaced by one of ours.
PROXY_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def _user_id(request: HttpRequest) -> int | None:
    """The user's id if something in the request already looked the user up: the log
    line must not cost a session query of its own (on /healthz, static files)."""
    user = request.__dict__.get("user")
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return None
    return user.pk if user.is_authenticated else None


class RequestLogMiddleware:
    """The first middleware in: takes the proxy's X-Request-ID (or makes one), which
    every log line written while serving the request carries (RequestIdFilter) and the
    response echoes, then logs the request: method, path, status, user id, duration."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = request.headers.get("X-Request-ID", "")
        if not PROXY_REQUEST_ID.fullmatch(rid):
            rid = uuid.uuid4().hex
        token = request_id.set(rid)
        start = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = rid
            request_log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "user_id": _user_id(request),
                    "duration_ms": round((time.perf_counter() - start) * 1000, 2),
                },
            )
            return response
        finally:
            request_id.reset(token)


class ServerTimingMiddleware:
    """Adds `Server-Timing: app;dur=<ms>`, the time the app spent on a request (the
    first middleware in, the last out), so a slow page shows in the browser's network
    panel and load tests can tell server time from time spent queued in front of it.
    Only with settings.SERVER_TIMING (off in production by default)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not settings.SERVER_TIMING:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - start) * 1000:.2f}"
        return response


def nul_message(where: str) -> str:
    return f"{where} contains a NUL character (%00 or \\u0000), which no text can hold."


def first_with_nul(data: QueryDict) -> str | None:
    """The name of the first field with a NUL character in its name or a value."""
    for name, values in data.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            return name
    return None


class RejectNulMiddleware:
    """400 for a NUL character in the path, a query parameter or a posted form field.
    PostgreSQL stores none in text, so each one was a 500 wherever it reached a query
    (search boxes, filters of the pages, the admin and the API, criterion texts,
    captions). API bodies are read by the API's parsers, which check them likewise
    (annotator.api.parsers); reading them here would parse uploads twice."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info:
            raise BadRequest(nul_message("The path"))
        if name := first_with_nul(request.GET):
            raise BadRequest(nul_message(f"The query parameter {name!r}"))
        if not request.path_info.startswith("/api/") and (name := first_with_nul(request.POST)):
            raise BadRequest(nul_message(f"The form field {name!r}"))
        return self.get_response(request)


class RefusalMiddleware:
    """Answers a refusal (annotator.core.errors) that a page's view lets through, the
    same way on every page: htmx requests get the message in the page's refusal area
    (#refusals, in base.html), scripts asking for JSON get `detail` and `problems`, a
    form posted from a page goes back to that page with the message, anything else
    gets an error page; each with the refusal's status. A PermissionDenied outside htmx
    and scripts keeps Django's 403 page (handler403), posted or not: a refusal of rights
    is not a form to correct. The API maps refusals itself (annotator.api.exceptions)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, REFUSALS) or request.path_info.startswith("/api/"):
            return None
        found = refusal(exception)
        status = found.page_status
        if status == 422 and request.method in ("GET", "HEAD"):
            status = 400  # a malformed query, not a form to correct
        context = {"refusal": found}
        if getattr(request, "htmx", False):
            response = render(request, "components/refusal.html", context, status=status)
            return reswap(retarget(response, "#refusals"), "innerHTML")
        if request.accepts("application/json") and not request.accepts("text/html"):
            return JsonResponse(
                {"detail": found.message, "problems": found.messages}, status=status
            )
        if isinstance(exception, PermissionDenied):
            return None
        back = request.headers.get("Referer", "")
        if request.method == "POST" and url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            messages.error(request, found.message)
            return redirect(back)
        return render(request, "refused.html", context, status=status)


class UserLanguageMiddleware:
    """A browser without the language cookie (a new one, or one whose cookies were
    cleared) gets the language the user last chose, and the cookie that keeps it;
    without a saved choice LocaleMiddleware's Accept-Language stands."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = ""
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            user = request.user
            if user.is_authenticated and user.language in dict(settings.LANGUAGES):
                language = user.language
                translation.activate(language)
                request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]  # a str setting
            )
        return response
