"""Poll every connected account's streams and hand what arrives to ingestion."""

import logging
from datetime import datetime, timezone as dt_timezone

from django.utils import timezone

from socialdesk.brands.models import BrandAccount
from socialdesk.connectors.base import ConnectorError
from socialdesk.connectors.registry import connector_for

from .models import PollState
from .services import IngestResult, ingest

log = logging.getLogger(__name__)


def _poll_stream(state: PollState, fetch) -> IngestResult:
    now = timezone.now()
    if state.wait_until and state.wait_until > now:
        return IngestResult()
    try:
        page = fetch(cursor=state.cursor)
    except ConnectorError as exc:
        state.last_error = str(exc)
        if exc.wait_until:
            state.wait_until = datetime.fromtimestamp(exc.wait_until, tz=dt_timezone.utc)
        state.last_polled_at = now
        state.save()
        log.warning("Polling %s %s failed: %s", state.account, state.stream, exc)
        return IngestResult()
    result = ingest(page.messages)
    # The cursor moves only after the messages are stored: a crash in between re-reads them.
    state.cursor = page.cursor
    state.wait_until = datetime.fromtimestamp(page.wait_until, tz=dt_timezone.utc) if page.wait_until else None
    state.last_error = page.error
    state.last_polled_at = now
    state.fetched += len(page.messages)
    state.save()
    return result


def poll_account(account: BrandAccount) -> IngestResult:
    total = IngestResult()
    try:
        connector = connector_for(account)
    except ConnectorError as exc:
        state, _ = PollState.objects.get_or_create(account=account, stream="connector")
        state.last_error = str(exc)
        state.save()
        return total
    # Each connector names its streams (X: mentions and searches; Google Play: reviews;
    # Mastodon: notifications); each has its own cursor and rate-limit wait.
    for stream, fetch in connector.streams():
        state, _ = PollState.objects.get_or_create(account=account, stream=stream)
        total.add(_poll_stream(state, fetch))
    return total


def poll_all() -> IngestResult:
    total = IngestResult()
    for account in BrandAccount.objects.filter(active=True):
        total.add(poll_account(account))
    return total
