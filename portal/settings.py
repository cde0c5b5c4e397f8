"""Settings for the e-licence portal: one module, driven by environment variables.

Development defaults are safe to run on a laptop (SQLite and a file-system broker under `var/`);
production (`DEBUG=0`) refuses to start with development secrets.
"""

import base64
import ipaddress
import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
DEV_SECRET_KEY = "dev-insecure-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY if DEBUG else "")
if not DEBUG and (not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 40):
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of 40+ characters when DEBUG=0")


def env_networks(name: str) -> list:
    """Comma-separated IP addresses or CIDR ranges."""
    import ipaddress

    try:
        return [ipaddress.ip_network(item, strict=False) for item in env_list(name, [])]
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must list IP addresses or CIDR ranges: {exc}") from None


# Reverse proxies whose X-Forwarded-For is believed (api.md); the client address is the right-most
# address in it that is not itself a trusted proxy. None by default: REMOTE_ADDR is the client.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else [])


# --- Keys for personal data at rest (security.md: encrypted ID and phone numbers) ---------------
def _new_p256_key() -> str:
    """A P-256 private key as its 32-byte scalar, base64url (QR_SIGNING_KEY)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    scalar = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value.to_bytes(32, "big")
    return base64.urlsafe_b64encode(scalar).rstrip(b"=").decode()


def _development_keys() -> dict[str, str]:
    """Generate the development keys once and keep them under var/ (never used with DEBUG=0)."""
    path = VAR_DIR / "dev-keys.json"
    keys = json.loads(path.read_text()) if path.exists() else {}
    wanted = {
        "encryption": lambda: Fernet.generate_key().decode(),
        "hash": lambda: secrets.token_urlsafe(32),
        "receipt": lambda: secrets.token_urlsafe(32),  # 32 random bytes: an Ed25519 private key
        "qr": _new_p256_key,
    }
    missing = {name: make() for name, make in wanted.items() if name not in keys}
    if missing:
        keys.update(missing)
        path.write_text(json.dumps(keys))
        path.chmod(0o600)
    return keys


_encryption_keys = env_list("FIELD_ENCRYPTION_KEY", [])
_hash_key = env_str("FIELD_HASH_KEY")
_receipt_key = env_str("RECEIPT_SIGNING_KEY")
_qr_key = env_str("QR_SIGNING_KEY")
if not _encryption_keys or not _hash_key or not _receipt_key or not _qr_key:
    if not DEBUG:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY, FIELD_HASH_KEY, RECEIPT_SIGNING_KEY and QR_SIGNING_KEY must be set when DEBUG=0"
        )
    _dev = _development_keys()
    _encryption_keys = _encryption_keys or [_dev["encryption"]]
    _hash_key = _hash_key or _dev["hash"]
    _receipt_key = _receipt_key or _dev["receipt"]
    _qr_key = _qr_key or _dev["qr"]
# P-256 private key (32-byte scalar, base64url) that signs the offline-verifiable QR tokens
# (licences/signed_qr.py); QR_VERIFY_KEYS: older public keys still accepted while their tokens live.
QR_SIGNING_KEY = _qr_key
QR_VERIFY_KEYS = env_list("QR_VERIFY_KEYS", [])
QR_ISSUER = env_str("QR_ISSUER", "CN")
# The ISO 18013-5 mdoc export's issuing authority root and document signer (PEM files); unset: a demo
# IACA and signer are made once under VAR_DIR/mdoc/ (licences/mdoc.py).
MDOC_IACA_CERT = env_str("MDOC_IACA_CERT")
MDOC_DS_CERT = env_str("MDOC_DS_CERT")
MDOC_DS_KEY = env_str("MDOC_DS_KEY")
# Ed25519 private key (32 bytes, base64url) that signs verification receipts (L4).
RECEIPT_SIGNING_KEY = _receipt_key
# Newest key first; older keys still decrypt until `rotate_field_keys` has re-encrypted everything.
FIELD_ENCRYPTION_KEYS = _encryption_keys
FIELD_HASH_KEY = _hash_key


INSTALLED_APPS = [
    "portal.apps.PortalAdminConfig",  # django.contrib.admin with the portal's admin site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_prometheus",
    "portal",
    "portal.accounts",
    "licences",
    "reviews",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "portal.requestid.RequestIdMiddleware",
    "portal.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.PortalLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.middleware.SecurityHeadersMiddleware",
    "portal.middleware.DomainErrorPageMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

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
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
        # A kept connection is checked before its first use in each request or task, so that a
        # database restart costs a reconnect, not a failed request (the cluster's fault run).
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with a health check that polls the socket before it sends `SELECT 1`
    # (portal/pgbackend/base.py): the check is free while nothing has happened to the connection.
    DATABASES["default"]["ENGINE"] = "portal.pgbackend"
    # Seconds to wait for PostgreSQL (or a pooler in front of it) to accept a new connection. libpq's own
    # default waits for ever on a server that accepts the TCP connection and then does not answer.
    # A `connect_timeout` in DATABASE_URL wins.
    DB_CONNECT_TIMEOUT = env_int("DB_CONNECT_TIMEOUT", 5)
    if DB_CONNECT_TIMEOUT < 2:
        raise ImproperlyConfigured(
            f"DB_CONNECT_TIMEOUT must be 2 seconds or more (libpq's least), got {DB_CONNECT_TIMEOUT}"
        )
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", DB_CONNECT_TIMEOUT)
    if env_bool("DB_PREPARED_STATEMENTS", True):
        # The key look-ups of the hottest paths (portal/prepared.py) bind on the server, and psycopg prepares
        # a statement after this many runs on a connection. Django turns preparing off (None) for poolers;
        # queries on its own client-binding cursors are never prepared either way.
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file (not memory) so that a real Celery worker in the integration tests sees the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A shared cache (Redis) when CACHE_URL is set: rate limits then count there (atomic INCR with expiry).
# Without one, each process has its own memory cache and the rate limits stay in the database.
CACHE_URL = env_str("CACHE_URL")
# Seconds to connect to the cache or to wait for its answer: a Redis that hangs without closing its
# connections fails the request (503) and the readiness probe this soon (redis-py's own default is 5 s).
CACHE_TIMEOUT = env_float("CACHE_TIMEOUT", 1.0)
if CACHE_TIMEOUT <= 0:
    raise ImproperlyConfigured(f"CACHE_TIMEOUT must be more than 0 seconds, got {CACHE_TIMEOUT}")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {"socket_timeout": CACHE_TIMEOUT, "socket_connect_timeout": CACHE_TIMEOUT},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
RATE_LIMIT_STORE = env_str("RATE_LIMIT_STORE", "cache" if CACHE_URL else "database")

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["portal.accounts.backends.IdentifierBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "portal.accounts.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:status"
LOGOUT_REDIRECT_URL = "home"

# Staff prove a second factor (TOTP, django-otp) for the admin and the staff console.
OTP_TOTP_ISSUER = "E-licence portal"

# Citizens keep a session for two weeks; staff sessions are cut to STAFF_SESSION_AGE at log-in.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600)
STAFF_SESSION_AGE = env_int("STAFF_SESSION_AGE", 8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    # Follows MEDIA_ROOT (and test overrides of it).
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}


# Object storage (several web and worker nodes): with S3_BUCKET set, photos and portraits go to an
# S3-compatible store through django-storages. Private: objects are written without any public ACL
# and no URL to them is ever given out; the views stream them after their owner/staff checks.
def s3_storage() -> dict:
    """The object store from the S3_* variables (tests/test_object_storage.py uses this very builder)."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("S3_BUCKET"),
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,  # none: AWS itself
            "region_name": env_str("S3_REGION", "us-east-1"),
            "access_key": env_str("S3_ACCESS_KEY_ID") or None,  # none: the usual AWS credential chain
            "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
            "location": env_str("S3_PREFIX"),
            "default_acl": "private",
            "file_overwrite": False,
            "addressing_style": "path",
        },
    }


