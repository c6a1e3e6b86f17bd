"""Every setting Chartdesk reads from the environment lives here, and only here.

Variables (all optional in demo mode):
  CHARTDESK_MODE            demo | production (default demo)
  CHARTDESK_DATABASE_URL    sqlite:///path or postgres://user:pass@host/db
                            (default SQLite at ./var/chartdesk.sqlite3)
  CHARTDESK_REPLICA_URL     postgres://... of a streaming replica: report pages and bulk exports read there
  CHARTDESK_DB_POOL_MAX     PostgreSQL: connections each process keeps in its pool (default 0: no pool)
  CHARTDESK_DB_POOL_MIN     PostgreSQL: connections the pool opens at start (default 1)
  CHARTDESK_DB_STATEMENT_TIMEOUT_MS  PostgreSQL: cancel a statement running longer (default 30000; 0: never)
  CHARTDESK_DATA_DIR        where stored files (scans, uploads) live (default ./var/data)
  CHARTDESK_STORAGE_URL     s3://bucket/prefix to keep stored files in S3-compatible object storage
                            instead (docs/operations.md, "Object storage"); with
  CHARTDESK_S3_ENDPOINT_URL       the server of an S3-compatible store (unset: AWS S3)
  CHARTDESK_S3_REGION             its region (default AWS_DEFAULT_REGION, else us-east-1)
  CHARTDESK_S3_ACCESS_KEY_ID / CHARTDESK_S3_SECRET_ACCESS_KEY  credentials (unset: boto3's usual
                                  chain: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profile, role)
  CHARTDESK_S3_OBJECT_LOCK_MODE   GOVERNANCE (default), COMPLIANCE or "" (the bucket's own default)
  CHARTDESK_S3_OBJECT_LOCK_DAYS   retention put on each object where the bucket has Object Lock
                                  (default 2557, seven years)
  CHARTDESK_SECRET_KEY      Django secret; also the root of the field-encryption and audit keys
  CHARTDESK_AUDIT_KEY       HMAC key of the audit chain (default: derived from the secret key)
  CHARTDESK_AUDIT_CHECKPOINT_PATH     append-only file of sealed chain checkpoints
                                      (default var/audit-checkpoints.jsonl; "" for none)
  CHARTDESK_AUDIT_CHECKPOINT_SYSLOG   also send checkpoints to syslog: host:port (UDP) or a socket path
  CHARTDESK_AUDIT_CHECKPOINT_EVERY    a checkpoint every this many events (default 1000)
  CHARTDESK_AUDIT_CHECKPOINT_MINUTES  or when the last one is older than this (default 5)
  CHARTDESK_FIELD_KEY       key that encrypts SSNs at rest (default: derived from the secret key)
  CHARTDESK_DEBUG           1 to turn on Django's debug pages (refused in production)
  CHARTDESK_IDLE_LOGOFF_MINUTES   automatic log-off after this many idle minutes (default 15)
  CHARTDESK_LOCKOUT_ATTEMPTS      failed log-ins before the account locks (default 5)
  CHARTDESK_LOCKOUT_MINUTES       how long a lock lasts (default 30)
  CHARTDESK_LOCKOUT_ADDRESS_ATTEMPTS  failed log-ins from one client address, over all accounts,
                                  before that address is refused (default 20)
  CHARTDESK_MAX_UPLOAD_MB         largest accepted upload (default 50)
  CHARTDESK_FHIR_IMPORT_DIR       folder whose sub-folders API clients may name to FHIR $import
                                  (default: none, so $import takes uploads only)
  CHARTDESK_FHIR_IMPORT_MAX_MB    largest NDJSON upload to FHIR $import (default 512)
  CHARTDESK_MAX_DICTATION_MB      largest accepted dictation audio file (default 200)
  CHARTDESK_DICTATION_SYNC_SECONDS  longest dictation recognised while the uploader waits (default 300)
  CHARTDESK_JOB_MAX_ATTEMPTS      tries of a background job before it is marked failed (default 3)
  CHARTDESK_JOB_RETRY_SECONDS     wait before the second try; each later try waits this much longer (default 60)
  CHARTDESK_JOB_STALE_MINUTES     a running job silent this long may be retried from the jobs page (default 30)
  CHARTDESK_SPEECH_ENGINE         speech-recognition engine for dictation drafts (default pocketsphinx)
  CHARTDESK_WHISPER_MODEL_DIR     a CTranslate2 Whisper model folder for the faster-whisper engine (no default)
  CHARTDESK_WHISPER_DEVICE        cpu (default), cuda or auto for that engine
  CHARTDESK_SPEECH_LM             the site's language model for it (default var/data/speech/domain-lm.bin,
                                  made by `chartdesk speech build-lm`; the wheel's general one while absent)
  CHARTDESK_TRANSCRIPTION_QA_PERCENT  share of each transcriptionist's finished drafts drawn for QA review,
                                  0 to 100 (default 5)
  CHARTDESK_UPLOAD_MAX_PAGES      most pages (PDF) or frames (TIFF) in one upload (default 2000)
  CHARTDESK_UPLOAD_MAX_MEGAPIXELS most pixels of one image, frame or page, in millions (default 100)
  CHARTDESK_UPLOAD_MAX_DECODED_MB most bytes one PDF stream may decode to (default 256)
  CHARTDESK_SQLITE_SYNCHRONOUS    FULL (default); production refuses anything else
  CHARTDESK_ALLOWED_HOSTS         comma-separated host names (default localhost names)
  CHARTDESK_HTTPS                 1 when served behind TLS: secure cookies and HSTS
  CHARTDESK_TLS_IN_FRONT          1 when TLS ends at a device in front that cannot say so (production
                                  then accepts CHARTDESK_HTTPS=0; see docs/operations.md)
  CHARTDESK_EMAIL_BACKEND         file (default: one file per message under var/mail), console, or smtp
  CHARTDESK_EMAIL_HOST / _PORT / _USER / _PASSWORD / _TLS   the SMTP relay (smtp only)
  CHARTDESK_EMAIL_FROM            sender of completion reminders (default chartdesk@localhost)
  CHARTDESK_TEXT_GATEWAY          dotted path of a callable(number, message) that sends appointment
                                  reminders by text message (unset: reminders go by email only)
  CHARTDESK_HL7_IDLE_TIMEOUT_S    the HL7 listener closes a connection silent this long (default 300)
  CHARTDESK_HL7_MAX_FRAME_BYTES   largest MLLP frame accepted (default 1000000)
  CHARTDESK_HL7_MAX_CONNECTIONS   HL7 connections open at once; more are closed on arrival (default 32)
  CHARTDESK_HL7_MAX_REPETITIONS   repetitions of one field, or occurrences of one segment, per message
                                  (default 50)
  CHARTDESK_HL7_OUTBOUND_TIMEOUT_S  seconds the outbound sender waits to connect or for an ACK (default 10)
  CHARTDESK_HL7_OUTBOUND_MAX_ATTEMPTS  tries before an outbound message becomes a dead letter (default 6)
  CHARTDESK_HL7_OUTBOUND_BACKOFF_S  first wait between tries, doubled after each (default 30; at most 1 hour)
"""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path
from typing import Any

