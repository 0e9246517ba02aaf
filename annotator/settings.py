"""Settings, read from the environment. Every variable is listed with its default in
docker/.env.example; the defaults run the app with no services installed (SQLite,
local media, a filesystem Celery broker)."""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue
from whitenoise.compress import Compressor

from annotator.core.observability import sentry_init


def env(name: str, default: str = "") -> str:
    """The variable's value; unset and empty both mean the default."""
    return os.environ.get(name) or default


BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env("VAR_DIR", str(BASE_DIR / "var")))


def envbool(name: str, default: str) -> bool:
    value = env(name, default).strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}")


def envint(name: str, default: str) -> int:
    value = env(name, default)
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def envfloat(name: str, default: str) -> float:
    value = env(name, default)
    try:
        return float(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}") from exc


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def _development_secret_key() -> str:
    # Kept under var/ so sessions survive restarts of a development server.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


DEBUG = envbool("DEBUG", "false")
SECRET_KEY = env("SECRET_KEY") or _development_secret_key()
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

# HTTPS. Production defaults (DEBUG off) are the secure ones, so that `check --deploy`
# is clean; development (DEBUG on) runs over plain http. Behind a proxy that ends TLS
# (nginx, an ingress), SECURE_PROXY_SSL_HEADER names the header it sets, e.g.
# HTTP_X_FORWARDED_PROTO,https; without it every request looks plain and the
# redirect to https would loop.
_secure_default = "false" if DEBUG else "true"
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", _secure_default)
# Probes talk to the server directly, over plain http.
SECURE_REDIRECT_EXEMPT = [r"^(healthz|readyz|metrics)$"]
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", _secure_default)
# In the database (every process and machine shares them), read with a prepared query.
SESSION_ENGINE = "annotator.core.sessions"
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", _secure_default)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0" if DEBUG else str(365 * 24 * 3600))
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", _secure_default)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", _secure_default)


def _proxy_ssl_header(value: str) -> tuple[str, str] | None:
    if not value:
        return None
    header, _, secure_value = (part.strip() for part in value.partition(","))
    if not header.startswith("HTTP_") or not secure_value or "," in secure_value:
        raise ImproperlyConfigured(
            "SECURE_PROXY_SSL_HEADER must be HTTP_<HEADER>,<value>, e.g. "
            f"HTTP_X_FORWARDED_PROTO,https; got {value!r}"
        )
    return header, secure_value


