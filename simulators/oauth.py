"""What the simulators' OAuth servers share: PKCE, one-time codes, and the consent page a person
(or a browser test) clicks through.

Each platform keeps its own clients, tokens and error shapes (``twitter/oauth.py``,
``mastodon/oauth.py``, ``google_play/oauth.py``); what an authorization server does the same
everywhere is here, after RFC 6749 (OAuth 2.0) and RFC 7636 (PKCE).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
from collections.abc import Iterable
from urllib.parse import urlencode, urlsplit, urlunsplit

HTML = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


def new_secret(prefix: str, size: int = 24) -> str:
    return prefix + secrets.token_urlsafe(size)


def pkce_matches(verifier: str | None, challenge: str, method: str) -> bool:
    """RFC 7636 section 4.6: S256 is BASE64URL(SHA256(verifier)) without padding; plain is the verifier."""
    if not verifier:
        return False
    if method == "S256":
        computed = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii", "replace")).digest())
            .rstrip(b"=")
            .decode()
        )
    else:
        computed = verifier
    return hmac.compare_digest(computed, challenge)


def with_query(uri: str, **params: str) -> str:
    """``uri`` with ``params`` added to its query (RFC 6749 section 4.1.2: the code and state go
    back on the registered redirect URI, whatever query it already has)."""
    parts = urlsplit(uri)
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def is_loopback_uri(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and (parts.hostname or "") in (
        "127.0.0.1",
        "localhost",
        "::1",
    )


def redirect(location: str) -> tuple[int, bytes, dict[str, str]]:
    return 302, b"", {"Location": location, "Cache-Control": "no-store"}


def error_page(status: int, title: str, message: str) -> tuple[int, bytes, dict[str, str]]:
    body = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p id='error'>{html.escape(message)}</p></body></html>"
    )
    return status, body.encode(), dict(HTML)


def consent_page(
    *,
    platform: str,
    app_name: str,
    action: str,
    hidden: dict[str, str],
    scopes: Iterable[tuple[str, str]],
    accounts: Iterable[tuple[str, str]],
    account_label: str,
) -> tuple[int, bytes, dict[str, str]]:
    """The page where the account's owner lets an app act for them: who they are signed in as
    (the simulator has no passwords: pick the account), what the app asks for, Authorize or Cancel."""
    e = html.escape
    fields = "".join(
        f"<input type='hidden' name='{e(k)}' value='{e(v)}'>"
        for k, v in hidden.items()
        if v is not None
    )
    options = "".join(
        f"<option value='{e(value)}'>{e(label)}</option>" for value, label in accounts
    )
    items = "".join(f"<li><code>{e(name)}</code> {e(text)}</li>" for name, text in scopes)
    body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Authorize access · {e(platform)}</title></head>
<body><main>
<h1>Authorize <span id="app-name">{e(app_name)}</span> to access your {e(platform)} account?</h1>
<form method="post" action="{e(action)}">{fields}
<p><label>{e(account_label)} <select name="account" id="account">{options}</select></label></p>
<p>This app will be able to:</p><ul id="scopes">{items}</ul>
<p><button type="submit" name="decision" value="allow" id="allow">Authorize app</button>
<button type="submit" name="decision" value="deny" id="deny">Cancel</button></p>
</form></main></body></html>"""
    return 200, body.encode(), dict(HTML)
