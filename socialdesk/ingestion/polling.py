"""Poll every connected account's streams and hand what arrives to ingestion.

One account's or one stream's failure never stops another's: a platform error (`ConnectorError`)
and anything unexpected alike are recorded on the stream's `PollState.last_error` (shown on the
health page) and logged, and polling goes on with the next stream and account.
"""

import logging
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from socialdesk.actions.inbound import IngestResult, ingest
from socialdesk.brands.models import BrandAccount
from socialdesk.connectors import messages as says
from socialdesk.connectors.base import Capability, ConnectorError
from socialdesk.connectors.registry import connector_for

from . import boundary, set_aside
from .models import PollState

log = logging.getLogger(__name__)


def _error_text(exc: Exception) -> str:
    """What the health page shows: a platform's error as it says it, anything else with its kind."""
    text = (
        str(exc)
        if isinstance(exc, ConnectorError)
        else says.UNEXPECTED % {"kind": exc.__class__.__name__, "error": exc}
    )
    return boundary.clean(text)[:2000]


def _poll_stream(state: PollState, fetch) -> IngestResult:
    now = timezone.now()
    if state.wait_until and state.wait_until > now:
        return IngestResult()
    try:
        page = fetch(cursor=state.cursor)
    except ConnectorError as exc:
        state.last_error = _error_text(exc)
        if exc.wait_until:
            state.wait_until = datetime.fromtimestamp(exc.wait_until, tz=UTC)
        state.last_polled_at = now
        state.save()
        log.warning("Polling %s %s failed: %s", state.account, state.stream, exc)
        return IngestResult()
    result = ingest(
        page.messages,
        unreadable=page.unreadable,
        account=state.account,
        stream=state.stream,
        triage_later=settings.SOCIALDESK_TRIAGE_AFTER_PAGE,
    )
    # The cursor moves only after the messages are stored, or set aside: a crash in between
    # re-reads them; a message that could not be stored is kept, so moving past it loses nothing.
    state.cursor = page.cursor
    state.wait_until = datetime.fromtimestamp(page.wait_until, tz=UTC) if page.wait_until else None
    state.last_error = boundary.clean(page.error)
    state.last_polled_at = now
    state.fetched += len(page.messages) + len(page.unreadable)
    state.save()
    return result


def _failed(account: BrandAccount, stream: str, exc: Exception) -> None:
    """Record an unexpected failure on the stream; the cursor stays, so the next poll reads again."""
    log.error("Polling %s %s failed unexpectedly", account, stream, exc_info=exc)
    try:
        PollState.objects.update_or_create(
            account=account,
            stream=stream,
            defaults={"last_error": _error_text(exc), "last_polled_at": timezone.now()},
        )
    except Exception:  # noqa: BLE001 - the database itself may be what failed; the log has it
        log.exception("Could not record the failure of %s %s", account, stream)


def poll_account(account: BrandAccount) -> IngestResult:
    total = IngestResult()
    started = timezone.now()
    try:
        connector = connector_for(account)
        # Each connector names its streams (X: mentions and searches; Google Play: reviews;
        # Mastodon: notifications); each has its own cursor and rate-limit wait.
        streams = connector.streams()
    except ConnectorError as exc:
        state, _ = PollState.objects.get_or_create(account=account, stream="connector")
        state.last_error = _error_text(exc)
        state.save()
        return total
    except Exception as exc:  # noqa: BLE001 - one account's failure never stops another's poll
        _failed(account, "connector", exc)
        return total
    # Set up again (credentials fixed): the health page no longer shows the old set-up error.
    PollState.objects.filter(account=account, stream="connector").exclude(last_error="").update(
        last_error=""
    )
    for stream, fetch in streams:
        try:
            state, _ = PollState.objects.get_or_create(account=account, stream=stream)
            total.add(_poll_stream(state, fetch))
        except Exception as exc:  # noqa: BLE001 - nor one stream's another's
            _failed(account, stream, exc)
    if connector.can(Capability.REREADING):
        reread = connector.reread
        # Messages the platform sent incomplete wait set aside; each poll asks for what is due again.
        try:
            total.stored += set_aside.retry_waiting(account=account, reread=reread, due=started)
        except Exception:  # noqa: BLE001 - they wait for the next poll; the account's streams were read
            log.exception("Reading the waiting messages of %s again failed", account)
    return total


def poll_all() -> IngestResult:
    total = IngestResult()
    for account in BrandAccount.objects.filter(active=True):
        try:
            total.add(poll_account(account))
        except Exception as exc:  # noqa: BLE001 - whatever poll_account could not record itself
            log.error("Polling %s failed unexpectedly", account, exc_info=exc)
    return total
