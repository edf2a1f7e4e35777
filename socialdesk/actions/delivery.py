"""Perform outbound actions once each: claim, call the connector, record, retry with backoff.

An action is claimed (pending → sending) in its own transaction before the platform is called,
so two workers never send the same action. If a worker dies after claiming, the action stays
"sending"; `recover_stalled` puts it back in line after SOCIALDESK_OUTBOX_STALLED_SECONDS. An
attempt whose outcome is unknown is followed, once the platform has had time to finish it
(SOCIALDESK_OUTBOX_SETTLE_SECONDS), by one that first looks for it on the platform (our reply
in the thread or on the review), or that the platform itself dedupes (X refuses a duplicate
post; Mastodon returns the first status for a repeated Idempotency-Key).

Several actions go at once (`send_due`): a worker sends up to SOCIALDESK_OUTBOX_THREADS at a
time, at most SOCIALDESK_OUTBOX_ACCOUNT_CONCURRENCY at once from one account, and no account more
often than its platform's documented rate limit allows (`limits`). Both are checked when an
action is claimed, under the account's row lock, so they hold across workers; an action over
either waits, still pending, until the account has room.

An account whose connection stopped working (the platform refused its credentials and renewing
them did not help), or whose credentials cannot do the action (an X app-only token asked to
reply), sends nothing: its actions wait in "waiting for the account", untried and not counted
as failures, and go out when a community manager connects it again (`resume_account`).
"""

import logging
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from socialdesk.brands.models import BrandAccount
from socialdesk.connectors import auth
from socialdesk.connectors import messages as says
from socialdesk.connectors.base import (
    AlreadyPosted,
    Capability,
    ConnectorError,
    CredentialsRejected,
    NotSupported,
    OutcomeUnknown,
)
from socialdesk.connectors.registry import connector_for
from socialdesk.conversations.models import Activity, ActivityKind, Message
from socialdesk.conversations.storage import local_files
from socialdesk.outbox import limits
from socialdesk.outbox.models import ActionKind, ActionState, OutboundAction

log = logging.getLogger(__name__)


def backoff(attempts: int) -> float:
    """Exponential backoff with jitter, capped."""
    base = settings.SOCIALDESK_OUTBOX_BACKOFF_SECONDS * (2 ** max(attempts - 1, 0))
    return min(settings.SOCIALDESK_OUTBOX_BACKOFF_CAP_SECONDS, base) * random.uniform(0.5, 1.5)


def _claim(action_id: int) -> OutboundAction | None:

    now = timezone.now()
    account_id = (
        OutboundAction.objects.filter(pk=action_id).values_list("account_id", flat=True).first()
    )
    if account_id is None:
        return None
    with transaction.atomic(durable=True):
        # The account's row first (the order of `resume_account` and of renewing its token): the
        # claims from one account are then counted one at a time, whichever worker makes them.
        BrandAccount.objects.select_for_update().filter(pk=account_id).first()
        action = (
            OutboundAction.objects.select_for_update()
            .select_related("account")
            .filter(pk=action_id)
            .first()
        )
        if action is None or action.state != ActionState.PENDING:
            return None
        if action.next_attempt_at and action.next_attempt_at > now:
            return None
        reason = _blocked(action)
        if reason:
            _wait_for_account(action, reason)
            return None
        room_at = _account_busy_until(action, now)
        if room_at is not None:
            # Not an attempt: the action keeps its place and goes when the account has room.
            action.next_attempt_at = room_at
            action.save(update_fields=["next_attempt_at", "updated_at"])
            transaction.on_commit(lambda: _enqueue(action))
            return None
        action.state = ActionState.SENDING
        action.attempts += 1
        action.last_attempt_at = now
        action.save(update_fields=["state", "attempts", "last_attempt_at", "updated_at"])
    return action


def _account_busy_until(action: OutboundAction, now) -> datetime | None:
    """When the action's account has room for one more send, if it has none now: it already has
    SOCIALDESK_OUTBOX_ACCOUNT_CONCURRENCY sends in flight, or used its platform's budget within
    the window (`limits`). None: it may send now. Call with the account's row locked."""
    mine = OutboundAction.objects.filter(account_id=action.account_id)
    stalled_before = now - timedelta(seconds=settings.SOCIALDESK_OUTBOX_STALLED_SECONDS)
    # A send whose worker died stops counting once `recover_stalled` would take it back.
    if (
        mine.filter(state=ActionState.SENDING, updated_at__gte=stalled_before).count()
        >= limits.account_concurrency()
    ):
        return now + timedelta(seconds=1)
    budget = limits.budget(action.account.platform)
    if budget is None:
        return None
    count, window = budget
    recent = mine.filter(last_attempt_at__gt=now - timedelta(seconds=window))
    if recent.count() < count:
        return None
    oldest = recent.order_by("last_attempt_at").values_list("last_attempt_at", flat=True)[:1]
    return (oldest[0] if oldest else now) + timedelta(seconds=window)


