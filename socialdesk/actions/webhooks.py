"""Webhooks (AP2): conversation events scheduled with the change, and sent through the outbox.

Scheduling. Every activity entry of a kind a webhook may ask for (`EVENT_OF_KIND`) becomes one
`WebhookDelivery` per active subscription that wants its event, written in the transaction of
the change itself: the `post_save` of `Activity` for the actions' entries, `activities_logged`
for ingestion's page-sized inserts. Nothing is sent before the change commits, and nothing is
lost if the process dies after it: the scheduler's outbox job sends what is due.

Sending is the outbox's path for replies, applied to an HTTP POST: a delivery is claimed
(pending → sending, one conditional UPDATE) before the call, so two workers never send it at
once; an answer other than 2xx, a time-out or a refused connection puts it back with
exponential backoff and jitter, up to SOCIALDESK_WEBHOOK_MAX_ATTEMPTS, then it is failed; a
worker that dies mid-send leaves it "sending" until SOCIALDESK_OUTBOX_STALLED_SECONDS, when it
goes back in line. Each try is a line of the subscription's delivery log (`WebhookAttempt`).
A receiver may see a delivery again after a lost answer: `Socialdesk-Delivery` (the event id)
is the same on every attempt, for it to drop the repeat.
"""

import json
import logging
import random
import threading
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from socialdesk.outbox.models import WebhookAttempt, WebhookDelivery, WebhookState
from socialdesk.webhooks import addresses, signing
from socialdesk.webhooks.models import PING, Event, WebhookSubscription

log = logging.getLogger(__name__)

EVENT_OF_KIND = {
    "opened": Event.CONVERSATION_OPENED,
    "reopened": Event.CONVERSATION_OPENED,
    "replied": Event.CONVERSATION_REPLIED,
    "reply_approved": Event.CONVERSATION_REPLIED,
    "held": Event.CONVERSATION_HELD,
    "closed": Event.CONVERSATION_CLOSED,
    "auto_closed": Event.CONVERSATION_CLOSED,
    "escalated": Event.CONVERSATION_ESCALATED,
    "assigned": Event.CONVERSATION_ASSIGNED,
    "message_received": Event.MESSAGE_RECEIVED,
}

USER_AGENT = "Socialdesk-Webhooks/1"
# What is kept of a receiver's answer or error in the log.
KEEP = 500


# --- Scheduling -------------------------------------------------------------------------------


def activity_saved(sender, instance, created, raw=False, **kwargs):
    """`post_save` of `Activity`: schedule its event, in the action's own transaction."""
    if created and not raw and instance.kind in EVENT_OF_KIND:
        activities_logged([instance])


def _body(event_id: uuid.UUID, event: str, at, data: dict) -> str:
    return json.dumps(
        {"id": str(event_id), "type": event, "created_at": at.isoformat(), "data": data},
        ensure_ascii=False,
        sort_keys=True,
    )


def _data(activity) -> dict:
    actor = activity.actor.get_username() if activity.actor_id and activity.actor else None
    return {
        "conversation": {
            "id": activity.conversation_id,
            "api": f"/api/v1/conversations/{activity.conversation_id}",
        },
        "activity": {
            "id": activity.pk,
            "kind": activity.kind,
            "actor": actor,
            "detail": activity.detail or {},
        },
    }


# --- The active subscriptions, kept per process ------------------------------------------------
#
# Nearly every change of a conversation asks which subscriptions want its event, and on most
# desks the answer is "none", or none for that event: the answer is kept in each process for
# SOCIALDESK_WEBHOOK_SUBSCRIPTIONS_SECONDS, so a reply or a page of messages no longer reads the
# subscriptions each time. A subscription saved or deleted is forgotten at once in the process
# that changed it (signals below, again when its transaction commits); other processes see a
# new one within the time above. What the kept list says is wanted is read again before any
# delivery is written, so a subscription deleted or paused in another process never gets one.


class _Kept:
    def __init__(self):
        self.lock = threading.Lock()
        self.rows: dict[int, frozenset[str]] | None = None
        self.until = 0.0
        self.generation = 0


_kept = _Kept()


def forget_subscriptions(*args, **kwargs) -> None:
    """Drop the kept subscriptions (a subscription changed): the next event reads them again.
    Connected to `WebhookSubscription`'s post_save and post_delete, and run again when the
    change's transaction commits (a reader in between may have kept the list before it)."""
    with _kept.lock:
        _kept.rows, _kept.until = None, 0.0
        _kept.generation += 1
    if kwargs.get("sender") is not None and transaction.get_connection().in_atomic_block:
        transaction.on_commit(forget_subscriptions)


