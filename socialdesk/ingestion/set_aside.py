"""Messages ingestion could not store: kept as received, retried or dismissed by a community manager.

`keep` and `keep_message` are how ingestion sets a message aside (once per platform message,
however often it arrives). `retry` and `dismiss` are the two things a community manager does
with one; both check the role here, so no page or script can skip it, and both are logged on the
row (`history`) and in the log. A message the platform sent incomplete (who wrote it left out,
say) waits instead: `retry_waiting` reads it again at the polls of its account, the connector
asking the platform once more, until it can be stored or a day has gone by.
"""

import json
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from socialdesk.connectors.base import Incomplete, Unreadable
from socialdesk.connectors.registry import renormalise
from socialdesk.conversations.models import Message
from socialdesk.people.models import has_role

from . import boundary
from .models import FilteredMessage, Resolution, SetAsideMessage

log = logging.getLogger(__name__)

ERROR_LENGTH = 2000
REASON_LENGTH = 500

# A message waiting for the platform is asked for again at the first poll after it was set
# aside, then less and less often (30 s, 1, 2, 4 ... minutes, at most hourly), for a day: an
# answer that missed an expansion once usually has it the next time, and a user X will not show
# (suspended, protected) will not come back soon. After that a community manager decides.
WAIT_FIRST_SECONDS = 30
WAIT_MAX_SECONDS = 3600
WAIT_FOR = timedelta(days=1)
# How many waiting messages one poll of an account reads again (one lookup for the platform).
WAITING_BATCH = 100

# Errors of the database itself, not of a message (a lock held too long, a lost connection):
# the page fails and is read again at the next poll, rather than setting good messages aside.
TRANSIENT = (OperationalError, InterfaceError)


class SetAsideError(Exception):
    """A retry or dismissal that cannot be done as asked; the message says what to do instead."""


def keep(
    *,
    platform,
    platform_id,
    raw,
    error: str,
    normalised: str = "",
    text: str = "",
    author: str = "",
    account=None,
    stream: str = "",
    waiting: bool = False,
) -> SetAsideMessage:
    """Set a message aside, or note that the platform sent one set aside before again. `waiting`:
    the platform left out what it needs, and the account's next poll asks again (`retry_waiting`)."""
    payload = boundary.exact_json(raw)
    key = boundary.set_aside_key(platform_id, payload)
    platform = boundary.fit(platform, SetAsideMessage, "platform")
    existing = SetAsideMessage.objects.filter(platform=platform, key=key).first()
    now = timezone.now()
    if existing is None:
        try:
            with transaction.atomic():
                return SetAsideMessage.objects.create(
                    first_seen_at=now,
                    last_seen_at=now,
                    platform=platform,
                    key=key,
                    platform_id=boundary.fit(platform_id, SetAsideMessage, "platform_id"),
                    account=account,
                    stream=boundary.fit(stream, SetAsideMessage, "stream"),
                    payload=payload,
                    normalised=normalised,
                    text=boundary.clean(text),
                    author=boundary.fit(author, SetAsideMessage, "author"),
                    error=boundary.clean(error)[:ERROR_LENGTH],
                    retry_at=now if waiting else None,
                )
        except IntegrityError:
            # Another poller set it aside first: one row per message.
            existing = SetAsideMessage.objects.get(platform=platform, key=key)
    SetAsideMessage.objects.filter(pk=existing.pk).update(last_seen_at=now)
    return existing


def keep_message(msg, *, error: str, account=None, stream: str = "") -> SetAsideMessage:
    """Set aside a normalised message, with what a retry needs to store it."""
    try:
        normalised = boundary.as_json(msg)
    except (TypeError, ValueError):
        normalised = ""  # a retry reads the raw payload again instead
    author = getattr(msg, "author", None)
    return keep(
        platform=getattr(msg, "platform", ""),
        platform_id=getattr(msg, "platform_id", ""),
        raw=getattr(msg, "raw", {}),
        error=error,
        normalised=normalised,
        text=getattr(msg, "text", ""),
        author=getattr(author, "handle", "") or getattr(author, "name", ""),
        account=account,
        stream=stream,
    )


