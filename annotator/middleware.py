"""Request timing that browsers' devtools show and the load benchmark reads; NUL
characters refused before any view sees them."""

import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest, MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse, QueryDict


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
