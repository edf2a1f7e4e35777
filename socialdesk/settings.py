"""Settings read from the environment, so one build runs the demo, the tests and production."""

import os
import secrets
from pathlib import Path

import dj_database_url
import dj_email_url

BASE_DIR = Path(__file__).resolve().parent


def default_data_dir(base_dir: Path = BASE_DIR) -> Path:
    """`./var` of a source checkout (the demo, the tests); for an installed package, never a folder
    inside site-packages (an upgrade would wipe it), but the user's data folder (XDG)."""
    if (base_dir.parent / "pyproject.toml").exists():
        return base_dir.parent / "var"
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "socialdesk"


DATA_DIR = Path(os.environ.get("SOCIALDESK_DATA_DIR") or default_data_dir()).resolve()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    value = value.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"{name}={value!r}: use true or false.")


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{name}={value!r}: a whole number is expected.") from None


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """Use SECRET_KEY when given; otherwise generate one once and keep it in the data folder."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = DATA_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        path.write_text(key)
        path.chmod(0o600)
        return key


SECRET_KEY = _secret_key()
# Older secret keys, still accepted for sessions and signatures (and, without
# SOCIALDESK_CREDENTIALS_KEY, for reading the stored credentials) while SECRET_KEY changes.
SECRET_KEY_FALLBACKS = _env_list("SECRET_KEY_FALLBACKS")
DEBUG = _env_bool("DEBUG", False)
ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS")

# --- HTTPS (docs/deploy.md) ------------------------------------------------------------------
# SOCIALDESK_HTTPS=true is the production switch: the desk is only ever reached over HTTPS, so
# plain HTTP is redirected, cookies are sent over HTTPS only, and browsers are told (HSTS) to
# refuse plain HTTP for a year. Each can still be set on its own by its Django name.
HTTPS = _env_bool("SOCIALDESK_HTTPS", False)
SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", HTTPS)
SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = _env_bool("CSRF_COOKIE_SECURE", HTTPS)
SECURE_HSTS_SECONDS = _env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
# Preloading is a separate decision (submitting the domain to the browsers' list, hard to undo):
# off unless asked for, and check --deploy's reminder about it is silenced.
SECURE_HSTS_PRELOAD = _env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = ["security.W021"]
# Health checks and metrics are asked for over plain HTTP (they are answered before this
# redirect anyway, by socialdesk.operations.middleware).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# Behind a TLS-terminating proxy, which header tells that the client used HTTPS (the proxy must
# set it on every request, overwriting what the client sent), e.g. X-Forwarded-Proto.
_proxy_ssl_header = os.environ.get(
    "SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto" if HTTPS else ""
).strip()
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None
)
# Trust the proxy's X-Forwarded-Host (only when the proxy sets it itself).
USE_X_FORWARDED_HOST = _env_bool("USE_X_FORWARDED_HOST", False)

# --- Email -----------------------------------------------------------------------------------
# EMAIL_URL, e.g. smtp://user:password@smtp.example.org:587/?tls=true (STARTTLS) or
# smtp://…:465/?ssl=true (dj-email-url; %40 for an @ in the user name); unset: Django's default,
# SMTP on localhost:25. `console:` prints the mails instead.
if os.environ.get("EMAIL_URL"):
    _email = dj_email_url.parse(os.environ["EMAIL_URL"])
    if "EMAIL_BACKEND" not in _email:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "EMAIL_URL: use smtp://user:password@host:port/?tls=true (or console:)."
        )
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email["EMAIL_HOST"]
    EMAIL_PORT = _email["EMAIL_PORT"]
    EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
    EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
    EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
    EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
    EMAIL_TIMEOUT = _email.get("EMAIL_TIMEOUT") or 30
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Socialdesk <socialdesk@localhost>")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "socialdesk.people",
    "socialdesk.brands",
    "socialdesk.conversations",
    "socialdesk.queues",
    "socialdesk.play",
    "socialdesk.clippings",
    "socialdesk.outbox",
    "socialdesk.ingestion",
    "socialdesk.triage",
    "socialdesk.reports",
    "socialdesk.search",
    "socialdesk.webhooks",
    "socialdesk.web",
    "socialdesk.api",
]
# The demo (its logins, `load_demo`) is not part of a production install unless asked for.
SOCIALDESK_DEMO = _env_bool(
    "SOCIALDESK_DEMO", DEBUG or (BASE_DIR.parent / "pyproject.toml").exists()
)
if SOCIALDESK_DEMO:
    INSTALLED_APPS.append("socialdesk.demo")
# Before django_tasks_db: its `db_worker` is replaced by one that survives a vanished task row.
INSTALLED_APPS.insert(INSTALLED_APPS.index("django_tasks"), "socialdesk.operations")

MIDDLEWARE = [
    # First: /healthz, /readyz and /metrics are answered before the host check and the HTTPS
    # redirect (load balancers and Prometheus ask by IP over plain HTTP); then every request gets its id for the logs, and is
    # counted and timed for /metrics.
    "socialdesk.operations.middleware.OperationsMiddleware",
    "socialdesk.operations.middleware.ClientAddressMiddleware",
    "socialdesk.operations.middleware.RequestIdMiddleware",
    "socialdesk.operations.middleware.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # PE5: no inline script or style; every response says so (socialdesk/people/csp.py).
    "socialdesk.people.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # PE6: the language from the language cookie, else the browser's Accept-Language...
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # The signed-in person's profile, with whether they have a second factor, in one statement.
    "socialdesk.people.middleware.PersonMiddleware",
    # ... and, once signed in, the language the person chose (socialdesk/people/languages.py).
    "socialdesk.people.languages.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "socialdesk.web.middleware.SessionEndedMiddleware",
    "socialdesk.people.middleware.IdleSessionMiddleware",
    "socialdesk.people.middleware.TwoFactorMiddleware",
    # PE6: times shown and typed in the person's own zone.
    "socialdesk.people.time_zones.TimeZoneMiddleware",
    # django-axes wants to be last: it turns a locked-out sign-in into its lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "socialdesk.urls"
WSGI_APPLICATION = "socialdesk.wsgi.application"

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
                "socialdesk.web.context.due_reminders",
                "socialdesk.web.context.sent_drafts",
            ],
        },
    },
]


def _database() -> dict:
    url = os.environ.get("DATABASE_URL")
    if url:
        db = dj_database_url.parse(url, conn_max_age=60)
    else:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "socialdesk.sqlite3")}
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # Several processes (web, worker, scheduler) write at once: WAL lets readers go on,
        # IMMEDIATE transactions take the write lock up front so none fails half-way.
        db.setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
        # Tests run on a file, not SQLite's shared in-memory database: there, a browser test's
        # live server and the test's own thread (a task worker, say) writing at once get "database
        # table is locked" at once instead of waiting their turn (the timeout above).
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        db.setdefault("TEST", {}).setdefault("NAME", str(DATA_DIR / "test-socialdesk.sqlite3"))
    return db


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": os.environ.get("SOCIALDESK_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# Redis at scale (docs/deploy.md): SOCIALDESK_TASKS_BACKEND=django_tasks_rq.RQBackend with
# REDIS_URL; needs the `redis` extra (pip install 'socialdesk[redis]'); the workers are then
# `socialdesk rqworker --job-class django_tasks_rq.Job default` instead of `db_worker`.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend":
    from importlib.util import find_spec

    from django.core.exceptions import ImproperlyConfigured

    if not (find_spec("django_rq") and find_spec("django_tasks_rq")):
        raise ImproperlyConfigured(
            "SOCIALDESK_TASKS_BACKEND=django_tasks_rq.RQBackend needs the redis extra: pip install 'socialdesk[redis]'."
        )
    if not REDIS_URL:
        raise ImproperlyConfigured(
            "SOCIALDESK_TASKS_BACKEND=django_tasks_rq.RQBackend needs REDIS_URL, e.g. redis://127.0.0.1:6379/0."
        )
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS["default"]["QUEUES"] = ["default"]
    RQ_QUEUES = {
        "default": {
            "URL": REDIS_URL,
            "DEFAULT_TIMEOUT": _env_int("SOCIALDESK_RQ_JOB_TIMEOUT", 600),
        }
    }

# Emails are sent by a task (people.mail) through this alias of TASKS: the default backend, which
# the workers run, unless another is configured (and a worker runs it).
SOCIALDESK_EMAIL_TASKS = os.environ.get("SOCIALDESK_EMAIL_TASKS", "default")


# An email the mail server did not take is tried again after each of these waits (minutes,
# comma-separated), then given up on and shown to the admins. Empty: never tried again.
def _env_minutes(name: str, default: str) -> list[int]:
    raw = os.environ.get(name, default)
    try:
        minutes = [int(m) for m in raw.split(",") if m.strip()]
    except ValueError:
        minutes = [-1]
    if any(m < 0 for m in minutes):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"{name}={raw!r}: use minutes separated by commas, e.g. 1,5,30."
        )
    return minutes


SOCIALDESK_EMAIL_RETRY_MINUTES = _env_minutes("SOCIALDESK_EMAIL_RETRY_MINUTES", "1,5,30,120")

# PE5: long passphrases rather than rules about symbols (NIST SP 800-63B); "admin-admin" and
# "31415926535" are refused (too short, and one is all digits).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes counts failed sign-ins first (throttling, PE5); then Django's own check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
CSRF_FAILURE_VIEW = "socialdesk.web.middleware.csrf_failure"
SOCIALDESK_CSP_REPORT_ONLY = _env_bool("SOCIALDESK_CSP_REPORT_ONLY", False)
SESSION_COOKIE_AGE = int(os.environ.get("SOCIALDESK_SESSION_SECONDS", 8 * 3600))

LANGUAGE_CODE = "en"
# PE6: the languages of the seed's teams (docs/translating.md); the catalogues are in
# socialdesk/locale/, compiled .mo files included.
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("pt-br", "Português (Brasil)"),
    ("tr", "Türkçe"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Numbers keep no thousands separator by default (ids in URLs and forms must never get one);
# counts that can grow large are shown with `intcomma`, which is localised.
USE_THOUSAND_SEPARATOR = False
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "media/"
# Uploads larger than this go to a temporary file instead of memory; the limits per platform
# are checked by the action layer (conversations/channel_rules.py).
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("SOCIALDESK_STATIC_ROOT") or DATA_DIR / "static").resolve()
STATIC_ROOT.mkdir(parents=True, exist_ok=True)


def _media_storage() -> dict:
    """Where attachments are kept: the data folder's `media/` (the default), or an S3-compatible
    bucket (`SOCIALDESK_STORAGE=s3`, django-storages' S3Storage on boto3; docs/deploy.md)."""
    kind = os.environ.get("SOCIALDESK_STORAGE", "local").strip().lower() or "local"
    if kind == "local":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    from django.core.exceptions import ImproperlyConfigured

    if kind != "s3":
        raise ImproperlyConfigured(f"SOCIALDESK_STORAGE={kind!r}: use local or s3.")
    bucket = os.environ.get("SOCIALDESK_S3_BUCKET", "").strip()
    if not bucket:
        raise ImproperlyConfigured("SOCIALDESK_STORAGE=s3 needs SOCIALDESK_S3_BUCKET.")
    env = {
        # option of S3Storage: the variable that sets it (unset: boto3's own default, e.g. the
        # keys from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the machine's role)
        "endpoint_url": "SOCIALDESK_S3_ENDPOINT_URL",
        "region_name": "SOCIALDESK_S3_REGION",
        "access_key": "SOCIALDESK_S3_ACCESS_KEY_ID",
        "secret_key": "SOCIALDESK_S3_SECRET_ACCESS_KEY",
        "custom_domain": "SOCIALDESK_S3_CUSTOM_DOMAIN",
        "location": "SOCIALDESK_S3_PREFIX",
        "addressing_style": "SOCIALDESK_S3_ADDRESSING_STYLE",
    }
    options = {
        "bucket_name": bucket,
        **{k: os.environ[v].strip() for k, v in env.items() if os.environ.get(v, "").strip()},
        # Signed links by default: the bucket stays private and a link works for a few minutes.
        "querystring_auth": _env_bool("SOCIALDESK_S3_QUERYSTRING_AUTH", True),
        "querystring_expire": _env_int("SOCIALDESK_S3_LINK_SECONDS", 300),
        "signature_version": "s3v4",
        # Objects get no ACL of their own (the bucket's policy decides) and a name is never
        # reused: each upload has a generated one (conversations.models.attachment_path).
        "default_acl": None,
        "file_overwrite": False,
    }
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES = {
    "default": _media_storage(),
    # Not DEBUG: the files collected by `socialdesk collectstatic` under content-hashed names
    # (WhiteNoise serves them compressed and cached for ever); a file not collected yet is served
    # under its own name (and `check --deploy` says static files need collecting).
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "socialdesk.operations.staticfiles.HashedStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

# LOG_FORMAT=json: one JSON object a line (for a log collector), with the request's id
# (X-Request-ID from the proxy, or a new one) and the running task's id; plain otherwise.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain").strip().lower()
if LOG_FORMAT not in {"plain", "json"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: use plain or json.")
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "socialdesk.operations.logging.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(task_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Socialdesk ---------------------------------------------------------------------------
# Each platform's API base URL is configuration: the demo and the tests point it at the
# local simulator; production leaves the platform's own default.
SOCIALDESK_TWITTER_API_BASE = os.environ.get(
    "SOCIALDESK_TWITTER_API_BASE", "https://api.twitter.com"
)
# Connecting accounts (/manage/accounts/, docs/connecting-accounts.md). The address people reach
# the desk at, for the OAuth callback URL registered with the platforms
# (<SOCIALDESK_PUBLIC_URL>/manage/accounts/callback); empty: taken from the request.
SOCIALDESK_PUBLIC_URL = os.environ.get("SOCIALDESK_PUBLIC_URL", "").rstrip("/")
# The X app's OAuth 2.0 client (developer portal > app > Keys and tokens); X's sign-in page (empty:
# x.com's, or the API base's when that is not X's, as for the simulator).
SOCIALDESK_TWITTER_CLIENT_ID = os.environ.get("SOCIALDESK_TWITTER_CLIENT_ID", "")
SOCIALDESK_TWITTER_CLIENT_SECRET = os.environ.get("SOCIALDESK_TWITTER_CLIENT_SECRET", "")
SOCIALDESK_TWITTER_AUTHORIZE_URL = os.environ.get("SOCIALDESK_TWITTER_AUTHORIZE_URL", "")
# Where Google Play service accounts sign in (Google's OAuth 2.0 token endpoint; the simulator's in the demo).
SOCIALDESK_GOOGLE_TOKEN_URI = os.environ.get(
    "SOCIALDESK_GOOGLE_TOKEN_URI", "https://oauth2.googleapis.com/token"
)
# Play Mode: how long a dealt conversation stays with its agent without a sign of life.
SOCIALDESK_LEASE_SECONDS = int(os.environ.get("SOCIALDESK_LEASE_SECONDS", 300))
# Play Mode: a skipped conversation is not dealt to the same agent again for the rest of the play
# session (0), or only for this many seconds; the customer writing again brings it back anyway.
SOCIALDESK_SKIP_SECONDS = int(os.environ.get("SOCIALDESK_SKIP_SECONDS", 0))
# Queue pages count their totals up to this many conversations, then say "1,000+": counting
# further would read the whole queue on every page view...
SOCIALDESK_COUNT_CAP = int(os.environ.get("SOCIALDESK_COUNT_CAP", 1000))
# ... and each value of the left panel's filters up to this many ("100+").
SOCIALDESK_FACET_COUNT_CAP = int(os.environ.get("SOCIALDESK_FACET_COUNT_CAP", 100))
# The left panel's counts are kept this many seconds (per queue and filter, in Django's cache:
# each process's memory unless CACHES says otherwise) and the panel says as of when; 0 counts
# them on every view.
SOCIALDESK_FACET_COUNTS_SECONDS = int(os.environ.get("SOCIALDESK_FACET_COUNTS_SECONDS", 60))
# Authors with at least this many followers (or verified) are "Internet celebrities" (TR5).
SOCIALDESK_CELEBRITY_FOLLOWERS = int(os.environ.get("SOCIALDESK_CELEBRITY_FOLLOWERS", 100_000))
# Outbox retries: base delay, cap and attempts before an action is marked failed.
SOCIALDESK_OUTBOX_BACKOFF_SECONDS = float(os.environ.get("SOCIALDESK_OUTBOX_BACKOFF_SECONDS", 5))
SOCIALDESK_OUTBOX_BACKOFF_CAP_SECONDS = float(
    os.environ.get("SOCIALDESK_OUTBOX_BACKOFF_CAP_SECONDS", 600)
)
SOCIALDESK_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("SOCIALDESK_OUTBOX_MAX_ATTEMPTS", 8))
# Scheduler: seconds between two polls of every connected account.
SOCIALDESK_POLL_SECONDS = float(os.environ.get("SOCIALDESK_POLL_SECONDS", 10))
# Triage: at or above this confidence a type/sentiment is set on the conversation; below, it is
# only suggested for an agent to confirm (TR1, TR4).
SOCIALDESK_TRIAGE_ACT_CONFIDENCE = float(os.environ.get("SOCIALDESK_TRIAGE_ACT_CONFIDENCE", 0.8))
# A KB article or clipping is suggested from this confidence on (docs/triage-quality.md, "Suggestions").
SOCIALDESK_SUGGEST_CONFIDENCE = float(os.environ.get("SOCIALDESK_SUGGEST_CONFIDENCE", 0.75))
# Likes + reposts at which a message counts as getting "a lot of attention" (TR7).
SOCIALDESK_ATTENTION_THRESHOLD = int(os.environ.get("SOCIALDESK_ATTENTION_THRESHOLD", 50))
# Clusters of similar open conversations are looked for within this many hours (TR7).
SOCIALDESK_CLUSTER_WINDOW_HOURS = float(os.environ.get("SOCIALDESK_CLUSTER_WINDOW_HOURS", 24))
# Google Play Developer API (androidpublisher v3); the demo and the tests use the simulator.
SOCIALDESK_GOOGLE_PLAY_API_BASE = os.environ.get(
    "SOCIALDESK_GOOGLE_PLAY_API_BASE", "https://androidpublisher.googleapis.com/"
)
# reviews.list has a small quota (about 200 calls an hour): read each app's reviews at most this often.
SOCIALDESK_GOOGLE_PLAY_MIN_POLL_SECONDS = float(
    os.environ.get("SOCIALDESK_GOOGLE_PLAY_MIN_POLL_SECONDS", 60)
)
# Mastodon: the instance of an account without its own API base (BrandAccount.api_base).
SOCIALDESK_MASTODON_API_BASE = os.environ.get(
    "SOCIALDESK_MASTODON_API_BASE", "https://mastodon.social"
)
# Seconds a Google Play or Mastodon call may take before it counts as a time-out.
SOCIALDESK_CONNECTOR_TIMEOUT_SECONDS = float(
    os.environ.get("SOCIALDESK_CONNECTOR_TIMEOUT_SECONDS", 30)
)
# Automation (AG9): close "User didn't respond" this many days after our last reply while
# waiting on the customer; flag open conversations older than this many days for closing.
SOCIALDESK_AUTO_CLOSE_DAYS = float(os.environ.get("SOCIALDESK_AUTO_CLOSE_DAYS", 3))
SOCIALDESK_FLAG_OLD_DAYS = float(os.environ.get("SOCIALDESK_FLAG_OLD_DAYS", 14))
# AG3: how long a customer's follow-up waits for the agent who answered them last (if playing).
SOCIALDESK_FOLLOW_UP_RESERVE_SECONDS = int(
    os.environ.get("SOCIALDESK_FOLLOW_UP_RESERVE_SECONDS", 600)
)
# A worker that died mid-send leaves its action "sending": after this long it is tried again
# (longer than the connector time-out, so a slow but live send is never doubled).
SOCIALDESK_OUTBOX_STALLED_SECONDS = float(os.environ.get("SOCIALDESK_OUTBOX_STALLED_SECONDS", 120))
# After an attempt whose outcome is unknown (no answer, or a garbled one) the platform may still be
# carrying the request out: the next attempt, which first looks on the platform for it, waits at
# least this long, so it does not look before the late write lands and then send a second one.
SOCIALDESK_OUTBOX_SETTLE_SECONDS = float(os.environ.get("SOCIALDESK_OUTBOX_SETTLE_SECONDS", 60))
# Outbox concurrency: a worker sends up to this many actions at once, at most
# SOCIALDESK_OUTBOX_ACCOUNT_CONCURRENCY at once from one account (across all workers).
# Webhooks (AP2): a delivery's connection and answer must come within the time-out; a failed one
# is tried again with exponential backoff (from BACKOFF_SECONDS, at most BACKOFF_CAP_SECONDS
# apart) up to MAX_ATTEMPTS times. Private and loopback addresses are refused (SSRF) unless
# SOCIALDESK_WEBHOOKS_ALLOW_PRIVATE (a receiver inside the network, the tests' own).
SOCIALDESK_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("SOCIALDESK_WEBHOOK_TIMEOUT_SECONDS", 5))
SOCIALDESK_WEBHOOK_BACKOFF_SECONDS = float(
    os.environ.get("SOCIALDESK_WEBHOOK_BACKOFF_SECONDS", 30)
)
SOCIALDESK_WEBHOOK_BACKOFF_CAP_SECONDS = float(
    os.environ.get("SOCIALDESK_WEBHOOK_BACKOFF_CAP_SECONDS", 3600)
)
SOCIALDESK_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("SOCIALDESK_WEBHOOK_MAX_ATTEMPTS", 10))
# After a webhook's secret is renewed, deliveries also carry a signature with the previous one for
# this many hours (0: the new secret alone, at once), so the receiver can be updated meanwhile.
SOCIALDESK_WEBHOOK_SECRET_OVERLAP_HOURS = float(
    os.environ.get("SOCIALDESK_WEBHOOK_SECRET_OVERLAP_HOURS", 24)
)
SOCIALDESK_WEBHOOKS_ALLOW_PRIVATE = _env_bool("SOCIALDESK_WEBHOOKS_ALLOW_PRIVATE", False)
# Each process keeps the list of active webhook subscriptions this many seconds (0: read it for
# every event): a subscription made in another process gets events from at most this long after
# it is saved; a deleted or paused one gets none once it is gone (checked before each delivery).
SOCIALDESK_WEBHOOK_SUBSCRIPTIONS_SECONDS = float(
    os.environ.get("SOCIALDESK_WEBHOOK_SUBSCRIPTIONS_SECONDS", 5)
)
SOCIALDESK_OUTBOX_THREADS = int(os.environ.get("SOCIALDESK_OUTBOX_THREADS", 8))
SOCIALDESK_OUTBOX_ACCOUNT_CONCURRENCY = int(
    os.environ.get("SOCIALDESK_OUTBOX_ACCOUNT_CONCURRENCY", 4)
)