def failed_again(item: SetAsideMessage, *, error: str) -> None:
    SetAsideMessage.objects.filter(pk=item.pk).update(
        attempts=F("attempts") + 1, error=boundary.clean(error)[:ERROR_LENGTH]
    )


def restore(item: SetAsideMessage):
    """The message to store again: the normalised one kept, or the payload read again by its
    connector (when the connector could not read it the first time). None: no customer message."""

    raw = json.loads(item.payload)
    if item.normalised:
        return boundary.from_json(item.normalised, raw)
    return renormalise(item.platform, raw, account=item.account)


@dataclass
class RetryOutcome:
    item: SetAsideMessage
    resolution: str = ""
    error: str = ""

    @property
    def conversation_id(self) -> int | None:
        return self.item.message.conversation_id if self.item.message_id else None


def retry(item_id: int, *, actor) -> RetryOutcome:
    """Run ingestion on the kept message again (after a fix, say). Stored, kept out by a filter
    or found to be no customer message, it leaves the list; failing again, it stays, with the
    new error and one more attempt."""
    _require_cm(actor)
    with transaction.atomic():
        item = _open_item(item_id)
        try:
            msg = restore(item)
        except TRANSIENT:
            raise
        except Exception as exc:  # noqa: BLE001 - the payload still cannot be read: it stays, with why
            error = (
                f"It still cannot be stored: {exc}"
                if isinstance(exc, Incomplete)
                else f"It still cannot be read: {exc.__class__.__name__}: {exc}"
            )
            failed_again(item, error=error)
            return _record(
                item, actor=actor, action="retry", outcome=boundary.clean(error)[:ERROR_LENGTH]
            )
        return _store_again(item, msg, actor=actor)


def _store_again(item: SetAsideMessage, msg, *, actor) -> RetryOutcome:
    """Ingestion on a set-aside message read again (`msg`; None: no customer message after all)."""
    # cycle: ingestion <-> actions (storing a message again is the action layer's `ingest`,
    # which sets aside through this module)
    from socialdesk.actions.inbound import ingest

    if msg is None:
        return _resolve(item, actor=actor, action="retry", resolution=Resolution.SKIPPED)
    result = ingest([msg], account=item.account, stream=item.stream, retrying=item)
    if result.set_aside:
        item.refresh_from_db()
        return _record(item, actor=actor, action="retry", outcome=item.error)
    if result.stored or result.duplicates:
        message = Message.objects.filter(
            platform=msg.platform, platform_id=msg.platform_id
        ).first()
        return _resolve(
            item, actor=actor, action="retry", resolution=Resolution.STORED, message=message
        )
    if (
        result.filtered
        and FilteredMessage.objects.filter(
            platform=msg.platform, platform_id=msg.platform_id
        ).exists()
    ):
        return _resolve(item, actor=actor, action="retry", resolution=Resolution.FILTERED)
    return _resolve(item, actor=actor, action="retry", resolution=Resolution.SKIPPED)


def retry_waiting(*, account, reread, due=None) -> int:
    """Read again the account's messages that wait for the platform and are due, at most
    `WAITING_BATCH` of them: `reread(payloads)` is the connector's, asking the platform once more
    for what it left out, and gives for each payload a message, an `Unreadable` saying why it
    still cannot be read, or None (no customer message). Returns how many were stored.

    Each message is handled in its own transaction, after a community manager's retry or
    dismissal if one came first. One that still cannot be stored waits longer, with the new
    reason, until `WAIT_FOR` after it was first set aside; then it is left to a community manager.
    `due`: read those due by then (the start of the poll, so what it set aside waits for the next)."""
    now = timezone.now()
    items = list(
        SetAsideMessage.objects.filter(
            account=account, resolved_at__isnull=True, retry_at__lte=due or now
        ).order_by("retry_at", "pk")[:WAITING_BATCH]
    )
    if not items:
        return 0
    outcomes = reread([json.loads(item.payload) for item in items])
    stored = 0
    for item, outcome in zip(items, outcomes, strict=True):
        with transaction.atomic():
            item = (
                SetAsideMessage.objects.select_for_update()
                .filter(pk=item.pk, resolved_at__isnull=True)
                .first()
            )
            if item is None or item.retry_at is None:
                continue  # handled, or given up, meanwhile
            try:
                if isinstance(outcome, Unreadable):
                    failed_again(item, error=outcome.error)
                    done = None
                else:
                    done = _store_again(item, outcome, actor=None)
            except TRANSIENT:
                raise
            except Exception as exc:  # noqa: BLE001 - one message's failure is that message's
                log.exception(
                    "Retrying set-aside %s message %s failed",
                    item.platform,
                    item.platform_id or item.key,
                )
                failed_again(item, error=f"{exc.__class__.__name__}: {exc}")
                done = None
            if done is not None and done.resolution:
                stored += done.resolution == Resolution.STORED
                continue
            _wait_again(item, now=now)
    return stored


