"""bcci settings, read from the environment (see docs/OPERATIONS.md).

A local run needs no variable at all: SQLite under var/, the database task
queue, files on disk, DEBUG on. Production sets DEBUG=false, SECRET_KEY,
ALLOWED_HOSTS and DATABASE_URL (PostgreSQL), and TASK_BACKEND=rq with REDIS_URL.
"""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from bcci.env import (
    env_bool,
    env_choice,
    env_choice_list,
    env_database,
    env_int,
    env_list,
    env_redis_url,
    env_sessions,
    env_str,
    env_time,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("BCCI_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = secret_key(DEBUG, VAR_DIR)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "django_filters",
    "django_htmx",
    "django_tasks_db",
    "django_rq",
    "django_tasks_rq",
    "axes",
    # bcci's own apps, one domain noun each (docs/ARCHITECTURE.md)
    "audit",
    "geo",
    "workdays",
    "network",
    "catalog",
    "accounts",
    "postal",
    "dossiers",
    "custody",
    "onestop",
    "notifications",
    "pickups",
    "bcci",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "bcci.middleware.RejectNulMiddleware",
    "bcci.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "audit.middleware.AuditContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "bcci.urls"
WSGI_APPLICATION = "bcci.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "bcci" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "bcci.context.navigation",
            ],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'bcci.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): lock a username+IP after N failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Language and time
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Task queue: Django's own django.tasks API in front of a real backend.
REDIS_URL = env_redis_url("REDIS_URL", "redis://127.0.0.1:6379/0")
TASK_BACKEND = env_choice("TASK_BACKEND", "database", ("database", "rq", "immediate"))
_TASK_BACKENDS = {
    "database": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
    "rq": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]},
    "immediate": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"},
}
# "default" is the configured one; the named aliases let tests and operators
# address a given backend explicitly (e.g. to drain the database queue).
TASKS = {"default": _TASK_BACKENDS[TASK_BACKEND], "database": _TASK_BACKENDS["database"],
         "rq": _TASK_BACKENDS["rq"]}
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}

# Cache: holds the public tracking page's rate-limit counters (custody.tracking). "locmem" (default) is per
# process: right for one process (runserver, tests); a deployment with several worker processes should share
# the counters: "redis" (CACHE_REDIS_URL, best a database number other than the task queue's, e.g. /1) or
# "database" (a table made by `manage.py createcachetable`).
CACHE_BACKEND = env_choice("CACHE_BACKEND", "locmem", ("locmem", "database", "redis"))
_CACHES = {
    "locmem": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "bcci",
               "OPTIONS": {"MAX_ENTRIES": 100_000}},
    "database": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "bcci_cache",
                 "OPTIONS": {"MAX_ENTRIES": 100_000}},
    "redis": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
              "LOCATION": env_redis_url("CACHE_REDIS_URL", "redis://127.0.0.1:6379/1"), "KEY_PREFIX": "bcci"},
}
CACHES = {"default": _CACHES[CACHE_BACKEND]}

# Public tracking page (/tra-cuu/, /api/v1/tracking/): lookups allowed per client address in a window, and
# wrong "last 4 phone digits" allowed per dossier before its check is locked for TRACKING_PHONE_LOCK_SECONDS.
TRACKING_IP_LIMIT = env_int("TRACKING_IP_LIMIT", 30, minimum=1)
TRACKING_IP_WINDOW_SECONDS = env_int("TRACKING_IP_WINDOW_SECONDS", 600, minimum=1)
TRACKING_PHONE_FAILURES = env_int("TRACKING_PHONE_FAILURES", 5, minimum=1)
TRACKING_PHONE_LOCK_SECONDS = env_int("TRACKING_PHONE_LOCK_SECONDS", 3600, minimum=1)
# Behind a reverse proxy that appends the client's address to X-Forwarded-For (and REMOTE_ADDR is the proxy's):
# count lookups per the last address of that header.
TRACKING_TRUST_X_FORWARDED_FOR = env_bool("TRACKING_TRUST_X_FORWARDED_FOR", False)
# The lookup runs as a prepared statement on PostgreSQL (planned once per connection); turn off behind a pooler
# that cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
TRACKING_PREPARED_STATEMENTS = env_bool("TRACKING_PREPARED_STATEMENTS", True)

# API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "bcci.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "bcci API",
    "DESCRIPTION": "Dịch vụ bưu chính công ích — hồ sơ và kết quả TTHC qua bưu chính / "
    "Administrative dossiers and results by public post.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Working-day calendar defaults (editable per date in the admin; see workdays)
WORKDAY_SESSIONS = env_sessions("WORKDAY_SESSIONS", "07:30-11:30,13:00-17:00")
WORKDAY_CUTOFF = env_time("WORKDAY_CUTOFF", "16:00")
# How often a process re-checks the calendar version (override changes made elsewhere).
WORKDAY_CACHE_SECONDS = env_int("WORKDAY_CACHE_SECONDS", 30, minimum=0)

# Working days a dossier may take from the receiving post office to the one-stop desk (the slip's
# "expected arrival"): inside the province, and to another province.
LEG_COUNTER_TO_DESK_DAYS = env_int("LEG_COUNTER_TO_DESK_DAYS", 1, minimum=0)
LEG_COUNTER_TO_DESK_OTHER_PROVINCE_DAYS = env_int("LEG_COUNTER_TO_DESK_OTHER_PROVINCE_DAYS", 3, minimum=0)

# One-stop desk: a dossier is "at risk" when less than this share of its legal time is left; scanned
# documents (PDF, JPEG, PNG by their bytes) may be this large.
ONESTOP_AT_RISK_PERCENT = env_int("ONESTOP_AT_RISK_PERCENT", 20, minimum=0)
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_MB", 20, minimum=1) * 1024 * 1024

# Notifications to citizens (one-time codes, pickup news): the transports tried in order for each message
# until one accepts it (notifications.transports: "file" appends JSON lines to NOTIFY_OUTBOX_DIR/<date>.jsonl,
# "console" logs). A failed send is retried NOTIFY_MAX_ATTEMPTS times in all, waiting NOTIFY_RETRY_SECONDS,
# then twice as long each time.
NOTIFY_TRANSPORTS = env_choice_list("NOTIFY_TRANSPORTS", ["file"], ("file", "console"))
NOTIFY_OUTBOX_DIR = Path(env_str("NOTIFY_OUTBOX_DIR", str(VAR_DIR / "outbox")))
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 5, minimum=1)
NOTIFY_RETRY_SECONDS = env_int("NOTIFY_RETRY_SECONDS", 60, minimum=0)

# Production hardening: on whenever DEBUG is off.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY", False) else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
AXES_VERBOSE = False

# --- Scanned documents' storage (issue #6, onestop.storage) -------------------------------------------
# STORAGE_BACKEND=file (default: files under MEDIA_ROOT) or s3 (an S3-compatible bucket through
# django-storages: S3_BUCKET, S3_ENDPOINT_URL, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_REGION). A bad or
# missing value stops start-up naming the variable.
from onestop.storage import default_storage_settings, storage_backend  # noqa: E402

STORAGE_BACKEND = storage_backend()
STORAGES["default"] = default_storage_settings()
