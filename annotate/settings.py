"""Settings, driven by environment variables.

SQLite is the zero-setup default; set DATABASE_URL for PostgreSQL. DEBUG is off unless
the environment turns it on (the demo command does). In production set SECRET_KEY,
ALLOWED_HOSTS and DATABASE_URL; `manage.py check --deploy` then reports nothing.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")
# The fallback key is only good for development and tests: `check --deploy` flags it.
SECRET_KEY = os.environ.get("SECRET_KEY") or "django-insecure-development-only-key-do-not-deploy"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "axes",
    "django_tasks",
    "django_tasks_db",
    # django-ninja: the API's docs page from the package's own static files, not a CDN.
    "ninja",
    "annotate",
]

MIDDLEWARE = [
    # First: a load balancer's GET /healthz is answered before the host check and HTTPS redirect.
    "annotate.middleware.HealthCheckMiddleware",
    "annotate.middleware.RequestLogMiddleware",  # only with ANNOTATE_JSON_LOGS
    # Every error under /api/v1/ as JSON, whatever answered it (annotate/api/errors.py).
    "annotate.api.errors.ApiErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads a request's body (sessions, CSRF): a body too large is refused unread.
    "annotate.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "annotate.middleware.SecurityHeadersMiddleware",
    # Last, as django-axes asks: it answers a locked-out login with the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "annotate.urls"
WSGI_APPLICATION = "annotate.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    # An empty DATABASE_URL means the default, as an unset one does.
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        # A persistent connection the database dropped is replaced, not handed to a request.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DATABASE_SERVER_SIDE_BINDING", True):
    # Parameters bound by PostgreSQL, so psycopg prepares a statement its connection runs
    # again and again (from the fifth time): PostgreSQL then plans it once, not per
    # request. A save's statements took longer to plan than to run (docs/benchmarks.md).
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's SQLite file is written by the server and the worker at once. SQLite allows
    # one writer at a time: a transaction that begins by reading and then writes fails at
    # once with "database is locked" when another wrote meanwhile, whatever the timeout.
    # So every transaction takes the write lock when it begins (IMMEDIATE) and waits up to
    # `timeout` seconds for it, and the journal is a write-ahead log (WAL), so reading
    # never waits for a writer (tests/test_demo_database.py runs the two at once).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE",
        timeout=int(os.environ.get("SQLITE_TIMEOUT", "20")),
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Each process's own memory: it keeps what every request would otherwise read again and
# never needs to agree with another process, as its keys carry what was read fresh (a
# project's labels under its scheme version: Project.scheme_labels).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 1000}}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out login is refused before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, finding the account by its username in any case.
    "annotate.accounts.AnyCaseModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "annotate:project_list"
LOGOUT_REDIRECT_URL = "login"

# Failed logins (django-axes): after 5 failures for one username from one address, that
# pair is refused for 15 minutes. Locking the pair rather than the username alone keeps
# an attacker from locking a colleague out; locking it rather than the address alone
# keeps one office behind one address working.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "annotate.views.accounts.locked_out"
# Failures are counted under the username in one case, as logins take it in any case:
# "Ada", "ADA" and "ada" share their five tries.
AXES_USERNAME_CALLABLE = "annotate.views.accounts.axes_username"
# The client's address, not the proxy's: see annotate.views.accounts.client_address.
AXES_CLIENT_IP_CALLABLE = "annotate.views.accounts.client_address"
# How many proxies in front of the app each append the address they were reached from to
# X-Forwarded-For (nginx's $proxy_add_x_forwarded_for does): only those last entries are
# believed, never what a client wrote itself. 0: the address the app was reached from is
# the client's. Default: 1 with BEHIND_TLS_PROXY, else 0.
ANNOTATE_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT") or int(env_bool("BEHIND_TLS_PROXY")))

# Who may create projects: "staff" (staff users and users with annotate.add_project)
# or "everyone" (every logged-in user).
ANNOTATE_PROJECT_CREATORS = os.environ.get("ANNOTATE_PROJECT_CREATORS", "staff")

# Accounts made from a project's Members page: how long an invite link can be used
# (PASSWORD_RESET_TIMEOUT, Django's, bounds a set-password or password-reset link: 3 days).
ANNOTATE_INVITE_DAYS = int(os.environ.get("ANNOTATE_INVITE_DAYS", 7))
# Email: off unless EMAIL_BACKEND is set (e.g. django.core.mail.backends.smtp.EmailBackend
# with EMAIL_HOST and friends). Without it, invite and password links are only shown to
# the manager, who sends them; with it, they are also emailed to a person with an address.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or "django.core.mail.backends.dummy.EmailBackend"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "webmaster@localhost")

# Content-Security-Policy (django-csp): everything from this site, nothing inline.
# Pages carry no inline script or style (htmx's indicator styles are turned off in
# base.html and live in app.css, and htmx settles no style attribute onto what it swaps
# in); the favicon is a data: URL. The browser tests fail on any violation.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Sent by annotate.middleware.SecurityHeadersMiddleware on every response.
ANNOTATE_PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where uploaded imports wait for their worker (the default storage). With several
# machines, point the default storage at one they share (README, Production).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Long work (imports, and whatever else a Job records) is queued in the database and
# run by `manage.py run_worker` (django-tasks with its database backend), so a request
# never waits for it and any number of app servers share one queue.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# A running job whose worker has not reported for this long is taken for stopped (its
# worker was killed, or its machine went away) and shown as failed.
ANNOTATE_JOB_STALE_SECONDS = int(os.environ.get("ANNOTATE_JOB_STALE_SECONDS", 60))
# A web import whose files together are at most this size is previewed and written in
# the request, as it takes a few seconds at most; a larger one is written by a worker,
# with a progress page.
ANNOTATE_IMPORT_INLINE_BYTES = int(os.environ.get("ANNOTATE_IMPORT_INLINE_BYTES", 1024 * 1024))
# An export holding at most this many units (of the layers chosen) streams in the
# request: its time goes by its units, written at 50,000-90,000 a second
# (docs/benchmarks.md), so this is a few seconds. A larger one is written by a worker to
# the default storage, with a progress page, and downloaded from there.
ANNOTATE_EXPORT_INLINE_UNITS = int(os.environ.get("ANNOTATE_EXPORT_INLINE_UNITS", 200_000))
# How long a worker's export file is kept (and offered) after it is written.
ANNOTATE_EXPORT_KEEP_SECONDS = int(os.environ.get("ANNOTATE_EXPORT_KEEP_SECONDS", 24 * 3600))
# Up to how many rows the admin's lists of the tables that grow with the work count
# exactly; above it they say "about" PostgreSQL's estimate (annotate/admin.py).
ANNOTATE_ADMIN_EXACT_COUNT = int(os.environ.get("ANNOTATE_ADMIN_EXACT_COUNT", 10_000))

# The team page (annotate/team.py, docs/team.md): a gap between two changes of one person
# shorter than this counts as active time; the days of active time a refresh recomputes
# start this long before the last refresh (a transaction still writing then has committed).
ANNOTATE_IDLE_SECONDS = int(os.environ.get("ANNOTATE_IDLE_SECONDS", 300))
ANNOTATE_TEAM_SETTLE_SECONDS = int(os.environ.get("ANNOTATE_TEAM_SETTLE_SECONDS", 3600))

# The suggestion model (annotate/suggestions/learning.py, docs/suggestions.md): trained
# only from this many articles with units (fewer: the version says so and is never used);
# a training set of more tokens is refused (the version fails, the one before stays);
# the CRF's and the relation classifier's training iterations.
ANNOTATE_SUGGESTION_MIN_ARTICLES = int(os.environ.get("ANNOTATE_SUGGESTION_MIN_ARTICLES", 10))
ANNOTATE_SUGGESTION_MAX_TOKENS = int(os.environ.get("ANNOTATE_SUGGESTION_MAX_TOKENS", 5_000_000))
ANNOTATE_SUGGESTION_CRF_ITERATIONS = int(os.environ.get("ANNOTATE_SUGGESTION_CRF_ITERATIONS", 100))
ANNOTATE_SUGGESTION_RELATION_ITERATIONS = int(os.environ.get("ANNOTATE_SUGGESTION_RELATION_ITERATIONS", 300))

# A form whose CSRF token no longer holds is told why in plain words (a tab left open
# across a log-in), with the site's own 403 page.
CSRF_FAILURE_VIEW = "annotate.views.accounts.csrf_failure"

# Uploaded datasets can be large; the import code enforces its own limit per file.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY") else None
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# ANNOTATE_JSON_LOGS=1: every log record as a JSON line (annotate/logs.py), and one for
# every request (annotate.middleware.RequestLogMiddleware), for a log collector.
ANNOTATE_JSON_LOGS = env_bool("ANNOTATE_JSON_LOGS")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "annotate.logs.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", **({"formatter": "json"} if ANNOTATE_JSON_LOGS else {})}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # Django's own messages once, through the same handler (its default configuration
    # would print them a second time through the root logger).
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "annotate.requests": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Upload limits, so that one import cannot exhaust a worker (docs/formats.md): the
# files of one import request together, and what a brat zip or directory unpacks to
# (in all, per entry, and its number of entries), counted while it is read.
ANNOTATE_MAX_UPLOAD_BYTES = int(os.environ.get("ANNOTATE_MAX_UPLOAD_BYTES", 50 * 1024 * 1024))
ANNOTATE_MAX_UNCOMPRESSED_BYTES = int(os.environ.get("ANNOTATE_MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024))
ANNOTATE_MAX_ENTRY_BYTES = int(os.environ.get("ANNOTATE_MAX_ENTRY_BYTES", 20 * 1024 * 1024))
ANNOTATE_MAX_ARCHIVE_ENTRIES = int(os.environ.get("ANNOTATE_MAX_ARCHIVE_ENTRIES", 10_000))
# A file above ANNOTATE_MAX_UPLOAD_BYTES is sent to the import page in chunks of this
# size (below DATA_UPLOAD_MAX_MEMORY_SIZE), up to ANNOTATE_MAX_CHUNKED_UPLOAD_BYTES; an
# upload left ANNOTATE_UPLOAD_KEEP_SECONDS without a chunk expires (annotate/uploads.py).
ANNOTATE_UPLOAD_CHUNK_BYTES = int(os.environ.get("ANNOTATE_UPLOAD_CHUNK_BYTES", 8 * 1024 * 1024))
ANNOTATE_MAX_CHUNKED_UPLOAD_BYTES = int(os.environ.get("ANNOTATE_MAX_CHUNKED_UPLOAD_BYTES", 1024**3))
ANNOTATE_UPLOAD_KEEP_SECONDS = int(os.environ.get("ANNOTATE_UPLOAD_KEEP_SECONDS", 24 * 3600))

# Limits on the jobs people queue (annotate/job_limits.py; docs/formats.md, "Limits"):
# the imports and exports one project may have queued or running at once, so no one
# project fills the queue; the jobs one person may queue in a minute; and the bytes one
# project's stored files (uploads waiting for their worker, exports' files until they
# expire) may take in the default storage.
ANNOTATE_MAX_PROJECT_JOBS = int(os.environ.get("ANNOTATE_MAX_PROJECT_JOBS", 10))
ANNOTATE_MAX_USER_JOBS_PER_MINUTE = int(os.environ.get("ANNOTATE_MAX_USER_JOBS_PER_MINUTE", 10))
ANNOTATE_MAX_PROJECT_STORED_BYTES = int(os.environ.get("ANNOTATE_MAX_PROJECT_STORED_BYTES", 2 * 1024**3))
