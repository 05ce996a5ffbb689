"""Settings of the parindex portal, read from environment variables.

Every value has a safe development default except where production needs one (``SECRET_KEY`` when
``DEBUG`` is off). Helpers from django-environ parse types and fail loudly on malformed values.
``NAME_FILE`` variants of secrets are read from files (Docker/Kubernetes secrets).
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None


def _secret(name: str, default: str | None = None) -> str | None:
    """Read ``name`` from the environment, or from the file named by ``name_FILE``."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        return Path(path).read_text().strip()
    return env.str(name, default=default)


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = _secret("SECRET_KEY", "dev-insecure-key-change-me" if DEBUG else None)
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY (hoặc SECRET_KEY_FILE) phải được đặt khi DEBUG tắt.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules.apps.AutodiscoverRulesConfig",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "simple_history",
    "django_htmx",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
    "parindex.apps.AxesConfig",  # django-axes, named in Vietnamese in the admin
    "csp",
    "units",
    "criteria",
    "assessments",
    "surveys",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "parindex.middleware.IgnoreBrowserLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last (django-axes): turns a login refused by the lockout into the 429 answer (parindex.auth.lockout_response).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "parindex.urls"
WSGI_APPLICATION = "parindex.wsgi.application"

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
                "units.context_processors.roles",
                "units.context_processors.notifications",
            ],
        },
    },
]

# Embedded default: a SQLite file beside the project. Production and CI: DATABASE_URL=postgres://...
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'parindex.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses every sign-in (login page, Django admin, the API's basic auth) while the lockout holds.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
# dd/mm/yyyy shown and read day first (parindex/formats/vi/formats.py over Django's vi formats).
FORMAT_MODULE_PATH = ["parindex.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
# WhiteNoise serves STATIC_ROOT (after collectstatic); with USE_FINDERS it serves the apps' and STATICFILES_DIRS'
# files directly, and AUTOREFRESH re-reads them on each request: `make run` turns both on (DEBUG off, no
# collectstatic); production leaves them off.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)
WHITENOISE_AUTOREFRESH = env.bool("WHITENOISE_AUTOREFRESH", default=DEBUG)
# Vendor assets come from the npm registry (package.json) at set-up; never from a CDN at run time.
STATICFILES_DIRS = [BASE_DIR / "static"] + [
    (prefix, path)
    for prefix, path in (
        ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
        ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "font"),
        ("vendor/chart.js", BASE_DIR / "node_modules" / "chart.js" / "dist"),
    )
    if path.exists()
]

# Evidence and uploaded workbooks live in private storage: never served as /media/, only through
# permission-checked views. STORAGE_BACKEND may point at django-storages (S3/MinIO) in production.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
STORAGES = {
    "default": {
        "BACKEND": env.str("STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"),
        "OPTIONS": env.json("STORAGE_OPTIONS", default={}),
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Limits of uploads (bytes).
CRITERIA_WORKBOOK_MAX_BYTES = env.int("CRITERIA_WORKBOOK_MAX_BYTES", default=5 * 1024 * 1024)
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=20 * 1024 * 1024)

# Celery: with REDIS_URL a worker runs tasks; without it tasks run eagerly in the web process.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
# The cache holds flags shared by the web processes and the workers (e.g. "a recompute of this round is queued",
# reports.results.services): with REDIS_URL it lives in Redis, otherwise in the process (tasks then run in the process).
CACHES = (
    {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="parindex"),
        }
    }
    if REDIS_URL
    else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
)
# Workers consume this queue (``celery -A parindex worker`` without -Q); the worker tests use a unique one.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="parindex")
# Beat (``celery -A parindex beat``) keeps its schedule in the database (editable in the admin); the entries
# below are written there when beat starts.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    # Locks what a passed deadline closes and sends the reminders of REMINDER_DAYS_BEFORE (shared/DESIGN.md §4).
    "assessments-deadlines": {"task": "assessments.tasks.deadlines_run", "schedule": crontab(minute=5)},
    # Deletes export files (and their jobs) older than EXPORT_KEEP_DAYS.
    "reports-exports-purge": {"task": "reports.tasks.exports_purge", "schedule": crontab(hour=2, minute=15)},
    # What the broker being down left undone (issue 14): results still owed a recompute, notification e-mails
    # not sent yet, export jobs lost or stuck. Also run once when a worker starts (parindex/celery.py).
    "reports-results-pending": {
        "task": "reports.tasks.results_pending_sweep",
        "schedule": crontab(minute="*"),
    },
    "units-notification-emails": {
        "task": "units.tasks.notification_emails_sweep",
        "schedule": crontab(minute="*"),
    },
    "reports-exports-sweep": {"task": "reports.tasks.exports_sweep", "schedule": crontab(minute="*")},
    # Switches off the units a reorganisation recorded ahead of its date has ended since (units.reorganisation).
    "units-activity-sync": {
        "task": "units.tasks.units_activity_sync",
        "schedule": crontab(hour=0, minute=10),
    },
    # Deletes the import previews (pending-uploads/) nobody confirmed within a day (parindex.uploads.pending_purge).
    "pending-uploads-purge": {
        "task": "parindex.tasks.pending_uploads_purge",
        "schedule": crontab(hour=2, minute=30),
    },
}
# Days an export file is kept for its requester to download (reports.exports.services.exports_purge).
EXPORT_KEEP_DAYS = env.int("EXPORT_KEEP_DAYS", default=7)
# An export job running without progress for this many minutes lost its worker: run again once, then failed.
EXPORT_STALE_MINUTES = env.int("EXPORT_STALE_MINUTES", default=10)
# A job still queued this many seconds after its last enqueue is enqueued again (the broker was down, say).
EXPORT_REQUEUE_SECONDS = env.int("EXPORT_REQUEUE_SECONDS", default=60)
# Notification e-mails (units.services.notification_emails_send): tries before a mail is marked failed, and the
# wait after the first failed try (doubled after each further one).
NOTIFICATION_EMAIL_MAX_ATTEMPTS = env.int("NOTIFICATION_EMAIL_MAX_ATTEMPTS", default=6)
NOTIFICATION_EMAIL_RETRY_SECONDS = env.int("NOTIFICATION_EMAIL_RETRY_SECONDS", default=60)
# Days before each round deadline on which a reminder goes out, e.g. "7,3,1"; 0 = on the deadline day itself.
REMINDER_DAYS_BEFORE = sorted(set(env.list("REMINDER_DAYS_BEFORE", cast=int, default=[3, 1])), reverse=True)
if any(days < 0 for days in REMINDER_DAYS_BEFORE):
    raise ImproperlyConfigured(
        "REMINDER_DAYS_BEFORE phải là các số ngày ≥ 0, cách nhau bằng dấu phẩy (ví dụ 3,1)."
    )

