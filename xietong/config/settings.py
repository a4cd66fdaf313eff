"""xietong settings: one module, driven by environment variables (django-environ).

Production differs from development only through the environment; nothing secret lives here.
See docs/configuration.md for every variable.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DATA_DIR = Path(env.str("XIETONG_DATA_DIR", default=str(Path.cwd() / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)  # the SQLite database, files and cache live here


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the data directory."""
    if key := env.str("SECRET_KEY", default=""):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
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
    "axes",
    "django_tasks",
    "django_tasks_db",
    "xietong.common",
    "xietong.org",
    "xietong.audit",
    "xietong.packages",
    "xietong.notify",
    "xietong.attachments",
    "xietong.search",
    "xietong.processes",
    "xietong.disputes",
    "xietong.notices",
    "xietong.knowledge",
    "xietong.progress",
    "xietong.accounts",
    "xietong.insights",
    "xietong.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "xietong.accounts.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "xietong.config.urls"
WSGI_APPLICATION = "xietong.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "xietong.common.context_processors.navigation",
                "xietong.notify.context_processors.unread_notifications",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'xietong.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock up front
    # (docs/operations.md, ../shared/notes/sqlite.md).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "timeout": 5,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Either a connection pool per process (psycopg_pool, DATABASE_POOL=true) or persistent connections
    # (CONN_MAX_AGE seconds, 0 = one connection per request; by default each process keeps its
    # connection 60 s: opening one costs PostgreSQL a process, ~8 ms a request); never both
    # (docs/deployment.md).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
    # Behind pgbouncer in transaction pooling mode, .iterator() must not use server-side cursors.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DISABLE_SERVER_SIDE_CURSORS", default=False)
    if env.bool("DATABASE_POOL", default=False):
        if env.int("CONN_MAX_AGE", default=0):
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured("DATABASE_POOL=true needs CONN_MAX_AGE=0: a pooled connection is never kept.")
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=1),
            "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=4),
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.Person"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Failed-login throttling (django-axes): lock a username+address pair after 5 failures for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Behind reverse proxies (nginx, a load balancer): how many of them add themselves to
# X-Forwarded-For. Then the client's address is read from that header (for django-axes' lockout,
# which would otherwise lock a username for everyone behind the proxy) and X-Forwarded-Proto says
# whether the request came over HTTPS. 0 (the default) trusts no header (docs/deployment.md).
XIETONG_TRUSTED_PROXIES = env.int("XIETONG_TRUSTED_PROXIES", default=0)
if XIETONG_TRUSTED_PROXIES:
    AXES_CLIENT_IP_CALLABLE = "xietong.accounts.client_ip.client_ip"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = 60 * 60 * 12
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content Security Policy: everything from this server, nothing from a CDN.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    },
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "xietong_language"
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = Path(env.str("XIETONG_STATIC_ROOT", default=str(DATA_DIR / "static")))
# Uploaded files (attachments): the files directory by default; S3-compatible object storage
# (AWS S3, MinIO, Aliyun OSS, Tencent COS …) through django-storages when a bucket is configured.
# The S3 backend needs boto3: pip install "xietong[s3]" (docs/configuration.md).
XIETONG_S3_BUCKET = env.str("XIETONG_S3_BUCKET", default="")
_default_storage: dict[str, object] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if XIETONG_S3_BUCKET:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": XIETONG_S3_BUCKET,
            "endpoint_url": env.str("XIETONG_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("XIETONG_S3_REGION", default="") or None,
            "access_key": env.str("XIETONG_S3_ACCESS_KEY", default="") or None,
            "secret_key": env.str("XIETONG_S3_SECRET_KEY", default="") or None,
            "location": env.str("XIETONG_S3_PREFIX", default="files"),
            "default_acl": "private",  # files are served only through xietong's own checked download view
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("XIETONG_MANIFEST_STATIC", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = DATA_DIR / "files"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
XIETONG_IMPORT_MAX_BYTES = env.int("XIETONG_IMPORT_MAX_BYTES", default=200 * 1024 * 1024)
XIETONG_ATTACHMENT_MAX_BYTES = env.int("XIETONG_ATTACHMENT_MAX_BYTES", default=20 * 1024 * 1024)

# Background work: the Tasks API (django-tasks). The database backend needs nothing more; set
# TASKS_BACKEND=django_tasks_rq.RQBackend and REDIS_URL to scale out on Redis (docs/configuration.md).
TASKS = {"default": {"BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}
if TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend":
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")}}
XIETONG_TICK_SECONDS = env.int("XIETONG_TICK_SECONDS", default=30)

# One cache shared by every process of the installation: files under the data directory by default
# (the web workers, the background worker and the scheduler of one machine), Redis when several
# machines serve one database, e.g. CACHE_URL=rediscache://127.0.0.1:6379/1 (docs/configuration.md).
CACHES = {"default": env.cache_url("CACHE_URL", default=f"filecache://{DATA_DIR / 'cache'}")}
# django-environ lower-cases the query options of a rediscache:// URL, but Django reads KEY_PREFIX and
# VERSION in upper case: without this, rediscache://…/1?key_prefix=xt would silently use no prefix.
for _option in ("key_prefix", "version"):
    if _option in CACHES["default"]:
        CACHES["default"][_option.upper()] = CACHES["default"].pop(_option)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "xietong.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "xietong.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "xietong API",
    "DESCRIPTION": _("REST API of xietong (协同): organization, collaboration records and figures."),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# ── notify: e-mail and group-robot webhooks (docs/notifications.md) ────────────────────────────
# E-mail goes out through django.core.mail: EMAIL_URL (e.g. smtp+tls://user:password@smtp.example.cn:587)
# or EMAIL_HOST/EMAIL_PORT/EMAIL_HOST_USER/EMAIL_HOST_PASSWORD/EMAIL_USE_TLS; without either, the
# console backend prints the e-mails (the demo).
if env.str("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))
elif env.str("EMAIL_HOST", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=25)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="xietong <noreply@localhost>")
# The site's address, for the links in e-mails and group-robot messages.
XIETONG_SITE_URL = env.str("XIETONG_SITE_URL", default="http://127.0.0.1:8000")
# Seconds to wait for a WeCom / DingTalk / Feishu webhook to answer.
XIETONG_WEBHOOK_TIMEOUT = env.float("XIETONG_WEBHOOK_TIMEOUT", default=5.0)
# ── end of notify ───────────────────────────────────────────────────────────────────────────────
