"""Connecting an X account: OAuth 2.0 Authorization Code with PKCE, OAuth 1.0a user tokens, or an
app-only bearer token (reading only), and keeping an OAuth 2.0 connection alive.

What X documents and this module relies on:

- The authorize URL is https://x.com/i/oauth2/authorize; the token URL
  POST https://api.x.com/2/oauth2/token (api.twitter.com answers too). A confidential client
  authenticates there with HTTP Basic (client id and secret); the code is exchanged with the
  PKCE verifier and the same redirect URI.
  https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token
- "the access token ... will only stay valid for two hours unless you've used the offline.access
  scope", which brings a refresh token; refreshing returns a new refresh token and the old one
  stops working. https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code
- Scopes: reading needs tweet.read and users.read; posting and reposting tweet.write ("Tweet and
  Retweet for you"); liking like.write.
  https://docs.x.com/fundamentals/authentication/guides/v2-authentication-mapping
- An app-only bearer token reads public data but posting, liking and reposting are "OAuth 1.0a
  User Context" or "OAuth 2.0 Authorization Code with PKCE" only: X answers 403
  "unsupported-authentication".
- OAuth 1.0a user tokens (the app's API key and secret, the account's access token and secret,
  from the developer portal's "Keys and tokens") do not expire; posting needs the app's
  permissions set to "Read and write".
  https://docs.x.com/fundamentals/authentication/oauth-1-0a/api-key-and-secret

Credentials (`BrandAccount.credentials`, encrypted), by ``type``:
``oauth2_user`` {access_token, refresh_token, expires_at (epoch), scopes}, ``oauth1_user``
{consumer_key, consumer_secret, access_token, access_token_secret}, ``app_only`` {bearer_token};
a ``bearer_token`` without a type was stored before the desk told them apart.
"""

import logging
import time
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.utils.translation import gettext

from . import messages as says
from .auth import (
    NO,
    UNKNOWN,
    YES,
    Capabilities,
    Connected,
    ConnectError,
    Field,
    Method,
    pasted,
    token_error,
    when,
)
from .base import ConnectorError, CredentialsRejected

log = logging.getLogger(__name__)

X_AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
DEFAULT_API = "https://api.twitter.com"
# Reading (tweet.read, users.read), replying and reposting (tweet.write), liking (like.write), and a
# refresh token (offline.access) so the connection outlives the two-hour access token.
SCOPES = ("tweet.read", "users.read", "tweet.write", "like.write", "offline.access")
# Renew an access token this long before it expires, so no call runs into the expiry.
REFRESH_MARGIN_SECONDS = 300
TOKEN_TIMEOUT = 10


def _api_base() -> str:
    return settings.SOCIALDESK_TWITTER_API_BASE.rstrip("/")


def authorize_endpoint() -> str:
    """X's sign-in page; with the API pointed elsewhere (the simulator), that host's."""
    configured = getattr(settings, "SOCIALDESK_TWITTER_AUTHORIZE_URL", "")
    if configured:
        return configured
    return X_AUTHORIZE_URL if _api_base() == DEFAULT_API else f"{_api_base()}/i/oauth2/authorize"


def _client_id() -> str:
    return getattr(settings, "SOCIALDESK_TWITTER_CLIENT_ID", "")


def _oauth2_unavailable() -> str:
    if not _client_id():
        return gettext(
            "Set SOCIALDESK_TWITTER_CLIENT_ID (and SOCIALDESK_TWITTER_CLIENT_SECRET) to your X app's OAuth 2.0 "
            "Client ID and Secret (developer portal > your app > Keys and tokens) to connect with X."
        )
    return ""


def methods() -> list[Method]:
    return [
        Method(
            "oauth2",
            gettext("Connect with X"),
            gettext(
                "Sign in to X as this account and allow the desk to read, post, like and repost. "
                "The desk renews the connection itself (X's tokens last two hours)."
            ),
            oauth=True,
            unavailable=_oauth2_unavailable(),
        ),
        Method(
            "oauth1",
            gettext("OAuth 1.0a user tokens"),
            gettext(
                "Long-lived tokens from the developer portal (your app > Keys and tokens): "
                "the app's API Key and Secret, and the Access Token and Secret generated for this account. "
                "The app's permissions must be “Read and write” for replies."
            ),
            fields=(
                Field("consumer_key", "API Key"),
                Field("consumer_secret", "API Key Secret"),
                Field("access_token", "Access Token"),
                Field("access_token_secret", "Access Token Secret"),
            ),
        ),
        Method(
            "app_only",
            gettext("App-only bearer token (read only)"),
            gettext(
                "Reads mentions and searches, but X refuses replies, likes and "
                "reposts with it: connect with X or with user tokens for those."
            ),
            fields=(Field("bearer_token", "Bearer Token"),),
        ),
    ]