import dj_database_url

from chartdesk.core.startup import SecuritySettings, production_problems, refuse_unsafe_production
from chartdesk.core.storage_config import default_storage_config

BASE_DIR = Path(__file__).resolve().parent
ENV = os.environ

DEMO_SECRET_KEY = "chartdesk-demo-secret-not-for-production"

MODE = ENV.get("CHARTDESK_MODE", "demo").strip().lower()
SECRET_KEY = ENV.get("CHARTDESK_SECRET_KEY", DEMO_SECRET_KEY)
DEBUG = ENV.get("CHARTDESK_DEBUG", "0") == "1"
VAR_DIR = Path(ENV.get("CHARTDESK_VAR_DIR", Path.cwd() / "var"))
DATA_DIR = Path(ENV.get("CHARTDESK_DATA_DIR", VAR_DIR / "data"))
# The duplicate model trained on this site's index (`chartdesk patients duplicates train`); until it
# exists, the scan and registration-time matching use the model shipped in patients/data.
MPI_MODEL_PATH = Path(ENV.get("CHARTDESK_MPI_MODEL_PATH", VAR_DIR / "mpi_model.json"))
FHIR_IMPORT_DIR = ENV.get("CHARTDESK_FHIR_IMPORT_DIR", "")
FHIR_IMPORT_MAX_BYTES = int(ENV.get("CHARTDESK_FHIR_IMPORT_MAX_MB", "512")) * 1024 * 1024
DATABASE_URL = ENV.get("CHARTDESK_DATABASE_URL", f"sqlite:///{VAR_DIR / 'chartdesk.sqlite3'}")
SQLITE_SYNCHRONOUS = ENV.get("CHARTDESK_SQLITE_SYNCHRONOUS", "FULL").strip().upper()