def _active_subscriptions() -> dict[int, frozenset[str]]:
    """Active subscription id -> the events it wants, as kept (or read and kept)."""
    seconds = settings.SOCIALDESK_WEBHOOK_SUBSCRIPTIONS_SECONDS
    now = time.monotonic()
    with _kept.lock:
        if _kept.rows is not None and now < _kept.until:
            return _kept.rows
        generation = _kept.generation
    rows = {
        pk: frozenset(events or [])
        for pk, events in WebhookSubscription.objects.filter(active=True).values_list(
            "pk", "events"
        )
    }
    if seconds > 0:
        with _kept.lock:
            if _kept.generation == generation:  # no change since the read began
                _kept.rows, _kept.until = rows, now + seconds
    return rows


def subscriptions_wanting(events) -> dict[int, frozenset[str]]:
    """Active subscriptions that want one of `events` (subscription id -> its events): none
    without a statement when the kept list has none for them; else read from the database
    (within the caller's transaction), so a subscription deleted or paused since is left out."""
    events = set(events)
    kept = _active_subscriptions()
    if not any(events & wanted for wanted in kept.values()):
        return {}
    if settings.SOCIALDESK_WEBHOOK_SUBSCRIPTIONS_SECONDS <= 0:
        rows = kept  # read just now
    else:
        rows = {
            pk: frozenset(wanted or [])
            for pk, wanted in WebhookSubscription.objects.filter(active=True).values_list(
                "pk", "events"
            )
        }
    return {pk: wanted for pk, wanted in rows.items() if events & wanted}


def activities_logged(rows) -> int:
    """Schedule the events of activity entries just written (call inside their transaction).
    Returns how many deliveries were scheduled."""
    wanted = [(row, EVENT_OF_KIND[row.kind]) for row in rows if row.kind in EVENT_OF_KIND]
    if not wanted:
        return 0
    wanting = subscriptions_wanting({event for _row, event in wanted})
    if not wanting:
        return 0
    deliveries = []
    for row, event in wanted:
        targets = [pk for pk, events in wanting.items() if event in events]
        if not targets:
            continue
        at = row.at or timezone.now()
        data = _data(row)
        for subscription_id in targets:
            event_id = uuid.uuid4()
            deliveries.append(
                WebhookDelivery(
                    subscription_id=subscription_id,
                    event=event,
                    event_id=event_id,
                    body=_body(event_id, event, at, data),
                )
            )
    if deliveries:
        WebhookDelivery.objects.bulk_create(deliveries)
        transaction.on_commit(_enqueue)
    return len(deliveries)


def send_test(*, subscription: WebhookSubscription) -> WebhookDelivery:
    """The "send test event" button: a `ping` to this subscription only, through the same path."""
    event_id = uuid.uuid4()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            subscription=subscription,
            event=PING,
            event_id=event_id,
            body=_body(
                event_id,
                PING,
                timezone.now(),
                {"subscription": {"id": subscription.pk, "name": subscription.name}},
            ),
        )
        transaction.on_commit(_enqueue)
    return delivery


def _enqueue(delivery: WebhookDelivery | None = None) -> None:
    from socialdesk.outbox.tasks import send_webhooks

    run_after = delivery.next_attempt_at if delivery is not None else None
    try:
        send_webhooks.using(run_after=run_after).enqueue()
    except Exception:  # noqa: BLE001 - the scheduler's sweep sends it anyway
        log.exception("Could not enqueue the webhook task; the scheduler will send what is due")


# --- Sending ----------------------------------------------------------------------------------


def backoff(attempts: int) -> float:
    base = settings.SOCIALDESK_WEBHOOK_BACKOFF_SECONDS * (2 ** max(attempts - 1, 0))
    return min(settings.SOCIALDESK_WEBHOOK_BACKOFF_CAP_SECONDS, base) * random.uniform(0.5, 1.5)


def _due(now):
    return WebhookDelivery.objects.filter(state=WebhookState.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def due_delivery_ids(*, now=None, limit: int = 100) -> list[int]:
    now = now or timezone.now()
    return list(_due(now).order_by("id").values_list("pk", flat=True)[:limit])


def _claim(delivery_id: int, now) -> WebhookDelivery | None:
    from django.db.models import F

    claimed = (
        _due(now)
        .filter(pk=delivery_id)
        .update(
            state=WebhookState.SENDING,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            updated_at=now,
        )
    )
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)


