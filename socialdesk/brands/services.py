"""Connecting brand accounts (CH1): add an account, connect it through its platform's sign-in
(OAuth) or with pasted or uploaded credentials, check a connection again. Community managers and
admins only, checked here on every path.

What each platform asks for lives in its connector's connection module (`connectors.auth`); this
module keeps what is the same for all: who may, the OAuth `state` and PKCE verifier of a sign-in
under way, that the credentials belong to the account being connected, saving them (encrypted),
and letting the account's waiting replies go once it is connected again.
"""

import logging
import secrets
import time
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from socialdesk.connectors import auth
from socialdesk.connectors.auth import Connected, ConnectError
from socialdesk.connectors.base import ConnectorError, CredentialsRejected
from socialdesk.connectors.registry import connector_for
from socialdesk.people.models import has_role

from .models import AccountKind, BrandAccount, Platform, PlatformApp

log = logging.getLogger(__name__)

# A sign-in left unfinished this long is forgotten (the platform's own codes live seconds).
FLOW_SECONDS = 15 * 60
MAX_FLOWS = 5
SESSION_KEY = "account_connect_flows"


class NotAllowed(Exception):
    pass


def require_manager(actor) -> None:
    if not has_role(actor, "cm"):
        raise NotAllowed(gettext("Only community managers and admins connect brand accounts."))


# --------------------------------------------------------------------------- adding an account
def add_account(
    *,
    actor,
    platform: str,
    handle: str,
    display_name: str = "",
    kind: str = AccountKind.SUPPORT,
    locale: str = "en",
    api_base: str = "",
) -> BrandAccount:
    require_manager(actor)
    handle = handle.strip().lstrip("@")
    if platform not in Platform.values:
        raise ConnectError("Choose a platform.")
    if not handle:
        raise ConnectError(
            gettext("Enter the account's handle (Google Play: the app's package name).")
        )
    if platform == Platform.MASTODON and api_base:
        api_base = auth.module_for(platform).instance_url(api_base)
    try:
        with transaction.atomic():
            account = BrandAccount.objects.create(
                platform=platform,
                handle=handle,
                display_name=display_name.strip(),
                kind=kind,
                locale=locale or "en",
                supported_languages=[locale or "en"],
                api_base=api_base,
                # A Google Play listing is known by its package name; other accounts learn their id when connected.
                external_id=handle if platform == Platform.GOOGLE_PLAY else "",
                # Nothing goes out from a new account until a community manager says what it may do.
                can_reply=True,
                can_like=platform != Platform.GOOGLE_PLAY,
            )
    except IntegrityError:
        raise ConnectError(
            gettext("There already is a %(label)s account %(handle)s.")
            % {"label": Platform(platform).label, "handle": handle}
        ) from None
    log.info("%s added %s", actor, account)
    return account


# --------------------------------------------------------------------------- sign-in (OAuth)
@dataclass
class Flow:
    """A sign-in under way, kept in the community manager's session until the platform sends them back."""

    state: str
    account_id: int
    method: str
    verifier: str
    redirect_uri: str
    started: float
    user_id: int
    extra: dict

    def as_dict(self) -> dict:
        return self.__dict__.copy()


class Apps:
    """The desk's registrations as a client on platforms that keep one per instance (PlatformApp)."""

    def __init__(self, platform: str):
        self.platform = platform

    def get(self, *, api_base: str, redirect_uri: str, scopes: str) -> PlatformApp | None:
        return PlatformApp.objects.filter(
            platform=self.platform, api_base=api_base, redirect_uri=redirect_uri, scopes=scopes
        ).first()

    def save(
        self, *, api_base: str, redirect_uri: str, scopes: str, client_id: str, client_secret: str
    ) -> PlatformApp:
        app, _ = PlatformApp.objects.update_or_create(
            platform=self.platform,
            api_base=api_base,
            redirect_uri=redirect_uri,
            scopes=scopes,
            defaults={"client_id": client_id, "secrets": {"client_secret": client_secret}},
        )
        return app

    def forget(self, app: PlatformApp) -> None:
        PlatformApp.objects.filter(pk=app.pk).delete()

    def by_pk(self, pk) -> PlatformApp | None:
        return (
            PlatformApp.objects.filter(platform=self.platform, pk=pk).first()
            if isinstance(pk, int)
            else None
        )


