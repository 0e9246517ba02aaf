"""Every API error is JSON with a `detail` sentence; invalid input also lists what is
wrong: `errors` by field (400), or `problems` of a rejected file (400). The domain's
refusals (annotator.core.errors) answer with their status."""

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from annotator.core.errors import Conflict, InputError, Unavailable, refusal
from rubrics_app.services.authoring import EditConflict


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, EditConflict):
        return Response({"detail": str(exc), "current_version": exc.current.version}, status=409)
    if isinstance(exc, InputError) and not hasattr(exc, "error_dict"):
        # A file's or a form's problems; those that name fields answer as below.
        detail = exc.messages[0] if len(exc.messages) == 1 else "The input has problems."
        if context["request"].method not in SAFE_METHODS:
            detail += " Nothing was written."
        return Response({"detail": detail, "problems": exc.messages}, status=400)
    if isinstance(exc, Conflict | Unavailable):
        found = refusal(exc)
        return Response({"detail": found.message}, status=found.api_status)
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": str(exc)}, status=413)
    if isinstance(exc, RecursionError):
        # Input nested deeper than Python follows (the parser catches the usual case).
        return Response({"detail": "The input is nested too deep."}, status=400)
    if isinstance(exc, DjangoValidationError):
        # The services' checks (text, weight...) answer like a serializer's.
        exc = exceptions.ValidationError(serializers.as_serializer_error(exc))
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        errors = response.data
        if not isinstance(errors, dict):
            errors = {"non_field_errors": errors}
        response.data = {"detail": "Invalid input.", "errors": errors}
    return response
