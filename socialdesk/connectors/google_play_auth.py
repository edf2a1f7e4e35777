"""Connecting a Google Play listing: the JSON key of a Google Cloud service account, checked (its
shape, its private key, then one `reviews.list` call) before it is saved.

As Google documents it:

- A service account key file has ``type: service_account``, ``client_email``, ``private_key``
  (PEM), ``private_key_id`` and ``token_uri``; the client signs a JWT with it for an access token
  that lasts an hour, and signs another when it runs out (google-auth does this), so nothing
  needs renewing by hand. Keys do not expire unless the organisation sets an expiry.
  https://developers.google.com/identity/protocols/oauth2/service-account
- The account reads and answers an app's reviews once it is invited in the Play Console (Users and
  permissions) with access to the app and the "Reply to reviews" permission; until then the
  API answers 403 PERMISSION_DENIED. https://developers.google.com/android-publisher/getting_started
- ``reviews.list`` (maxResults) is the cheapest call that proves both.
  https://developers.google.com/android-publisher/api-ref/rest/v3/reviews/list

Credentials: ``{"type": "service_account", "service_account_info": {...the key file...}}``;
``{"access_token": "..."}`` is a ready token (the simulator's).
"""

import json

from django.conf import settings
from django.utils.translation import gettext

from .auth import (
    NO,
    NOT_APPLICABLE,
    UNKNOWN,
    YES,
    Capabilities,
    Connected,
    ConnectError,
    Field,
    Method,
)

REQUIRED_KEYS = (
    "type",
    "project_id",
    "private_key_id",
    "private_key",
    "client_email",
    "token_uri",
)
MAX_KEY_FILE = 64 * 1024


def permission_help(*, email: str, app: str) -> str:
    return gettext(
        "In the Play Console, open Users and permissions, invite %(email)s, give it access to "
        "%(app)s with the “Reply to reviews” permission, then connect again."
    ) % {"email": email, "app": app}


def methods() -> list[Method]:
    return [
        Method(
            "service_account",
            gettext("Service account key"),
            gettext(
                "The JSON key of a Google Cloud service account that the Play "
                "Console has invited with the “Reply to reviews” permission for this app (IAM & Admin > Service accounts "
                "> Keys > Add key > JSON)."
            ),
            fields=(Field("key_file", gettext("Key file (JSON)"), kind="file"),),
        )
    ]


def capabilities(credentials: dict) -> Capabilities:
    info = credentials.get("service_account_info")
    if isinstance(info, dict):
        return Capabilities(
            YES,
            YES,
            NOT_APPLICABLE,
            NOT_APPLICABLE,
            method=(
                gettext("Service account %(email)s") % {"email": info.get("client_email", "")}
            ).strip(),
            renews=True,
            note=gettext(
                "The desk gets a new hour-long token from Google as needed; the key itself does not "
                "expire unless your organisation set an expiry on it."
            ),
        )
    if credentials.get("access_token"):
        return Capabilities(
            UNKNOWN,
            UNKNOWN,
            NOT_APPLICABLE,
            NOT_APPLICABLE,
            method=gettext("Access token"),
            note=gettext(
                "A ready OAuth 2.0 token (Google's last an hour): upload a service account key instead."
            ),
        )
    return Capabilities(
        NO, NO, NOT_APPLICABLE, NOT_APPLICABLE, method=gettext("Not connected"), connected=False
    )


def token_of(credentials: dict) -> str:
    info = credentials.get("service_account_info")
    if isinstance(info, dict):
        return str(info.get("private_key_id") or info.get("client_email") or "")
    return str(credentials.get("access_token") or "")


def needs_refresh(credentials: dict, now: float) -> bool:
    return False  # google-auth signs a new token request itself when its token runs out


def can_refresh(credentials: dict) -> bool:
    return False


def token_uri() -> str:
    return settings.SOCIALDESK_GOOGLE_TOKEN_URI


