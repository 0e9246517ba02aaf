"""What the running service tells its operators: a request id on every log line, the
metrics Prometheus scrapes (/metrics), and errors reported to Sentry.

Metrics: request counts and latencies per view come from django-prometheus's
middlewares, kept per process; under gunicorn with several workers set
PROMETHEUS_MULTIPROC_DIR to an empty folder of the machine (wiped before the server
starts) so that a scrape reports all of them, not whichever worker answered. Queue
lengths, job outcomes and videos by status are read when scraped, from the broker and
the database: every worker on every machine counts in them, whichever process serves
the scrape."""

import contextvars
import logging
import os
from collections.abc import Iterator
from typing import cast

import sentry_sdk
from celery import current_task
from kombu.exceptions import ChannelError
from kombu.transport.virtual import Channel
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

# The request being served by this thread (annotator.core.middleware.RequestLogMiddleware).
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record: the web request's, or in a Celery worker the
    task's id, so that the lines of one request or task can be found together."""

    def filter(self, record: logging.LogRecord) -> bool:
        rid = request_id.get()
        if not rid and current_task and not current_task.request.is_eager:
            rid = current_task.request.id or ""
        record.request_id = rid
        return True


class AppCollector(Collector):
    """Read at each scrape: tasks waiting in each Celery queue, items of background jobs
    finished by kind and outcome, videos by media status."""

    def collect(self) -> Iterator[Metric]:
        yield from self.queue_lengths()
        yield from self.job_outcomes()

    def queue_lengths(self) -> Iterator[Metric]:
        from annotator.celery import app as celery_app

        gauge = GaugeMetricFamily(
            "annotator_queue_length", "Tasks waiting in a Celery queue", labels=["queue"]
        )
        try:
            with celery_app.connection_for_read() as conn:
                conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
                # Both brokers used (Redis, the filesystem) are kombu's virtual transports.
                channel = cast(Channel, conn.default_channel)
                for name in celery_app.amqp.queues:
                    try:
                        _, count, _ = channel.queue_declare(name, passive=True)
                    except ChannelError:
                        count = 0  # not declared yet: nothing was ever sent to it
                    gauge.add_metric([name], count)
        except Exception as exc:
            # The rest of the scrape is still worth having; the gap shows the outage.
            log.warning("metrics: queue lengths unavailable, the broker fails: %r", exc)
            return
        yield gauge

    def job_outcomes(self) -> Iterator[Metric]:
        from django.db.models import Count, Sum

        from annotator.models import Job, Video

        items = CounterMetricFamily(
            "annotator_job_items",
            "Items of background jobs (draft judgments, clip and criteria drafts) finished",
            labels=["kind", "outcome"],
        )
        rows = Job.objects.values("kind").annotate(ok=Sum("succeeded"), failed=Sum("failed"))
        for row in rows.order_by("kind"):
            items.add_metric([row["kind"], "succeeded"], row["ok"] or 0)
            items.add_metric([row["kind"], "failed"], row["failed"] or 0)
        yield items
        videos = GaugeMetricFamily(
            "annotator_videos", "Videos by media processing status", labels=["status"]
        )
        by_status = Video.objects.values("media_status").annotate(n=Count("pk"))
        for status_row in by_status.order_by("media_status"):
            videos.add_metric([status_row["media_status"]], status_row["n"])
        yield videos


_app_registry = CollectorRegistry(auto_describe=False)
_app_registry.register(AppCollector())


def metrics_page() -> bytes:
    """The Prometheus text exposition of this process (or, in multiprocess mode, of
    all of this machine's web processes) and of the app's own gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry) + generate_latest(_app_registry)


def sentry_init(dsn: str, *, environment: str, traces_sample_rate: float) -> bool:
    """Error reporting (and sampled traces) to Sentry, for Django and Celery, when a DSN
    is set. No personal data: no user names, addresses, cookies or bodies."""
    if not dsn:
        return False
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
    )
    return True