def _method(account: BrandAccount, key: str) -> auth.Method:
    for method in auth.module_for(account.platform).methods():
        if method.key == key:
            if method.unavailable:
                raise ConnectError(method.unavailable)
            return method
    raise ConnectError(gettext("Choose one of the ways to connect this account."))


def start_sign_in(
    *, actor, account: BrandAccount, method: str, values: dict, redirect_uri: str, session
) -> str:
    """Begin a sign-in on the platform; returns the URL to send the community manager to.

    The `state` (checked when they come back) and the PKCE verifier stay in their session."""
    require_manager(actor)
    chosen = _method(account, method)
    if not chosen.oauth:
        raise ConnectError(gettext("That way of connecting takes credentials, not a sign-in."))
    state = secrets.token_urlsafe(32)
    verifier, challenge = auth.pkce_pair()
    url, extra = auth.module_for(account.platform).start_oauth(
        account=account,
        values=values,
        redirect_uri=redirect_uri,
        state=state,
        challenge=challenge,
        apps=Apps(account.platform),
    )
    now = time.time()
    flows = {
        k: v
        for k, v in (session.get(SESSION_KEY) or {}).items()
        if isinstance(v, dict) and now - v.get("started", 0) < FLOW_SECONDS
    }
    for old in sorted(flows, key=lambda k: flows[k]["started"])[
        : max(0, len(flows) - MAX_FLOWS + 1)
    ]:
        del flows[old]
    flows[state] = Flow(
        state, account.pk, method, verifier, redirect_uri, now, actor.pk, extra
    ).as_dict()
    session[SESSION_KEY] = flows
    return url


def finish_sign_in(
    *, actor, session, state: str, code: str = "", error: str = "", error_description: str = ""
) -> BrandAccount:
    """The platform sent the community manager back: check `state`, exchange the code, check whose
    credentials they are, save them. The flow is used once, whatever happens."""
    require_manager(actor)
    flows = session.get(SESSION_KEY) or {}
    data = flows.pop(state, None) if isinstance(state, str) and state else None
    session[SESSION_KEY] = flows
    if (
        not isinstance(data, dict)
        or data.get("user_id") != actor.pk
        or time.time() - data.get("started", 0) > FLOW_SECONDS
    ):
        raise ConnectError(
            gettext(
                "This sign-in was not started here, or it is too old: start again from the account's page."
            )
        )
    flow = Flow(**data)
    account = BrandAccount.objects.filter(pk=flow.account_id).first()
    if account is None:
        raise ConnectError(gettext("The account being connected no longer exists."))
    if error:
        if error == "access_denied":
            raise ConnectError(
                gettext("The sign-in was cancelled on the platform: nothing changed.")
            )
        raise ConnectError(
            gettext("The platform refused the sign-in (%(value)s): nothing changed.")
            % {"value": error_description or error}
        )
    if not code:
        raise ConnectError(gettext("The platform sent no authorization code back: start again."))
    connected = auth.module_for(account.platform).finish_oauth(
        account=account,
        flow=flow.extra,
        code=code,
        verifier=flow.verifier,
        redirect_uri=flow.redirect_uri,
        apps=Apps(account.platform),
    )
    return _save(actor=actor, account=account, connected=connected)


