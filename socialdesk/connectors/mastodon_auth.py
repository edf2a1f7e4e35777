"""Connecting a Mastodon account: OAuth on the account's own instance, or a pasted access token
whose scopes are checked.

As Mastodon documents it:

- An app is registered on each instance (``POST /api/v1/apps``: name, redirect URIs, scopes) and
  gets its own client id and secret there; the desk keeps them per instance (`PlatformApp`)
  instead of registering on every connect. https://docs.joinmastodon.org/methods/apps/#create
- ``GET /oauth/authorize`` (with PKCE since 4.3) sends the person back with a ``code``;
  ``POST /oauth/token`` exchanges it. The token does not expire; it stops working when revoked
  (the owner removing the app under Preferences > Account > Authorized apps).
  https://docs.joinmastodon.org/methods/oauth/, https://docs.joinmastodon.org/spec/oauth/
- ``GET /api/v1/accounts/verify_credentials`` says whose token it is (needs ``read:accounts``);
  ``GET /api/v1/apps/verify_credentials`` answers the token's app with its ``scopes`` (4.3+).
  https://docs.joinmastodon.org/methods/apps/#verify_credentials
- Scopes: https://docs.joinmastodon.org/api/oauth-scopes/ (``read``/``write`` include every
  ``read:*``/``write:*``; boosting is ``write:statuses``, favouriting ``write:favourites``).

Credentials: ``{"type": "oauth" | "token", "access_token", "scopes": [...]}``; the instance is
the account's ``api_base``.
"""

from urllib.parse import urlencode, urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _

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
)

# Reading mentions (notifications and the statuses they point at), knowing whose token it is,
# replying and boosting (write:statuses), favouriting (write:favourites).
SCOPES = (
    "read:accounts",
    "read:notifications",
    "read:statuses",
    "write:statuses",
    "write:favourites",
)
APP_NAME = "Socialdesk"
TIMEOUT = 10


def methods() -> list[Method]:
    instance = Field(
        "instance",
        "Instance",
        _("The address of the account's Mastodon server, e.g. https://mozilla.social"),
        kind="url",
    )
    return [
        Method(
            "oauth",
            _("Connect with Mastodon"),
            _(
                "Log in on the account's instance and allow the desk to read mentions, reply, "
                "favourite and boost. The desk registers itself on the instance once."
            ),
            fields=(instance,),
            oauth=True,
        ),
        Method(
            "token",
            _("Access token"),
            _(
                "A token made on the instance under Preferences > Development > New application, with the scopes %(join)s."
            )
            % {"join": ", ".join(SCOPES)},
            fields=(instance, Field("access_token", _("Access token"))),
        ),
    ]


def instance_url(value: str) -> str:
    """A Mastodon server's base URL: https (plain http only for a server on this machine)."""
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator

    value = (value or "").strip().rstrip("/")
    if value and "://" not in value:
        value = "https://" + value
    try:
        URLValidator(schemes=["http", "https"])(value)
        if len(value) > 200:
            raise ValidationError(_("too long"))
    except ValidationError:
        raise ConnectError(
            _("Enter the instance's address, e.g. https://mozilla.social.")
        ) from None
    parts = urlsplit(value)
    loopback = (parts.hostname or "") in ("127.0.0.1", "localhost", "::1")
    if (
        not parts.netloc
        or parts.scheme not in ("https", "http")
        or (parts.scheme == "http" and not loopback and not settings.DEBUG)
    ):
        raise ConnectError(
            _("Enter the instance's address, e.g. https://mozilla.social (https only).")
        )
    if parts.path or parts.query:
        raise ConnectError(
            _("Enter the instance's address alone, e.g. https://mozilla.social (no path).")
        )
    return f"{parts.scheme}://{parts.netloc}"


# --------------------------------------------------------------------------- what they allow
def _covers(scopes: set[str], needed: str) -> bool:
    return needed in scopes or needed.split(":")[0] in scopes


