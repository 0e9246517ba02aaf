"""gunicorn's settings for `bin/run web`, from the environment (docker/.env.example).

Processes and threads: each process runs Python one thread at a time (the interpreter
lock), so CPU work scales with processes. Two processes per core keep the cores busy
while requests wait on PostgreSQL or Redis, in a few hundred MB. One thread each: with
four, a request coming back from each of its ten queries waits for the lock behind the
others' Python, and a verdict save took 140 ms at p95 under 50 experts against 40 ms
with one (bench/capacity.py). Slow clients are nginx's to buffer, and media bytes go
through nginx (MEDIA_ACCEL_REDIRECT) or S3, not through these processes."""

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name) or str(default)
    try:
        return int(value)
    except ValueError as exc:
        raise SystemExit(f"{name} must be an integer, got {value!r}") from exc


bind = [os.environ.get("BIND") or f"0.0.0.0:{_int('PORT', 8000)}"]
worker_class = "gthread"
# The cores this process may run on (a container's cpuset), not the machine's.
workers = _int("WEB_CONCURRENCY", 2 * len(os.sched_getaffinity(0)))
threads = _int("WEB_THREADS", 1)

# A process that stops answering its master for this long is killed and replaced.
# With threads a slow request does not count (the master hears from the process's
# main loop), so it is no request deadline; nginx's proxy_read_timeout is.
timeout = _int("WEB_TIMEOUT", 30)
# Seconds a stopping process gets to finish its requests (a deploy, a restart).
graceful_timeout = _int("WEB_GRACEFUL_TIMEOUT", 30)
# Seconds an idle keep-alive connection from the proxy in front stays open. The proxy
# must give up on an idle connection before this (docker/nginx.conf: 4 s against 5):
# a request it sends on a connection gunicorn is closing at that moment is lost
# (a 502 for a POST, which nginx does not retry).
keepalive = _int("WEB_KEEPALIVE", 5)
# Django and the app are imported once, in the master, and every process is forked
# from it: a replaced process serves at once instead of spending seconds of CPU on
# imports (the URL modules pull in statsmodels and scipy) while the others carry its
# load. Nothing opens a connection at import. A deploy restarts the server: HUP would
# not reload the code.
preload_app = True


def when_ready(server) -> None:
    """The URLconf, which Django imports on the first request otherwise: in each
    process, again."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (the import is the point)


# Processes are replaced after a while, staggered, so that slow growth of memory (a
# leak in a library) never accumulates: at full load (about 40 requests a second a
# process on this 2-core machine) every 8 minutes or so.
max_requests = _int("WEB_MAX_REQUESTS", 20000)
max_requests_jitter = max_requests // 10
# Request line and headers bounded (gunicorn's defaults, written out): a longer one is
# refused with 400 before Django reads it.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# Logs on stdout and stderr, for the process manager (honcho, docker, kubelet). The
# app logs every request itself (annotator.requests: request id, user, duration, as
# JSON with LOG_FORMAT=json); gunicorn's own access line, a second line a request,
# only when asked: formatting and writing it was CPU every save paid twice.
accesslog = "-" if os.environ.get("WEB_ACCESS_LOG", "").lower() in {"1", "true", "yes"} else None
errorlog = "-"
loglevel = (os.environ.get("LOG_LEVEL") or "info").lower()
# The usual combined format, plus the time taken in microseconds.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(D)sus'
# The heartbeat file in memory: a slow or full disk must not look like a hung process.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
proc_name = "annotator-web"
# gunicorn 27's control socket sits at one path under $HOME, which several servers on
# one machine (or a read-only home in a container) would fight over; nothing uses it.
control_socket_disable = True
