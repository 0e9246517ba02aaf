"""The error pages Django answers with outside a view's own handling (urls.py's
handler400/403/404/500): JSON under /api/, where clients parse every answer (an
unknown endpoint, a NUL character, a failure in a middleware), and pages elsewhere.
A refused request says why: BadRequest carries a message meant for the person."""

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404
from django.utils.translation import gettext
from django.views import defaults


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        # API bodies have their own, larger limit (annotator.api.parsers).
        status, message = (
            413,
            gettext(
                "The form is too large: at most %(limit)s bytes "
                "besides files (DATA_UPLOAD_MAX_MEMORY_SIZE)."
            )
            % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
        )
    elif isinstance(exception, BadRequest):
        status, message = 400, str(exception)
    else:  # Django's other refusals (a bad Host header...) say nothing to the client
        status, message = 400, gettext("Bad request.")
    if _is_api(request):
        return JsonResponse({"detail": message}, status=status)
    return render(request, "400.html", {"message": message}, status=status)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        detail = str(exception) or gettext("You do not have permission to perform this action.")
        return JsonResponse({"detail": detail}, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        if isinstance(exception, Resolver404):
            detail = gettext("%(path)s is not an endpoint of this API (see /api/v1/docs/).") % {
                "path": request.path
            }
        else:
            detail = str(exception) or gettext("Not found.")
        return JsonResponse({"detail": detail}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": gettext("Server error: the failure is logged.")}, status=500)
    return defaults.server_error(request)
