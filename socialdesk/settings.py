"""Settings read from the environment, so one build runs the demo, the tests and production."""

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("SOCIALDESK_DATA_DIR", BASE_DIR.parent / "var")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


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
DEBUG = _env_bool("DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
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
    "socialdesk.web",
    "socialdesk.api",
    "socialdesk.demo",
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
    "django_htmx.middleware.HtmxMiddleware",
    "socialdesk.web.middleware.SessionEndedMiddleware",
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
        db.setdefault("TEST", {})
    return db


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": os.environ.get("SOCIALDESK_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
CSRF_FAILURE_VIEW = "socialdesk.web.middleware.csrf_failure"
SESSION_COOKIE_AGE = int(os.environ.get("SOCIALDESK_SESSION_SECONDS", 8 * 3600))

LANGUAGE_CODE = "en"
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
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Socialdesk ---------------------------------------------------------------------------
# Each platform's API base URL is configuration: the demo and the tests point it at the
# local simulator; production leaves the platform's own default.
SOCIALDESK_TWITTER_API_BASE = os.environ.get("SOCIALDESK_TWITTER_API_BASE", "https://api.twitter.com")
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
SOCIALDESK_GOOGLE_TOKEN_URI = os.environ.get("SOCIALDESK_GOOGLE_TOKEN_URI", "https://oauth2.googleapis.com/token")
# Play Mode: how long a dealt conversation stays with its agent without a sign of life.
SOCIALDESK_LEASE_SECONDS = int(os.environ.get("SOCIALDESK_LEASE_SECONDS", 300))
# Play Mode: a skipped conversation is not dealt to the same agent again for the rest of the play
# session (0), or only for this many seconds; the customer writing again brings it back anyway.
SOCIALDESK_SKIP_SECONDS = int(os.environ.get("SOCIALDESK_SKIP_SECONDS", 0))
# Authors with at least this many followers (or verified) are "Internet celebrities" (TR5).
SOCIALDESK_CELEBRITY_FOLLOWERS = int(os.environ.get("SOCIALDESK_CELEBRITY_FOLLOWERS", 100_000))
# Outbox retries: base delay, cap and attempts before an action is marked failed.
SOCIALDESK_OUTBOX_BACKOFF_SECONDS = float(os.environ.get("SOCIALDESK_OUTBOX_BACKOFF_SECONDS", 5))
SOCIALDESK_OUTBOX_BACKOFF_CAP_SECONDS = float(os.environ.get("SOCIALDESK_OUTBOX_BACKOFF_CAP_SECONDS", 600))
SOCIALDESK_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("SOCIALDESK_OUTBOX_MAX_ATTEMPTS", 8))
# Scheduler: seconds between two polls of every connected account.
SOCIALDESK_POLL_SECONDS = float(os.environ.get("SOCIALDESK_POLL_SECONDS", 10))
# Triage: at or above this confidence a type/sentiment is set on the conversation; below, it is
# only suggested for an agent to confirm (TR1, TR4).
SOCIALDESK_TRIAGE_ACT_CONFIDENCE = float(os.environ.get("SOCIALDESK_TRIAGE_ACT_CONFIDENCE", 0.8))
# Likes + reposts at which a message counts as getting "a lot of attention" (TR7).
SOCIALDESK_ATTENTION_THRESHOLD = int(os.environ.get("SOCIALDESK_ATTENTION_THRESHOLD", 50))
# Clusters of similar open conversations are looked for within this many hours (TR7).
SOCIALDESK_CLUSTER_WINDOW_HOURS = float(os.environ.get("SOCIALDESK_CLUSTER_WINDOW_HOURS", 24))
# Google Play Developer API (androidpublisher v3); the demo and the tests use the simulator.
SOCIALDESK_GOOGLE_PLAY_API_BASE = os.environ.get("SOCIALDESK_GOOGLE_PLAY_API_BASE", "https://androidpublisher.googleapis.com/")
# reviews.list has a small quota (about 200 calls an hour): read each app's reviews at most this often.
SOCIALDESK_GOOGLE_PLAY_MIN_POLL_SECONDS = float(os.environ.get("SOCIALDESK_GOOGLE_PLAY_MIN_POLL_SECONDS", 60))
# Mastodon: the instance of an account without its own API base (BrandAccount.api_base).
SOCIALDESK_MASTODON_API_BASE = os.environ.get("SOCIALDESK_MASTODON_API_BASE", "https://mastodon.social")
# Seconds a Google Play or Mastodon call may take before it counts as a time-out.
SOCIALDESK_CONNECTOR_TIMEOUT_SECONDS = float(os.environ.get("SOCIALDESK_CONNECTOR_TIMEOUT_SECONDS", 30))
# Automation (AG9): close "User didn't respond" this many days after our last reply while
# waiting on the customer; flag open conversations older than this many days for closing.
SOCIALDESK_AUTO_CLOSE_DAYS = float(os.environ.get("SOCIALDESK_AUTO_CLOSE_DAYS", 3))
SOCIALDESK_FLAG_OLD_DAYS = float(os.environ.get("SOCIALDESK_FLAG_OLD_DAYS", 14))
# AG3: how long a customer's follow-up waits for the agent who answered them last (if playing).
SOCIALDESK_FOLLOW_UP_RESERVE_SECONDS = int(os.environ.get("SOCIALDESK_FOLLOW_UP_RESERVE_SECONDS", 600))
# A worker that died mid-send leaves its action "sending": after this long it is tried again
# (longer than the connector time-out, so a slow but live send is never doubled).
SOCIALDESK_OUTBOX_STALLED_SECONDS = float(os.environ.get("SOCIALDESK_OUTBOX_STALLED_SECONDS", 120))
# After an attempt whose outcome is unknown (no answer, or a garbled one) the platform may still be
# carrying the request out: the next attempt, which first looks on the platform for it, waits at
# least this long, so it does not look before the late write lands and then send a second one.
SOCIALDESK_OUTBOX_SETTLE_SECONDS = float(os.environ.get("SOCIALDESK_OUTBOX_SETTLE_SECONDS", 60))
# CH2: how often the customer messages of open conversations are looked up to notice deletions,
# how far back, and how many at most per account and run (X: 100 per tweets lookup call).
SOCIALDESK_DELETED_CHECK_SECONDS = float(os.environ.get("SOCIALDESK_DELETED_CHECK_SECONDS", 300))
SOCIALDESK_DELETED_LOOKBACK_DAYS = float(os.environ.get("SOCIALDESK_DELETED_LOOKBACK_DAYS", 14))
SOCIALDESK_DELETED_CHECK_MAX = int(os.environ.get("SOCIALDESK_DELETED_CHECK_MAX", 1000))
# A poll task not finished after this long is taken as lost (its worker died) and polled again.
SOCIALDESK_POLL_LOST_SECONDS = float(os.environ.get("SOCIALDESK_POLL_LOST_SECONDS", 300))
# Key for the brand accounts' platform credentials at rest; derived from SECRET_KEY when unset.
SOCIALDESK_CREDENTIALS_KEY = os.environ.get("SOCIALDESK_CREDENTIALS_KEY", "")
