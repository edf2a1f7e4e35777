"""How a brand account connects to its platform, in terms the rest of the desk can use without
knowing the platform: the ways to connect (`Method`), what the stored credentials allow
(`Capabilities`), the connection a way produced (`Connected`), and the per-platform module that
knows the details (`twitter_auth`, `mastodon_auth`, `google_play_auth`).

Each platform module offers:

- ``METHODS``: the ways to connect, with the fields a community manager fills in;
- ``capabilities(credentials)``; ``token_of(credentials)`` (the access token in use, to tell
  whether another worker renewed it); ``needs_refresh(credentials, now)`` and
  ``refresh(credentials)`` for tokens that expire;
- ``start_oauth(...)`` / ``finish_oauth(...)`` for a method with ``oauth=True``, and
  ``connect(...)`` for one whose values are pasted or uploaded.

Connect errors are `ConnectError`: a sentence that tells the community manager what to fix.
"""

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import import_module

from django.utils.translation import gettext, gettext_lazy

# What a capability can be. "n/a": the platform has no such action (a Google Play review cannot
# be liked); "unknown": the credentials do not say (a token stored before the desk kept scopes).
YES, NO, UNKNOWN, NOT_APPLICABLE = "yes", "no", "unknown", "n/a"
ACTIONS = ("read", "reply", "like", "repost")
# The outbox's action kinds, by capability.
CAPABILITY_OF_ACTION = {"reply": "reply", "like": "like", "retweet": "repost"}


class ConnectError(Exception):
    """Connecting failed; the message says what to do about it (shown as it is)."""


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    help: str = ""
    # "secret" (never shown back), "text", "url" (prefilled with the account's), "file" (uploaded)
    kind: str = "secret"
    required: bool = True


@dataclass(frozen=True)
class Method:
    key: str
    label: str
    description: str
    fields: tuple[Field, ...] = ()
    # True: the community manager is sent to the platform to sign in and comes back.
    oauth: bool = False
    # Why this way may not be offered right now (a setting missing), or "".
    unavailable: str = ""


@dataclass(frozen=True)
class Capabilities:
    """What an account's stored credentials let the desk do, and for how long."""

    read: str = UNKNOWN
    reply: str = UNKNOWN
    like: str = UNKNOWN
    repost: str = UNKNOWN
    # How the account is connected, in words ("X user sign-in (OAuth 2.0)").
    method: str = ""
    # When the access token in use expires (None: it does not, or it is not known).
    expires_at: datetime | None = None
    # True: the desk renews the token itself before it expires.
    renews: bool = False
    note: str = ""
    # False: no credentials are stored (the method then says "Not connected", in the reader's
    # language, so pages test this and never the words).
    connected: bool = True

    def as_rows(self) -> list[tuple[str, str]]:
        return [(name, getattr(self, name)) for name in ACTIONS]

    def allows(self, action_kind: str) -> str:
        """YES, NO, UNKNOWN or NOT_APPLICABLE for an outbox action kind (reply, like, retweet)."""
        return getattr(self, CAPABILITY_OF_ACTION.get(action_kind, "reply"))


NOT_CONNECTED = Capabilities(NO, NO, NO, NO, method=gettext_lazy("Not connected"), connected=False)


@dataclass(frozen=True)
class Connected:
    """What a connect method produced: the credentials to store and who they belong to."""

    credentials: dict
    # The platform's id and handle of the account the credentials act for ("" when the platform
    # has no such thing, as a Google Play listing).
    external_id: str = ""
    handle: str = ""
    # Where the account's API lives, when it depends on the account (a Mastodon instance).
    api_base: str = ""
    extra: dict = field(default_factory=dict)


def module_for(platform: str):
    """The connection module of a platform."""
    names = {
        "twitter": "twitter_auth",
        "mastodon": "mastodon_auth",
        "google_play": "google_play_auth",
    }
    if platform not in names:
        raise ConnectError(
            gettext("The desk cannot connect %(platform)s accounts.")
            % {"platform": repr(platform)}
        )
    return import_module(f"socialdesk.connectors.{names[platform]}")


def capabilities(account) -> Capabilities:
    credentials = account.credentials if isinstance(account.credentials, dict) else {}
    if not credentials or credentials.get("_unreadable"):
        return NOT_CONNECTED
    return module_for(account.platform).capabilities(credentials)


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636 section 4.1-4.2)."""
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    return verifier, challenge


def when(epoch: float | int | None) -> datetime | None:
    if not isinstance(epoch, (int, float)) or isinstance(epoch, bool):
        return None
    return datetime.fromtimestamp(epoch, tz=UTC)


def token_error(response) -> str:
    """An OAuth token endpoint's error as words (RFC 6749 section 5.2: error, error_description)."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict):
        return str(body.get("error_description") or body.get("error") or body)[:300]
    return str(body)[:300]


def pasted(
    values: dict, names: tuple[str, ...], labels: dict[str, str] | None = None
) -> dict[str, str]:
    """Pasted secrets, trimmed: tokens and keys are printable ASCII without spaces; anything else
    was pasted wrong, and is refused before it is sent anywhere."""
    out = {}
    for name in names:
        value = values.get(name)
        value = value.strip() if isinstance(value, str) else ""
        label = (labels or {}).get(name, name.replace("_", " "))
        if not value:
            raise ConnectError(gettext("Fill in %(label)s.") % {"label": label})
        if len(value) > 4096 or not all("!" <= ch <= "~" for ch in value):
            raise ConnectError(
                gettext(
                    "The %(label)s has characters no token has (spaces, line breaks or letters outside ASCII): copy it again."
                )
                % {"label": label}
            )
        out[name] = value
    return out
