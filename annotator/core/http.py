"""Serving a stored file with HTTP Range support. Browsers seek in a video only when
the server answers Range requests with 206, which Django's FileResponse never does;
no maintained library adds it to Django, so this is the small piece written here."""

import re

from django.core.files.storage import Storage
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

_SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 256 * 1024


def _position(digits: str) -> int | None:
    """A byte position of a Range header. Past 18 digits it lies beyond any file, and
    int() would refuse the 4,300th digit with a ValueError."""
    if not digits:
        return None
    return int(digits) if len(digits) <= 18 else 10**18


def _read(fh, length: int):
    with fh:
        while length > 0:
            chunk = fh.read(min(_CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk


def ranged_file_response(
    request: HttpRequest, storage: Storage, name: str, content_type: str
) -> HttpResponseBase:
    """200 with the whole file, or 206 with one byte range, or 416 when the range lies
    outside the file. Several ranges in one request get the whole file (RFC 9110
    lets a server ignore Range)."""
    size = storage.size(name)
    match = _SINGLE_RANGE.match(request.headers.get("Range", "").strip())
    response: HttpResponseBase
    if not match or match.groups() == ("", ""):
        response = FileResponse(storage.open(name, "rb"), content_type=content_type)
        response["Content-Length"] = str(size)
    else:
        first, last = (_position(group) for group in match.groups())
        if first is not None:
            start, end = first, min(size - 1 if last is None else last, size - 1)
        else:
            assert last is not None  # "bytes=-" was answered with the whole file above
            start, end = max(0, size - last), size - 1
        if start >= size or start > end:
            refused = HttpResponse(
                f"The range {match.group(0)[:40]!r} lies outside the file's {size} bytes.",
                status=416,
                content_type="text/plain; charset=utf-8",
            )
            refused["Content-Range"] = f"bytes */{size}"
            return refused
        fh = storage.open(name, "rb")
        fh.seek(start)
        response = StreamingHttpResponse(
            _read(fh, end - start + 1), status=206, content_type=content_type
        )
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    return response
