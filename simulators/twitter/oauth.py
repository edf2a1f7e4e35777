"""X's user authentication, simulated: OAuth 2.0 Authorization Code with PKCE (access tokens that
expire, single-use refresh tokens) and OAuth 1.0a user tokens (HMAC-SHA1 signed requests).

What X documents and this server does:

* Authorize URL ``https://x.com/i/oauth2/authorize`` (here ``/i/oauth2/authorize``): a consent
  page; ``code_challenge`` with ``S256`` or ``plain``; back to the registered callback URL with
  ``code`` and ``state``, or ``error=access_denied``.
  https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token
* Token URL ``POST https://api.x.com/2/oauth2/token``: ``authorization_code`` (with the
  ``code_verifier``) and ``refresh_token`` grants; a confidential client authenticates with HTTP
  Basic (client id and secret). "the access token ... will only stay valid for two hours";
  "If the scope offline.access is applied an OAuth 2.0 refresh token will be issued".
  https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code
  A refresh token is used once: the answer carries a new one and the old one is refused
  ("Value passed for the token was invalid."), so two clients refreshing at once lose one token.
* Scopes per endpoint (``tweet.write`` covers posting and reposting, ``like.write`` liking):
  https://docs.x.com/fundamentals/authentication/guides/v2-authentication-mapping
* OAuth 1.0a: requests signed with the app's consumer key and secret and the user's access token
  and secret (HMAC-SHA1, RFC 5849 section 3.4); these tokens do not expire.
  https://docs.x.com/fundamentals/authentication/oauth-1-0a/authorizing-a-request

Simulator specifics: the client ``sim-client-id`` / ``sim-client-secret`` accepts any loopback
callback URL (``/_sim/oauth/clients`` registers others); the consent page lets you pick which
brand account you are; ``/_sim/oauth/expire`` makes every access token issued so far expire now,
and ``/_sim/oauth/config {"access_token_lifetime": 2}`` shortens the next ones.
OAuth 1.0a: consumer ``sim-consumer-key`` / ``sim-consumer-secret``; each brand account's access
token is ``oauth1_token_for(username)`` and its secret ``oauth1_secret_for(username)``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from ..oauth import (
    consent_page,
    error_page,
    is_loopback_uri,
    new_secret,
    pkce_matches,
    redirect,
    with_query,
)
from .accounts import BRAND_ACCOUNTS, BRANDS_BY_USERNAME

DEFAULT_CLIENT_ID = "sim-client-id"
DEFAULT_CLIENT_SECRET = "sim-client-secret"
CONSUMER_KEY = "sim-consumer-key"
CONSUMER_SECRET = "sim-consumer-secret"
ACCESS_TOKEN_LIFETIME = 7200  # "valid for two hours"
CODE_LIFETIME = 30  # an authorization code is exchanged right away

SCOPES = {
    "tweet.read": "Read posts you can see, including from protected accounts.",
    "tweet.write": "Post and repost for you.",
    "users.read": "Read any account you can see.",
    "like.write": "Like and unlike posts for you.",
    "like.read": "Read the posts you liked.",
    "offline.access": "Stay connected to your account until you revoke access.",
    "media.write": "Upload media for you.",
    "follows.read": "Read who you follow and who follows you.",
}
# v2 authentication mapping: what an OAuth 2.0 user token needs per endpoint.
REQUIRED_SCOPES = {
    "GET /2/users/me": ("tweet.read", "users.read"),
    "GET /2/users/:id/mentions": ("tweet.read", "users.read"),
    "GET /2/tweets/search/recent": ("tweet.read", "users.read"),
    "GET /2/tweets": ("tweet.read", "users.read"),
    "GET /2/tweets/:id": ("tweet.read", "users.read"),
    "POST /2/tweets": ("tweet.read", "tweet.write", "users.read"),
    "DELETE /2/tweets/:id": ("tweet.read", "tweet.write", "users.read"),
    "POST /2/users/:id/likes": ("tweet.read", "users.read", "like.write"),
    "DELETE /2/users/:id/likes/:tweet_id": ("tweet.read", "users.read", "like.write"),
    "POST /2/users/:id/retweets": ("tweet.read", "tweet.write", "users.read"),
    "DELETE /2/users/:id/retweets/:source_tweet_id": ("tweet.read", "tweet.write", "users.read"),
}
INVALID_TOKEN = {
    "error": "invalid_request",
    "error_description": "Value passed for the token was invalid.",
}


def oauth1_token_for(username: str) -> str:
    """X's OAuth 1.0a access tokens start with the user's id (tweepy reads it from there)."""
    acc = BRANDS_BY_USERNAME[username.lower()]
    return f"{acc.id}-sim-oauth1-{acc.username.lower()}"


def oauth1_secret_for(username: str) -> str:
    return f"sim-oauth1-secret-{username.lower()}"


@dataclass
class Client:
    client_id: str
    secret: str
    redirect_uris: tuple[str, ...] = ()
    name: str = "Socialdesk"

    def allows(self, redirect_uri: str) -> bool:
        # The developer portal's callback URLs must match exactly; the simulator's own client
        # takes any loopback URL so the demo and the tests work on whatever port they get.
        return redirect_uri in self.redirect_uris or (
            not self.redirect_uris and is_loopback_uri(redirect_uri)
        )


@dataclass
class Grant:
    user_id: str
    scopes: frozenset[str]
    client_id: str
    expires_at: float = 0.0


@dataclass
class Principal:
    """Who a request acts as: a user with scopes (None: every scope), and its rate-limit key."""

    user_id: str
    scopes: frozenset[str] | None
    key: str


@dataclass
class OAuthServer:
    access_token_lifetime: float = ACCESS_TOKEN_LIFETIME
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self):
        self._initial_lifetime = self.access_token_lifetime
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.clients = {DEFAULT_CLIENT_ID: Client(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)}
            self.codes: dict[str, dict[str, Any]] = {}
            self.access: dict[str, Grant] = {}
            self.refresh: dict[str, Grant] = {}
            self.access_token_lifetime = self._initial_lifetime
            self.counts = {
                "codes_issued": 0,
                "codes_exchanged": 0,
                "refreshes": 0,
                "refused_refreshes": 0,
                "revoked": 0,
            }

    # ------------------------------------------------------------------ authorize
    def authorize_page(self, req, action: str):
        p = {
            k: req.param(k)
            for k in (
                "response_type",
                "client_id",
                "redirect_uri",
                "scope",
                "state",
                "code_challenge",
                "code_challenge_method",
            )
        }
        client = self.clients.get(p["client_id"] or "")
        if client is None:
            return error_page(
                400,
                "Something went wrong",
                "You weren't able to give access to the App: unknown client_id.",
            )
        if not p["redirect_uri"] or not client.allows(p["redirect_uri"]):
            # Never redirect to a callback the app did not register.
            return error_page(
                400, "Something went wrong", "The callback URL is not one the App registered."
            )
        problem = self._authorize_problem(p)
        if problem:
            return redirect(
                with_query(
                    p["redirect_uri"],
                    error="invalid_request",
                    error_description=problem,
                    state=p["state"],
                )
            )
        scopes = [s for s in (p["scope"] or "").split() if s]
        return consent_page(
            platform="X",
            app_name=client.name,
            action=action,
            hidden=p,
            scopes=[(s, SCOPES[s]) for s in scopes],
            account_label="Signed in as",
            accounts=[(a.username, f"@{a.username}") for a in BRAND_ACCOUNTS],
        )

    @staticmethod
    def _authorize_problem(p: dict[str, str | None]) -> str:
        if p["response_type"] != "code":
            return "response_type must be code"
        if not p["code_challenge"] or (p["code_challenge_method"] or "plain") not in (
            "S256",
            "plain",
        ):
            return "code_challenge with code_challenge_method S256 or plain is required"
        unknown = [s for s in (p["scope"] or "").split() if s not in SCOPES]
        if unknown or not (p["scope"] or "").strip():
            return f"unknown scope(s): {' '.join(unknown) or '(none asked)'}"
        if not p["state"]:
            return "state is required"
        return ""

    def authorize_decision(self, req):
        form = req.form()
        p = {
            k: form.get(k)
            for k in (
                "response_type",
                "client_id",
                "redirect_uri",
                "scope",
                "state",
                "code_challenge",
                "code_challenge_method",
            )
        }
        client = self.clients.get(p["client_id"] or "")
        if (
            client is None
            or not p["redirect_uri"]
            or not client.allows(p["redirect_uri"])
            or self._authorize_problem(p)
        ):
            return error_page(
                400,
                "Something went wrong",
                "This authorization request is not valid any more; start again from the app.",
            )
        if form.get("decision") != "allow":
            return redirect(with_query(p["redirect_uri"], error="access_denied", state=p["state"]))
        acc = BRANDS_BY_USERNAME.get(str(form.get("account") or "").lower())
        if acc is None:
            return error_page(400, "Something went wrong", "Pick the account to sign in as.")
        code = new_secret("sim-code-")
        with self.lock:
            self.codes[code] = {
                "client_id": client.client_id,
                "redirect_uri": p["redirect_uri"],
                "user_id": acc.id,
                "scopes": frozenset(p["scope"].split()),
                "challenge": p["code_challenge"],
                "method": p["code_challenge_method"] or "plain",
                "expires_at": time.time() + CODE_LIFETIME,
            }
            self.counts["codes_issued"] += 1
        return redirect(with_query(p["redirect_uri"], state=p["state"], code=code))

    # ------------------------------------------------------------------ token endpoint
    def _client(self, req, form) -> Client | None:
        header = req.headers.get("Authorization") or ""
        if header.lower().startswith("basic "):
            try:
                client_id, _, secret = base64.b64decode(header[6:].strip()).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return None
            client = self.clients.get(unquote(client_id))
            return (
                client if client and hmac.compare_digest(client.secret, unquote(secret)) else None
            )
        # A public client names itself; a confidential one must authenticate.
        client = self.clients.get(str(form.get("client_id") or ""))
        return client if client and not client.secret else None

    def token(self, req):
        form = req.form()
        client = self._client(req, form)
        if client is None:
            return (
                401,
                {
                    "error": "unauthorized_client",
                    "error_description": "Missing valid authorization header",
                },
                {},
            )
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange_code(client, form)
        if grant_type == "refresh_token":
            return self._refresh(client, form)
        return (
            400,
            {
                "error": "invalid_request",
                "error_description": "Missing required parameter [grant_type].",
            },
            {},
        )

    def _issue(self, client: Client, user_id: str, scopes: frozenset[str]) -> dict[str, Any]:
        access = new_secret("sim-x-access-")
        expires_in = self.access_token_lifetime
        self.access[access] = Grant(user_id, scopes, client.client_id, time.time() + expires_in)
        body = {
            "token_type": "bearer",
            "expires_in": int(expires_in) if expires_in == int(expires_in) else expires_in,
            "access_token": access,
            "scope": " ".join(sorted(scopes)),
        }
        if "offline.access" in scopes:
            refresh = new_secret("sim-x-refresh-")
            self.refresh[refresh] = Grant(user_id, scopes, client.client_id)
            body["refresh_token"] = refresh
        return body

    def _exchange_code(self, client: Client, form):
        with self.lock:
            code = self.codes.pop(
                str(form.get("code") or ""), None
            )  # used once, whatever happens next
            if (
                code is None
                or code["expires_at"] < time.time()
                or code["client_id"] != client.client_id
                or code["redirect_uri"] != form.get("redirect_uri")
                or not pkce_matches(form.get("code_verifier"), code["challenge"], code["method"])
            ):
                return 400, dict(INVALID_TOKEN), {}
            self.counts["codes_exchanged"] += 1
            return 200, self._issue(client, code["user_id"], code["scopes"]), {}

    def _refresh(self, client: Client, form):
        with self.lock:
            grant = self.refresh.pop(str(form.get("refresh_token") or ""), None)
            if grant is None or grant.client_id != client.client_id:
                self.counts["refused_refreshes"] += 1
                return 400, dict(INVALID_TOKEN), {}
            self.counts["refreshes"] += 1
            return 200, self._issue(client, grant.user_id, grant.scopes), {}

    def revoke(self, req):
        form = req.form()
        if self._client(req, form) is None:
            return (
                401,
                {
                    "error": "unauthorized_client",
                    "error_description": "Missing valid authorization header",
                },
                {},
            )
        token = str(form.get("token") or "")
        with self.lock:
            gone = self.access.pop(token, None) or self.refresh.pop(token, None)
            self.counts["revoked"] += bool(gone)
        return 200, {"revoked": True}, {}

    # ------------------------------------------------------------------ API authentication
    def principal(self, req, path: str) -> Principal | None:
        """The user behind an OAuth 2.0 token this server issued, or an OAuth 1.0a signature;
        None for anything else (the fixed simulator tokens). Raises ``Unauthorized`` when the
        token expired or the signature does not verify."""
        header = req.headers.get("Authorization") or ""
        if header.startswith("OAuth "):
            return self._oauth1(req, header, path)
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        with self.lock:
            grant = self.access.get(token.strip())
        if grant is None:
            return None
        if grant.expires_at <= time.time():
            raise Unauthorized()
        return Principal(grant.user_id, grant.scopes, token.strip())

    def _oauth1(self, req, header: str, path: str) -> Principal:
        # RFC 5849 section 3.5.1: name="percent-encoded value" pairs, separated by commas.
        params = {
            unquote(k): unquote(v) for k, v in re.findall(r'([\w.~-]+)="([^"]*)"', header[6:])
        }
        token = params.get("oauth_token", "")
        username = token.split("-sim-oauth1-", 1)[-1] if "-sim-oauth1-" in token else ""
        acc = BRANDS_BY_USERNAME.get(username)
        if (
            acc is None
            or params.get("oauth_consumer_key") != CONSUMER_KEY
            or token != oauth1_token_for(acc.username)
            or params.get("oauth_signature_method") != "HMAC-SHA1"
        ):
            raise Unauthorized()
        try:
            stamp = int(params.get("oauth_timestamp", "0"))
        except ValueError:
            raise Unauthorized() from None
        if abs(time.time() - stamp) > 300:
            raise Unauthorized()
        # The client signed the URL it addressed (api.twitter.com, or upload.twitter.com for media).
        host = (
            "https://upload.twitter.com"
            if path.startswith("/1.1/media")
            else "https://api.twitter.com"
        )
        signed = [(k, v) for k, v in params.items() if k not in ("oauth_signature", "realm")]
        signed += [(k, v) for k, values in req.query.items() for v in values]
        if (
            "application/x-www-form-urlencoded" in (req.headers.get("Content-Type") or "")
            and req.raw_body
        ):
            signed += parse_qsl(req.raw_body.decode("utf-8", "replace"), keep_blank_values=True)
        if not hmac.compare_digest(
            params.get("oauth_signature", ""),
            hmac_sha1(
                req.method, host + path, signed, CONSUMER_SECRET, oauth1_secret_for(acc.username)
            ),
        ):
            raise Unauthorized()
        return Principal(acc.id, None, token)

    # ------------------------------------------------------------------ simulator control
    def summary(self) -> dict[str, Any]:
        now = time.time()
        with self.lock:
            return {
                **self.counts,
                "live_access_tokens": sum(1 for g in self.access.values() if g.expires_at > now),
                "refresh_tokens": len(self.refresh),
                "access_token_lifetime": self.access_token_lifetime,
            }

    def expire_all(self) -> int:
        with self.lock:
            for grant in self.access.values():
                grant.expires_at = min(grant.expires_at, time.time() - 1)
            return len(self.access)


class Unauthorized(Exception):
    pass


def _enc(value: str) -> str:
    return quote(value, safe="~-._")


def hmac_sha1(
    method: str, url: str, params: list[tuple[str, str]], consumer_secret: str, token_secret: str
) -> str:
    """RFC 5849 section 3.4: the signature base string and its HMAC-SHA1."""
    normalized = "&".join(f"{k}={v}" for k, v in sorted((_enc(k), _enc(v)) for k, v in params))
    base = "&".join((method.upper(), _enc(url), _enc(normalized)))
    key = f"{_enc(consumer_secret)}&{_enc(token_secret)}"
    return base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha1).digest()).decode()


def required_scopes(endpoint: str) -> tuple[str, ...]:
    return REQUIRED_SCOPES.get(endpoint, ())


__all__ = [
    "OAuthServer",
    "Principal",
    "Unauthorized",
    "oauth1_token_for",
    "oauth1_secret_for",
    "hmac_sha1",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "CONSUMER_KEY",
    "CONSUMER_SECRET",
    "required_scopes",
]