def _derived_key(label: str) -> bytes:
    return hashlib.sha256(f"{label}:{SECRET_KEY}".encode()).digest()


AUDIT_KEY_SETTING = ENV.get("CHARTDESK_AUDIT_KEY")
FIELD_KEY_SETTING = ENV.get("CHARTDESK_FIELD_KEY")
AUDIT_HMAC_KEY = AUDIT_KEY_SETTING.encode() if AUDIT_KEY_SETTING is not None else _derived_key("audit")
FIELD_ENCRYPTION_KEY = FIELD_KEY_SETTING.encode() if FIELD_KEY_SETTING is not None else _derived_key("fields")

IDLE_LOGOFF_MINUTES = int(ENV.get("CHARTDESK_IDLE_LOGOFF_MINUTES", "15"))
LOCKOUT_ATTEMPTS = int(ENV.get("CHARTDESK_LOCKOUT_ATTEMPTS", "5"))
LOCKOUT_MINUTES = int(ENV.get("CHARTDESK_LOCKOUT_MINUTES", "30"))
LOCKOUT_ADDRESS_ATTEMPTS = int(ENV.get("CHARTDESK_LOCKOUT_ADDRESS_ATTEMPTS", "20"))
MAX_UPLOAD_BYTES = int(float(ENV.get("CHARTDESK_MAX_UPLOAD_MB", "50")) * 1024 * 1024)
# Dictation audio is streamed to disk, never held in memory, so it may be larger than other uploads.
MAX_DICTATION_BYTES = int(float(ENV.get("CHARTDESK_MAX_DICTATION_MB", "200")) * 1024 * 1024)
DICTATION_SYNC_SECONDS = float(ENV.get("CHARTDESK_DICTATION_SYNC_SECONDS", "300"))
# Background jobs (chartdesk.jobs, docs/jobs.md): django-tasks with its database backend, so the
# queue needs no server beyond the database and survives restarts with it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
JOB_MAX_ATTEMPTS = int(ENV.get("CHARTDESK_JOB_MAX_ATTEMPTS", "3"))
JOB_RETRY_SECONDS = float(ENV.get("CHARTDESK_JOB_RETRY_SECONDS", "60"))
JOB_STALE_MINUTES = float(ENV.get("CHARTDESK_JOB_STALE_MINUTES", "30"))
SPEECH_ENGINE = ENV.get("CHARTDESK_SPEECH_ENGINE", "pocketsphinx")
WHISPER_MODEL_DIR = ENV.get("CHARTDESK_WHISPER_MODEL_DIR", "")
WHISPER_DEVICE = ENV.get("CHARTDESK_WHISPER_DEVICE", "cpu")
SPEECH_LANGUAGE_MODEL = Path(ENV.get("CHARTDESK_SPEECH_LM", DATA_DIR / "speech" / "domain-lm.bin"))
TRANSCRIPTION_QA_PERCENT = ENV.get("CHARTDESK_TRANSCRIPTION_QA_PERCENT", "5")
# Decompression-bomb limits on uploaded PDFs and images (charts/upload_limits.py): pages per file,
# pixels per page or image, decoded bytes per PDF stream.
UPLOAD_MAX_PAGES = int(ENV.get("CHARTDESK_UPLOAD_MAX_PAGES", "2000"))
UPLOAD_MAX_PIXELS = int(float(ENV.get("CHARTDESK_UPLOAD_MAX_MEGAPIXELS", "100")) * 1_000_000)
UPLOAD_MAX_DECODED_BYTES = int(float(ENV.get("CHARTDESK_UPLOAD_MAX_DECODED_MB", "256")) * 1024 * 1024)
BREAK_THE_GLASS_MINUTES = int(ENV.get("CHARTDESK_BREAK_THE_GLASS_MINUTES", "60"))
HTTPS = ENV.get("CHARTDESK_HTTPS", "0") == "1"
TLS_IN_FRONT = ENV.get("CHARTDESK_TLS_IN_FRONT", "0") == "1"
# Audit checkpoints outside the database (docs/audit.md): an append-only file, by default under the
# var folder (put it on another volume, owned by another account, in production; "" turns it off),
# and optionally a syslog target ("host:port" over UDP, or a socket path such as /dev/log).
AUDIT_CHECKPOINT_PATH = ENV.get("CHARTDESK_AUDIT_CHECKPOINT_PATH", str(VAR_DIR / "audit-checkpoints.jsonl"))
AUDIT_CHECKPOINT_SYSLOG = ENV.get("CHARTDESK_AUDIT_CHECKPOINT_SYSLOG", "")
AUDIT_CHECKPOINT_EVERY = int(ENV.get("CHARTDESK_AUDIT_CHECKPOINT_EVERY", "1000"))
AUDIT_CHECKPOINT_MINUTES = float(ENV.get("CHARTDESK_AUDIT_CHECKPOINT_MINUTES", "5"))

