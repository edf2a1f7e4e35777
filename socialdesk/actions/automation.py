"""What the system does on its own (AG9), run by the scheduler; each change is logged as done by
the system (an activity with no actor)."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from socialdesk.actions.log import write_entries
from socialdesk.conversations.models import (
    Activity,
    ActivityKind,
    CloseReason,
    Conversation,
    Direction,
    HoldReason,
    Message,
    Status,
)


def _not_escalated():
    # Conversations in an escalation queue are never closed or flagged by automation.
    return Q(assigned_queue__isnull=True) | Q(assigned_queue__is_escalation=False)


def close_unresponsive(*, now=None) -> int:
    """Close "User didn't respond" what waits on the customer N days after our last reply."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SOCIALDESK_AUTO_CLOSE_DAYS)
    candidates = (
        Conversation.objects.filter(status=Status.HELD, hold_reason=HoldReason.WAITING_ON_CUSTOMER)
        .filter(_not_escalated())
        .annotate(
            last_reply=Max(
                "messages__created_at", filter=Q(messages__direction=Direction.OUTBOUND)
            )
        )
        .filter(last_reply__lte=cutoff)
        .values_list("pk", flat=True)
    )
    closed = 0
    for pk in list(candidates):
        with transaction.atomic(durable=True):
            # Only if nothing changed meanwhile (the customer may have written).
            closed += _close(
                pk,
                Q(status=Status.HELD, hold_reason=HoldReason.WAITING_ON_CUSTOMER),
                CloseReason.USER_DIDNT_RESPOND,
                now,
                after_days=settings.SOCIALDESK_AUTO_CLOSE_DAYS,
            )
    return closed


def mark_deleted(*, message_pk: int, now=None) -> bool:
    """The customer deleted this message on the platform (CH2): mark it (its text stays, for the
    record) and log it; close the conversation "Deleted" when no customer message is left."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        if not Message.objects.filter(pk=message_pk, deleted_at__isnull=True).update(
            deleted_at=now
        ):
            return False  # another run got there first
        message = Message.objects.get(pk=message_pk)
        Activity.objects.create(
            conversation_id=message.conversation_id,
            kind=ActivityKind.MESSAGE_DELETED,
            detail={"message": message.pk, "platform_id": message.platform_id},
        )
        left = Message.objects.filter(
            conversation_id=message.conversation_id,
            direction=Direction.INBOUND,
            deleted_at__isnull=True,
        )
        if not left.exists():
            _close(
                message.conversation_id,
                ~Q(status=Status.CLOSED),
                CloseReason.DELETED,
                now,
                why="every customer message was deleted",
            )
    return True


def _close(pk: int, still: Q, reason: str, now, **detail) -> int:
    """Close a conversation by the system if it is `still` as found; logged. 1 if it was closed."""
    if not Conversation.objects.filter(still, pk=pk).update(
        status=Status.CLOSED,
        hold_reason="",
        close_reason=reason,
        dealt_to=None,
        lease_expires_at=None,
        updated_at=now,
    ):
        return 0
    Activity.objects.create(
        conversation_id=pk, kind=ActivityKind.AUTO_CLOSED, detail={"reason": reason, **detail}
    )
    return 1


def flag_old(*, now=None) -> int:
    """Flag open conversations older than the configured age as candidates for closing."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SOCIALDESK_FLAG_OLD_DAYS)
    pks = list(
        Conversation.objects.exclude(status=Status.CLOSED)
        .filter(flagged_for_closing=False, last_inbound_at__lte=cutoff)
        .filter(_not_escalated())
        .values_list("pk", flat=True)
    )
    with transaction.atomic(durable=True):
        Conversation.objects.filter(pk__in=pks).update(flagged_for_closing=True, updated_at=now)
        write_entries(
            [
                Activity(
                    conversation_id=pk,
                    kind=ActivityKind.FLAGGED_FOR_CLOSING,
                    detail={"older_than_days": settings.SOCIALDESK_FLAG_OLD_DAYS},
                )
                for pk in pks
            ]
        )
    return len(pks)
