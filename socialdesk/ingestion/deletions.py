"""Noticing what customers deleted on the platform (CH2), run by the scheduler through the worker.

For each account whose connector can tell (`deleted(platform_ids)`: X's tweets lookup,
Mastodon's statuses lookup, Google Play's review listing confirmed by reviews.get), the customer
messages of its open conversations from the last days are looked up; what is gone is handed to
`conversations.automation.mark_deleted` (marked, logged, and the conversation closed "Deleted"
when nothing of the customer's is left). A connector whose look-up is costly says how often it
may run (`deleted_check_seconds`: Google Play's GET quota is hourly).
Each run is recorded on the account's "deletions" stream, so the health page shows its errors.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from socialdesk.actions.automation import mark_deleted
from socialdesk.brands.models import BrandAccount
from socialdesk.connectors.base import ConnectorError
from socialdesk.connectors.registry import connector_for
from socialdesk.conversations.models import Direction, Message, Status

from .models import PollState

log = logging.getLogger(__name__)

STREAM = "deletions"


def notice_deleted(*, now=None) -> int:
    """Look up recent customer messages of open conversations; returns how many were found deleted."""
    now = now or timezone.now()
    found = 0
    for account in BrandAccount.objects.filter(active=True):
        try:
            connector = connector_for(account)
        except ConnectorError:
            continue  # the poller reports the connector's trouble on the health page
        if not hasattr(connector, "deleted"):
            continue
        every = getattr(connector, "deleted_check_seconds", 0)
        if (
            every
            and PollState.objects.filter(
                account=account, stream=STREAM, last_polled_at__gt=now - timedelta(seconds=every)
            ).exists()
        ):
            continue  # looked not long ago: the platform's quota comes first
        found += _check_account(account, connector, now)
    return found


def _check_account(account, connector, now) -> int:
    since = now - timedelta(days=settings.SOCIALDESK_DELETED_LOOKBACK_DAYS)
    candidates = dict(
        Message.objects.filter(
            direction=Direction.INBOUND,
            platform=account.platform,
            platform_id__isnull=False,
            deleted_at__isnull=True,
            conversation__account=account,
            created_at__gte=since,
        )
        .exclude(conversation__status=Status.CLOSED)
        .order_by("-created_at")
        .values_list("platform_id", "pk")[: settings.SOCIALDESK_DELETED_CHECK_MAX]
    )
    if not candidates:
        return 0
    state, _ = PollState.objects.get_or_create(account=account, stream=STREAM)
    try:
        gone = connector.deleted(list(candidates))
    except ConnectorError as exc:
        state.last_error, state.last_polled_at = str(exc), now
        state.save(update_fields=["last_error", "last_polled_at"])
        log.warning("Looking for deleted messages of %s failed: %s", account, exc)
        return 0
    marked = sum(mark_deleted(message_pk=candidates[platform_id], now=now) for platform_id in gone)
    state.last_error, state.last_polled_at = "", now
    state.fetched += len(candidates)
    state.save(update_fields=["last_error", "last_polled_at", "fetched"])
    return marked
