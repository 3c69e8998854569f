"""Django settings for Tutela, read from the environment. Every setting is documented in docs/settings.md."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from tutela.core.env import SettingError, env_bool, env_int, env_list, env_str, secret_from_env_or_file

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent

# TUTELA_HOME: where the embedded database, generated secrets and files live (default ./var).
TUTELA_HOME = Path(env_str("TUTELA_HOME", "var")).resolve()
TUTELA_HOME.mkdir(mode=0o700, parents=True, exist_ok=True)  # private: see tutela/core/files.py

# TUTELA_SECRET_KEY (or _FILE): Django's signing key, at least 32 characters (an empty or short one is refused);
# generated once under TUTELA_HOME when unset.
SECRET_KEY = secret_from_env_or_file(
    "TUTELA_SECRET_KEY", TUTELA_HOME / "secrets" / "secret_key", nbytes=48, minimum_length=32
)
# TUTELA_DEBUG: development error pages; never in production.
DEBUG = env_bool("TUTELA_DEBUG", False)
# TUTELA_ALLOWED_HOSTS: comma-separated host names the web app answers to.
ALLOWED_HOSTS = env_list("TUTELA_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
# TUTELA_CSRF_TRUSTED_ORIGINS: comma-separated origins allowed to post forms behind a proxy.
CSRF_TRUSTED_ORIGINS = env_list("TUTELA_CSRF_TRUSTED_ORIGINS", [])
# TUTELA_BASE_URL: the public address used in links sent by e-mail.
TUTELA_BASE_URL = env_str("TUTELA_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# TUTELA_POLICY_FILE: the policy loaded by `tutela init` when no version is active yet.
TUTELA_POLICY_FILE = Path(env_str("TUTELA_POLICY_FILE", str(PROJECT_DIR / "policies" / "crm-group.yaml")))
# TUTELA_FILES_ROOT: directory tree whose files (CCTV recordings, scans) the retention sweep manages.
TUTELA_FILES_ROOT = Path(env_str("TUTELA_FILES_ROOT", str(TUTELA_HOME / "files")))
# TUTELA_EXPORT_DIR: where generated packages and reports are written.
TUTELA_EXPORT_DIR = Path(env_str("TUTELA_EXPORT_DIR", str(TUTELA_HOME / "exports")))
# TUTELA_PACKAGE_DAYS: days an access/portability package is kept (`tutela rights purge-packages`).
TUTELA_PACKAGE_DAYS = env_int("TUTELA_PACKAGE_DAYS", 30, minimum=0)
# TUTELA_TRANSMIT_ALLOW_LOOPBACK: outbound transmission/webhooks may target the loopback (tests only).
TUTELA_TRANSMIT_ALLOW_LOOPBACK = env_bool("TUTELA_TRANSMIT_ALLOW_LOOPBACK", False)
# TUTELA_RETENTION_BATCH: items the retention sweep acts on per transaction.
TUTELA_RETENTION_BATCH = env_int("TUTELA_RETENTION_BATCH", 5000, minimum=1)
# TUTELA_RETENTION_SWEEP_AT: daily time (HH:MM, Brussels) of the scheduled retention sweep.
_sweep_at = env_str("TUTELA_RETENTION_SWEEP_AT", "02:30")
try:
    TUTELA_RETENTION_SWEEP_AT = tuple(int(part) for part in _sweep_at.split(":", 1))
    assert len(TUTELA_RETENTION_SWEEP_AT) == 2 and 0 <= TUTELA_RETENTION_SWEEP_AT[0] < 24
    assert 0 <= TUTELA_RETENTION_SWEEP_AT[1] < 60
except (ValueError, AssertionError):
    raise SettingError(f"TUTELA_RETENTION_SWEEP_AT={_sweep_at!r}: expected HH:MM") from None
# TUTELA_RETENTION_FILES_MAP: YAML file mapping directories under TUTELA_FILES_ROOT to retention rules.
TUTELA_RETENTION_FILES_MAP = env_str("TUTELA_RETENTION_FILES_MAP", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "tutela.core",
    "tutela.accounts",
    "tutela.policy",
    "tutela.subjects",
    "tutela.consent",
    "tutela.rights",
    "tutela.retention",
    "tutela.recipients",
    "tutela.breaches",
    "tutela.portal",
    "tutela.dashboard",
]

MIDDLEWARE = [
    # first: every request starts as "anonymous" in the audit trail and gives back the actor it found
    "tutela.core.middleware.AuditActorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "tutela.api.errors.ApiErrorMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tutela.urls"
WSGI_APPLICATION = "tutela.wsgi.application"

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

# DATABASE_URL: any Django-supported database URL (PostgreSQL in production); unset = embedded SQLite.
_database_url = env_str("DATABASE_URL", "")
if _database_url:
    try:
        _db = dj_database_url.parse(_database_url, conn_max_age=env_int("TUTELA_DB_CONN_MAX_AGE", 60))
    except Exception as exc:  # dj_database_url raises several types for a malformed URL
        raise SettingError(f"DATABASE_URL: cannot parse it ({exc})") from None
else:
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(TUTELA_HOME / "tutela.sqlite3"),
    }
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("TUTELA_SQLITE_TIMEOUT", 30, minimum=1),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
# TUTELA_DB_POOLER: PostgreSQL is reached through a transaction-mode connection pooler (PgBouncer …): no
# startup options and no server-side prepared statements, which such poolers refuse or lose.
TUTELA_DB_POOLER = env_bool("TUTELA_DB_POOLER", False)
if _db["ENGINE"].startswith("django.db.backends.postgresql") and not TUTELA_DB_POOLER:
    # No JIT: Tutela's statements are short look-ups whose cost estimates can still pass the JIT threshold
    # (thousands of ids probed through an index); compiling them cost 0.3 s a statement, ten times the
    # work itself, in the scrub of a 100,000-address list against a million people. Behind a pooler, set
    # it on the role instead: ALTER ROLE tutela SET jit = off.
    _options = _db.setdefault("OPTIONS", {})
    _options["options"] = " ".join(filter(None, [_options.get("options", ""), "-c jit=off"]))
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/staff/login/"
LOGIN_REDIRECT_URL = "/staff/"

# TUTELA_AXES_FAILURE_LIMIT: failed logins before an account/IP pair is locked out.
AXES_FAILURE_LIMIT = env_int("TUTELA_AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = 1  # hours
# TUTELA_AXES_IP_FAILURE_LIMIT: failed logins from one address, any user names, before it is locked out.
TUTELA_AXES_IP_FAILURE_LIMIT = env_int("TUTELA_AXES_IP_FAILURE_LIMIT", 20, minimum=1)
# both are counted (tutela.accounts.lockout): an account/IP pair, and an address across user names
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "tutela.accounts.lockout.LoginThrottle"
AXES_RESET_ON_SUCCESS = True
# TUTELA_ENROLMENT_HOURS: hours an authenticator enrolment link (`tutela user enrol`) stays valid.
TUTELA_ENROLMENT_HOURS = env_int("TUTELA_ENROLMENT_HOURS", 24, minimum=1)
# a seed reaches only its person: the admin shows no TOTP key, QR code or backup code (docs/web.md)
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("nl", "Nederlands")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = TUTELA_HOME / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# TUTELA_TASKS_BACKEND: "database" (embedded default, no broker), "rq" (Redis at TUTELA_REDIS_URL, for
# scaled deployments) or "immediate" (tests, scripts).
_tasks_backend = env_str("TUTELA_TASKS_BACKEND", "database")
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "rq": "django_tasks_rq.RQBackend",
}
# TUTELA_REDIS_URL: the Redis queue for the "rq" tasks backend.
TUTELA_REDIS_URL = env_str("TUTELA_REDIS_URL", "redis://127.0.0.1:6379/0")
RQ_QUEUES = {"default": {"URL": TUTELA_REDIS_URL}}
if _tasks_backend == "rq":
    INSTALLED_APPS.append("django_rq")
if _tasks_backend not in _TASK_BACKENDS:
    raise SettingError(f"TUTELA_TASKS_BACKEND={_tasks_backend!r}: expected one of {sorted(_TASK_BACKENDS)}")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[_tasks_backend]}}

# TUTELA_EMAIL_URL-style settings: SMTP host/port/user/password/TLS; unset host = mail written to files.
EMAIL_HOST = env_str("TUTELA_SMTP_HOST", "")
EMAIL_PORT = env_int("TUTELA_SMTP_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("TUTELA_SMTP_USER", "")
EMAIL_HOST_PASSWORD = env_str("TUTELA_SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("TUTELA_SMTP_STARTTLS", False)
EMAIL_TIMEOUT = 20
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "tutela.core.mail.PrivateFileBackend"  # Django's file backend, files created 0600
    EMAIL_FILE_PATH = str(TUTELA_HOME / "mail")
# TUTELA_MAIL_FROM: the sender of every mail Tutela sends.
DEFAULT_FROM_EMAIL = env_str("TUTELA_MAIL_FROM", "Tutela <no-reply@tutela.local>")

# Encryption at rest (see docs/decisions/0002-encryption-at-rest.md).
# TUTELA_DATA_KEYS (or _FILE): lines "key-id:base64url 32-byte key"; the first encrypts, all decrypt.
TUTELA_DATA_KEYS_PATH = TUTELA_HOME / "secrets" / "data_keys"
# TUTELA_INDEX_KEY (or _FILE): the HMAC key of the blind indexes used for exact look-ups.
TUTELA_INDEX_KEY = secret_from_env_or_file("TUTELA_INDEX_KEY", TUTELA_HOME / "secrets" / "index_key")
# TUTELA_AUDIT_KEY (or _FILE): the HMAC key of the audit chain and its anchors (at least 32 characters).
TUTELA_AUDIT_KEY = secret_from_env_or_file(
    "TUTELA_AUDIT_KEY", TUTELA_HOME / "secrets" / "audit_key", nbytes=48, minimum_length=32
)

# Public-form rate limits: TUTELA_RATE_LIMIT_PER_HOUR requests per IP and per identifier.
TUTELA_RATE_LIMIT_PER_HOUR = env_int("TUTELA_RATE_LIMIT_PER_HOUR", 20, minimum=1)
CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "tutela_cache"}}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# TUTELA_SECURE_COOKIES: send session/CSRF cookies over HTTPS only (set true behind TLS).
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("TUTELA_SECURE_COOKIES", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Logs under TUTELA_HOME/log, created 0600: tutela.log (everything at TUTELA_LOG_LEVEL, requests that
# failed included) and errors.log (errors with their tracebacks). Every handler drops private tokens
# (mailed links, enrolment codes, ?token=…) from what it writes: see tutela/core/redact.py.
LOG_DIR = TUTELA_HOME / "log"
# TUTELA_LOG_LEVEL: the least severe level logged (DEBUG, INFO, WARNING, ERROR).
_log_level = env_str("TUTELA_LOG_LEVEL", "WARNING").upper()
if _log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise SettingError(f"TUTELA_LOG_LEVEL={_log_level!r}: expected DEBUG, INFO, WARNING or ERROR")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_tokens": {"()": "tutela.core.redact.RedactTokens"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_tokens"]},
        "file": {
            "class": "tutela.core.files.PrivateFileHandler",
            "filename": str(LOG_DIR / "tutela.log"),
            "formatter": "plain",
            "filters": ["redact_tokens"],
        },
        "errors": {
            "class": "tutela.core.files.PrivateFileHandler",
            "filename": str(LOG_DIR / "errors.log"),
            "formatter": "plain",
            "level": "ERROR",
            "filters": ["redact_tokens"],
        },
    },
    "loggers": {
        # Django's own defaults print request lines through handlers of their own, which would bypass the
        # redaction: the request loggers go through Tutela's handlers only
        "django": {"handlers": [], "level": _log_level, "propagate": True},
        "django.request": {"handlers": [], "level": _log_level, "propagate": True},
        "django.server": {"handlers": ["stderr", "file"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["stderr", "file", "errors"], "level": _log_level},
}
