"""Keep an account's platform tokens working: renew them before they expire and after a 401,
exactly once however many workers ask at the same time, and mark the account for reconnecting
when the platform refuses them for good.

X's refresh tokens are single-use: two workers that both refresh with the same one get one new
token and one refusal, and the refusal would disconnect the account. So a renewal takes the
account's row lock (`select_for_update`; on SQLite the IMMEDIATE transaction takes the database's
write lock, which serialises the same way), reads the credentials again under it, and renews only
if they still hold the token the caller saw fail or expire. The second worker finds the first
one's new token and uses it. The new tokens are saved in the same transaction that held the
lock, before anything else can fail.
"""

import logging
import time

from django.db import transaction
from django.utils import timezone

from socialdesk.connectors import auth
from socialdesk.connectors.base import ConnectorError, CredentialsRejected

from .models import BrandAccount

log = logging.getLogger(__name__)


def failing_message(account: BrandAccount) -> str:
    reason = account.credentials_error or "the platform refused its credentials"
    return f"{account}'s connection stopped working ({reason}). Reconnect it on the Accounts page."


class TokenKeeper:
    """The credentials of one account, as its connector uses them (see `connectors.auth`)."""

    def __init__(self, account: BrandAccount):
        self.account = account

    @property
    def _platform(self):
        return auth.module_for(self.account.platform)

    def current(self) -> dict:
        """The credentials to call the platform with, renewed first when about to expire."""
        account = self.account
        if account.credentials_failed_at is not None:
            raise CredentialsRejected(failing_message(account))
        credentials = account.credentials if isinstance(account.credentials, dict) else {}
        platform = self._platform
        if account.pk is not None and platform.needs_refresh(credentials, time.time()):
            try:
                return self._renew(stale=platform.token_of(credentials), ahead=True)
            except CredentialsRejected:
                raise
            except ConnectorError as exc:
                # Renewing early failed for a passing reason: the token still works until it expires.
                expires_at = credentials.get("expires_at")
                if isinstance(expires_at, (int, float)) and expires_at > time.time() + 5:
                    log.warning(
                        "%s: renewing the token ahead of expiry failed, the current one is used: %s",
                        account,
                        exc,
                    )
                    return credentials
                raise
        return credentials

    def refreshed(self, *, stale: str) -> dict:
        """After the platform refused `stale` (401): newer credentials, or the account marked for
        reconnecting and `CredentialsRejected` raised."""
        return self._renew(stale=stale, ahead=False)

    def _renew(self, *, stale: str, ahead: bool) -> dict:
        platform = self._platform
        refused: CredentialsRejected | None = None
        with transaction.atomic():
            locked = BrandAccount.objects.select_for_update().get(pk=self.account.pk)
            credentials = locked.credentials if isinstance(locked.credentials, dict) else {}
            if locked.credentials_failed_at is not None:
                refused = CredentialsRejected(failing_message(locked))
            elif platform.token_of(credentials) != stale:
                pass  # renewed (or reconnected) by someone else while we waited for the lock
            elif ahead and not platform.needs_refresh(credentials, time.time()):
                pass
            elif not getattr(platform, "can_refresh", lambda c: False)(credentials):
                refused = CredentialsRejected(
                    f"{locked.get_platform_display()} refused the credentials (401) and they cannot be "
                    "renewed: reconnect the account on the Accounts page."
                )
                self._record_failure(locked, str(refused))
            else:
                try:
                    credentials = platform.refresh(credentials)
                except CredentialsRejected as exc:
                    refused = exc
                    self._record_failure(locked, str(exc))
                else:
                    locked.credentials = credentials
                    locked.token_refreshed_at = timezone.now()
                    locked.save(update_fields=["credentials", "token_refreshed_at"])
                    log.info("%s: token renewed", locked)
        if refused is not None:
            raise refused
        self.account.credentials = credentials
        return credentials

    @staticmethod
    def _record_failure(locked: BrandAccount, reason: str) -> None:
        locked.credentials_failed_at = timezone.now()
        locked.credentials_error = reason[:2000]
        locked.save(update_fields=["credentials_failed_at", "credentials_error"])
        log.warning("%s: credentials refused: %s", locked, reason)
        # cycle: brands <-> people (people's notifications read conversations, which need brands)
        from socialdesk.people.notifications import connection_failed

        connection_failed(locked, reason)

    def rejected(self, reason: str, *, stale: str) -> None:
        """The platform refused `stale` and nothing renewed it: mark the account, unless it was
        connected again (or renewed) since the request that failed."""
        platform = self._platform
        with transaction.atomic():
            locked = BrandAccount.objects.select_for_update().get(pk=self.account.pk)
            credentials = locked.credentials if isinstance(locked.credentials, dict) else {}
            if locked.credentials_failed_at is None and platform.token_of(credentials) == stale:
                self._record_failure(locked, reason)
                self.account.credentials_failed_at, self.account.credentials_error = (
                    locked.credentials_failed_at,
                    locked.credentials_error,
                )

    def learned(self, *, external_id: str = "", credentials: dict | None = None) -> None:
        """Keep what a connector learnt about its account: its own id on the platform (asked once),
        or what its credentials really are (an X token that turned out to be app-only)."""
        if external_id and not self.account.external_id:
            BrandAccount.objects.filter(pk=self.account.pk, external_id="").update(
                external_id=external_id
            )
            self.account.external_id = external_id
        if credentials is not None:
            with transaction.atomic():
                locked = BrandAccount.objects.select_for_update().get(pk=self.account.pk)
                if auth.module_for(locked.platform).token_of(
                    locked.credentials
                ) == auth.module_for(locked.platform).token_of(credentials):
                    locked.credentials = credentials
                    locked.save(update_fields=["credentials"])
            self.account.credentials = credentials
