"""The only way to change a conversation: one function per intent of the agent.

Each checks the role and the engagement policy, writes the rows, appends to the activity log and
queues outbound work, in one transaction; views and the API only parse input and call these.
"""

from django.db import transaction
from django.utils import timezone

from socialdesk.outbox.models import ActionKind, OutboundAction
from socialdesk.people.models import default_signature

from . import policy
from .channel_rules import check_reply_text
from .errors import ActionConflict, ActionError
from .models import Activity, CloseReason, Conversation, Direction, HoldReason, InternalNote, Message, Status

THEN_CHOICES = ("none", "hold", "close")


def _lock(conversation: Conversation) -> Conversation:
    return Conversation.objects.select_for_update().get(pk=conversation.pk)


def _check_not_dealt_to_another(actor, conversation: Conversation, now) -> None:
    if conversation.dealt_to_id and conversation.dealt_to_id != actor.id and conversation.lease_expires_at and conversation.lease_expires_at > now:
        raise ActionConflict(f"{conversation.dealt_to} is handling this conversation in Play Mode right now.")


def _parse_hold_reason(value: str) -> str:
    if value not in HoldReason.values:
        raise ActionError(f"Choose a hold reason: {', '.join(HoldReason.labels)}.", field="hold_reason")
    return value


def _parse_close_reason(value: str) -> str:
    if value not in CloseReason.values:
        raise ActionError("Choose one of the closing reasons before closing: " + ", ".join(CloseReason.labels) + ".", field="close_reason")
    return value


def _set_held(*, actor, conversation: Conversation, reason: str, now) -> None:
    conversation.status, conversation.hold_reason, conversation.close_reason = Status.HELD, reason, ""
    Activity.objects.create(conversation=conversation, actor=actor, kind="held", detail={"reason": reason})


def _set_closed(*, actor, conversation: Conversation, reason: str, now) -> None:
    conversation.status, conversation.close_reason, conversation.hold_reason = Status.CLOSED, reason, ""
    Activity.objects.create(conversation=conversation, actor=actor, kind="closed", detail={"reason": reason})


def _release(conversation: Conversation) -> None:
    conversation.dealt_to, conversation.lease_expires_at = None, None


def reply(
    *, actor, conversation: Conversation, text: str, then: str = "none",
    hold_reason: str = "", close_reason: str = "",
) -> Message:
    """Queue a public reply from the conversation's respond-from account, then hold or close.

    The reply answers the customer's latest message; the outbox sends it.
    """
    policy.require_role(actor=actor, conversation=conversation, action="reply")
    account = conversation.respond_from
    policy.require_account_allows(actor=actor, conversation=conversation, account=account, action="reply")
    text = (text or "").strip()
    if not text:
        raise ActionError("Write a reply first: it is empty.", field="text")
    if then not in THEN_CHOICES:
        raise ActionError("After replying, choose one of: reply only, hold, close.", field="then")
    if then == "hold":
        hold_reason = _parse_hold_reason(hold_reason)
    if then == "close":
        close_reason = _parse_close_reason(close_reason)
    signature = default_signature(actor)
    full_text = f"{text} {signature}" if signature else text
    check_reply_text(conversation.platform, full_text)

    now = timezone.now()
    with transaction.atomic():
        conversation = _lock(conversation)
        _check_not_dealt_to_another(actor, conversation, now)
        target = (
            conversation.messages.filter(direction=Direction.INBOUND, platform_id__isnull=False)
            .order_by("-created_at", "-id").first()
        )
        if target is None:
            raise ActionError("There is no customer message to reply to.")
        message = Message.objects.create(
            conversation=conversation, direction=Direction.OUTBOUND, platform=conversation.platform,
            in_reply_to_platform_id=target.platform_id, account=account, sent_by=actor,
            text=full_text, created_at=now,
        )
        action = OutboundAction.objects.create(
            kind=ActionKind.REPLY, conversation=conversation, message=message, account=account,
            target_platform_id=target.platform_id, text=full_text, created_by=actor, next_attempt_at=now,
        )
        Activity.objects.create(
            conversation=conversation, actor=actor, kind="replied",
            detail={"message": message.pk, "action": action.pk, "in_reply_to": target.platform_id, "from": str(account)},
        )
        conversation.awaiting_reply = False
        if then == "hold":
            _set_held(actor=actor, conversation=conversation, reason=hold_reason, now=now)
        elif then == "close":
            _set_closed(actor=actor, conversation=conversation, reason=close_reason, now=now)
        # Answered: the deal is done, Play Mode moves on.
        _release(conversation)
        conversation.save()
        _enqueue_after_commit(action)
    return message


