"""Fangkong settings: one module, every knob an environment variable.

See README.md "Configuration" for the list. In production (DEBUG off) the
project refuses to start without SECRET_KEY and FANGKONG_DATA_KEY; a
development default exists only when DEBUG is on.
"""

import base64
import binascii
import hashlib
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PACKAGE_DIR = Path(__file__).resolve().parent
# The embedded database, uploads and generated files live under var/ in the
# directory the platform is started from, unless FANGKONG_VAR_DIR says otherwise.
VAR_DIR = Path(os.environ.get("FANGKONG_VAR_DIR", Path.cwd() / "var")).resolve()

DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("FANGKONG_TESTING", False)

_DEV_SECRET_KEY = "dev-only-secret-key-do-not-use-in-production"
# 32 bytes, base64: development only.
_DEV_DATA_KEY = "ZGV2LW9ubHktZGF0YS1rZXktZG8tbm90LXVzZS1pdCEh"

SECRET_KEY = os.environ.get("SECRET_KEY") or (_DEV_SECRET_KEY if DEBUG else "")
# The key that protects personal data (ID and phone numbers): encryption at
# rest and the keyed hash used for exact lookups. Losing it loses the data.
FANGKONG_DATA_KEY = os.environ.get("FANGKONG_DATA_KEY") or (_DEV_DATA_KEY if DEBUG else "")
# Older data keys still accepted for decryption while rows are re-encrypted.
FANGKONG_OLD_DATA_KEYS = env_list("FANGKONG_OLD_DATA_KEYS")

if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
if not FANGKONG_DATA_KEY:
    raise ImproperlyConfigured("FANGKONG_DATA_KEY must be set when DEBUG is off.")

# The Ed25519 private key (base64 of the raw 32-byte seed) that signs personal
# pass codes (一人一码). Gate devices verify codes with the public key alone.
# In development and tests a key is derived from SECRET_KEY, so codes stay
# valid across restarts; production must set its own.
FANGKONG_PASS_CODE_KEY = os.environ.get("FANGKONG_PASS_CODE_KEY") or (
    base64.b64encode(
        hashlib.sha256(b"fangkong pass code development key\x00" + SECRET_KEY.encode()).digest()
    ).decode()
    if DEBUG or TESTING
    else ""
)
if not FANGKONG_PASS_CODE_KEY:
    raise ImproperlyConfigured("FANGKONG_PASS_CODE_KEY must be set when DEBUG is off.")
try:
    _pass_code_seed = base64.b64decode(FANGKONG_PASS_CODE_KEY, validate=True)
except (binascii.Error, ValueError):
    _pass_code_seed = b""
if len(_pass_code_seed) != 32:
    raise ImproperlyConfigured("FANGKONG_PASS_CODE_KEY must be 32 bytes in base64.")

# Gate entries (who passed which gate when) are kept this many days, then
# removed by `fangkong purge-entries`; devices may upload entries this old.
ENTRY_RETENTION_DAYS = int(os.environ.get("ENTRY_RETENTION_DAYS", "28"))

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
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
    "ninja",
    "axes",
    "fangkong.core",
    "fangkong.regions",
    "fangkong.people",
    "fangkong.accounts",
    "fangkong.checkpoints",
    "fangkong.testing",
    "fangkong.vaccination",
    "fangkong.bulletins",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: it answers locked-out logins.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fangkong.urls"
WSGI_APPLICATION = "fangkong.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "fangkong.core.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'fangkong.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets pages read while an import writes; a busy timeout instead of
    # "database is locked" when two writers meet.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Imports stage rows in temporary tables; PostgreSQL's 8 MB default makes a
    # million-row staging table and its index spill to disk. Memory is taken
    # only by connections that use temporary tables.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", f"-c temp_buffers={os.environ.get('DATABASE_TEMP_BUFFERS', '256MB')}"
    )
    # The gate's few hot statements (core.hot_sql's server-binding cursors) are
    # prepared on their second use per connection: planning them cost the
    # database more than running them. Django's own queries bind on the
    # client and are never prepared. 0 turns preparing off, for a pooler
    # in transaction mode that does not keep prepared statements.
    prepare_after = int(os.environ.get("DATABASE_PREPARE_AFTER", "2"))
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = prepare_after or None
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME") or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: after AXES_FAILURE_LIMIT failures for one username from
# one address, that pair is locked for AXES_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and not TESTING)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"

# Uploaded import files are streamed to disk, never held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 50

if DEBUG or TESTING:
    # Development serves static files from the apps; WhiteNoise only wants the folder to exist.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    WHITENOISE_AUTOREFRESH = True