ALLOWED_HOSTS = [
    h.strip() for h in ENV.get("CHARTDESK_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h.strip()
]


def _positive_int(name: str, default: int) -> int:
    text = ENV.get(name, str(default)).strip()
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {text!r}")
    return int(text)


# What one HL7 client can hold of the listener (docs/interop.md): a sender that stops talking, sends
# a frame without end, opens connection after connection or repeats a field without limit.
HL7_IDLE_TIMEOUT_S = _positive_int("CHARTDESK_HL7_IDLE_TIMEOUT_S", 300)
HL7_MAX_FRAME_BYTES = _positive_int("CHARTDESK_HL7_MAX_FRAME_BYTES", 1_000_000)
HL7_MAX_CONNECTIONS = _positive_int("CHARTDESK_HL7_MAX_CONNECTIONS", 32)
HL7_MAX_REPETITIONS = _positive_int("CHARTDESK_HL7_MAX_REPETITIONS", 50)
# Outbound ADT (docs/interop.md): how long the sender waits to connect and for an ACK, how often it
# tries a message before it becomes a dead letter, and the first wait between tries (doubled each time).
HL7_OUTBOUND_TIMEOUT_S = _positive_int("CHARTDESK_HL7_OUTBOUND_TIMEOUT_S", 10)
HL7_OUTBOUND_MAX_ATTEMPTS = _positive_int("CHARTDESK_HL7_OUTBOUND_MAX_ATTEMPTS", 6)
HL7_OUTBOUND_BACKOFF_S = _positive_int("CHARTDESK_HL7_OUTBOUND_BACKOFF_S", 30)

DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the one writer; synchronous=FULL makes every commit durable
        # across a power cut; IMMEDIATE takes the write lock at BEGIN so two writers never deadlock
        # on a lock upgrade. Django turns foreign keys on for SQLite itself.
        "init_command": (
            f"PRAGMA journal_mode=WAL; PRAGMA synchronous={SQLITE_SYNCHRONOUS}; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 10,
    }
    # The embedded database needs its folder; creating it here is what lets a fresh checkout run.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": ENV.get("CHARTDESK_TEST_SQLITE_NAME") or None}

# PostgreSQL at scale (docs/operations.md, "Database"): a statement that runs away is cancelled rather
# than holding locks and a worker; each process may keep a pool of connections (Django's own pool, on
# psycopg_pool) instead of connecting per request; a streaming replica answers the read-only paths.
DB_STATEMENT_TIMEOUT_MS = int(ENV.get("CHARTDESK_DB_STATEMENT_TIMEOUT_MS", "30000"))
DB_POOL_MAX = int(ENV.get("CHARTDESK_DB_POOL_MAX", "0"))
DB_POOL_MIN = int(ENV.get("CHARTDESK_DB_POOL_MIN", "1"))
REPLICA_URL = ENV.get("CHARTDESK_REPLICA_URL", "")


def _postgres_options(database: Any) -> None:
    options = database.setdefault("OPTIONS", {})
    if DB_STATEMENT_TIMEOUT_MS > 0:
        options["options"] = f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS}"
    if DB_POOL_MAX > 0:
        options["pool"] = {"min_size": min(DB_POOL_MIN, DB_POOL_MAX), "max_size": DB_POOL_MAX, "timeout": 10}