def hold(*, actor, conversation: Conversation, reason: str) -> Conversation:
    policy.require_role(actor=actor, conversation=conversation, action="hold")
    reason = _parse_hold_reason(reason)
    now = timezone.now()
    with transaction.atomic():
        conversation = _lock(conversation)
        _check_not_dealt_to_another(actor, conversation, now)
        _set_held(actor=actor, conversation=conversation, reason=reason, now=now)
        _release(conversation)
        conversation.save()
    return conversation


def close(*, actor, conversation: Conversation, reason: str) -> Conversation:
    policy.require_role(actor=actor, conversation=conversation, action="close")
    reason = _parse_close_reason(reason)
    now = timezone.now()
    with transaction.atomic():
        conversation = _lock(conversation)
        _check_not_dealt_to_another(actor, conversation, now)
        _set_closed(actor=actor, conversation=conversation, reason=reason, now=now)
        _release(conversation)
        conversation.save()
    return conversation


def add_note(*, actor, conversation: Conversation, text: str) -> InternalNote:
    policy.require_role(actor=actor, conversation=conversation, action="note")
    text = (text or "").strip()
    if not text:
        raise ActionError("The internal note is empty.", field="text")
    with transaction.atomic():
        note = InternalNote.objects.create(conversation=conversation, author=actor, text=text)
        Activity.objects.create(conversation=conversation, actor=actor, kind="note_added", detail={"note": note.pk})
    return note


def like(*, actor, conversation: Conversation, message: Message) -> OutboundAction:
    """Like a customer's message, from the account that was mentioned (PO3), through the outbox."""
    policy.require_role(actor=actor, conversation=conversation, action="like")
    if message.conversation_id != conversation.pk or message.direction != Direction.INBOUND:
        raise ActionError("Only a customer's message in this conversation can be liked.")
    policy.require_account_allows(actor=actor, conversation=conversation, account=conversation.account, action="like")
    now = timezone.now()
    with transaction.atomic():
        if OutboundAction.objects.filter(kind=ActionKind.LIKE, target_platform_id=message.platform_id, account=conversation.account).exists():
            raise ActionConflict("This message is already liked (or the like is on its way).")
        action = OutboundAction.objects.create(
            kind=ActionKind.LIKE, conversation=conversation, account=conversation.account,
            target_platform_id=message.platform_id, created_by=actor, next_attempt_at=now,
        )
        Activity.objects.create(conversation=conversation, actor=actor, kind="liked", detail={"action": action.pk, "from": str(conversation.account)})
        _enqueue_after_commit(action)
    return action


def mark_moderated(*, actor, conversation: Conversation) -> Conversation:
    policy.require_role(actor=actor, conversation=conversation, action="moderate")
    with transaction.atomic():
        conversation = _lock(conversation)
        if not conversation.moderated:
            conversation.moderated = True
            conversation.save(update_fields=["moderated", "updated_at"])
            Activity.objects.create(conversation=conversation, actor=actor, kind="moderated")
    return conversation


def _enqueue_after_commit(action: OutboundAction) -> None:
    from socialdesk.outbox.tasks import send_action

    transaction.on_commit(lambda: send_action.enqueue(action.pk))