_VERBS = {"reply": "reply", "like": "like", "retweet": "repost"}


def _blocked(action: OutboundAction) -> str:
    """Why the action's account cannot send it now, in words for the conversation page; "" if it can."""
    account = action.account
    if account.credentials_failed_at is not None:
        return says.CONNECTION_STOPPED % {
            "account": account,
            "error": account.credentials_error or says.CREDENTIALS_REFUSED,
        }
    capabilities = auth.capabilities(account)
    if capabilities.allows(action.kind) == auth.NO:
        return (
            f"{account} is connected with {capabilities.method.lower() or 'credentials'} that cannot {_VERBS.get(action.kind, action.kind)}; "
            "this goes out once a community manager connects it for that on the Accounts page."
        )
    return ""


def _wait_for_account(action: OutboundAction, reason: str) -> None:
    """Park the action until its account is connected again (call inside a transaction)."""
    action.state = ActionState.WAITING_FOR_ACCOUNT
    action.last_error = reason
    action.next_attempt_at = None
    action.save(update_fields=["state", "last_error", "next_attempt_at", "updated_at"])
    Activity.objects.create(
        conversation_id=action.conversation_id,
        kind=ActivityKind.DELIVERY_WAITING,
        detail={"action": action.pk, "kind": action.kind, "reason": reason},
    )


def _call(action: OutboundAction) -> str:
    connector = connector_for(action.account)
    if (
        action.kind == ActionKind.REPLY
        and action.attempts > 1
        and connector.can(Capability.RECONCILIATION)
    ):
        # An earlier attempt's outcome is unknown: look on the platform before sending again.
        found = connector.find_reply(in_reply_to_id=action.target_platform_id, text=action.text)
        if found:
            return found
    if action.kind == ActionKind.REPLY:
        attachments = list(action.message.attachments.all()) if action.message_id else []
        # Only connectors whose platform takes attachments are given any (channel_rules checks).
        if attachments and not connector.can(Capability.MEDIA):
            raise NotSupported(says.NO_ATTACHMENTS % {"connector": connector.platform})
        # The files as paths on this machine (a bucket's are copied for the upload).
        with local_files(attachments) as media:
            extra = {"media": media} if media else {}
            return connector.reply(
                text=action.text,
                in_reply_to_id=action.target_platform_id,
                idempotency_key=str(action.idempotency_key),
                **extra,
            )
    if action.kind == ActionKind.LIKE:
        connector.like(target_id=action.target_platform_id)
        return ""
    if action.kind == ActionKind.RETWEET:
        connector.repost(target_id=action.target_platform_id)
        return ""
    raise ConnectorError(says.UNKNOWN_ACTION % {"kind": action.kind}, retryable=False)


def _record_sent(action: OutboundAction, platform_id: str, *, note: str = "") -> None:
    with transaction.atomic(durable=True):
        action.state = ActionState.SENT
        action.result_platform_id = platform_id
        action.last_error = note
        action.next_attempt_at = None
        action.save(
            update_fields=[
                "state",
                "result_platform_id",
                "last_error",
                "next_attempt_at",
                "updated_at",
            ]
        )
        if action.message_id and platform_id:
            Message.objects.filter(pk=action.message_id).update(platform_id=platform_id)
        Activity.objects.create(
            conversation_id=action.conversation_id,
            kind=ActivityKind.DELIVERED,
            detail={
                "action": action.pk,
                "kind": action.kind,
                "platform_id": platform_id,
                "note": note,
            },
        )