S3_BUCKET = env_str("S3_BUCKET")
if S3_BUCKET:
    STORAGES["default"] = s3_storage()
# Uploaded images live outside any public URL space (security.md); they are served by views.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "private")))
# No URL route serves this prefix; files are streamed by views that check permission.
MEDIA_URL = "/_private/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 5 * 1024 * 1024)
# Whole request bodies: one upload plus the form around it.
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_BYTES", UPLOAD_MAX_BYTES + 1024 * 1024)
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_PIXELS", 40_000_000)
# Larger images are decoded at (or shrunk to) this many pixels on their long side: what is analysed
# and stored. Bounds the memory an upload can take.
IMAGE_MAX_SIDE = env_int("IMAGE_MAX_SIDE", 2400)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "E-licence portal API",
    "DESCRIPTION": "Electronic driving licences: accounts, e-licences, verification, applications.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from this site (no CDN), and without inline scripts (CSP).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One enum per set of choices, named after it (several serializers share "status" and "kind").
    "ENUM_NAME_OVERRIDES": {
        "AccountKindEnum": "portal.accounts.models.AccountKind",
        "OrganisationKindEnum": "portal.accounts.models.OrganisationKind",
        "OrganisationStatusEnum": "portal.accounts.models.OrganisationStatus",
        "RealNameStatusEnum": "portal.accounts.models.RealNameStatus",
        "LicenceStatusEnum": "licences.models.LicenceStatus",
        "ELicenceStateEnum": "licences.models.ELicenceState",
        "QRColourEnum": "licences.serializers.QR_COLOUR_CHOICES",
        "ApplicationStatusEnum": "reviews.models.ApplicationStatus",
        "PhotoStatusEnum": "reviews.models.PhotoStatus",
    },
}