def _wait_again(item: SetAsideMessage, *, now) -> None:
    item.refresh_from_db(fields=["attempts", "first_seen_at", "error"])
    if now - item.first_seen_at >= WAIT_FOR:
        error = f"{item.error} Asked again for a day without success: retry it once the platform has it, or dismiss it."
        SetAsideMessage.objects.filter(pk=item.pk).update(
            retry_at=None, error=error[:ERROR_LENGTH]
        )
        log.warning(
            "Set-aside %s message %s (#%s) is left to a community manager: %s",
            item.platform,
            item.platform_id or item.key,
            item.pk,
            item.error,
        )
        return
    delay = min(WAIT_FIRST_SECONDS * 2 ** max(item.attempts - 2, 0), WAIT_MAX_SECONDS)
    SetAsideMessage.objects.filter(pk=item.pk).update(retry_at=now + timedelta(seconds=delay))


def dismiss(item_id: int, *, actor, reason: str) -> SetAsideMessage:
    """Let the message go, with why: it leaves the list and the row keeps the reason."""
    _require_cm(actor)
    reason = boundary.clean(reason).strip()
    if not reason:
        raise SetAsideError(_("Say why this message is dismissed."))
    if len(reason) > REASON_LENGTH:
        raise SetAsideError(
            _("Keep the reason to %(limit)s characters; this one has %(length)s.")
            % {"limit": REASON_LENGTH, "length": len(reason)}
        )
    with transaction.atomic():
        item = _open_item(item_id)
        item.reason = reason
        return _resolve(item, actor=actor, action="dismiss", resolution=Resolution.DISMISSED).item


def _require_cm(actor) -> None:
    if not has_role(actor, "cm"):
        raise PermissionDenied(_("Only community managers retry or dismiss set-aside messages."))


def _open_item(item_id: int) -> SetAsideMessage:
    item = SetAsideMessage.objects.select_for_update().filter(pk=item_id).first()
    if item is None:
        raise SetAsideMessage.DoesNotExist(f"No set-aside message {item_id}.")
    if item.resolved_at is not None:
        raise SetAsideError(
            _("This message was handled already (%(resolution)s).")
            % {"resolution": item.get_resolution_display().lower()}
        )
    return item


def _resolve(
    item: SetAsideMessage, *, actor, action: str, resolution: str, message: Message | None = None
) -> RetryOutcome:
    item.resolved_at, item.resolution, item.resolved_by, item.message = (
        timezone.now(),
        resolution,
        actor,
        message,
    )
    item.retry_at = None
    item.save(
        update_fields=["resolved_at", "resolution", "resolved_by", "message", "reason", "retry_at"]
    )
    return _record(item, actor=actor, action=action, outcome=resolution, resolution=resolution)


def _record(
    item: SetAsideMessage, *, actor, action: str, outcome: str, resolution: str = ""
) -> RetryOutcome:
    entry = {
        "at": timezone.now().isoformat(),
        "by": actor.get_username() if actor else "",
        "action": action,
        "outcome": outcome,
    }
    if actor is None:
        entry["automatic"] = True
    if action == "dismiss":
        entry["reason"] = item.reason
    item.history = [*item.history, entry]
    SetAsideMessage.objects.filter(pk=item.pk).update(history=item.history)
    log.info(
        "Set-aside %s message %s (#%s): %s by %s: %s",
        item.platform,
        item.platform_id or item.key,
        item.pk,
        action,
        entry["by"] or "a poll",
        outcome,
    )
    return RetryOutcome(item=item, resolution=resolution, error="" if resolution else outcome)
