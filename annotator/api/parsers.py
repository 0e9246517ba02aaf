"""Parsers that refuse a body over API_UPLOAD_MAX_BYTES before reading it, and a body
holding a NUL character (no text can store one) or nested too deep for Python, each
with a 400 that says so. Django has no limit on uploaded files at all, and its
DATA_UPLOAD_MAX_MEMORY_SIZE is the HTML forms' limit, far below the API's."""

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import parsers, renderers
from rest_framework.exceptions import ParseError

from annotator.core.middleware import first_with_nul, nul_message


def check_size(parser_context: dict[str, Any] | None) -> None:
    request = (parser_context or {}).get("request")
    if request is None:
        return
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > settings.API_UPLOAD_MAX_BYTES:
        raise RequestDataTooBig(
            f"The request body is {declared} bytes; the limit is "
            f"{settings.API_UPLOAD_MAX_BYTES} bytes (API_UPLOAD_MAX_BYTES)."
        )


def _nul_path(data: Any) -> str | None:
    """Where in parsed JSON a string (key or value) holds a NUL character, such as
    `rubrics[0].task`; walked without recursion, as the data may be nested deep."""
    pending: list[tuple[str, Any]] = [("", data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str) and "\x00" in value:
            return path or "the body"
        if isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    return path or "a key"
                pending.append((f"{path}.{key}" if path else key, item))
        elif isinstance(value, list):
            pending.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
    return None


class JSONParser(parsers.BaseParser):
    """DRF's JSON parsing, from the request stream. Not a subclass of DRF's JSONParser
    on purpose: DRF hands that one `request.body`, which Django refuses over
    DATA_UPLOAD_MAX_MEMORY_SIZE (a 2.9 MB rubric import got 413 under a 50 MB API
    limit)."""

    media_type = "application/json"
    renderer_class = renderers.JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        check_size(parser_context)
        try:
            data = parsers.JSONParser().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deep.") from None
        if (where := _nul_path(data)) is not None:
            raise ParseError(nul_message(f"JSON parse error - {where}"))
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        check_size(parser_context)
        parsed = super().parse(stream, media_type, parser_context)
        if (name := first_with_nul(parsed.data)) is not None:
            raise ParseError(nul_message(f"The form field {name!r}"))
        return parsed