# Who may read /metrics: addresses or CIDR ranges, comma-separated (the direct peer, never a
# forwarded header). Prometheus scrapes each node directly.
METRICS_ALLOWED = env_networks("METRICS_ALLOWED") or [ipaddress.ip_network("127.0.0.1"), ipaddress.ip_network("::1")]

# --- Celery: a real worker and beat; the default broker is a folder, so no server is needed ----
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
_broker_dir = Path(env_str("CELERY_FS_BROKER_DIR", str(VAR_DIR / "broker")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Tasks here finish in seconds; the timeout is far above any countdown we use (pitfall: redelivery).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Seconds to connect to a Redis broker or to wait for its answer. kombu's own default is to wait for
# ever, so a broker that hangs without closing its connections held every request that queued a task.
# Above kombu's 1 s BRPOP, which a worker's idle connection waits on.
BROKER_TIMEOUT = env_float("BROKER_TIMEOUT", 3.0)
if BROKER_TIMEOUT <= 1:
    raise ImproperlyConfigured(f"BROKER_TIMEOUT must be more than 1 second, got {BROKER_TIMEOUT}")
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS |= {"socket_timeout": BROKER_TIMEOUT, "socket_connect_timeout": BROKER_TIMEOUT}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Queues by kind of work, so each gets its own workers in production (deploy/): photo checks are
# CPU-bound, approvals hold database transactions, messages wait on the SMS gateway. A worker
# started without -Q consumes all four (`make run`, the tests); `-Q photos` etc. split them.
CELERY_TASK_DEFAULT_QUEUE = "celery"  # housekeeping: expiry, purges
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in ("celery", "photos", "approvals", "messages")]
CELERY_TASK_ROUTES = {
    "reviews.tasks.check_photo": {"queue": "photos"},
    "reviews.tasks.approve_due": {"queue": "approvals"},
    "portal.accounts.tasks.deliver_message": {"queue": "messages"},
    "portal.accounts.tasks.deliver_messages": {"queue": "messages"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Messages to citizens ---------------------------------------------------------------------
SMS_BACKEND = env_str("SMS_BACKEND", "console")
SMS_FILE_PATH = env_str("SMS_FILE_PATH", str(VAR_DIR / "sms.jsonl"))
# A message still waiting this many seconds after it was queued is queued again by the minutely sweep.
MESSAGE_RESEND_AFTER = env_int("MESSAGE_RESEND_AFTER", 120)
# A message still "sending" this many seconds after its worker claimed it is marked "unknown" by the
# same sweep (the worker stopped mid-send); it is never sent twice.
MESSAGE_SEND_TIMEOUT = env_int("MESSAGE_SEND_TIMEOUT", 600)
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "noreply@elicence.example")

FACE_VERIFIER = env_str("FACE_VERIFIER", "local")
FACE_VERIFIER_URL = env_str("FACE_VERIFIER_URL")
REVIEW_WAITING_WORKING_DAYS = env_int("REVIEW_WAITING_WORKING_DAYS", 1)
# The staff console: seconds each query of a list being shown may run on PostgreSQL before it is cancelled
# (portal.admin.LargeListMixin).
ADMIN_LIST_TIMEOUT = env_float("ADMIN_LIST_TIMEOUT", 10.0)
if ADMIN_LIST_TIMEOUT <= 0:
    raise ImproperlyConfigured("ADMIN_LIST_TIMEOUT must be a number of seconds above 0")

# bench/verifications.py mounts its floor endpoint (one read, one insert) with this; never in production.
BENCH_FLOOR = env_bool("BENCH_FLOOR", False)
# Auto-approval claims and writes due applications in batches of this many (one transaction each).
APPROVAL_BATCH_SIZE = env_int("APPROVAL_BATCH_SIZE", 1000)
# A batch still claimed this many seconds later was left by a worker that died: the next pass takes it
# back. A batch takes well under a second; a slow worker whose claim was taken back writes nothing.
APPROVAL_CLAIM_TIMEOUT = env_int("APPROVAL_CLAIM_TIMEOUT", 120)
# Rejected ID photos are deleted this many days after the decision (security.md); the row stays.
PHOTO_RETENTION_DAYS = env_int("PHOTO_RETENTION_DAYS", 30)

# --- One-time codes and rate limits (security.md) ---------------------------------------------
ONE_TIME_CODE_TTL = timedelta(minutes=10)
ONE_TIME_CODE_MAX_ATTEMPTS = 5
ACTIVATION_CODE_TTL = timedelta(days=env_int("ACTIVATION_CODE_DAYS", 30))
# (limit, window in seconds) per scope; a scope is counted per account and per client IP.
# Per-account limits are counted per account *and* client address, so that a stranger's failures do
# not lock the owner out; the per-account ceiling (far higher) bounds guessing from many addresses.
RATE_LIMITS = {
    "login:account-ip": (10, 15 * 60),
    "login:account": (100, 60 * 60),
    "login:ip": (60, 15 * 60),
    "code:phone": (5, 60 * 60),
    "code:phone-burst": (1, 60),
    "code:ip": (20, 60 * 60),
    "reset:account-ip": (5, 60 * 60),
    "reset:account": (30, 60 * 60),
    "reset:ip": (20, 60 * 60),
    "activate:account-ip": (10, 60 * 60),
    "activate:account": (100, 60 * 60),
    "activate:ip": (30, 60 * 60),
    "register:ip": (30, 60 * 60),
    "face:account": (10, 60 * 60),
    "otp:account-ip": (10, 15 * 60),
    "verify:ip": (env_int("VERIFY_RATE_LIMIT", 120), 10 * 60),
    # Checks made offline and uploaded later, per QR code: a code is shown for a minute and scanned by one
    # or two verifiers; this stops one captured code from filling its holder's log from many addresses.
    "verify:offline-code": (20, 24 * 60 * 60),
}

# LOG_FORMAT=json: one JSON object per line (python-json-logger) for a log collector; every record
# carries the request id (portal.requestid), in tasks too. Plain text otherwise.
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be text or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "portal.requestid.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(levelname)s %(asctime)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(levelname)s %(name)s %(request_id)s %(process)d %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601 in UTC, with its offset
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# Celery workers log through the same configuration (the request id, JSON) instead of their own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Production hardening (python manage.py check --deploy stays quiet with DEBUG=0) -------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # A balancer and Prometheus reach the nodes over plain HTTP on the inside: the probes and the
    # metrics answer there.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

PORTAL_NAME = _("E-licence portal")