def _rate_limits(text: str) -> dict[str, tuple[int, float]]:
    """ "twitter=300/10800,mastodon=200/300": per platform, sends allowed per account per window (s)."""
    from django.core.exceptions import ImproperlyConfigured

    limits = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        try:
            platform, budget = item.split("=")
            count, seconds = budget.split("/")
            limits[platform.strip()] = (int(count), float(seconds))
        except ValueError:
            raise ImproperlyConfigured(
                f"SOCIALDESK_OUTBOX_RATE_LIMITS: {item!r} is not platform=COUNT/SECONDS (e.g. twitter=300/10800)"
            ) from None
        if limits[platform.strip()][0] < 1 or limits[platform.strip()][1] <= 0:
            raise ImproperlyConfigured(
                f"SOCIALDESK_OUTBOX_RATE_LIMITS: {item!r} needs a count of at least 1 and a window above 0"
            )
    return limits


# Sends per account per window, per platform, within each platform's documented limits (the
# sources are cited in socialdesk/outbox/limits.py); a platform left out keeps its default.
SOCIALDESK_OUTBOX_RATE_LIMITS = _rate_limits(os.environ.get("SOCIALDESK_OUTBOX_RATE_LIMITS", ""))
# CH2: how often the customer messages of open conversations are looked up to notice deletions,
# how far back, and how many at most per account and run (X: 100 per tweets lookup call).
SOCIALDESK_DELETED_CHECK_SECONDS = float(os.environ.get("SOCIALDESK_DELETED_CHECK_SECONDS", 300))
SOCIALDESK_DELETED_LOOKBACK_DAYS = float(os.environ.get("SOCIALDESK_DELETED_LOOKBACK_DAYS", 14))
SOCIALDESK_DELETED_CHECK_MAX = int(os.environ.get("SOCIALDESK_DELETED_CHECK_MAX", 1000))
# A poll task not finished after this long is taken as lost (its worker died) and polled again.
SOCIALDESK_POLL_LOST_SECONDS = float(os.environ.get("SOCIALDESK_POLL_LOST_SECONDS", 300))
# A poll's page is stored first and triaged right after, by a task enqueued with the page (the
# poll then stores a page in about half the time: docs/performance.md, "Ingestion"); Play deals
# a new conversation once it is triaged. False: triage inside the page, as before.
SOCIALDESK_TRIAGE_AFTER_PAGE = _env_bool("SOCIALDESK_TRIAGE_AFTER_PAGE", True)
# The scheduler triages what still waits after this long (its page's task was lost).
SOCIALDESK_TRIAGE_SWEEP_SECONDS = _env_int("SOCIALDESK_TRIAGE_SWEEP_SECONDS", 60)
# Keys for the brand accounts' platform credentials at rest, comma-separated, newest first (the
# newest encrypts, all decrypt: brands/secrets.py); derived from SECRET_KEY when unset.
SOCIALDESK_CREDENTIALS_KEY = os.environ.get("SOCIALDESK_CREDENTIALS_KEY", "")
# The scheduler (socialdesk/operations/schedule.py): one of several scheduler processes leads,
# holding a lease it renews every second; if it dies, another takes over after this long.
SOCIALDESK_SCHEDULER_LEASE_SECONDS = float(
    os.environ.get("SOCIALDESK_SCHEDULER_LEASE_SECONDS", 60)
)
# Finished task rows (database backend) are kept this long for inspection, then pruned, this often.
SOCIALDESK_TASK_RESULTS_KEEP_HOURS = float(
    os.environ.get("SOCIALDESK_TASK_RESULTS_KEEP_HOURS", 24)
)
SOCIALDESK_PRUNE_SECONDS = float(os.environ.get("SOCIALDESK_PRUNE_SECONDS", 3600))
# Sign-in records (the audit log's sign-ins, sign-outs, failures and lock-outs, with the address
# they came from, and django-axes' logs) are forgotten after this many days (0: kept for ever).
SOCIALDESK_SIGN_IN_LOG_KEEP_DAYS = int(os.environ.get("SOCIALDESK_SIGN_IN_LOG_KEEP_DAYS", 180))
# /readyz: a task worker ran the heartbeat task (enqueued every 30 s), and the leading scheduler
# ran, within these many seconds.
SOCIALDESK_READY_WORKER_SECONDS = float(os.environ.get("SOCIALDESK_READY_WORKER_SECONDS", 120))
SOCIALDESK_READY_SCHEDULER_SECONDS = float(
    os.environ.get("SOCIALDESK_READY_SCHEDULER_SECONDS", 60)
)
# /metrics answers Prometheus with `Authorization: Bearer <this>`; unset: no metrics (404).
SOCIALDESK_METRICS_TOKEN = os.environ.get("SOCIALDESK_METRICS_TOKEN", "")
# Queue sizes in the metrics are counted up to this many (a count must not scan a huge queue).
SOCIALDESK_METRICS_COUNT_CAP = int(os.environ.get("SOCIALDESK_METRICS_COUNT_CAP", 10000))

