"""The one settings module. Everything a deployment changes comes from the environment."""

import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlparse

from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KAM_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_from_url(url: str) -> dict:
    """Turn DATABASE_URL (postgres://user:pass@host:port/name or sqlite:///path) into a dict."""
    parsed = urlparse(url)
    if parsed.scheme in {"postgres", "postgresql", "pgsql"}:
        options = dict(parse_qsl(parsed.query))
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
            "OPTIONS": options,
        }
    if parsed.scheme == "sqlite":
        return sqlite_database(
            Path(unquote(parsed.path)) if parsed.path else VAR_DIR / "kam.sqlite3"
        )
    raise ValueError(f"DATABASE_URL: unsupported scheme {parsed.scheme!r}")


def sqlite_database(path: Path) -> dict:
    path.parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers work beside one writer; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue on the busy timeout instead of failing with "database is locked" mid-way.
    return {
        "ENGINE": "kam.core.sqlite",
        "NAME": path,
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=30000;"
                "PRAGMA cache_size=-64000;"
            ),
        },
        # In memory; named explicitly because pytest-django only knows the stock engine name.
        "TEST": {"NAME": os.environ.get("KAM_TEST_SQLITE") or ":memory:"},
    }


DEBUG = env_bool("KAM_DEBUG", False)
SECRET_KEY = os.environ.get("KAM_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and env_bool("KAM_REQUIRE_SECRET", False):
        raise RuntimeError("KAM_SECRET_KEY must be set in production")
    SECRET_KEY = "insecure-development-key-change-me"  # dev/test only
ALLOWED_HOSTS = [
    h
    for h in os.environ.get("KAM_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",")
    if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("KAM_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves Swagger UI from its own static files, not a CDN
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "kam.core",
    "kam.clients",
    "kam.sales",
    "kam.imports",
    "kam.insights",
    "kam.portfolio",
    "kam.potential",
    "kam.qualification",
    "kam.keyprofile",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kam.core.middleware.UserLanguageMiddleware",
    "kam.core.middleware.RejectNullCharactersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "kam.urls"
WSGI_APPLICATION = "kam.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kam" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
else:
    DATABASES = {"default": sqlite_database(VAR_DIR / "kam.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "clients:list"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "kam" / "locale"]
TIME_ZONE = os.environ.get("KAM_TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "kam" / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"

# Uploads: large ERP exports are streamed to disk, never held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
KAM_IMPORT_MAX_BYTES = int(os.environ.get("KAM_IMPORT_MAX_BYTES", 512 * 1024 * 1024))


def env_norm(name: str, default: tuple[int, int]) -> tuple[int, int]:
    """A "low,high" pair of whole numbers from the environment, e.g. "4,10"."""
    value = os.environ.get(name)
    if not value:
        return default
    low, high = (int(part) for part in value.split(","))
    if not 0 <= low <= high:
        raise ValueError(f"{name} must be 'low,high' with 0 <= low <= high, got {value!r}")
    return low, high


# How many key accounts one KAM should handle (R27): fewer is underloaded, more is overloaded.
KAM_KEY_ACCOUNT_NORM = env_norm("KAM_KEY_ACCOUNT_NORM", (4, 10))

TASKS = {
    "default": {
        "BACKEND": os.environ.get("KAM_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("KAM_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KAM_LOG_LEVEL", "WARNING")},
}
