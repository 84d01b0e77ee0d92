"""Django settings: everything that differs between machines comes from the environment.

See README.md for the variables. Defaults are the embedded ones (SQLite and a broker that
needs no server, both under var/), so a fresh clone runs with no configuration.
"""

import re
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from walkme_integration.env import (
    env_bool,
    env_checked,
    env_int,
    env_list,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("WALKME_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DJANGO_DEBUG", False)


def _dev_secret(path: Path) -> str:
    """A per-checkout key for development only; never used when DEBUG is off."""
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
    SECRET_KEY = _dev_secret(VAR_DIR / "dev-secret-key")

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "formtools",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "salesforce_auth",
    "integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "walkme_integration.urls"
WSGI_APPLICATION = "walkme_integration.wsgi.application"

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

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
except Exception as exc:  # dj-database-url raises several types for a bad URL
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share one file: wait for locks instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "UTC") or "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(VAR_DIR / "media")))

# --- Security (production values unless DEBUG) ---------------------------------------------
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe /healthz over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Email (alerts) --------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "walkme-integration@localhost")

# --- Celery ----------------------------------------------------------------------------
_BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or env_str("REDIS_URL") or "filesystem://"
if CELERY_BROKER_URL == "filesystem://":
    for sub in ("in", "processed", "control"):
        (_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "in"),
        "data_folder_out": str(_BROKER_DIR / "in"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        # Worker remote control (pidbox) files; kombu's default is ./control in the CWD.
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A run may take long on a large report; the limits must stay below the visibility timeout
# or Redis would hand the same message to a second worker while the first still works.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 3 * 3600, minimum=60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", CELERY_TASK_SOFT_TIME_LIMIT + 300)
CELERY_BROKER_VISIBILITY_TIMEOUT = env_int(
    "CELERY_BROKER_VISIBILITY_TIMEOUT", CELERY_TASK_TIME_LIMIT + 3600
)
if not CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT < CELERY_BROKER_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        "CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT < CELERY_BROKER_VISIBILITY_TIMEOUT "
        "must hold"
    )
CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = CELERY_BROKER_VISIBILITY_TIMEOUT
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The DatabaseScheduler upserts these into PeriodicTask rows at start.
CELERY_BEAT_SCHEDULE = {
    "reap-stale-runs": {"task": "integrations.reap_stale_runs", "schedule": 300.0},
}
# A running run with no heartbeat for this long is failed as "worker lost" by the reaper.
RUN_HEARTBEAT_TIMEOUT_SECONDS = env_int("RUN_HEARTBEAT_TIMEOUT_SECONDS", 15 * 60, minimum=60)

# --- Staff sign-in (django-allauth; the admin's login page redirects to it) ---------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "admin:index"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "walkme_integration.accounts.StaffAccountAdapter"  # sign-up closed
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"  # staff accounts are made by an administrator
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "WalkMe Insights to Salesforce"

# --- Token encryption ------------------------------------------------------------------
# Comma-separated Fernet keys: the first encrypts, all decrypt (rotation).
TOKEN_ENCRYPTION_KEYS = env_list("TOKEN_ENCRYPTION_KEYS")
if not TOKEN_ENCRYPTION_KEYS and not DEBUG:
    raise ImproperlyConfigured("TOKEN_ENCRYPTION_KEYS must be set when DJANGO_DEBUG is off")

# --- Salesforce ------------------------------------------------------------------------
SALESFORCE_CLIENT_ID = env_str("SALESFORCE_CLIENT_ID", "") or ""
SALESFORCE_CLIENT_SECRET = env_str("SALESFORCE_CLIENT_SECRET", "") or ""
SALESFORCE_LOGIN_URL_PRODUCTION = env_url(
    "SALESFORCE_LOGIN_URL_PRODUCTION", "https://login.salesforce.com"
)
SALESFORCE_LOGIN_URL_SANDBOX = env_url(
    "SALESFORCE_LOGIN_URL_SANDBOX", "https://test.salesforce.com"
)
SALESFORCE_API_VERSION = env_checked(
    "SALESFORCE_API_VERSION",
    "62.0",
    lambda v: re.fullmatch(r"\d{2}\.0", v) is not None,
    "a version like 62.0",
)
SALESFORCE_CA_BUNDLE = env_str("SALESFORCE_CA_BUNDLE") or None
if SALESFORCE_CA_BUNDLE and not Path(SALESFORCE_CA_BUNDLE).is_file():
    raise ImproperlyConfigured(
        f"SALESFORCE_CA_BUNDLE points to a missing file: {SALESFORCE_CA_BUNDLE}"
    )
SALESFORCE_CONNECT_TIMEOUT = env_int("SALESFORCE_CONNECT_TIMEOUT", 10, minimum=1)
SALESFORCE_READ_TIMEOUT = env_int("SALESFORCE_READ_TIMEOUT", 120, minimum=1)

# --- Report sources (integrations/sources/) ---------------------------------------------
# CA bundle for HTTPS report sources; None = the default CA store. Read only from here,
# never from REQUESTS_CA_BUNDLE (the HTTPS source turns requests' trust_env off).
REPORT_SOURCE_CA_BUNDLE = env_str("REPORT_SOURCE_CA_BUNDLE") or None
if REPORT_SOURCE_CA_BUNDLE and not Path(REPORT_SOURCE_CA_BUNDLE).is_file():
    raise ImproperlyConfigured(
        f"REPORT_SOURCE_CA_BUNDLE points to a missing file: {REPORT_SOURCE_CA_BUNDLE}"
    )
REPORT_SOURCE_CONNECT_TIMEOUT = env_int("REPORT_SOURCE_CONNECT_TIMEOUT", 10, minimum=1)
REPORT_SOURCE_READ_TIMEOUT = env_int("REPORT_SOURCE_READ_TIMEOUT", 60, minimum=1)
# Default endpoint for S3-compatible stores (MinIO, Ceph...); a report's own setting wins.
REPORT_SOURCE_S3_ENDPOINT_URL = env_str("REPORT_SOURCE_S3_ENDPOINT_URL") or None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
}