def read_key_file(data: bytes | str) -> dict:
    """The service account key, checked: JSON, a service account's, every field there, the
    private key a PEM key that loads, and Google's token endpoint as where it signs in."""
    if isinstance(data, bytes):
        if len(data) > MAX_KEY_FILE:
            raise ConnectError(
                gettext(
                    "That file is too large to be a service account key (they are about 2 KB)."
                )
            )
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ConnectError(
                gettext(
                    "That file is not a JSON key (it is not text). Download the key again as JSON."
                )
            ) from None
    try:
        info = json.loads(data)
    except ValueError:
        raise ConnectError(
            gettext(
                "That file is not JSON. In Google Cloud: IAM & Admin > Service accounts > your account > Keys > "
                "Add key > Create new key > JSON."
            )
        ) from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise ConnectError(
            gettext(
                "That JSON is not a service account key (its “type” is not “service_account”). "
                "An OAuth client ID file will not do: create a key for a service account."
            )
        )
    missing = [k for k in REQUIRED_KEYS if not isinstance(info.get(k), str) or not info[k].strip()]
    if missing:
        raise ConnectError(
            gettext("The key file lacks %(join)s: download it again, whole.")
            % {"join": ", ".join(missing)}
        )
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        load_pem_private_key(info["private_key"].encode(), password=None)
    except (ValueError, TypeError):
        raise ConnectError(
            gettext(
                "The key file's private_key is not a readable PEM key: download the key again (do not edit it)."
            )
        ) from None
    if info["token_uri"].rstrip("/") != token_uri().rstrip("/"):
        raise ConnectError(
            gettext(
                "The key signs in at %(token_uri)s, not at Google's %(google)s: use a key file from Google Cloud."
            )
            % {"token_uri": info["token_uri"], "google": token_uri()}
        )
    return info


def connect(*, account, method: str, values: dict) -> Connected:
    if method != "service_account":
        raise ConnectError(gettext("Choose a way to connect the app."))
    info = read_key_file(values.get("key_file") or b"")
    credentials = {"type": "service_account", "service_account_info": info}
    check(account, credentials)
    return Connected(credentials=credentials)


def check(account, credentials: dict) -> None:
    """One `reviews.list` call with these credentials; a refusal becomes what to fix, and where."""
    from google.auth.exceptions import GoogleAuthError, RefreshError, TransportError
    from googleapiclient.errors import HttpError

    from .google_play import credentials_from, make_service

    package = account.external_id or account.handle
    email = credentials.get("service_account_info", {}).get("client_email", "the service account")
    try:
        service = make_service(credentials_from(credentials), api_base=account.api_base or None)
        service.reviews().list(packageName=package, maxResults=1).execute(num_retries=0)
    except RefreshError as exc:
        text = str(exc)
        if "account not found" in text or "disabled" in text.lower():
            raise ConnectError(
                gettext(
                    "Google says %(email)s no longer exists or is disabled: check it in Google Cloud (IAM & Admin > Service accounts), or create a new one."
                )
                % {"email": email}
            ) from exc
        raise ConnectError(
            gettext(
                "Google refused the key (%(value)s): it may have been deleted in Google Cloud (IAM & Admin > Service accounts > Keys). Create a new key and upload it."
            )
            % {"value": text[:200]}
        ) from exc
    except HttpError as exc:
        if exc.status_code == 403:
            raise ConnectError(
                gettext("%(email)s has no access to %(package)s.")
                % {"email": email, "package": package}
                + " "
                + permission_help(email=email, app=package)
            ) from exc
        if exc.status_code == 404:
            raise ConnectError(
                gettext(
                    "Google Play has no app %(package)s in the developer account that invited %(email)s: check the account's package name."
                )
                % {"package": package, "email": email}
            ) from exc
        if exc.status_code == 401:
            raise ConnectError(
                gettext("Google Play refused the token it was given (401): upload the key again.")
            ) from exc
        raise ConnectError(
            gettext("Google Play answered %(status_code)s when reading the reviews; try again.")
            % {"status_code": exc.status_code}
        ) from exc
    except (TransportError, GoogleAuthError, OSError) as exc:
        raise ConnectError(
            gettext("Google could not be reached to check the key (%(name)s); try again.")
            % {"name": exc.__class__.__name__}
        ) from exc
