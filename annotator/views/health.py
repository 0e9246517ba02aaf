"""What load balancers, Kubernetes and Prometheus ask of the server."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from annotator.core.observability import metrics_page
from annotator.core.readiness import OK, readiness


@login_not_required
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers, and the trivial view benchmarks compare against."""
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness for load balancers and Kubernetes: 200 when the database, migrations,
    broker and storage are all usable, else 503 naming what is not."""
    checks = readiness()
    ready = all(result == OK for result in checks.values())
    response = JsonResponse(checks, status=200 if ready else 503)
    # Each failure is logged once as a warning by readiness(); without this Django
    # would also log every failing probe (one every few seconds) as an ERROR, which
    # error reporting (Sentry) would then report as an event each time.
    response._has_been_logged = True  # type: ignore[attr-defined]  # Django's private flag
    return response


@login_not_required
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics (annotator.core.observability) for a scraper that sends
    `Authorization: Bearer <METRICS_TOKEN>`; not found while no token is set."""
    if not settings.METRICS_TOKEN:
        raise Http404(gettext("metrics are off: set METRICS_TOKEN"))
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not constant_time_compare(token, settings.METRICS_TOKEN):
        response = HttpResponse("metrics need the bearer token METRICS_TOKEN\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics_page(), content_type=CONTENT_TYPE_LATEST)
