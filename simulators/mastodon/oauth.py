"""Mastodon's OAuth, simulated: apps registered per instance, the authorize page, tokens with
scopes, and revocation.

As Mastodon documents it:

* ``POST /api/v1/apps`` registers a client (name, ``redirect_uris``, ``scopes``; default
  ``read``) and answers its ``client_id`` and ``client_secret``; an app is per instance.
  https://docs.joinmastodon.org/methods/apps/#create
* ``GET /oauth/authorize`` shows the authorization form; approved, it redirects to the
  ``redirect_uri`` (which must be one the app registered) with ``code``; the scopes asked must be
  a subset of the app's. PKCE (``code_challenge``, S256) is accepted since Mastodon 4.3.
  https://docs.joinmastodon.org/methods/oauth/#authorize, https://docs.joinmastodon.org/spec/oauth/
* ``POST /oauth/token``: ``authorization_code`` (a user token) or ``client_credentials`` (an app
  token); the answer has ``access_token``, ``token_type``, ``scope`` and ``created_at``, and no
  expiry: a Mastodon token is valid until it is revoked (``POST /oauth/revoke``, or the user
  removing the app under Preferences > Account > Authorized apps).
  https://docs.joinmastodon.org/methods/oauth/#token
* ``GET /api/v1/apps/verify_credentials`` with any valid token answers the app, with its
  ``scopes`` since 4.3. https://docs.joinmastodon.org/methods/apps/#verify_credentials
* A token used outside its scopes gets ``403 {"error": "This action is outside the authorized
  scopes"}``; a revoked or unknown one ``401 {"error": "The access token is invalid"}``.
  Scopes: ``read`` and ``write`` cover their ``read:*`` / ``write:*``;
  https://docs.joinmastodon.org/api/oauth-scopes/

Simulator control: ``GET /_sim/oauth`` (apps, codes, live tokens), ``POST /_sim/oauth/revoke_all``
(every token issued through OAuth is revoked, as when the owner removes the app).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..http import ApiError
from ..oauth import consent_page, error_page, new_secret, pkce_matches, redirect, with_query

OOB = "urn:ietf:wg:oauth:2.0:oob"
SCOPE_NAMES = {
    "read",
    "write",
    "follow",
    "push",
    "profile",
    "read:accounts",
    "read:notifications",
    "read:statuses",
    "read:favourites",
    "read:search",
    "write:statuses",
    "write:favourites",
    "write:media",
    "write:accounts",
    "write:conversations",
}
# What an API call needs (any one of these): the endpoints the desk uses.
REQUIRED = {
    "verify_credentials": ("read:accounts", "profile"),
    "notifications": ("read:notifications",),
    "notification": ("read:notifications",),
    "post_status": ("write:statuses",),
    "get_status": (),
    "favourite": ("write:favourites",),
    "reblog": ("write:statuses",),
}
OUTSIDE_SCOPES = "This action is outside the authorized scopes"


def covers(granted: frozenset[str] | None, needed: tuple[str, ...]) -> bool:
    """Whether scopes ``granted`` (None: all) allow a call that needs one of ``needed``."""
    if granted is None or not needed:
        return True
    for scope in needed:
        if scope in granted or scope.split(":")[0] in granted:
            return True
    return False


def _error(status: int, error: str, description: str = "") -> ApiError:
    body = {"error": error}
    if description:
        body["error_description"] = description
    return ApiError(status, body)


@dataclass
class App:
    id: str
    name: str
    website: str
    scopes: frozenset[str]
    redirect_uris: tuple[str, ...]
    client_id: str
    client_secret: str

    def entity(self, *, credentials: bool = False) -> dict[str, Any]:
        out = {
            "id": self.id,
            "name": self.name,
            "website": self.website or None,
            "scopes": sorted(self.scopes),
            "redirect_uri": "\n".join(self.redirect_uris),
            "redirect_uris": list(self.redirect_uris),
        }
        if credentials:
            out.update(
                client_id=self.client_id,
                client_secret=self.client_secret,
                client_secret_expires_at=0,
            )
        return out


@dataclass
class Grant:
    account_id: str | None  # None: an app token (client_credentials)
    scopes: frozenset[str]
    client_id: str


@dataclass
class MastodonOAuth:
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self):
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.apps: dict[str, App] = {}
            self.codes: dict[str, dict[str, Any]] = {}
            self.tokens: dict[str, Grant] = {}
            self.counts = {"apps": 0, "codes_issued": 0, "tokens_issued": 0, "revoked": 0}

    # ------------------------------------------------------------------ apps
    def create_app(self, req):
        form = req.form()
        name = form.get("client_name")
        uris = form.get("redirect_uris")
        uris = [u for u in (uris if isinstance(uris, list) else str(uris or "").split()) if u]
        if not isinstance(name, str) or not name.strip():
            raise _error(422, "Validation failed: Application name can't be blank")
        if not uris or any(
            u != OOB and not (urlsplit(u).scheme and urlsplit(u).netloc) for u in uris
        ):
            raise _error(422, "Validation failed: Redirect URI must be an absolute URI.")
        scopes = frozenset(str(form.get("scopes") or "read").split())
        if not scopes <= SCOPE_NAMES:
            raise _error(
                422,
                f"Validation failed: Scopes are invalid ({' '.join(sorted(scopes - SCOPE_NAMES))})",
            )
        with self.lock:
            self.counts["apps"] += 1
            app = App(
                str(100 + self.counts["apps"]),
                name.strip(),
                str(form.get("website") or ""),
                scopes,
                tuple(uris),
                new_secret("sim-m-client-"),
                new_secret("sim-m-secret-"),
            )
            self.apps[app.client_id] = app
        return 200, app.entity(credentials=True), {}

    def verify_app(self, req, static_token_account):
        token = _bearer(req)
        with self.lock:
            grant = self.tokens.get(token)
            app = self.apps.get(grant.client_id) if grant else None
        if app is not None:
            return 200, app.entity(), {}
        if static_token_account(token) is not None:
            # The simulator's fixed tokens belong to an app made under Preferences > Development.
            return (
                200,
                {
                    "id": "1",
                    "name": "Preferences > Development",
                    "website": None,
                    "scopes": ["read", "write", "follow"],
                    "redirect_uri": OOB,
                    "redirect_uris": [OOB],
                },
                {},
            )
        raise _error(401, "The access token is invalid")

    # ------------------------------------------------------------------ authorize
    def _request(self, source) -> tuple[dict[str, Any], App | None, str]:
        p = {
            k: source(k)
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
        app = self.apps.get(p["client_id"] or "")
        if app is None:
            return p, None, "Client authentication failed due to unknown client."
        if p["redirect_uri"] not in app.redirect_uris:
            return p, None, "The redirect uri included is not valid."
        return p, app, ""

    @staticmethod
    def _problem(p, app: App) -> str:
        if p["response_type"] != "code":
            return "unsupported_response_type"
        if not frozenset((p["scope"] or "read").split()) <= app.scopes:
            return "invalid_scope"
        if p["code_challenge"] and (p["code_challenge_method"] or "plain") not in (
            "S256",
            "plain",
        ):
            return "invalid_request"
        return ""

    def authorize_page(self, req, instance_accounts):
        p, app, trouble = self._request(req.param)
        if app is None:
            return error_page(400, "An error has occurred", trouble)
        problem = self._problem(p, app)
        if problem:
            return redirect(with_query(p["redirect_uri"], error=problem, state=p["state"]))
        scopes = (p["scope"] or "read").split()
        return consent_page(
            platform="Mastodon",
            app_name=app.name,
            action="/oauth/authorize",
            hidden=p,
            scopes=[(s, "") for s in scopes],
            accounts=instance_accounts(),
            account_label="Logged in as",
        )

    def authorize_decision(self, req, account_exists):
        form = req.form()
        p, app, trouble = self._request(form.get)
        if app is None or self._problem(p, app):
            return error_page(
                400, "An error has occurred", trouble or "This authorization request is not valid."
            )
        if form.get("decision") != "allow":
            return redirect(
                with_query(
                    p["redirect_uri"],
                    error="access_denied",
                    error_description="The resource owner or authorization server denied the request.",
                    state=p["state"],
                )
            )
        account_id = account_exists(str(form.get("account") or ""))
        if account_id is None:
            return error_page(400, "An error has occurred", "Pick the account to log in as.")
        code = new_secret("sim-m-code-")
        with self.lock:
            self.codes[code] = {
                "client_id": app.client_id,
                "redirect_uri": p["redirect_uri"],
                "account_id": account_id,
                "scopes": frozenset((p["scope"] or "read").split()),
                "challenge": p["code_challenge"],
                "method": p["code_challenge_method"] or "plain",
                "expires_at": time.time() + 600,
            }
            self.counts["codes_issued"] += 1
        return redirect(with_query(p["redirect_uri"], code=code, state=p["state"]))

    # ------------------------------------------------------------------ tokens
    def token(self, req):
        form = req.form()
        app = self.apps.get(str(form.get("client_id") or ""))
        if app is None or app.client_secret != form.get("client_secret"):
            raise _error(
                401,
                "invalid_client",
                "Client authentication failed due to unknown client, no client authentication included, "
                "or unsupported authentication method.",
            )
        grant_type = form.get("grant_type")
        with self.lock:
            if grant_type == "authorization_code":
                code = self.codes.pop(str(form.get("code") or ""), None)
                if (
                    code is None
                    or code["client_id"] != app.client_id
                    or code["redirect_uri"] != form.get("redirect_uri")
                    or code["expires_at"] < time.time()
                    or (
                        code["challenge"]
                        and not pkce_matches(
                            form.get("code_verifier"), code["challenge"], code["method"]
                        )
                    )
                ):
                    raise _error(
                        400,
                        "invalid_grant",
                        "The provided authorization grant is invalid, expired, revoked, does not match the "
                        "redirection URI used in the authorization request, or was issued to another client.",
                    )
                grant = Grant(code["account_id"], code["scopes"], app.client_id)
            elif grant_type == "client_credentials":
                scopes = frozenset(str(form.get("scope") or "read").split())
                if not scopes <= app.scopes:
                    raise _error(
                        400,
                        "invalid_scope",
                        "The requested scope is invalid, unknown, or malformed.",
                    )
                grant = Grant(None, scopes, app.client_id)
            else:
                raise _error(
                    400,
                    "unsupported_grant_type",
                    "The authorization grant type is not supported by the authorization server.",
                )
            token = new_secret("sim-m-token-")
            self.tokens[token] = grant
            self.counts["tokens_issued"] += 1
        return (
            200,
            {
                "access_token": token,
                "token_type": "Bearer",
                "scope": " ".join(sorted(grant.scopes)),
                "created_at": int(time.time()),
            },
            {},
        )

    def revoke(self, req):
        form = req.form()
        app = self.apps.get(str(form.get("client_id") or ""))
        if app is None or app.client_secret != form.get("client_secret"):
            raise _error(403, "unauthorized_client", "You are not authorized to revoke this token")
        with self.lock:
            grant = self.tokens.get(str(form.get("token") or ""))
            if grant is not None and grant.client_id == app.client_id:
                del self.tokens[str(form.get("token"))]
                self.counts["revoked"] += 1
        return 200, {}, {}

    def grant_for(self, token: str) -> Grant | None:
        with self.lock:
            return self.tokens.get(token)

    def revoke_all(self) -> int:
        with self.lock:
            n = len(self.tokens)
            self.tokens.clear()
            self.counts["revoked"] += n
            return n

    def summary(self) -> dict[str, Any]:
        with self.lock:
            return {
                **self.counts,
                "live_tokens": len(self.tokens),
                "apps_registered": [
                    {
                        "name": a.name,
                        "redirect_uris": list(a.redirect_uris),
                        "scopes": sorted(a.scopes),
                    }
                    for a in self.apps.values()
                ],
            }


def _bearer(req) -> str:
    auth = req.headers.get("Authorization") or ""
    return auth[7:].strip() if auth.lower().startswith("bearer ") else ""