# --------------------------------------------------------------------------- what they allow
def capabilities(credentials: dict) -> Capabilities:
    kind = credentials.get("type")
    if kind == "oauth2_user":
        scopes = set(credentials.get("scopes") or ())
        has = (
            (lambda *names: YES if set(names) <= scopes else NO)
            if scopes
            else (lambda *names: UNKNOWN)
        )
        renews = bool(credentials.get("refresh_token"))
        return Capabilities(
            read=has("tweet.read", "users.read"),
            reply=has("tweet.write"),
            like=has("like.write"),
            repost=has("tweet.write"),
            method=gettext("X user sign-in (OAuth 2.0)"),
            expires_at=when(credentials.get("expires_at")),
            renews=renews,
            note=""
            if renews or not credentials.get("expires_at")
            else gettext(
                "No refresh token (offline.access was not granted): reconnect when it expires."
            ),
        )
    if kind == "oauth1_user":
        return Capabilities(
            YES,
            YES,
            YES,
            YES,
            method=gettext("X user tokens (OAuth 1.0a)"),
            note=gettext(
                "Do not expire. Replies need the app's permissions set to “Read and write”."
            ),
        )
    if kind == "app_only":
        return Capabilities(
            YES,
            NO,
            NO,
            NO,
            method=gettext("X app-only bearer token"),
            note=gettext(
                "Reads only: replies, likes and reposts need a user connection (Connect with X)."
            ),
        )
    if credentials.get("bearer_token"):
        return Capabilities(
            YES,
            UNKNOWN,
            UNKNOWN,
            UNKNOWN,
            method=gettext("X bearer token (kind not recorded)"),
            note=gettext(
                "If this is an app-only token, X refuses replies with it: connect with X to be sure."
            ),
        )
    return Capabilities(NO, NO, NO, NO, method=gettext("Not connected"), connected=False)


def token_of(credentials: dict) -> str:
    return str(credentials.get("access_token") or credentials.get("bearer_token") or "")


def needs_refresh(credentials: dict, now: float) -> bool:
    expires_at = credentials.get("expires_at")
    return (
        credentials.get("type") == "oauth2_user"
        and bool(credentials.get("refresh_token"))
        and isinstance(expires_at, (int, float))
        and expires_at - now < REFRESH_MARGIN_SECONDS
    )


def can_refresh(credentials: dict) -> bool:
    return credentials.get("type") == "oauth2_user" and bool(credentials.get("refresh_token"))


# --------------------------------------------------------------------------- OAuth 2.0 with PKCE
def _token_request(data: dict) -> requests.Response:
    """POST to X's token endpoint as the desk's client (HTTP Basic for a confidential client)."""
    secret = getattr(settings, "SOCIALDESK_TWITTER_CLIENT_SECRET", "")
    auth = (_client_id(), secret) if secret else None
    return requests.post(
        f"{_api_base()}/2/oauth2/token",
        data={**data, "client_id": _client_id()},
        auth=auth,
        timeout=TOKEN_TIMEOUT,
    )


def _from_token_answer(body, *, now: float) -> dict:
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("access_token"), str)
        or not body["access_token"]
    ):
        raise ValueError(says.X_NO_ACCESS_TOKEN)
    expires_in = body.get("expires_in")
    return {
        "type": "oauth2_user",
        "access_token": body["access_token"],
        "refresh_token": body.get("refresh_token") or "",
        "expires_at": now + float(expires_in)
        if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool)
        else None,
        "scopes": sorted(str(body.get("scope") or "").split()),
    }