def _record_failure(action: OutboundAction, exc: ConnectorError) -> None:
    now = timezone.now()
    retry = exc.retryable and action.attempts < settings.SOCIALDESK_OUTBOX_MAX_ATTEMPTS
    with transaction.atomic(durable=True):
        action.last_error = str(exc)
        if retry:
            delay = backoff(action.attempts)
            if isinstance(exc, OutcomeUnknown):
                # The request may still be carried out: look for it only once it has settled.
                delay = max(delay, settings.SOCIALDESK_OUTBOX_SETTLE_SECONDS)
            wait_until = datetime.fromtimestamp(exc.wait_until, tz=UTC) if exc.wait_until else None
            action.next_attempt_at = max(now + timedelta(seconds=delay), wait_until or now)
            action.state = ActionState.PENDING
        else:
            action.state = ActionState.FAILED
            action.next_attempt_at = None
        action.save(update_fields=["state", "last_error", "next_attempt_at", "updated_at"])
        Activity.objects.create(
            conversation_id=action.conversation_id,
            kind=ActivityKind.DELIVERY_RETRY if retry else ActivityKind.DELIVERY_FAILED,
            detail={
                "action": action.pk,
                "kind": action.kind,
                "error": str(exc),
                "attempt": action.attempts,
            },
        )
    if retry:
        transaction.on_commit(lambda: _enqueue(action))


def perform(action_id: int) -> str | None:
    """Try to perform one action now; returns its new state, or None when it was not due."""
    action = _claim(action_id)
    if action is None:
        return None
    try:
        platform_id = _call(action)
    except AlreadyPosted as exc:
        if action.attempts > 1:
            # An earlier attempt's outcome was unknown and the platform now refuses the same post
            # from the same account: the earlier attempt went through. Sending again would
            # duplicate it.
            _record_sent(action, "", note=f"Delivered by an earlier attempt ({exc}).")
            return ActionState.SENT
        _record_failure(action, exc)
        return action.state
    except CredentialsRejected as exc:
        return _refused(action, exc)
    except ConnectorError as exc:
        _record_failure(action, exc)
        return action.state
    except Exception as exc:  # noqa: BLE001 - never leave an action claimed on an unexpected error
        log.exception("Outbound action %s failed unexpectedly", action.pk)
        _record_failure(action, ConnectorError(f"Unexpected error: {exc}", retryable=True))
        return action.state
    _record_sent(action, platform_id)
    return ActionState.SENT


