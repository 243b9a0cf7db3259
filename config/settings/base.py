"""Settings for every environment; production differs only by environment variables.

https://docs.djangoproject.com/en/5.2/ref/settings/
"""
import re
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.env import BASE_DIR, VAR_DIR, env

# -----------------------------------------------------------------------------------------------
# Core
# -----------------------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)

# No default outside DEBUG: a guessable key signs sessions and password-reset tokens.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-dev-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "config.staticfiles.PlatformStaticFilesConfig",  # django.contrib.staticfiles
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    # Swagger UI's files, served by us: /api/docs/ must work on a closed network, without a CDN.
    "drf_spectacular_sidecar",
    "axes",
    "platform_core.apps.PlatformConfig",
    "annotator.apps.AnnotatorConfig",
    "ml_assist.apps.MlAssistConfig",
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
    # Last: answers a locked-out sign-in attempt (see AXES_* below).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

# -----------------------------------------------------------------------------------------------
# Database: https://docs.djangoproject.com/en/5.2/ref/settings/#databases
# -----------------------------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes an import; the timeout makes a
    # writer wait for the lock instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    db_options = DATABASES["default"].setdefault("OPTIONS", {})  # DATABASE_URL?key=value wins
    # Seconds to wait for PostgreSQL to accept a connection: an unreachable server fails a
    # request (and /healthz) quickly instead of holding a worker for the OS's TCP timeout.
    db_options.setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5))
    # The statements of the labeling loop (platform_core.sql) bind on the server; psycopg
    # prepares one after this many runs on a connection, which saves the database its planning
    # (more CPU than the execution for those). The ORM's own queries bind on the client and are
    # never prepared. 0 disables it, for a pooler that cannot keep prepared statements (PgBouncer
    # in transaction mode before 1.21).
    db_options.setdefault(
        "prepare_threshold", env.int("DATABASE_PREPARE_THRESHOLD", default=5) or None
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Repeated failed sign-ins (login page, admin, API token) lock that username from that address
# for a while, counted in the database so every worker sees the same count: django-axes.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: a locked-out sign-in stops before the hash
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("SIGNIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SIGNIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # no row per successful sign-in
AXES_LOCKOUT_CALLABLE = "platform_core.signin.lockout_response"
# The lock above is per username, so one address could still try a few passwords on every
# username. This many failed sign-ins (login page or API token) from one address in the period,
# whatever the usernames, and that address gets a 429 until the period ends: django-ratelimit's
# "count/period" (s, m, h or d), counted in the shared cache (CACHES below). Successful sign-ins
# are not counted. IPv6 addresses count per /64, the block one machine usually holds.
SIGNIN_RATE_PER_ADDRESS = env.str("SIGNIN_RATE_PER_ADDRESS", default="30/5m")
if not re.fullmatch(r"[1-9]\d*/([1-9]\d*)?[smhd]", SIGNIN_RATE_PER_ADDRESS):
    raise ImproperlyConfigured(
        f"SIGNIN_RATE_PER_ADDRESS must read like 30/5m, not {SIGNIN_RATE_PER_ADDRESS!r}."
    )
# An error of the cache server lets sign-ins through (axes still locks per username) rather
# than refusing everyone; so does a count that expired between two cache calls.
RATELIMIT_FAIL_OPEN = True
# Whose address is counted, by axes and the rate limit alike: REMOTE_ADDR, or behind this many
# proxies that each append to X-Forwarded-For, the entry the outermost one appended. Left at 0
# behind a proxy, every client has the proxy's address: one client's failures then block all.
# Set it only when the proxies are the only way in, or a client can name any address it likes.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "platform_core.signin.client_address"
RATELIMIT_IP_META_KEY = "platform_core.signin.client_address"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# -----------------------------------------------------------------------------------------------
# Static and media files: https://docs.djangoproject.com/en/5.2/howto/static-files/
# -----------------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))
# Media is never served from a public URL: platform_core.media streams it to members only.
MEDIA_URL = "/media-not-public/"

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    # Any S3-compatible store (AWS, MinIO, Ceph); files stay private and are streamed by us.
    _media_backend = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _media_backend = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _media_backend,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Uploads above this many bytes spill to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# -----------------------------------------------------------------------------------------------
# Front-end packages from npm: package.json, installed by `make install` (`npm ci`)
# -----------------------------------------------------------------------------------------------
# Only the libraries' dist folders become static files (under vendor/), so collectstatic copies
# a few MB instead of walking node_modules. The labeling pages find the URLs through
# annotator/templates/annotator/_vendor_urls.html.
NODE_MODULES_DIR = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    ("vendor/wavesurfer", NODE_MODULES_DIR / "wavesurfer.js" / "dist"),
    ("vendor/annotorious", NODE_MODULES_DIR / "@annotorious" / "annotorious" / "dist"),
    # jsdiff as ES modules: the review page highlights text changes with it.
    ("vendor/diff", NODE_MODULES_DIR / "diff" / "libesm"),
    # Chart.js's UMD build (self-contained; its ES build imports a bare '@kurkle/color').
    ("vendor/chartjs", NODE_MODULES_DIR / "chart.js" / "dist"),
]

# -----------------------------------------------------------------------------------------------
# Import limits (bad input gets a clear error, never an exhausted disk or memory)
# -----------------------------------------------------------------------------------------------
IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", default=2 * 1024**3)
IMPORT_MAX_ARCHIVE_MEMBERS = env.int("IMPORT_MAX_ARCHIVE_MEMBERS", default=200_000)
IMPORT_MAX_UNCOMPRESSED_BYTES = env.int("IMPORT_MAX_UNCOMPRESSED_BYTES", default=20 * 1024**3)
IMPORT_MAX_MEDIA_FILE_BYTES = env.int("IMPORT_MAX_MEDIA_FILE_BYTES", default=512 * 1024**2)
IMPORT_MAX_ROW_BYTES = env.int("IMPORT_MAX_ROW_BYTES", default=10 * 1024**2)
# Errors kept on the job row; beyond this only the count grows.
IMPORT_MAX_REPORTED_ERRORS = env.int("IMPORT_MAX_REPORTED_ERRORS", default=1000)

# -----------------------------------------------------------------------------------------------
# Annotation queue
# -----------------------------------------------------------------------------------------------
# How long next-task reserves a task for its annotator. Asking again renews the lease; once it
# expires the task is free for others (a closed tab costs at most this long).
ANNOTATOR_LOCK_SECONDS = env.int("ANNOTATOR_LOCK_SECONDS", default=600)

# -----------------------------------------------------------------------------------------------
# ML assist
# -----------------------------------------------------------------------------------------------
# A training job starts by itself after this many newly accepted labels in a project (0: never).
ML_RETRAIN_EVERY = env.int("ML_RETRAIN_EVERY", default=50)
# New labels are counted at most once per this many seconds per project and web process: the
# check runs this long after the first label of the window (0: after every label).
ML_RETRAIN_CHECK_DELAY_S = env.float("ML_RETRAIN_CHECK_DELAY_S", default=10.0)

# -----------------------------------------------------------------------------------------------
# Model servers (Label Studio ML backend protocol): ml_assist.external
# -----------------------------------------------------------------------------------------------
# Connect and read timeout of each request; a slow /predict fails the job with a clear message.
ML_SERVER_TIMEOUT_S = env.float("ML_SERVER_TIMEOUT_S", default=30.0)
# Off: a project's URL must resolve to public addresses only, so nobody can point the worker at
# the database, Redis or a cloud metadata endpoint. Turn on for servers on your own network.
ML_SERVER_ALLOW_PRIVATE = env.bool("ML_SERVER_ALLOW_PRIVATE", default=False)
# Where model servers reach this platform (e.g. https://annotate.example.com); empty: media
# tasks are sent with their storage name only. Links are signed and expire after the max age.
ML_MEDIA_BASE_URL = env.str("ML_MEDIA_BASE_URL", default="")
ML_MEDIA_LINK_MAX_AGE_S = env.int("ML_MEDIA_LINK_MAX_AGE_S", default=3600)

# -----------------------------------------------------------------------------------------------
# Celery: https://docs.celeryq.dev/en/stable/userguide/configuration.html
# -----------------------------------------------------------------------------------------------
# The hard time limit of the longest jobs (imports, pre-labeling, purges): it only stops a
# runaway; ten million text tasks pre-label in about an hour.
JOB_TIME_LIMIT_S = env.int("JOB_TIME_LIMIT_S", default=6 * 3600)
JOB_TIME_LIMIT_MARGIN_S = 3600
# A running job writes a heartbeat this often; one silent for JOB_HEARTBEAT_STALE_S lost its
# worker, and the sweeper (platform_core.jobs, run by Celery beat) sends it again or fails it.
JOB_HEARTBEAT_S = env.float("JOB_HEARTBEAT_S", default=10.0)
JOB_HEARTBEAT_STALE_S = env.float("JOB_HEARTBEAT_STALE_S", default=60.0)
JOB_SWEEP_INTERVAL_S = env.float("JOB_SWEEP_INTERVAL_S", default=30.0)
CELERY_BEAT_SCHEDULE = {
    "jobs-sweep": {
        "task": "platform.jobs_sweep",
        "schedule": JOB_SWEEP_INTERVAL_S,
        # A sweep that waited longer than its interval is superseded by the next one.
        "options": {"expires": JOB_SWEEP_INTERVAL_S},
    }
}
# One queue for every job; tests give a worker (and its beat) a queue of their own.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule")
)
# Beat cannot start without its folder (on Redis nothing else creates VAR_DIR).
Path(CELERY_BEAT_SCHEDULE_FILENAME).parent.mkdir(parents=True, exist_ok=True)
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    # Needs no server, yet the worker is still a real, separate process reading this folder.
    _broker_dir = VAR_DIR / "broker"
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
    # Seconds before Redis hands an unacknowledged message to another worker (its worker died).
    # Longer than the longest job may run, or a job still running would be started a second time.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int(
            "CELERY_VISIBILITY_TIMEOUT", default=JOB_TIME_LIMIT_S + JOB_TIME_LIMIT_MARGIN_S
        )
    }
    if CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= JOB_TIME_LIMIT_S:
        raise ImproperlyConfigured(
            f"CELERY_VISIBILITY_TIMEOUT must exceed the longest job time limit ({JOB_TIME_LIMIT_S} s)."
        )