def start_oauth(
    *, account, values: dict, redirect_uri: str, state: str, challenge: str, apps
) -> tuple[str, dict]:
    if _oauth2_unavailable():
        raise ConnectError(_oauth2_unavailable())
    query = urlencode(
        {
            "response_type": "code",
            "client_id": _client_id(),
            "redirect_uri": redirect_uri,
            "scope": " ".join(SCOPES),
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{authorize_endpoint()}?{query}", {}


def finish_oauth(
    *, account, flow: dict, code: str, verifier: str, redirect_uri: str, apps
) -> Connected:
    now = time.time()
    try:
        r = _token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            }
        )
    except requests.RequestException as exc:
        raise ConnectError(
            gettext("X could not be reached to finish the sign-in (%(name)s); try again.")
            % {"name": exc.__class__.__name__}
        ) from exc
    if r.status_code != 200:
        raise ConnectError(
            gettext(
                "X did not accept the sign-in (%(token_error)s). Start again; if it keeps failing, check that the callback URL registered for your X app is exactly this desk's (see the account page)."
            )
            % {"token_error": token_error(r)}
        )
    try:
        credentials = _from_token_answer(r.json(), now=now)
    except ValueError as exc:
        raise ConnectError(
            gettext("X's answer to the sign-in could not be read (%(exc)s); try again.")
            % {"exc": exc}
        ) from exc
    return _identified(credentials)


def refresh(credentials: dict) -> dict:
    """A new access token (and refresh token) for an OAuth 2.0 connection. The refresh token is
    single-use: the caller stores the answer before anything else (see brands.tokens)."""
    now = time.time()
    try:
        r = _token_request(
            {"grant_type": "refresh_token", "refresh_token": credentials.get("refresh_token", "")}
        )
    except requests.RequestException as exc:
        raise ConnectorError(
            f"X could not be reached to renew the connection ({exc.__class__.__name__})",
            retryable=True,
        ) from exc
    if r.status_code in (400, 401):
        raise CredentialsRejected(
            f"X refused to renew the connection ({token_error(r)}): reconnect the account with X."
        )
    if r.status_code != 200:
        raise ConnectorError(
            f"X answered {r.status_code} when renewing the connection",
            retryable=True,
            status=r.status_code,
        )
    try:
        renewed = _from_token_answer(r.json(), now=now)
    except ValueError as exc:
        raise ConnectorError(
            f"X's answer when renewing the connection could not be read ({exc})", retryable=True
        ) from exc
    # X may leave out what did not change.
    renewed["refresh_token"] = renewed["refresh_token"] or credentials.get("refresh_token", "")
    renewed["scopes"] = renewed["scopes"] or list(credentials.get("scopes") or [])
    return renewed


# --------------------------------------------------------------------------- pasted credentials
def connect(*, account, method: str, values: dict) -> Connected:
    labels = {f.name: f.label for m in methods() for f in m.fields}
    if method == "oauth1":
        credentials = {
            "type": "oauth1_user",
            **pasted(
                values,
                ("consumer_key", "consumer_secret", "access_token", "access_token_secret"),
                labels,
            ),
        }
        return _identified(credentials)
    if method == "app_only":
        credentials = {"type": "app_only", **pasted(values, ("bearer_token",), labels)}
        return _identified(credentials, handle=account.handle)
    raise ConnectError(gettext("Choose a way to connect the account."))


def _identified(credentials: dict, *, handle: str = "") -> Connected:
    """Who the credentials act for: GET /2/users/me for a user connection; an app-only token has
    no user, so the account's handle is looked up instead (which also proves the token reads)."""
    import tweepy

    from .twitter import client_for

    client, user_auth = client_for(credentials)
    try:
        if credentials["type"] == "app_only":
            body = client.get_user(username=handle, user_auth=False).json()
        else:
            body = client.get_me(user_auth=user_auth).json()
    except tweepy.Unauthorized as exc:
        raise ConnectError(
            gettext(
                "X refused these credentials (401): check that they were copied whole and not regenerated since."
            )
        ) from exc
    except tweepy.Forbidden as exc:
        raise ConnectError(
            gettext("X refused these credentials for this account (403): %(problem)s")
            % {"problem": _problem(exc.response)}
        ) from exc
    except tweepy.HTTPException as exc:
        raise ConnectError(
            gettext("X answered %(status_code)s while checking the credentials; try again.")
            % {"status_code": exc.response.status_code}
        ) from exc
    except (requests.RequestException, ValueError, ConnectorError) as exc:
        raise ConnectError(
            gettext("X could not be reached to check the credentials (%(name)s); try again.")
            % {"name": exc.__class__.__name__}
        ) from exc
    user = body.get("data") if isinstance(body, dict) else None
    if not isinstance(user, dict) or not user.get("id"):
        raise ConnectError(
            f"X does not know @{handle}: check the account's handle."
            if handle
            else "X did not say whose credentials these are."
        )
    return Connected(
        credentials=credentials,
        external_id=str(user["id"]),
        handle=str(user.get("username") or ""),
    )


def _problem(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("detail") or body.get("title") or body)[:300]
