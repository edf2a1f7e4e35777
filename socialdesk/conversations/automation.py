"""What the system does on its own (AG9), run by the scheduler; each change is logged as done by
the system (an activity with no actor)."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from .models import Activity, CloseReason, Conversation, Direction, HoldReason, Status


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
        .annotate(last_reply=Max("messages__created_at", filter=Q(messages__direction=Direction.OUTBOUND)))
        .filter(last_reply__lte=cutoff)
        .values_list("pk", flat=True)
    )
    closed = 0
    for pk in list(candidates):
        with transaction.atomic():
            # Only if nothing changed meanwhile (the customer may have written).
            n = Conversation.objects.filter(pk=pk, status=Status.HELD, hold_reason=HoldReason.WAITING_ON_CUSTOMER).update(
                status=Status.CLOSED, hold_reason="", close_reason=CloseReason.USER_DIDNT_RESPOND, dealt_to=None, lease_expires_at=None, updated_at=now,
            )
            if n:
                Activity.objects.create(
                    conversation_id=pk, kind="auto_closed",
                    detail={"reason": CloseReason.USER_DIDNT_RESPOND, "after_days": settings.SOCIALDESK_AUTO_CLOSE_DAYS},
                )
                closed += 1
    return closed


def flag_old(*, now=None) -> int:
    """Flag open conversations older than the configured age as candidates for closing."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SOCIALDESK_FLAG_OLD_DAYS)
    pks = list(
        Conversation.objects.exclude(status=Status.CLOSED).filter(flagged_for_closing=False, last_inbound_at__lte=cutoff)
        .filter(_not_escalated()).values_list("pk", flat=True)
    )
    with transaction.atomic():
        Conversation.objects.filter(pk__in=pks).update(flagged_for_closing=True, updated_at=now)
        Activity.objects.bulk_create(
            [Activity(conversation_id=pk, kind="flagged_for_closing", detail={"older_than_days": settings.SOCIALDESK_FLAG_OLD_DAYS}) for pk in pks]
        )
    return len(pks)
