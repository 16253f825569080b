"""The one settings module. Everything a deployment changes comes from the environment."""

import datetime as dt
import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlparse

from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
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
    busy = float(os.environ.get("KAM_SQLITE_BUSY_TIMEOUT", 30))
    # WAL lets readers work beside one writer; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue on the busy timeout instead of failing with "database is locked" mid-way.
    return {
        "ENGINE": "kam.core.sqlite",
        "NAME": path,
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": busy,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                f"PRAGMA busy_timeout={int(busy * 1000)};"
                "PRAGMA cache_size=-64000;"
            ),
        },
        # In memory; named explicitly because pytest-django only knows the stock engine name.
        "TEST": {"NAME": os.environ.get("KAM_TEST_SQLITE") or ":memory:"},
    }


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


#: Host names of a run on this machine only; any other allowed host means the site is served.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1", "testserver"})


def is_production(env: str, debug: bool, hosts: list[str]) -> bool:
    """Whether this is a deployment rather than a local run.

    KAM_ENV says so explicitly ("production" or "development"). Unset, a run with debug off that
    answers to a host other than this machine's is a deployment: a site cannot be reached under
    its name without listing it in KAM_ALLOWED_HOSTS, so no real deployment slips through.
    """
    if env not in {"", "production", "development"}:
        raise ImproperlyConfigured(f"KAM_ENV must be 'production' or 'development', got {env!r}")
    if env:
        return env == "production"
    return not debug and any(host not in LOCAL_HOSTS for host in hosts)


def local_secret_key(path: Path) -> str:
    """The key of a local run: made once at random and kept in ``path``, readable by its owner
    only. Two processes starting together (web and worker) end up with the same key: the file
    appears under its name complete, by a hard link, and the loser reads the winner's."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")  # 0600
        try:
            with os.fdopen(handle, "w") as file:
                file.write(secrets.token_urlsafe(50))
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    key = path.read_text().strip()
    if not key:
        raise ImproperlyConfigured(f"{path} is empty: delete it, or set KAM_SECRET_KEY")
    return key


DEBUG = env_bool("KAM_DEBUG", False)
ALLOWED_HOSTS = env_list("KAM_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("KAM_CSRF_TRUSTED_ORIGINS")
PRODUCTION = is_production(os.environ.get("KAM_ENV", "").strip().lower(), DEBUG, ALLOWED_HOSTS)

# Never a published key: a deployment must bring its own; a local run makes one and keeps it.
SECRET_KEY = os.environ.get("KAM_SECRET_KEY", "").strip()
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "KAM_SECRET_KEY is not set, and this is a production run (KAM_ENV=production, or "
            "debug off with KAM_ALLOWED_HOSTS naming a host other than this machine). Set "
            "KAM_SECRET_KEY to a long random value, for example the output of "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))', and keep it the same "
            "on every web and worker process."
        )
    SECRET_KEY = local_secret_key(VAR_DIR / "secret_key")

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
    "axes",
    "csp",
    "kam.core",
    "kam.clients",
    "kam.sales",
    "kam.imports",
    "kam.insights",
    "kam.portfolio",
    "kam.potential",
    "kam.competition",
    "kam.qualification",
    "kam.keyprofile",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the WSGI process (gunicorn): no web server needed for them.
    "whitenoise.middleware.WhiteNoiseMiddleware",
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
    "csp.middleware.CSPMiddleware",
    # Last: it turns a login refused by the throttle into the login page with the lockout.
    "axes.middleware.AxesMiddleware",
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
# A deployment serves hashed names cached for good, so it needs `collectstatic` (`kam serve` runs
# it); elsewhere, tests included, templates resolve static files without it.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "kam.core.staticfiles.StaticFilesStorage"
        if PRODUCTION
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"

# Uploads: large ERP exports are streamed to disk, never held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
KAM_IMPORT_MAX_BYTES = int(os.environ.get("KAM_IMPORT_MAX_BYTES", 512 * 1024 * 1024))
# An upload nobody confirms or cancels is deleted with its file after this many days.
KAM_IMPORT_PREVIEW_DAYS = float(os.environ.get("KAM_IMPORT_PREVIEW_DAYS", 7))


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

# Background jobs: a worker beats every KAM_JOB_BEAT seconds; a job whose worker has not beaten
# for KAM_JOB_STALE_AFTER seconds is marked interrupted (and its half-written import undone).
KAM_JOB_BEAT = float(os.environ.get("KAM_JOB_BEAT", 5))
KAM_JOB_STALE_AFTER = float(os.environ.get("KAM_JOB_STALE_AFTER", 120))
# An XLSX export of more rows than this is written by the worker, with a progress page and a
# download link, instead of during the request; its file is kept KAM_EXPORT_KEEP_DAYS days.
KAM_EXPORT_INLINE_ROWS = env_int("KAM_EXPORT_INLINE_ROWS", 5000)
KAM_EXPORT_KEEP_DAYS = env_int("KAM_EXPORT_KEEP_DAYS", 7)

TASKS = {
    "default": {
        "BACKEND": os.environ.get("KAM_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- HTTPS and cookies (docs/admin-guide.md, "Security settings") ---------------------------
# A deployment is served over HTTPS: redirect plain HTTP and keep cookies off it unless told
# otherwise. HSTS stays opt-in: browsers remember it for its whole duration, so a site that
# still needs plain HTTP must not send it by accident.
SECURE_SSL_REDIRECT = env_bool("KAM_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = env_int("KAM_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("KAM_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("KAM_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("KAM_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"


def proxy_ssl_header(value: str) -> tuple[str, str] | None:
    """ "X-Forwarded-Proto: https" → ("HTTP_X_FORWARDED_PROTO", "https"), Django's form."""
    if not value.strip():
        return None
    name, colon, expected = value.partition(":")
    if not colon or not name.strip() or not expected.strip():
        raise ImproperlyConfigured(
            f"KAM_PROXY_SSL_HEADER must look like 'X-Forwarded-Proto: https', got {value!r}"
        )
    return "HTTP_" + name.strip().upper().replace("-", "_"), expected.strip()