if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _postgres_options(DATABASES["default"])
if REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(REPLICA_URL, conn_max_age=0)
    if DATABASES["replica"]["ENGINE"] != "django.db.backends.postgresql":
        raise ValueError("CHARTDESK_REPLICA_URL must be a postgres:// URL (a streaming replica of the primary)")
    _postgres_options(DATABASES["replica"])
    # Tests use the primary's test database for it: the replica is a copy, never created or flushed.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
# Apps whose desk pages (GET) read from the replica: read-only by design (docs/architecture.md).
REPLICA_READ_APPS = ("chartdesk.reports",)

refuse_unsafe_production(
    production_problems(
        SecuritySettings(
            mode=MODE,
            debug=DEBUG,
            secret_key=SECRET_KEY,
            demo_secret_key=DEMO_SECRET_KEY,
            database_engine=DATABASES["default"]["ENGINE"],
            sqlite_synchronous=SQLITE_SYNCHRONOUS,
            audit_key=AUDIT_KEY_SETTING,
            field_key=FIELD_KEY_SETTING,
            allowed_hosts=tuple(ALLOWED_HOSTS),
            lockout_attempts=LOCKOUT_ATTEMPTS,
            address_lockout_attempts=LOCKOUT_ADDRESS_ATTEMPTS,
            lockout_minutes=LOCKOUT_MINUTES,
            https=HTTPS,
            tls_in_front=TLS_IN_FRONT,
        )
    )
)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "chartdesk.core",
    "chartdesk.accounts",
    "chartdesk.audit",
    "chartdesk.jobs",
    "chartdesk.patients",
    "chartdesk.charts",
    "chartdesk.disclosures",
    "chartdesk.clinical",
    "chartdesk.interop",
    "chartdesk.coding",
    "chartdesk.coding.workflow",
    "chartdesk.billing",
    "chartdesk.completion",
    "chartdesk.transcription",
    "chartdesk.filing",
    "chartdesk.schedule",
    "chartdesk.reports",
    "chartdesk.training",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Before anything loads the user: an enrolled student's desk requests run in their sandbox.
    "chartdesk.training.sandbox.SandboxMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "chartdesk.core.middleware.RequestContextMiddleware",
    "chartdesk.accounts.middleware.IdleLogoffMiddleware",
    "chartdesk.accounts.middleware.MfaEnforcementMiddleware",
    "chartdesk.accounts.middleware.ForcedPasswordChangeMiddleware",
    "chartdesk.core.middleware.SecureHeadersMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last: it calls a read-only view itself, inside reads_from_replica(), after every other process_view.
    "chartdesk.core.replica.ReplicaReadsMiddleware",
]

