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
# --- What a connector cannot do (`connector` is its platform's code name) ------------------------
CANNOT_LIKE = gettext_noop("%(connector)s cannot like a message.")
CANNOT_REPOST = gettext_noop("%(connector)s cannot repost a message.")
NO_DM_LINK = gettext_noop("%(connector)s has no link to a private message.")
CANNOT_TELL_DELETED = gettext_noop("%(connector)s cannot tell which messages were deleted.")
CANNOT_FIND_REPLY = gettext_noop("%(connector)s cannot look for a reply already posted.")
CANNOT_REREAD = gettext_noop("%(connector)s cannot ask again for a message it sent incomplete.")
NO_ATTACHMENTS = gettext_noop("%(connector)s replies cannot carry attachments.")
NO_CONNECTOR = gettext_noop("No connector for platform %(connector)s yet")
UNKNOWN_ACTION = gettext_noop("Unknown action kind %(kind)s")
# --- What a platform sent that cannot be read or stored (the set-aside messages' reasons) ------
X_ERRORS_ONLY = gettext_noop("X answered with errors only: %(detail)s")
X_MALFORMED_LOOKUP = gettext_noop("X sent a malformed answer to a lookup")
X_NO_TIME = gettext_noop("X sent no time for it (no created_at) and its id carries none")
X_NOT_A_LIST = gettext_noop("`data` is a %(kind)s, not a list of tweets")
X_NO_ID = gettext_noop("X sent a tweet without an id")
X_NO_ACCESS_TOKEN = gettext_noop("no access_token in X's answer")
PLAY_NO_COMMENT = gettext_noop("the review has no comment of the reviewer")
PLAY_NO_TIME = gettext_noop("the review has no lastModified time")
NOT_A_TIME = gettext_noop("Its time (%(value)s) is not a time.")
NO_TIME = gettext_noop("It has no time.")
TIME_OUT_OF_RANGE = gettext_noop("Its time (%(value)s) is out of range.")
NO_PLATFORM_ID = gettext_noop("It has no platform id.")
NO_AUTHOR_ID = gettext_noop("It has no author id.")
PLATFORM_ID_TOO_LONG = gettext_noop(
    "Its platform id is %(length)s characters long; at most %(limit)s can be stored."
)
AUTHOR_ID_TOO_LONG = gettext_noop(
    "Its author id is %(length)s characters long; at most %(limit)s can be stored."
)
PLATFORM_ID_CHARACTERS = gettext_noop("Its platform id holds characters no database can store.")
AUTHOR_ID_CHARACTERS = gettext_noop("Its author id holds characters no database can store.")
NOT_A_MESSAGE = gettext_noop("The connector handed over a %(kind)s, not a message.")
UNKNOWN_PLATFORM = gettext_noop("Its platform (%(value)s) is not one we know.")
NO_AUTHOR = gettext_noop("It has no author.")
IDS_TOO_LONG = gettext_noop("Its ids are too long for a conversation's thread key.")
# An exception's kind before its words ("ValueError: X sent a tweet without an id"): the kind
# stays, the words are translated when they are one of these sentences.
EXCEPTION = gettext_noop("%(kind)s: %(error)s")
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