# --------------------------------------------------------------------------- pasted credentials
def connect_with(*, actor, account: BrandAccount, method: str, values: dict) -> BrandAccount:
    """Connect with credentials a community manager pasted or uploaded; checked with the platform
    before they are saved."""
    require_manager(actor)
    chosen = _method(account, method)
    if chosen.oauth:
        raise ConnectError(gettext("That way of connecting is a sign-in on the platform."))
    missing = [f.label for f in chosen.fields if f.required and not values.get(f.name)]
    if missing:
        raise ConnectError(gettext("Fill in %(join)s.") % {"join": ", ".join(missing)})
    connected = auth.module_for(account.platform).connect(
        account=account, method=method, values=values
    )
    return _save(actor=actor, account=account, connected=connected)


def check_again(*, actor, account: BrandAccount) -> BrandAccount:
    """A community manager says the credentials work again (the Play Console permission was
    given back, an instance was down): try them once; if they do, sending resumes."""
    require_manager(actor)

    was, why = account.credentials_failed_at, account.credentials_error
    BrandAccount.objects.filter(pk=account.pk).update(credentials_failed_at=None)
    account.credentials_failed_at = None
    try:
        connector_for(account).check()
    except CredentialsRejected as exc:
        # Refused again (the connector has usually marked it already, with the platform's words).
        BrandAccount.objects.filter(pk=account.pk, credentials_failed_at__isnull=True).update(
            credentials_failed_at=was or timezone.now(), credentials_error=str(exc)[:2000] or why
        )
        raise ConnectError(gettext("Still not working: %(exc)s") % {"exc": exc}) from exc
    except ConnectorError as exc:
        # Not an answer about the credentials (the platform is unreachable): as it was before.
        BrandAccount.objects.filter(pk=account.pk).update(credentials_failed_at=was)
        raise ConnectError(
            gettext("The platform could not be asked (%(exc)s); try again later.") % {"exc": exc}
        ) from exc
    return _resumed(account, actor=actor, note="checked again")


def _same_account(account: BrandAccount, connected: Connected) -> None:
    """Credentials for @Other must never be saved on @Ours: replies would go out from the wrong account."""
    if (
        connected.external_id
        and account.external_id
        and connected.external_id != account.external_id
    ):
        raise ConnectError(
            gettext(
                "These credentials are for %(value)s, not for %(account)s: sign in as %(account)s and try again."
            )
            % {
                "value": connected.handle and "@" + connected.handle or gettext("another account"),
                "account": account,
            }
        )
    if connected.handle:
        mine, theirs = account.handle.lower().lstrip("@"), connected.handle.lower().lstrip("@")
        # Mastodon: "name" on its own instance, "name@instance" seen from elsewhere.
        if mine.split("@")[0] != theirs.split("@")[0]:
            raise ConnectError(
                gettext(
                    "These credentials are for @%(handle)s, not for %(account)s: sign in as %(account)s and try again."
                )
                % {"handle": connected.handle, "account": account}
            )


def _save(*, actor, account: BrandAccount, connected: Connected) -> BrandAccount:
    _same_account(account, connected)
    with transaction.atomic():
        locked = BrandAccount.objects.select_for_update().get(pk=account.pk)
        locked.credentials = connected.credentials
        if connected.external_id:
            locked.external_id = connected.external_id
        if connected.api_base:
            locked.api_base = connected.api_base
        locked.connected_at, locked.connected_by = timezone.now(), actor
        locked.save(
            update_fields=[
                "credentials",
                "external_id",
                "api_base",
                "connected_at",
                "connected_by",
            ]
        )
        account = _resumed(locked, actor=actor, note="connected")
    log.info("%s connected %s (%s)", actor, account, auth.capabilities(account).method)
    return account


def _resumed(account: BrandAccount, *, actor, note: str) -> BrandAccount:
    """The account works again: clear its failure and let its waiting actions go."""
    # cycle: brands <-> actions (the action layer reads accounts; a reconnected account lets
    # its waiting outbox actions go through it)
    from socialdesk.actions.delivery import resume_account

    with transaction.atomic():
        BrandAccount.objects.filter(pk=account.pk).update(
            credentials_failed_at=None, credentials_error=""
        )
        account.credentials_failed_at, account.credentials_error = None, ""
        resume_account(account, actor=actor, note=note)
    return account