def capabilities(credentials: dict) -> Capabilities:
    if not credentials.get("access_token"):
        return Capabilities(NO, NO, NO, NO, method=_("Not connected"), connected=False)
    scopes = set(credentials.get("scopes") or ())
    method = (
        _("Mastodon sign-in (OAuth)")
        if credentials.get("type") == "oauth"
        else _("Mastodon access token")
    )
    if not scopes:
        return Capabilities(
            UNKNOWN,
            UNKNOWN,
            UNKNOWN,
            UNKNOWN,
            method=method,
            note=_("The token's scopes are not known: reconnect to have them checked."),
        )

    def has(*needed: str) -> str:
        return YES if all(_covers(scopes, n) for n in needed) else NO

    return Capabilities(
        read=has("read:notifications", "read:statuses"),
        reply=has("write:statuses"),
        like=has("write:favourites"),
        repost=has("write:statuses"),
        method=method,
        note=_("Mastodon tokens do not expire; they stop working when revoked on the instance."),
    )


def token_of(credentials: dict) -> str:
    return str(credentials.get("access_token") or "")


def needs_refresh(credentials: dict, now: float) -> bool:
    return False  # Mastodon tokens do not expire


def can_refresh(credentials: dict) -> bool:
    return False


# --------------------------------------------------------------------------- OAuth
def _post(url: str, data: dict) -> requests.Response:
    try:
        return requests.post(url, data=data, timeout=TIMEOUT, headers={"User-Agent": "socialdesk"})
    except (requests.RequestException, ValueError) as exc:
        raise ConnectError(
            _(
                "%(netloc)s could not be reached (%(name)s): check the instance's address and try again."
            )
            % {"netloc": urlsplit(url).netloc, "name": exc.__class__.__name__}
        ) from exc


def _register(instance: str, redirect_uri: str) -> tuple[str, str]:
    r = _post(
        f"{instance}/api/v1/apps",
        {
            "client_name": APP_NAME,
            "redirect_uris": redirect_uri,
            "scopes": " ".join(SCOPES),
            "website": getattr(settings, "SOCIALDESK_PUBLIC_URL", "") or "",
        },
    )
    try:
        body = r.json()
    except ValueError:
        body = None
    if (
        r.status_code != 200
        or not isinstance(body, dict)
        or not body.get("client_id")
        or not body.get("client_secret")
    ):
        raise ConnectError(
            _(
                "%(instance)s did not register the desk as an app (%(token_error)s): is it a Mastodon server?"
            )
            % {"instance": instance, "token_error": token_error(r)}
        )
    return str(body["client_id"]), str(body["client_secret"])


def _app_still_known(instance: str, client_id: str, client_secret: str) -> bool:
    """Whether the instance still knows our app (before 4.3 it could remove unused ones): a
    client-credentials token is granted only to a known client."""
    r = _post(
        f"{instance}/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "scope": "read:accounts",
        },
    )
    return r.status_code == 200


def start_oauth(
    *, account, values: dict, redirect_uri: str, state: str, challenge: str, apps
) -> tuple[str, dict]:
    instance = instance_url(
        values.get("instance") or account.api_base or settings.SOCIALDESK_MASTODON_API_BASE
    )
    scopes = " ".join(SCOPES)
    app = apps.get(api_base=instance, redirect_uri=redirect_uri, scopes=scopes)
    if app is not None and not _app_still_known(
        instance, app.client_id, app.secrets.get("client_secret", "")
    ):
        apps.forget(app)
        app = None
    if app is None:
        client_id, client_secret = _register(instance, redirect_uri)
        app = apps.save(
            api_base=instance,
            redirect_uri=redirect_uri,
            scopes=scopes,
            client_id=client_id,
            client_secret=client_secret,
        )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": redirect_uri,
            "scope": scopes,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "force_login": "true",
        }
    )
    return f"{instance}/oauth/authorize?{query}", {"instance": instance, "app": app.pk}


