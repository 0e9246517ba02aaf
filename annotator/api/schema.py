"""The OpenAPI schema of /api/v1/ and its Swagger UI (served from
drf-spectacular-sidecar's static files, so it works offline). The UI's set-up script
is a file of its own (the split view), as the Content-Security-Policy runs no inline
script; its page keeps one inline <style> element, allowed for that page alone."""

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


schema_view = SpectacularAPIView.as_view()
docs_view = csp_update({"style-src": UNSAFE_INLINE})(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema")
)
