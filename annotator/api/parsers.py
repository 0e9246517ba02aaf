"""Parsers that refuse a body over API_UPLOAD_MAX_BYTES before reading it. DRF reads
the request stream itself, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE never applies to
a JSON body, and Django has no limit on uploaded files at all."""

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import parsers


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


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        check_size(parser_context)
        return super().parse(stream, media_type, parser_context)


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        check_size(parser_context)
        return super().parse(stream, media_type, parser_context)
