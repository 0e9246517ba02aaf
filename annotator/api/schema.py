"""The OpenAPI schema of /api/v1/ and its Swagger UI (served from
drf-spectacular-sidecar's static files, so it works offline). The UI's set-up script
is a file of its own (the split view), as the Content-Security-Policy runs no inline
script; its page keeps one inline <style> element, allowed for that page alone.
The error answers every endpoint can give are added to each operation once, here
(error_responses), rather than by each view."""

from typing import Any

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Declares ApiTokenAuthentication as HTTP bearer, so Swagger UI's Authorize button
    takes a token and generated clients send it."""

    target_class = "annotator.api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="Bearer"
        )


ERROR_SCHEMA = {
    "type": "object",
    "description": "Every API error (annotator.api.exceptions, annotator.core.error_views).",
    "properties": {
        "detail": {"type": "string", "description": "what is wrong, in a sentence"},
        "errors": {
            "type": "object",
            "additionalProperties": True,
            "description": "invalid input, by field (400)",
        },
        "problems": {
            "type": "array",
            "items": {"type": "string"},
            "description": "what is wrong with a rejected file, each where (400)",
        },
        "current_version": {"type": "integer", "description": "the current version (409)"},
    },
    "required": ["detail"],
}
# Status -> what it means, on every operation / on those that take a body.
EVERY_OPERATION = {
    "400": "Malformed input (a query parameter, a NUL character...): `detail` says what.",
    "401": "No token, or not a valid one (revoked, expired or mistyped).",
    "403": "The token's scope or its owner's role does not allow this.",
    "404": "No such object, or no such endpoint.",
    "406": "No answer in the format asked for (Accept, ?format=).",
    "429": "Too many requests for this token (API_THROTTLE_RATE): retry after Retry-After.",
}
WITH_BODY = {
    "409": "The object changed since it was read (send its current version).",
    "413": "The body is larger than API_UPLOAD_MAX_BYTES.",
    "415": "The body is not in a media type the endpoint reads.",
}


def error_responses(result: dict, generator, request, public: bool) -> dict:
    """drf-spectacular postprocessing hook: documents the errors every endpoint can
    answer with (authentication, permissions, throttling, malformed input) on every
    operation, besides those a view documents itself, with the Error schema."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            common = EVERY_OPERATION | (WITH_BODY if "requestBody" in operation else {})
            responses = operation.setdefault("responses", {})
            for status, description in common.items():
                response = responses.setdefault(status, {"description": description})
                response.setdefault("content", content)
    return result


schema_view = SpectacularAPIView.as_view()
docs_view = csp_update({"style-src": UNSAFE_INLINE})(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema")
)