def finish_oauth(
    *, account, flow: dict, code: str, verifier: str, redirect_uri: str, apps
) -> Connected:
    instance = flow["instance"]
    app = apps.by_pk(flow.get("app"))
    if app is None:
        raise ConnectError(_("The desk's registration on the instance is gone; start again."))
    r = _post(
        f"{instance}/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app.client_id,
            "client_secret": app.secrets.get("client_secret", ""),
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "scope": app.scopes,
        },
    )
    if r.status_code != 200:
        raise ConnectError(
            _("%(netloc)s did not accept the sign-in (%(token_error)s); start again.")
            % {"netloc": urlsplit(instance).netloc, "token_error": token_error(r)}
        )
    body = r.json() if r.headers.get("Content-Type", "").startswith("application/json") else {}
    token = body.get("access_token") if isinstance(body, dict) else None
    if not token:
        raise ConnectError(_("The instance's answer had no access token; start again."))
    credentials = {
        "type": "oauth",
        "access_token": token,
        "scopes": sorted(str(body.get("scope") or app.scopes).split()),
    }
    return _identified(credentials, instance)


def connect(*, account, method: str, values: dict) -> Connected:
    if method != "token":
        raise ConnectError(_("Choose a way to connect the account."))
    instance = instance_url(
        values.get("instance") or account.api_base or settings.SOCIALDESK_MASTODON_API_BASE
    )
    token = pasted(values, ("access_token",), {"access_token": "access token"})["access_token"]
    scopes = _token_scopes(instance, token)
    missing = [s for s in SCOPES if scopes and not _covers(set(scopes), s)]
    if missing:
        raise ConnectError(
            _(
                "This token lacks the scope(s) %(missing)s: make a new one under Preferences > Development with %(scopes)s."
            )
            % {"missing": ", ".join(missing), "scopes": ", ".join(SCOPES)}
        )
    return _identified({"type": "token", "access_token": token, "scopes": scopes}, instance)


def _get(url: str, token: str) -> requests.Response:
    try:
        return requests.get(
            url,
            headers={"Authorization": f"Bearer {token}", "User-Agent": "socialdesk"},
            timeout=TIMEOUT,
        )
    except (requests.RequestException, ValueError) as exc:
        raise ConnectError(
            _("%(netloc)s could not be reached (%(name)s); try again.")
            % {"netloc": urlsplit(url).netloc, "name": exc.__class__.__name__}
        ) from exc


def _token_scopes(instance: str, token: str) -> list[str]:
    r = _get(f"{instance}/api/v1/apps/verify_credentials", token)
    if r.status_code == 401:
        raise ConnectError(
            _("The instance does not accept this token (401): it was revoked or mistyped.")
        )
    try:
        body = r.json()
    except ValueError:
        body = None
    if r.status_code != 200 or not isinstance(body, dict):
        raise ConnectError(
            _(
                "The instance answered %(status_code)s when checking the token; is it a Mastodon server?"
            )
            % {"status_code": r.status_code}
        )
    # Mastodon before 4.3 does not say the app's scopes: they stay unknown (and are shown so).
    return sorted(str(s) for s in body.get("scopes") or [] if isinstance(s, str))


def _identified(credentials: dict, instance: str) -> Connected:
    r = _get(f"{instance}/api/v1/accounts/verify_credentials", credentials["access_token"])
    try:
        body = r.json()
    except ValueError:
        body = None
    if r.status_code == 403:
        raise ConnectError(
            _("The token may not read its own account: it needs the read:accounts scope.")
        )
    if r.status_code != 200 or not isinstance(body, dict) or not body.get("id"):
        raise ConnectError(
            _("The instance did not say whose token this is (%(status_code)s); try again.")
            % {"status_code": r.status_code}
        )
    return Connected(
        credentials=credentials,
        external_id=str(body["id"]),
        handle=str(body.get("acct") or body.get("username") or ""),
        api_base=instance,
    )