# Training sandboxes (docs/training.md): one SQLite file each, the main database reachable as `home`.
# The sandbox router goes first and answers every read and write while a sandbox is open, so the
# replica router (report reads to CHARTDESK_REPLICA_URL, a copy of the real records) never sees one.
DATABASE_ROUTERS = ["chartdesk.training.sandbox.SandboxRouter", "chartdesk.core.replica.ReplicaRouter"]
TRAINING_DIR = Path(ENV.get("CHARTDESK_TRAINING_DIR", str(VAR_DIR / "training")))
# Where the migrated, empty template of every sandbox is kept (named by a hash of the migrations).
TRAINING_TEMPLATE_DIR = Path(ENV.get("CHARTDESK_TRAINING_TEMPLATE_DIR", str(TRAINING_DIR)))

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "chartdesk.accounts.backends.DeskBackend",
]

ROOT_URLCONF = "chartdesk.urls"
WSGI_APPLICATION = "chartdesk.wsgi.application"

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
                "chartdesk.core.context_processors.desk",
            ],
            # Date, time and money filters every page uses (core/templatetags/desk.py).
            "builtins": ["chartdesk.core.templatetags.desk"],
        },
    }
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = ENV.get("CHARTDESK_TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True
# One date and time format on every page (core/formats/en/formats.py), whatever the locale says.
FORMAT_MODULE_PATH = ["chartdesk.core.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# The desk serves its assets through the finders until `chartdesk collectstatic` fills STATIC_ROOT;
# WhiteNoise's warning about the not-yet-collected directory is noise on every start.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR
STORAGES = {
    "default": default_storage_config(ENV, DATA_DIR),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGIN_URL = "accounts-login"
LOGIN_REDIRECT_URL = "core-home"
LOGOUT_REDIRECT_URL = "accounts-login"

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = 12 * 60 * 60
# Rows per page of every long desk list (core.listing); not an environment setting, tests lower it.
LIST_PAGE_SIZE = 50
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

AXES_FAILURE_LIMIT = LOCKOUT_ATTEMPTS
AXES_COOLOFF_TIME = LOCKOUT_MINUTES / 60  # hours
# Each parameter counts on its own: an account locks after LOCKOUT_ATTEMPTS failures from anywhere,
# an address after LOCKOUT_ADDRESS_ATTEMPTS failures at any accounts (the handler gives each its limit).
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "chartdesk.accounts.lockout.AccountAndAddressHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False

OTP_TOTP_ISSUER = "Chartdesk"

# Mail goes to files unless an SMTP relay is chosen on purpose: a demo must never email anyone.
EMAIL_BACKEND = "django.core.mail.backends." + {"smtp": "smtp", "console": "console"}.get(
    ENV.get("CHARTDESK_EMAIL_BACKEND", "file").strip().lower(), "filebased") + ".EmailBackend"
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = ENV.get("CHARTDESK_EMAIL_HOST", "localhost")
EMAIL_PORT = int(ENV.get("CHARTDESK_EMAIL_PORT", "25"))
EMAIL_HOST_USER = ENV.get("CHARTDESK_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = ENV.get("CHARTDESK_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = ENV.get("CHARTDESK_EMAIL_TLS", "0") == "1"
DEFAULT_FROM_EMAIL = ENV.get("CHARTDESK_EMAIL_FROM", "chartdesk@localhost")
TEXT_GATEWAY = ENV.get("CHARTDESK_TEXT_GATEWAY", "").strip()

PASSWORD_HASHERS = (
    ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if ENV.get("CHARTDESK_FAST_PASSWORD_HASHER") == "1" and MODE != "production"
    else [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.ScryptPasswordHasher",
    ]
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": ENV.get("CHARTDESK_LOG_LEVEL", "WARNING")},
}