def due_action_ids(*, now=None, limit: int = 100) -> list[int]:
    """Pending actions that may go now, oldest first."""
    now = now or timezone.now()
    return list(
        OutboundAction.objects.filter(state=ActionState.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def send_due(*, first: int | None = None) -> list[str | None]:
    """Send `first` and whatever else is due, several at once: up to SOCIALDESK_OUTBOX_THREADS
    at a time, at most SOCIALDESK_OUTBOX_ACCOUNT_CONCURRENCY from one account. Returns each
    action's new state (None: it was not this call's to send), `first`'s first.

    Each action is still claimed on its own (`perform`), so two workers draining at once never
    send the same action, and a task for an action another one already sent does nothing.
    Inside a transaction only `first` is sent, in this thread: other threads could not see what
    the transaction has not committed. An in-memory SQLite database (the tests') cannot be shared
    between threads: there the actions go one after the other.
    """
    if connection.in_atomic_block:
        return [perform(first)] if first is not None else []
    n_threads = limits.threads()
    ids = [first] if first is not None else []
    ids += [pk for pk in due_action_ids(limit=n_threads * 4) if pk != first]
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        n_threads = 1
    if n_threads == 1 or len(ids) <= 1:
        return [perform(pk) for pk in ids]
    account_of = dict(OutboundAction.objects.filter(pk__in=ids).values_list("pk", "account_id"))
    ids = _interleaved(ids, account_of)
    gates = {
        account: threading.BoundedSemaphore(limits.account_concurrency())
        for account in set(account_of.values())
    }

    def send_one(pk: int) -> str | None:
        try:
            gate = gates.get(account_of.get(pk))
            if gate is None:
                return perform(pk)
            with gate:
                return perform(pk)
        except Exception:  # noqa: BLE001 - one action's trouble (e.g. the database busy) must not stop the others
            log.exception("Outbound action %s could not be sent now; it stays pending", pk)
            return None
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(
        max_workers=min(n_threads, len(ids)), thread_name_prefix="outbox"
    ) as pool:
        states = dict(zip(ids, pool.map(send_one, ids), strict=True))
    order = ([first] if first is not None else []) + [pk for pk in ids if pk != first]
    return [states.get(pk) for pk in order]


def _interleaved(ids: list[int], account_of: dict[int, int]) -> list[int]:
    """One account's actions spread between the others', so a busy account does not hold every
    thread while the others wait; `ids[0]` stays first and each account's order is kept."""
    queues: dict[int, list[int]] = {}
    for pk in ids[1:]:
        queues.setdefault(account_of.get(pk, 0), []).append(pk)
    out = ids[:1]
    while queues:
        for account in list(queues):
            out.append(queues[account].pop(0))
            if not queues[account]:
                del queues[account]
    return out


def _refused(action: OutboundAction, exc: CredentialsRejected) -> str:
    """The platform refused the account's credentials during this attempt (nothing was sent). If
    the account now needs reconnecting, or cannot do this, the action waits for that; if it was
    reconnected meanwhile, it is tried again like any failed attempt."""

    action.account = BrandAccount.objects.get(pk=action.account_id)
    reason = _blocked(action)
    if not reason:
        _record_failure(action, ConnectorError(str(exc), retryable=True, status=exc.status))
        return action.state
    with transaction.atomic(durable=True):
        _wait_for_account(action, reason)
    return action.state


def resume_account(account, *, actor=None, note: str = "") -> int:
    """The account is connected again: what waited for it goes now (call inside the transaction
    that saved the new credentials; the tasks are enqueued once it commits)."""
    now = timezone.now()
    waiting = list(
        OutboundAction.objects.select_for_update()
        .select_related("account")
        .filter(account=account, state=ActionState.WAITING_FOR_ACCOUNT)
    )
    resumed = []
    for action in waiting:
        action.account = account
        if _blocked(action):
            continue  # still cannot (e.g. reconnected with a read-only token): it keeps waiting
        action.state, action.next_attempt_at, action.last_error = ActionState.PENDING, now, ""
        action.save(update_fields=["state", "next_attempt_at", "last_error", "updated_at"])
        Activity.objects.create(
            conversation_id=action.conversation_id,
            actor=actor,
            kind=ActivityKind.DELIVERY_RESUMED,
            detail={"action": action.pk, "kind": action.kind, "note": note},
        )
        resumed.append(action)
    for action in resumed:
        transaction.on_commit(lambda a=action: _enqueue(a))
    return len(resumed)


def _enqueue(action: OutboundAction) -> None:
    from socialdesk.outbox.tasks import send_action

    send_action.using(run_after=action.next_attempt_at).enqueue(action.pk)


def recover_stalled(*, now=None) -> int:
    """Put back in line actions whose worker died while sending; their outcome is unknown."""
    now = now or timezone.now()
    stalled_after = timedelta(seconds=settings.SOCIALDESK_OUTBOX_STALLED_SECONDS)
    stalled = OutboundAction.objects.filter(
        state=ActionState.SENDING, updated_at__lt=now - stalled_after
    )
    n = 0
    for action in stalled:
        n += OutboundAction.objects.filter(pk=action.pk, state=ActionState.SENDING).update(
            state=ActionState.PENDING,
            next_attempt_at=now,
            last_error=says.WORKER_STOPPED_CHECKING,
            updated_at=now,
        )
    return n


def overdue_action_ids(*, now=None, grace: timedelta = timedelta(seconds=30)) -> list[int]:
    """Pending actions whose task should have run by now: the scheduler's safety net for a lost
    enqueue (e.g. the process died between commit and enqueue). A fresh action's own task is
    given `grace` to run first."""
    now = now or timezone.now()
    return list(
        OutboundAction.objects.filter(
            state=ActionState.PENDING, next_attempt_at__lte=now - grace
        ).values_list("pk", flat=True)[:500]
    )


def retry_failed(*, actor, action: OutboundAction) -> OutboundAction:
    """An agent asks to try a failed action again."""
    from socialdesk.actions import policy

    policy.require_role(
        actor=actor,
        conversation=action.conversation,
        action=action.kind if action.kind != "retweet" else "retweet",
    )
    now = timezone.now()
    with transaction.atomic():
        n = OutboundAction.objects.filter(pk=action.pk, state=ActionState.FAILED).update(
            state=ActionState.PENDING,
            next_attempt_at=now,
            attempts=0,
            updated_at=now,
        )
        if n:
            Activity.objects.create(
                conversation_id=action.conversation_id,
                actor=actor,
                kind=ActivityKind.DELIVERY_RETRIED,
                detail={"action": action.pk},
            )
            action.refresh_from_db()
            transaction.on_commit(lambda: _enqueue(action))
    return action