SECURE_PROXY_SSL_HEADER = _proxy_ssl_header(env("SECURE_PROXY_SSL_HEADER"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "django_prometheus",
    "annotator",
    "rubrics_app",
]

MIDDLEWARE = [
    # Request counts and latencies (django-prometheus): first in, last out.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "annotator.core.middleware.RequestLogMiddleware",
    "annotator.core.middleware.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (compressed, hashed names cached for a year) before any other work.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After the session, before CommonMiddleware (as Django asks).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "annotator.api.middleware.ApiConditionalGetMiddleware",
    # Inside the conditional GET: a 304 then carries no policy and the browser keeps
    # the one of the page it has (a view's own, as the API docs'), not the default.
    "csp.middleware.CSPMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Needs the user: a browser without the language cookie gets the account's choice.
    "annotator.core.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "annotator.core.middleware.RejectNulMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Inside htmx's and the messages' middleware: it answers with both.
    "annotator.core.middleware.RefusalMiddleware",
    # Outside django-axes' middleware, so that a lockout counts as the 429 it is.
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

# Server-Timing (the app's time per request) on every response, for browsers' devtools
# and bench/judging_load.py; off in production, where it would tell anyone how long
# each page takes to compute.
SERVER_TIMING = envbool("SERVER_TIMING", "true" if DEBUG else "false")

ROOT_URLCONF = "annotator.urls"
WSGI_APPLICATION = "annotator.wsgi.application"
AUTH_USER_MODEL = "annotator.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Password guessing (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one
# username from one address, that pair is refused (429, registration/lockout.html)
# for AXES_COOLOFF_MINUTES, even with the right password. Attempts are rows in the
# database, so every web process sees them; an admin unlocks by deleting the pair's
# "access attempt" in the admin, or with `manage.py axes_reset_username <name>`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", "15"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_RESET_ON_SUCCESS = True

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", "0"),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and envbool(
    "DATABASE_POOL", "true"
):
    # psycopg's pool: a request takes an open connection instead of opening one
    # (several ms per request; servers that start a thread per request never reuse
    # one through CONN_MAX_AGE). It replaces CONN_MAX_AGE, which must then be 0.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": envint("DATABASE_POOL_MAX_SIZE", "20"),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["OPTIONS"]["timeout"] = 20
    # Tests use a file too: the browser tests' live server then has a connection per
    # request thread, as in production, instead of sharing one in-memory connection.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# English, or Simplified Chinese for the experts who read it. The language comes from
# the user's choice (the django_language cookie that the switcher sets, and the account's
# own saved choice after a login on another browser), else from Accept-Language.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates per language (annotator/formats/<lang>/formats.py); numbers follow Django's.
FORMAT_MODULE_PATH = ["annotator.formats"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", _secure_default)
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"

# Media: local files under var/media, served by annotator.views.media (HTTP Range,
# login required); S3 through django-storages when a bucket is set, where the
# browser gets presigned URLs straight from S3.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
# Local media behind nginx: after its permission check the app answers with an empty
# response carrying `X-Accel-Redirect: <this prefix><file name>`, and nginx streams the
# file (with Range) from an internal location whose alias is MEDIA_ROOT. Empty: the app
# streams the bytes itself.
MEDIA_ACCEL_REDIRECT = env("MEDIA_ACCEL_REDIRECT")
if MEDIA_ACCEL_REDIRECT and not (
    MEDIA_ACCEL_REDIRECT.startswith("/") and MEDIA_ACCEL_REDIRECT.endswith("/")
):
    raise ImproperlyConfigured(
        f"MEDIA_ACCEL_REDIRECT must be a path that starts and ends with /, such as "
        f"/protected-media/; got {MEDIA_ACCEL_REDIRECT!r}"
    )
S3_BUCKET = env("S3_BUCKET")
S3_ENDPOINT_URL = env("S3_ENDPOINT_URL")
S3_ACCESS_KEY_ID = env("S3_ACCESS_KEY_ID")
S3_SECRET_ACCESS_KEY = env("S3_SECRET_ACCESS_KEY")
S3_REGION = env("S3_REGION")
if S3_BUCKET:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": S3_ENDPOINT_URL or None,
            "access_key": S3_ACCESS_KEY_ID or None,
            "secret_key": S3_SECRET_ACCESS_KEY or None,
            "region_name": S3_REGION or None,
            "location": env("S3_PREFIX"),
            "querystring_auth": True,
            "querystring_expire": envint("S3_URL_EXPIRE_SECONDS", "3600"),
            "file_overwrite": True,
            "signature_version": "s3v4",
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # Derived files have fixed names, so re-processing overwrites them.
        "OPTIONS": {"location": MEDIA_ROOT, "allow_overwrite": True},
    }
# Static files: whitenoise serves the output of `collectstatic` (bin/run migrate runs it)
# from STATIC_ROOT. In production under content-hashed names, with gzip and brotli
# copies, which it sends with a one-year cache; {% static %} then needs collectstatic's
# manifest. STATIC_MANIFEST=false serves the files as they are (development, and the
# tests, whose conftest sets the plain storage).
STATIC_MANIFEST = envbool("STATIC_MANIFEST", "false" if DEBUG else "true")
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Pages link the hashed names only; compressing the unhashed copies and the source
# maps (for devtools) would triple collectstatic's time (brotli) for nothing.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]

# Content-Security-Policy (django-csp): scripts only from this site's own files, so
# markup that slips past escaping (a generator named "</script><script>...") cannot run.
# Templates therefore hold no inline script nor on...= handler: data reaches scripts
# through json_script, behaviour through static/js. Styles: files only, plus style=""
# attributes (widths of progress bars); a <style> element, which can read the page
# with selectors, is refused. Media may also come from S3 (presigned URLs) at
# CSP_MEDIA_ORIGINS.
_s3_endpoint = urlsplit(S3_ENDPOINT_URL)
CSP_MEDIA_ORIGINS = envlist(
    "CSP_MEDIA_ORIGINS",
    f"{_s3_endpoint.scheme}://{_s3_endpoint.netloc}"
    if S3_ENDPOINT_URL
    else ("https://*.amazonaws.com" if S3_BUCKET else ""),
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        # data: for Bootstrap's and Swagger UI's inline SVG icons.
        "img-src": [SELF, "data:", *CSP_MEDIA_ORIGINS],
        "media-src": [SELF, *CSP_MEDIA_ORIGINS],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Background jobs. With REDIS_URL unset, Celery uses kombu's filesystem transport
# under var/celery: a real worker process, and nothing extra to install.
REDIS_URL = env("REDIS_URL")
CELERY_DATA_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # A lost worker's unacknowledged task comes back after visibility_timeout; the
    # sweep below usually queues it again sooner. An unreachable Redis fails a send
    # within seconds rather than the TCP timeout (the task then waits in the outbox).
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, str | int | float | bool] = {
        "visibility_timeout": 3600,
        "socket_connect_timeout": 5,
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.2,
    }
    for _folder in ("queue", "processed", "control"):
        (CELERY_DATA_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", "false")
# The sweeps, which celery beat must run (`celery -A annotator beat`, or a worker with
# --beat as in Procfile.dev): tasks the broker did not take when their work was saved
# (annotator.core.queue), and videos a killed worker left "processing" for longer
# than VIDEO_PROCESSING_TIMEOUT. SWEEP_SECONDS is their interval and the age a task
# must reach in the outbox before the sweep sends it.
SWEEP_SECONDS = envint("SWEEP_SECONDS", "60")
CELERY_BEAT_SCHEDULE = {
    "requeue-abandoned-videos": {
        "task": "annotator.tasks.videos_requeue_stale",
        "schedule": float(SWEEP_SECONDS),
    },
    "send-outbox": {"task": "annotator.tasks.outbox_flush", "schedule": float(SWEEP_SECONDS)},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Three queues, so that one kind of work neither waits behind another nor holds it up:
# "media" (video processing: CPU-bound, minutes per video), "judge" (draft judgments
# and clip captions from the GPT judge: thousands of model requests a round, bounded
# together by that worker's concurrency) and "default" (the sweeps, criteria drafts).
# In production each has its own worker (`bin/run worker <queue>`); a worker started
# without -Q (bin/dev, the tests) consumes all three.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [Queue(name) for name in ("default", "media", "judge")]
CELERY_TASK_ROUTES = {
    "annotator.tasks.video_process": {"queue": "media"},
    "annotator.tasks.gold_variant_task": {"queue": "media"},
    "annotator.tasks.judge_draft_task": {"queue": "judge"},
    "annotator.tasks.clip_draft_task": {"queue": "judge"},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "annotator.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "annotator.core.api_permissions.TokenScopeAllows",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "annotator.api.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "annotator.api.parsers.JSONParser",
        "annotator.api.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "annotator.api.pagination.IdCursorPagination",
    "DEFAULT_THROTTLE_CLASSES": ["annotator.api.throttling.TokenRateThrottle"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "annotator.api.exceptions.exception_handler",
}
# Requests per token (or per user of a session), e.g. 1200/min, 50/s, 100000/day.
API_THROTTLE_RATE = env("API_THROTTLE_RATE", "1200/min")
# Largest request body the API reads (a rubric file upload, JSON or multipart); larger
# ones get 413. The API's parsers read the body under this limit alone.
API_UPLOAD_MAX_BYTES = envint("API_UPLOAD_MAX_BYTES", str(50 * 1024**2))
# Largest HTML form, files aside (Django's default): the pages post short texts. It
# does not apply to the API's bodies (annotator.api.parsers); over it a form gets 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024**2)
# The throttle's counters: shared by every server process through Redis when there is
# one, else per process.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cache",  # apart from Celery's keys in the same database
            # An unreachable Redis fails a request's throttle check within seconds
            # (the throttle then lets the request through) instead of the TCP timeout.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
SPECTACULAR_SETTINGS = {
    "TITLE": "MicroWorld Annotator API",
    "DESCRIPTION": (
        "Rubrics, releases and results for downstream tools. Authenticate with a personal "
        "token (Account settings): `Authorization: Bearer <token>`. Lists are cursor-paginated "
        "(follow `next`); responses carry an ETag, send it back as If-None-Match to get 304."
    ),
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "annotator.api.schema.error_responses",
    ],
    # Swagger UI from drf-spectacular-sidecar's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# The GPT judge: any OpenAI-compatible chat-completions endpoint. Unset: judge
# features are off and say so.
LLM_BASE_URL = env("LLM_BASE_URL")
LLM_API_KEY = env("LLM_API_KEY")
LLM_MODEL = env("LLM_MODEL")
LLM_TIMEOUT = envint("LLM_TIMEOUT", "60")
LLM_MAX_RETRIES = envint("LLM_MAX_RETRIES", "4")
# How hard the GPT judge drives the endpoint. JUDGE_CONCURRENCY is the number of
# requests in flight at once: each judge task makes one request at a time, so it is the
# --concurrency of the worker consuming the "judge" queue (Celery has no per-queue
# setting; `bin/run worker judge` starts it so; the judge page and
# bench/judge_drafts.py read it). JUDGE_REQUESTS_PER_MINUTE (0: unlimited) is one
# budget for every process on every machine (a token bucket in Redis, per process
# without Redis; annotator.core.rate_limit), taken by each model request, 413 re-sends
# included (not the retries the openai client makes inside one: 429, 5xx, timeouts).
# Requests are spread evenly over the minute. A request waits up to
# JUDGE_RATE_MAX_WAIT seconds for its slot; a task whose slot is further away goes
# back to the broker until then, freeing its worker.
JUDGE_CONCURRENCY = envint("JUDGE_CONCURRENCY", "4")
JUDGE_REQUESTS_PER_MINUTE = envint("JUDGE_REQUESTS_PER_MINUTE", "0")
JUDGE_RATE_MAX_WAIT = envint("JUDGE_RATE_MAX_WAIT", "10")

# Rubric health (benchmark > Rubric health, its CSV and API, the editor's badges): when
# a criterion's figures make a finding; the page shows them. The judge is unreliable
# on a criterion that has at least RUBRIC_HEALTH_MIN_PAIRS videos with both its draft
# and an expert's verdict (calibrated) and a Cohen's kappa below
# RUBRIC_HEALTH_KAPPA_BELOW (0.4: below "moderate"); experts disagree on one with at
# least RUBRIC_HEALTH_MIN_OVERLAP videos verdicted by two or more experts and a
# Krippendorff's alpha below RUBRIC_HEALTH_ALPHA_BELOW (0.667, Krippendorff's lowest
# for tentative conclusions); a criterion does not discriminate, or a penalty point is
# never triggered, only over at least RUBRIC_HEALTH_MIN_VIDEOS videos.
RUBRIC_HEALTH_MIN_PAIRS = envint("RUBRIC_HEALTH_MIN_PAIRS", "10")
RUBRIC_HEALTH_KAPPA_BELOW = envfloat("RUBRIC_HEALTH_KAPPA_BELOW", "0.4")
RUBRIC_HEALTH_MIN_OVERLAP = envint("RUBRIC_HEALTH_MIN_OVERLAP", "5")
RUBRIC_HEALTH_ALPHA_BELOW = envfloat("RUBRIC_HEALTH_ALPHA_BELOW", "0.667")
RUBRIC_HEALTH_MIN_VIDEOS = envint("RUBRIC_HEALTH_MIN_VIDEOS", "5")

# Contamination reports (benchmark > Contamination): when a clip overlaps a task; the
# report shows the values it used. Same channel and a title at least
# CONTAMINATION_TITLE_SIMILARITY alike (rapidfuzz token-set ratio, 0-100); a judge
# frame of the clip at most CONTAMINATION_HASH_DISTANCE bits (of 64) from one of the
# task's reference video (perceptual hash); the clip's caption at least
# CONTAMINATION_TEXT_SIMILARITY alike (TF-IDF cosine, 0-1) to the task's prompt and
# requirement.
CONTAMINATION_TITLE_SIMILARITY = envfloat("CONTAMINATION_TITLE_SIMILARITY", "85")
CONTAMINATION_HASH_DISTANCE = envint("CONTAMINATION_HASH_DISTANCE", "10")
CONTAMINATION_TEXT_SIMILARITY = envfloat("CONTAMINATION_TEXT_SIMILARITY", "0.5")

# Near-duplicate clips in the clip grid (selectors/near_duplicates.py): two clips are
# near duplicates when at least NEAR_DUPLICATE_SHARE (0-1) of the judge frames of the
# one with fewer are within NEAR_DUPLICATE_DISTANCE bits (of 64) of a frame of the
# other, directly or mirrored.
NEAR_DUPLICATE_DISTANCE = envint("NEAR_DUPLICATE_DISTANCE", "10")
NEAR_DUPLICATE_SHARE = envfloat("NEAR_DUPLICATE_SHARE", "0.5")

# Synthetic gold clips (annotator/gold_video.py) hold the clip's frames in memory while
# they spoil them: a clip of more frames is refused (720p: about 3 MB a frame).
GOLD_MAX_FRAMES = envint("GOLD_MAX_FRAMES", "1800")

# A batch's dashboard counts an expert's verdict as given without watching when they
# had played less than WATCH_COVERAGE_MIN (0-1) of the video's duration.
WATCH_COVERAGE_MIN = envfloat("WATCH_COVERAGE_MIN", "0.5")

# The media pipeline refuses videos beyond these limits, with the reason shown.
VIDEO_MAX_BYTES = envint("VIDEO_MAX_BYTES", str(2 * 1024**3))
VIDEO_MAX_SECONDS = envint("VIDEO_MAX_SECONDS", "600")
VIDEO_MAX_WIDTH = envint("VIDEO_MAX_WIDTH", "4096")
VIDEO_MAX_HEIGHT = envint("VIDEO_MAX_HEIGHT", "4096")
# A video "processing" for longer than this is taken as abandoned by a killed worker
# and queued again by the sweep; it is also the hard time limit of one processing task.
VIDEO_PROCESSING_TIMEOUT = envint("VIDEO_PROCESSING_TIMEOUT", "900")

# Email (invitations). Unset EMAIL_HOST: messages are printed on the console.
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = envint("EMAIL_PORT", "587")
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "true")
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", "false")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", "20")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "MicroWorld Annotator <noreply@localhost>")
# Seconds an invitation link works (until used); Django's password-reset timeout.
PASSWORD_RESET_TIMEOUT = envint("PASSWORD_RESET_TIMEOUT", str(3 * 24 * 3600))

# /readyz answers within this many seconds, a check that has not finished by then
# reported "timed out" (a probe's timeout must be longer).
READYZ_TIMEOUT = envint("READYZ_TIMEOUT", "2")

# Logs on standard error: plain messages, or with LOG_FORMAT=json one JSON object a
# line (time, level, logger, message, request_id, and for each request its method,
# path, status, user_id and duration_ms) for a log collector. Every line written
# while serving a request carries its id (the proxy's X-Request-ID, else a new one,
# echoed in the response); a Celery task's lines carry the task id.
LOG_FORMAT = env("LOG_FORMAT", "text")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "annotator.core.observability.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # django-axes says INFO on every login; failures and lockouts are WARNINGs.
    "loggers": {"axes": {"level": "WARNING"}},
}
# Celery workers log through the same handler (else Celery installs its own format).
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT == "text"

# Prometheus metrics at /metrics (annotator.core.observability), for a scraper sending
# `Authorization: Bearer $METRICS_TOKEN`; unset: /metrics answers 404.
METRICS_TOKEN = env("METRICS_TOKEN")

# Error reporting to Sentry (Django and Celery) when SENTRY_DSN is set; no personal
# data is sent. SENTRY_TRACES_SAMPLE_RATE: share of requests and tasks traced (0..1).
SENTRY_DSN = env("SENTRY_DSN")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT")
SENTRY_TRACES_SAMPLE_RATE = envfloat("SENTRY_TRACES_SAMPLE_RATE", "0")
sentry_init(
    SENTRY_DSN,
    environment=SENTRY_ENVIRONMENT,
    traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
)

VAR_DIR.mkdir(parents=True, exist_ok=True)
