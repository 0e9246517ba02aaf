from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.middleware.http import ConditionalGetMiddleware


class ApiConditionalGetMiddleware(ConditionalGetMiddleware):
    """ETag and If-None-Match (304) for API responses only: HTML pages carry a fresh
    CSRF token and flash messages, so hashing them would only cost time."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if not request.path_info.startswith("/api/"):
            return response
        return super().process_response(request, response)
