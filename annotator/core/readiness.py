"""What /readyz checks before a load balancer or Kubernetes sends a process traffic:
the database answers a query, every migration of this code is applied, the Celery
broker takes a connection, and the media storage can be reached. Each check runs in a
thread of its own under one deadline (READYZ_TIMEOUT), so a service that hangs rather
than refuses makes the probe answer "timed out" in time instead of never."""

import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from annotator.celery import app as celery_app

log = logging.getLogger(__name__)

OK = "ok"


class NotReady(Exception):
    """A check's finding that is not an error of the service (unapplied migrations):
    its message is the answer."""


def database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def migrations() -> None:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:3])
        raise NotReady(f"{len(plan)} unapplied ({names}{', ...' if len(plan) > 3 else ''})")


def broker() -> None:
    conf = celery_app.conf
    if conf.broker_url.startswith("filesystem:"):
        folder = Path(conf.broker_transport_options["data_folder_in"])
        if not folder.is_dir():
            raise OSError(f"the queue folder {folder} does not exist")
        return
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=settings.READYZ_TIMEOUT)
        conn.default_channel  # noqa: B018  (opening a channel is what talks to Redis)


def storage() -> None:
    if isinstance(default_storage, FileSystemStorage):
        # The folder appears with the first upload; it must be possible to make it.
        os.makedirs(default_storage.location, exist_ok=True)
        if not os.access(default_storage.location, os.W_OK):
            raise OSError(f"{default_storage.location} is not writable")
    elif bucket := getattr(default_storage, "bucket", None):
        # A HEAD of a missing key answers 404 also when the bucket itself is missing.
        bucket.meta.client.head_bucket(Bucket=bucket.name)
    else:
        default_storage.exists("readyz-probe")


CHECKS: dict[str, Callable[[], None]] = {
    "database": database,
    "migrations": migrations,
    "broker": broker,
    "storage": storage,
}


def _run(check: Callable[[], None]) -> None:
    try:
        check()
    finally:
        connection.close()  # the thread's own connection (back to the pool, if any)


def readiness() -> dict[str, str]:
    """Each check's name with "ok" or what is wrong; never raises."""
    timeout = settings.READYZ_TIMEOUT
    executor = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="readyz")
    futures = {name: executor.submit(_run, check) for name, check in CHECKS.items()}
    wait(futures.values(), timeout=timeout)
    results = {}
    for name, future in futures.items():
        try:
            future.result(timeout=0)
        except FutureTimeout:
            results[name] = f"timed out after {timeout} s"
        except NotReady as exc:
            results[name] = str(exc)
        except Exception as exc:
            # The detail (addresses, credentials in URLs) goes to the log, not to the
            # unauthenticated caller.
            log.warning("readiness: %s failed: %r", name, exc)
            results[name] = f"unavailable ({type(exc).__name__})"
        else:
            results[name] = OK
    if failing := {name: result for name, result in results.items() if result != OK}:
        # A 503 seen only by a probe or a test is explained in the process's log.
        log.warning("readiness: not ready: %s", failing)
    executor.shutdown(wait=False)  # a check still hanging finishes on its own
    return results
