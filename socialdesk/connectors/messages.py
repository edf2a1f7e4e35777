"""What the desk says when a platform call fails, as people read it on the health, accounts and
conversation pages, and its translation into the reader's language.

These sentences are written in a worker, for nobody in particular, and stored with what failed
(a stream's `last_error`, an outbound action's, an account's `credentials_error`), where the
logs, the API and the metrics read them as they are. So they are stored in English, from the
templates below (marked with `gettext_noop`, so the catalogues hold them), and `translate` turns
a stored one back into its template and values when a page shows it. What the platform or its
client library said itself (`detail`, `error`) stays as it came, inside our sentence: the
translations say whose words it is. A stored text that matches no template (one written before
these, a rarer message) is shown as it is."""

import re
from functools import lru_cache

from django.utils.translation import gettext


def gettext_noop(message: str) -> str:
    """Marks a sentence for the catalogues (makemessages reads this name) and returns it as it is."""
    return message


# --- Any platform (`platform` is its name: X, Mastodon, Google Play) ---------------------------
RATE_LIMITED = gettext_noop("%(platform)s rate limit reached")
SERVER_ERROR = gettext_noop("%(platform)s server error %(status)s")
SERVER_SAID = gettext_noop("%(platform)s server error: %(error)s")
ANSWERED = gettext_noop("%(platform)s answered %(status)s: %(detail)s")
NO_ANSWER = gettext_noop("No answer from %(platform)s: %(error)s")
MALFORMED_ANSWER = gettext_noop("%(platform)s sent a malformed answer: %(error)s")
MALFORMED_PAGE = gettext_noop("%(platform)s sent a malformed page")
# --- X ----------------------------------------------------------------------------------------
X_NO_CREDENTIALS = gettext_noop("No X credentials: connect the account on the Accounts page")
X_ACCOUNT_NO_CREDENTIALS = gettext_noop(
    "%(account)s has no X credentials: connect it on the Accounts page"
)
X_REFUSED = gettext_noop("X refused the credentials (401): reconnect the account")
X_APP_ONLY = gettext_noop(
    "X refuses replies, likes and reposts with an app-only token: connect the account with X "
    "(or OAuth 1.0a user tokens) on the Accounts page"
)
# --- Mastodon ---------------------------------------------------------------------------------
MASTODON_NO_TOKEN = gettext_noop(
    "%(account)s has no Mastodon access token: connect it on the Accounts page"
)
MASTODON_REFUSED = gettext_noop(
    "Mastodon refused the access token (401): it was revoked; reconnect the account"
)
MASTODON_GONE = gettext_noop("Mastodon: the status no longer exists (404)")
MASTODON_SCOPE = gettext_noop(
    "Mastodon: the access token lacks a scope this needs (403); reconnect the account so the desk "
    "asks for the scopes it uses"
)
MASTODON_TARGET_GONE = gettext_noop(
    "Mastodon: the status being answered was deleted, or this account cannot see it (404)"
)
# --- Google Play ------------------------------------------------------------------------------
PLAY_QUOTA = gettext_noop("Google Play quota reached")
PLAY_NO_CREDENTIALS = gettext_noop(
    "%(account)s has no Google Play credentials: connect it on the Accounts page"
)
PLAY_REFUSED = gettext_noop("Google Play refused the credentials (401): reconnect the app")
PLAY_NO_ACCESS = gettext_noop(
    "Google Play: these credentials have no access to the app (403); see the Accounts page"
)
PLAY_FORBIDDEN = gettext_noop("Google Play refused the call (403): %(detail)s")
# --- The desk around the connectors -----------------------------------------------------------
UNEXPECTED = gettext_noop("Unexpected error: %(kind)s: %(error)s")
CONNECTION_STOPPED = gettext_noop(
    "%(account)s's connection stopped working (%(error)s); this goes out once a community "
    "manager reconnects it on the Accounts page."
)
CREDENTIALS_REFUSED = gettext_noop("its credentials were refused")
WORKER_STOPPED_CHECKING = gettext_noop(
    "Worker stopped while sending; outcome unknown, checking again."
)

TEMPLATES = [
    value
    for name, value in dict(globals()).items()
    if name.isupper() and not name.startswith("_") and isinstance(value, str)
]
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# What some values can be, so that a sentence of another kind is not read as one of these.
_VALUES = {"platform": r"X|Mastodon|Google Play", "status": r"\d{3}", "kind": r"\w+"}


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[str, re.Pattern]]:
    """Each template as a pattern that reads its values back, the most literal text first (so
    "Google Play quota reached" wins over "%(platform)s rate limit reached"-like ones)."""
    found = []
    for template in TEMPLATES:
        parts = _PLACEHOLDER.split(template)
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>{_VALUES.get(part, '.+?')})"
            for i, part in enumerate(parts)
        )
        literal = sum(len(part) for part in parts[::2])
        found.append((literal, template, re.compile(regex + r"\Z", re.DOTALL)))
    found.sort(key=lambda row: -row[0])
    return [(template, pattern) for _, template, pattern in found]


def translate(text: str, depth: int = 0) -> str:
    """A stored message in the reader's language; as stored when it matches no template."""
    text = str(text or "")
    if not text or depth > 2:
        return text
    for template, pattern in _patterns():
        found = pattern.match(text)
        if found:
            # A value may be one of these sentences itself (an account's error inside why a
            # reply waits); the platform's own words match none and stay as they came.
            values = {k: translate(v, depth + 1) for k, v in found.groupdict().items()}
            return gettext(template) % values
    return text