class _Failed(Exception):
    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


def post(url: str, body: bytes, headers: dict) -> int:
    """POST `body` to `url`, connecting to the address `addresses.resolve` allowed (never to one
    the name might resolve to a moment later), following no redirect. Returns the status."""
    try:
        scheme, host, port = addresses.check_url(url)
        address = addresses.resolve(host, port)
    except addresses.Refused as exc:
        raise _Failed(str(exc)) from None
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timeout = settings.SOCIALDESK_WEBHOOK_TIMEOUT_SECONDS
    options = {"timeout": urllib3.Timeout(connect=timeout, read=timeout), "retries": False}
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, port, server_hostname=host, assert_hostname=host, **options
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, **options)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    try:
        response = pool.urlopen(
            "POST",
            target,
            body=body,
            headers={**headers, "Host": netloc},
            redirect=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            response.read(64 * 1024)  # enough of the answer to finish the exchange
        finally:
            response.release_conn()
    except urllib3.exceptions.HTTPError as exc:
        raise _Failed(f"{type(exc).__name__}: {exc}"[:KEEP]) from None
    finally:
        pool.close()
    return response.status


def send(delivery_id: int, *, now=None) -> str | None:
    """Try one delivery now; returns its new state, or None when it was not due."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    subscription = delivery.subscription
    code, error = None, ""
    started = time.monotonic()
    if not subscription.active and delivery.event != PING:
        error = "The subscription is paused."
    else:
        body = delivery.body.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Socialdesk-Event": delivery.event,
            "Socialdesk-Delivery": str(delivery.event_id),
            signing.HEADER: signing.header(subscription.signing_secrets(), body),
        }
        try:
            code = post(subscription.url, body, headers)
            if not 200 <= code < 300:
                error = f"The receiver answered {code}."
        except _Failed as exc:
            error = str(exc)
        except Exception as exc:  # noqa: BLE001 - never leave a delivery claimed
            log.exception("Webhook delivery %s failed unexpectedly", delivery.pk)
            error = f"Unexpected error: {exc}"[:KEEP]
    _record(delivery, now=now, code=code, error=error, started=started)
    return delivery.state


def _record(delivery: WebhookDelivery, *, now, code, error: str, started: float) -> None:
    paused = error == "The subscription is paused."
    retry = (
        bool(error) and not paused and delivery.attempts < settings.SOCIALDESK_WEBHOOK_MAX_ATTEMPTS
    )
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            at=now,
            response_code=code,
            error=error[:KEEP],
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        delivery.response_code = code
        delivery.last_error = error[:KEEP]
        if not error:
            delivery.state, delivery.next_attempt_at = WebhookState.DELIVERED, None
        elif retry:
            delivery.state = WebhookState.PENDING
            delivery.next_attempt_at = timezone.now() + timedelta(
                seconds=backoff(delivery.attempts)
            )
        else:
            delivery.state, delivery.next_attempt_at = WebhookState.FAILED, None
        delivery.save(
            update_fields=["state", "response_code", "last_error", "next_attempt_at", "updated_at"]
        )
        if retry:
            transaction.on_commit(lambda: _enqueue(delivery))


def send_due(*, now=None, limit: int = 100) -> list[str | None]:
    """Send whatever is due, one after the other (the task and the scheduler's sweep)."""
    return [send(pk, now=now) for pk in due_delivery_ids(now=now, limit=limit)]


def recover_stalled(*, now=None) -> int:
    """Put back in line deliveries whose worker died while sending."""
    now = now or timezone.now()
    before = now - timedelta(seconds=settings.SOCIALDESK_OUTBOX_STALLED_SECONDS)
    return WebhookDelivery.objects.filter(
        state=WebhookState.SENDING, updated_at__lt=before
    ).update(
        state=WebhookState.PENDING,
        next_attempt_at=now,
        last_error="Worker stopped while sending; outcome unknown, sending again.",
        updated_at=now,
    )


def overdue(*, now=None, grace: timedelta = timedelta(seconds=30)) -> bool:
    """Whether some delivery should have gone by now (a lost enqueue): the scheduler then
    enqueues the task."""
    now = now or timezone.now()
    return (
        WebhookDelivery.objects.filter(state=WebhookState.PENDING)
        .filter(
            Q(next_attempt_at__lte=now - grace)
            | Q(next_attempt_at__isnull=True, created_at__lte=now - grace)
        )
        .exists()
    )