# --- People and access (PE5) ---------------------------------------------------------------
# Email: EMAIL_URL above; without it the desk's emails are printed on the console (the demo
# shows them there), unless EMAIL_BACKEND names another backend.
if not os.environ.get("EMAIL_URL"):
    EMAIL_BACKEND = os.environ.get(
        "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
    )
# Links in emails (reset a password, set one after approval) need the desk's address when it is
# not taken from the request (SOCIALDESK_PUBLIC_URL above).
PASSWORD_RESET_TIMEOUT = int(os.environ.get("SOCIALDESK_PASSWORD_RESET_SECONDS", 3 * 24 * 3600))
# A session with no request of the agent's own for this long ends (the page's own timers,
# presence and the lease heartbeat, do not count as activity).
SOCIALDESK_IDLE_SECONDS = int(os.environ.get("SOCIALDESK_IDLE_SECONDS", 3600))
# Login throttling (django-axes): this many failed sign-ins for one username lock it for the
# cool-off time; every lock-out is logged (logger "axes") and kept (AccessAttempt).
AXES_FAILURE_LIMIT = int(os.environ.get("SOCIALDESK_LOGIN_FAILURE_LIMIT", 30))
AXES_COOLOFF_TIME = float(os.environ.get("SOCIALDESK_LOGIN_LOCKOUT_MINUTES", 15)) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
# The username as typed, cut to the 255 characters axes' table holds (a longer one was a 500 on
# PostgreSQL); the sign-in form itself refuses a username longer than any account's.
AXES_USERNAME_CALLABLE = "socialdesk.people.signin.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "people/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
# Say in the log which account was paused (its address stays out of the log).
AXES_SENSITIVE_PARAMETERS = ["ip_address"]
# Behind the TLS proxy: the header holding the client's address (the proxy must overwrite it, as
# deploy/nginx.conf and deploy/Caddyfile do); empty believes no header (no proxy in front).
SOCIALDESK_CLIENT_ADDRESS_HEADER = os.environ.get("SOCIALDESK_CLIENT_ADDRESS_HEADER", "").strip()
# Rate limits of the public forms, per hour (0: none): applications from one address, password
# reset emails asked for one email address and from one address (socialdesk/operations/throttle.py).
SOCIALDESK_APPLY_LIMIT_PER_HOUR = int(os.environ.get("SOCIALDESK_APPLY_LIMIT_PER_HOUR", 10))
SOCIALDESK_RESET_LIMIT_PER_HOUR = int(os.environ.get("SOCIALDESK_RESET_LIMIT_PER_HOUR", 3))
SOCIALDESK_RESET_ADDRESS_LIMIT_PER_HOUR = int(
    os.environ.get("SOCIALDESK_RESET_ADDRESS_LIMIT_PER_HOUR", 20)
)
# PE1: the hashtag newcomers answer with during their two weeks of incubation (seed: #fxhelp).
SOCIALDESK_INCUBATION_HASHTAG = os.environ.get("SOCIALDESK_INCUBATION_HASHTAG", "#fxhelp")
# Locked per account, not per address: a team behind one office or VPN address would lock each
# other out; spraying one password over many accounts is for the TLS proxy's rate limit.
SILENCED_SYSTEM_CHECKS += ["axes.W006"]
# Two-factor sign-in (TOTP, django-otp): required for these roles (comma-separated; empty: for
# nobody), optional for the others. Recovery codes stand in for a lost phone.
SOCIALDESK_TWO_FACTOR_ROLES = [
    r.strip()
    for r in os.environ.get("SOCIALDESK_TWO_FACTOR_ROLES", "cm,admin").split(",")
    if r.strip()
]
OTP_TOTP_ISSUER = os.environ.get("SOCIALDESK_TWO_FACTOR_ISSUER", "Socialdesk")