# Only behind a proxy that sets this header on every request (and drops one sent by a client):
# otherwise a client could claim HTTPS.
SECURE_PROXY_SSL_HEADER = proxy_ssl_header(os.environ.get("KAM_PROXY_SSL_HEADER", ""))
#: Reverse proxies in front of the app that append the client's address to X-Forwarded-For;
#: 0 means clients connect directly (the login throttle then uses the connection's address).
KAM_PROXY_COUNT = env_int("KAM_PROXY_COUNT", 0)

# --- Content-Security-Policy (django-csp): scripts and style sheets from our own files only --
# No inline script, no eval, no <style> element. Style *attributes* are allowed: the charts'
# tooltips and progress bars set them, and an attribute can neither run code nor select
# elements to read them (docs/decisions.md, "Content-Security-Policy").
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        # Bootstrap draws checkboxes, selects and the navbar icon as data: SVG images.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if os.environ.get("KAM_CSP_REPORT_URI"):  # where browsers report violations (your monitoring)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [os.environ["KAM_CSP_REPORT_URI"]]

# --- Login throttle (django-axes; docs/decisions.md, "Login throttle") ----------------------
# Failures of one account from one address lock that pair; failures of any accounts from one
# address lock the address. Locks lift a cool-off after the last failure, or by a director.
KAM_LOGIN_FAILURES_PER_ACCOUNT = env_int("KAM_LOGIN_FAILURES_PER_ACCOUNT", 5)
KAM_LOGIN_FAILURES_PER_ADDRESS = env_int("KAM_LOGIN_FAILURES_PER_ADDRESS", 30)
if not 1 <= KAM_LOGIN_FAILURES_PER_ACCOUNT <= KAM_LOGIN_FAILURES_PER_ADDRESS:
    raise ImproperlyConfigured(
        "KAM_LOGIN_FAILURES_PER_ADDRESS must be at least KAM_LOGIN_FAILURES_PER_ACCOUNT (≥ 1): "
        "an address is shared by several accounts"
    )
AXES_HANDLER = "kam.core.throttle.LoginThrottle"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = KAM_LOGIN_FAILURES_PER_ACCOUNT
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("KAM_LOGIN_COOLOFF_MINUTES", 15))
AXES_RESET_ON_SUCCESS = True
# Refused attempts during a lock are not counted: the time the message names holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "kam.core.throttle.lockout_response"
AXES_CLIENT_IP_CALLABLE = "kam.core.throttle.client_ip"
AXES_ENABLE_ADMIN = False  # the director's Locked logins page records every unlock
AXES_VERBOSE = False
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KAM_LOG_LEVEL", "WARNING")},
}