# Absolute address of the portal, for links in e-mails sent outside a request (Celery); may end in a path prefix.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# The province running the portal, as printed on exports ("UBND TỈNH SÓC TRĂNG").
PROVINCE_NAME = env.str("PROVINCE_NAME", default="Sóc Trăng")
# Official print formats (Nghị định 30/2020/NĐ-CP): the place in "<place>, ngày … tháng … năm …", and the signer's
# position on the rankings (issued by Sở Nội vụ; "\n" between lines, e.g. "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC").
PRINT_PLACE = env.str("PRINT_PLACE", default="") or PROVINCE_NAME
PRINT_SIGNER = env.str("PRINT_SIGNER", default="GIÁM ĐỐC")

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = _secret("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="chisocchc@noreply.local")
# Only used by the file-based backend (EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend).
EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=BASE_DIR / "var" / "mail")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Basic first: wrong or missing credentials answer 401 with WWW-Authenticate (parindex/auth.py).
        "parindex.auth.BasicAuthentication",
        "parindex.auth.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "parindex.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API cổng Chỉ số CCHC (parindex)",
    "DESCRIPTION": "API của cổng Chỉ số cải cách hành chính (PAR Index).",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # the schema and its pages need a login, like the API itself (issue 14 item 10)
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "parindex.schema.error_responses",
    ],
}

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every page it lays out at INFO (hundreds of lines per PDF export).
    # axes logs every sign-in at INFO: its warnings only (a lockout is one).
    "loggers": {"weasyprint.progress": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# Production hardening (README "Deployment (production variables)"). Off by default so that `make run` (plain
# http on 127.0.0.1) works; PARINDEX_HTTPS=1 turns on everything a portal served over https needs, and each
# variable below overrides its part. `manage.py check --deploy --fail-level WARNING` passes with
# PARINDEX_HTTPS=1, a long SECRET_KEY and DEBUG off (.ci/run, tests/test_security.py).
PARINDEX_HTTPS = env.bool("PARINDEX_HTTPS", default=False)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PARINDEX_HTTPS)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if PARINDEX_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=PARINDEX_HTTPS)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=PARINDEX_HTTPS)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=PARINDEX_HTTPS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=PARINDEX_HTTPS)
# Behind a reverse proxy that terminates TLS: trust its X-Forwarded-Proto (only when the proxy always sets it,
# never when clients reach the portal directly).
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# A working day; a session ends this many seconds after the sign-in (not renewed on each request).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = env.str("SECURE_REFERRER_POLICY", default="same-origin")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# A refused CSRF check: the Vietnamese page templates/403_csrf.html, or JSON under /api/.
CSRF_FAILURE_VIEW = "parindex.views.csrf_failure"

# Content-Security-Policy (django-csp): scripts and everything else from the portal's own files only — no inline
# script nor handler (behaviours in static/js/*.js, data in json_script), no CDN (the portal runs offline).
# Inline styles stay allowed (Bootstrap's and the charts' style attributes). Evidence files answer their own
# "sandbox" policy (assessments.views.scoring.evidence_download), which the middleware leaves alone.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }
}
# Permissions-Policy (django-permissions-policy): the portal uses none of the browser's devices or sensors.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}

# Login throttling (django-axes, README "Deployment"): LOGIN_FAILURE_LIMIT wrong passwords in a row for one user
# name from one address lock that pair out for LOGIN_COOLOFF_MINUTES (every try meanwhile starts the wait again),
# on the login page, the Django admin and the API's basic auth alike; the answer is 429 (templates/registration/
# locked_out.html, JSON under /api/). A right password before the limit clears the count. An admin unlocks at
# once by deleting the user's row in the admin's "Lần đăng nhập sai" (axes); `manage.py axes_reset_username NAME`
# does the same from a shell.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no start-up banner on every command
AXES_LOCKOUT_CALLABLE = "parindex.auth.lockout_response"
# The client's address: REMOTE_ADDR, unless the portal sits behind TRUSTED_PROXY_COUNT reverse proxies that each
# append to X-Forwarded-For (the address that many entries from the right is the client's; anything a client
# writes further left is ignored, so the header cannot be used to dodge the lockout).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