# Jobs are rows with a status; nobody reads Celery results.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A pool process that trained or pre-labeled holds scikit-learn, SciPy and the estimator long
# after the job (~150-250 MB resident against ~95 MB for a fresh one); above this resident size
# (KiB) it is replaced once its task is done. The next ML job pays the import again (1-3 s,
# against jobs of seconds to minutes), other tasks nothing (a fork of the loaded main process);
# the idle worker keeps ~200 MB PSS instead of ~480 MB (bench/footprint.py).
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=120_000)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# -----------------------------------------------------------------------------------------------
# Cache: https://docs.djangoproject.com/en/5.2/topics/cache/
# -----------------------------------------------------------------------------------------------
# One cache for every web process and the worker (never Django's per-process default): the
# sign-in rate limit counts there. Redis counts atomically. Without Redis, files under VAR_DIR,
# which every process on the machine sees; django-ratelimit increments them by read-then-write,
# so failures that finish in the same instant in different processes may count once (at worst
# the limit times the web processes, for an attacker who times requests to collide).
if REDIS_URL:
    # Its own Redis database when given: a cache.clear() must never take the queued jobs along.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env.str("CACHE_REDIS_URL", default=REDIS_URL),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            # An increment rewrites the entry with this timeout (not the rest of its own), so it
            # must outlast a rate period: a day.
            "TIMEOUT": 24 * 3600,
            # One small file per entry; past this many, a random third is dropped, counts too.
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }

# -----------------------------------------------------------------------------------------------
# REST framework and OpenAPI
# -----------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "platform_core.apis.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "platform_core.apis.errors.json_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Annotation platform API",
    "DESCRIPTION": "Import, pre-label, label, review and measure.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # From drf_spectacular_sidecar's static files rather than a CDN (labeling sites often run
    # on networks without internet, where a CDN leaves /api/docs/ a blank page).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several components carry a `status` field; name each state enum once.
    "ENUM_NAME_OVERRIDES": {
        "TaskStatusEnum": "platform_core.models.tasks.TaskStatus",
        "ImportStatusEnum": "platform_core.models.imports.ImportStatus",
        "AnnotationStatusEnum": "annotator.models.AnnotationStatus",
        "ProjectKindEnum": "platform_core.models.projects.ProjectKind",
        "ReviewKindEnum": "annotator.models.ReviewKind",
    },
}

# -----------------------------------------------------------------------------------------------
# Security: https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
# -----------------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading is a one-way opt-in for whoever runs the site (SECURE_HSTS_PRELOAD=true).
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
