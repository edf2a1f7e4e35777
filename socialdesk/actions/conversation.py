"""What agents do to a conversation, one function per intent: reply, hold, close, note, like,
tag, assign, merge, split, take over, approve.

Each checks the role and the engagement policy, writes the rows, appends to the activity log and
queues outbound work, in one transaction (`durable=True` where it is the outer edge); views and
the API only parse input and call these. Escalating is in `escalate`.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from socialdesk.actions import policy
from socialdesk.actions.deal import lease_length
from socialdesk.actions.log import write_entries
from socialdesk.connectors import registry as connectors
from socialdesk.conversations.channel_rules import (
    address_reply,
    check_attachments,
    check_reply_text,
    display_name,
    without_leading_mention,
)
from socialdesk.conversations.limits import check_text
from socialdesk.conversations.models import (
    Activity,
    ActivityKind,
    Attachment,
    CloseReason,
    Conversation,
    Direction,
    HoldReason,
    InternalNote,
    Message,
    Reminder,
    Sentiment,
    Status,
    Tag,
    UserTag,
    UserTagKind,
)
from socialdesk.enqueueing import enqueue_with_transaction
from socialdesk.errors import ActionConflict, ActionError, ActionRefused
from socialdesk.outbox.models import ActionKind, ActionState, OutboundAction
from socialdesk.outbox.tasks import send_action
from socialdesk.people.models import Profile, Role, has_role
from socialdesk.people.services import signature_for_reply
from socialdesk.prepared import Prepared
from socialdesk.queues.models import Queue
from socialdesk.triage.models import CorrectionField, TriageCorrection, TriageSuggestion

THEN_CHOICES = ("none", "hold", "close")


# Compiled once (socialdesk/prepared.py): every action reads its conversation again under the lock.
_locked = Prepared(lambda pk: Conversation.objects.select_for_update().filter(pk=pk))


def _lock(conversation: Conversation) -> Conversation:
    locked = _locked.first(pk=conversation.pk)
    if locked is None:
        raise Conversation.DoesNotExist("The conversation is gone.")
    return locked


def _check_not_dealt_to_another(actor, conversation: Conversation, now) -> None:
    # Again under the row lock: a deal made since `policy.require_role` looked still wins.
    policy.check_not_dealt_to_another(actor=actor, conversation=conversation, now=now)


def _parse_reason(value: str, choices, message: str, field: str) -> str:
    if value not in choices.values:
        raise ActionError(
            message % {"reasons": ", ".join(str(label) for label in choices.labels)}, field=field
        )
    return value


def _parse_hold_reason(value: str) -> str:
    return _parse_reason(
        value, HoldReason, gettext("Choose a hold reason: %(reasons)s."), "hold_reason"
    )


def _parse_close_reason(value: str) -> str:
    return _parse_reason(
        value,
        CloseReason,
        gettext("Choose one of the closing reasons before closing: %(reasons)s."),
        "close_reason",
    )


def _log(entry: Activity, log: list | None) -> None:
    """Write the entry now, or add it to `log` for the caller to write with the others at once."""
    if log is None:
        entry.save()
    else:
        log.append(entry)


def _set_held_or_closed(
    *, actor, conversation: Conversation, status: str, reason: str, log=None
) -> None:
    """The conversation held or closed with `reason` (the other reason cleared), and its entry."""
    held = status == Status.HELD
    conversation.status = status
    conversation.hold_reason, conversation.close_reason = (reason, "") if held else ("", reason)
    kind = ActivityKind.HELD if held else ActivityKind.CLOSED
    _log(
        Activity(conversation=conversation, actor=actor, kind=kind, detail={"reason": reason}),
        log,
    )


# What a reply (and the hold or close after it) changes on the conversation: only these are
# written, so the UPDATE does not carry the other columns back.
REPLY_CHANGES = [
    "status",
    "hold_reason",
    "close_reason",
    "awaiting_reply",
    "last_agent",
    "reserved_for",
    "reserved_until",
    "dealt_to",
    "lease_expires_at",
    "updated_at",
]


def _release(conversation: Conversation) -> None:
    conversation.dealt_to, conversation.lease_expires_at = None, None


@dataclass(frozen=True)
class CheckedReply:
    """A reply that passed every check that needs no lock; `do_reply` writes it."""

    actor: object
    conversation: Conversation
    account: object
    text: str  # signed and addressed, as it goes out
    files: list
    then: str
    hold_reason: str
    close_reason: str
    confirm: bool


def check_reply(
    *,
    actor,
    conversation: Conversation,
    text: str,
    then: str = "none",
    hold_reason: str = "",
    close_reason: str = "",
    confirm: bool = False,
    clipping_text: str = "",
    attachments=(),
    signature_id: int | None = None,
    signed: bool = True,
) -> CheckedReply:
    """Everything a reply must pass before anything is written: the role, the account's
    engagement policy, the text and the platform's limits, a clipping sent unchanged, the
    signature. A refusal's audit entry is written here, outside any transaction, so it is kept."""
    policy.require_role(actor=actor, conversation=conversation, action="reply")
    account = conversation.respond_from
    policy.require_account_allows(
        actor=actor, conversation=conversation, account=account, action="reply"
    )
    text = (text or "").strip()
    if not text:
        raise ActionError(gettext("Write a reply first: it is empty."), field="text")
    # Before the platform's count: counting a pasted megabyte would cost seconds.
    check_text(text, kind="reply", label=gettext("The reply"))
    if then not in THEN_CHOICES:
        raise ActionError(
            gettext("After replying, choose one of: reply only, hold, close."), field="then"
        )
    if then == "hold":
        hold_reason = _parse_hold_reason(hold_reason)
    if then == "close":
        close_reason = _parse_close_reason(close_reason)
    bare = without_leading_mention(conversation.platform, text, conversation.author.handle)
    if clipping_text and bare == clipping_text.strip() and not confirm:
        raise ActionConflict(
            gettext(
                "This clipping would go out unchanged. Personalise it so it doesn't read like a bot, or tick “Send anyway”."
            ),
            field="confirm",
        )
    if connectors.has_dm_link(conversation.platform, text):
        # The "send a private message" button (the platform's DM link, from its connector) is a
        # link in the reply: a DM by other means.
        policy.require_account_allows(
            actor=actor, conversation=conversation, account=account, action="dm"
        )
    signature = signature_for_reply(user=actor, signature_id=signature_id, none=not signed)
    full_text = f"{text} {signature}" if signature else text
    full_text = address_reply(conversation.platform, full_text, conversation.author.handle)
    check_reply_text(conversation.platform, full_text)
    files = check_attachments(conversation.platform, attachments)
    return CheckedReply(
        actor=actor,
        conversation=conversation,
        account=account,
        text=full_text,
        files=files,
        then=then,
        hold_reason=hold_reason,
        close_reason=close_reason,
        confirm=confirm,
    )


def do_reply(checked: CheckedReply) -> Message:
    """Write a checked reply in one transaction: the outbound message, its outbox action and the
    log entry; then hold or close; the deal is done. The outbox sends it after the commit."""
    actor, now = checked.actor, timezone.now()
    log = []
    with transaction.atomic(durable=True):
        conversation = _lock(checked.conversation)
        _check_not_dealt_to_another(actor, conversation, now)
        message, action = write_reply(checked, conversation=conversation, now=now, log=log)
        if checked.then in ("hold", "close"):
            held = checked.then == "hold"
            _set_held_or_closed(
                actor=actor,
                conversation=conversation,
                status=Status.HELD if held else Status.CLOSED,
                reason=checked.hold_reason if held else checked.close_reason,
                log=log,
            )
        # The reply's entry and the hold's or close's, in one statement.
        write_entries(log)
        # Answered: the deal is done, Play Mode moves on.
        _release(conversation)
        conversation.save(update_fields=REPLY_CHANGES)
    return message


def reply(*, actor, conversation: Conversation, text: str, **options) -> Message:
    """Queue a public reply from the conversation's respond-from account, then hold or close.

    The reply answers the customer's latest message; the outbox sends it. A second reply to the
    same customer message is refused unless `confirm` (AG7: two agents must not both answer).
    It is signed with the agent's signature `signature_id`, their default one when None, or none
    when not `signed`. See `check_reply` for the options.
    """
    return do_reply(check_reply(actor=actor, conversation=conversation, text=text, **options))


def write_reply(
    checked: CheckedReply,
    *,
    conversation: Conversation,
    now,
    holding: bool = False,
    log: list | None = None,
) -> tuple[Message, OutboundAction]:
    """The writes of a reply, inside the caller's transaction and under its lock on
    `conversation` (`do_reply`, and `escalate` for a holding reply): the checks that need the
    lock, the message, its attachments, the outbox action and the log entry (added to `log` when
    the caller writes the entries itself). The conversation is changed in memory; the caller
    saves it."""
    actor, account = checked.actor, checked.account
    target = _reply_target.first(conversation=conversation.pk)
    if target is None:
        raise ActionError(gettext("There is no customer message to reply to."))
    earlier = (
        Message.objects.select_related("sent_by").filter(pk=target.earlier_reply).first()
        if target.earlier_reply is not None and not checked.confirm
        else None
    )
    if earlier is not None and not checked.confirm:
        who = earlier.sent_by or gettext("a former contributor")
        raise ActionConflict(
            gettext(
                "%(who)s already replied to this message (%(when)s). Tick “Send anyway” to send a "
                "second reply."
            )
            % {
                "who": who,
                "when": date_format(timezone.localtime(earlier.created_at), "M d, H:i"),
            },
            field="confirm",
        )
    message = Message.objects.create(
        conversation=conversation,
        direction=Direction.OUTBOUND,
        platform=conversation.platform,
        in_reply_to_platform_id=target.platform_id,
        account=account,
        sent_by=actor,
        text=checked.text,
        created_at=now,
        metadata={"holding_reply": True} if holding else {},
    )
    for f, ctype in checked.files:
        Attachment.objects.create(
            message=message,
            file=f,
            content_type=ctype,
            size=f.size,
            original_name=display_name(f.name),
        )
    needs_approval = _needs_approval(actor)
    action = OutboundAction.objects.create(
        kind=ActionKind.REPLY,
        conversation=conversation,
        message=message,
        account=account,
        target_platform_id=target.platform_id,
        text=checked.text,
        created_by=actor,
        next_attempt_at=now,
        state=ActionState.AWAITING_APPROVAL if needs_approval else ActionState.PENDING,
    )
    _log(
        Activity(
            conversation=conversation,
            actor=actor,
            kind=ActivityKind.REPLY_AWAITING_APPROVAL if needs_approval else ActivityKind.REPLIED,
            detail={
                "message": message.pk,
                "action": action.pk,
                "in_reply_to": target.platform_id,
                "from": str(account),
            },
        ),
        log,
    )
    conversation.awaiting_reply = False
    conversation.last_agent = actor
    conversation.reserved_for, conversation.reserved_until = None, None
    if not needs_approval:
        _enqueue_after_commit(action)
    return message, action


def _target(conversation):
    """The customer's latest message, and (in the same statement) a reply of ours to it already."""
    replied = (
        Message.objects.filter(
            conversation_id=conversation,
            direction=Direction.OUTBOUND,
            in_reply_to_platform_id=OuterRef("platform_id"),
        )
        .exclude(outbound_action__state__in=["failed", "returned"])
        # An escalation's holding reply promised this answer: it is not a collision (AG10).
        .exclude(metadata__has_key="holding_reply")
        .order_by("pk")
        .values("pk")[:1]
    )
    return (
        Message.objects.filter(
            conversation_id=conversation, direction=Direction.INBOUND, platform_id__isnull=False
        )
        .annotate(earlier_reply=Subquery(replied))
        .order_by("-created_at", "-id")[:1]
    )


_reply_target = Prepared(_target)


def take_over(*, actor, conversation: Conversation) -> Conversation:
    """A community manager takes a conversation dealt to another agent (who left it, or must not
    answer it): the deal moves to the community manager under a fresh lease, and the log says
    from whom it was taken. The agent's page learns it at its next heartbeat."""
    policy.require_role(actor=actor, conversation=conversation, action="take_over")
    now = timezone.now()
    with transaction.atomic(durable=True):
        conversation = _lock(conversation)
        holder = conversation.dealt_to
        live = (
            holder is not None
            and conversation.lease_expires_at
            and conversation.lease_expires_at > now
        )
        if not live or holder.pk == actor.pk:
            raise ActionError(
                gettext("Nobody else is handling this conversation: act on it directly.")
            )
        conversation.dealt_to, conversation.lease_expires_at = actor, now + lease_length()
        conversation.save(update_fields=["dealt_to", "lease_expires_at", "updated_at"])
        Activity.objects.create(
            conversation=conversation,
            actor=actor,
            kind=ActivityKind.TAKEN_OVER,
            detail={"from": holder.get_username()},
        )
    return conversation


def _needs_approval(actor) -> bool:
    profile = getattr(actor, "profile", None)
    return bool(profile and profile.replies_need_approval)


def set_requires_approval(*, actor, agent, on: bool) -> None:
    """A moderator makes an agent's replies wait for approval, or lets them go out directly."""
    policy.require_role(actor=actor, conversation=None, action="approve")
    Profile.objects.filter(user=agent).update(replies_need_approval=on)
    Activity.objects.create(
        actor=actor,
        kind=ActivityKind.APPROVAL_REQUIRED if on else ActivityKind.APPROVAL_LIFTED,
        detail={"agent": agent.get_username()},
    )


def approve_reply(*, actor, action: OutboundAction, text: str | None = None) -> OutboundAction:
    """Approve a waiting reply, edited or not; it then goes out through the outbox."""
    policy.require_role(actor=actor, conversation=action.conversation, action="approve")
    with transaction.atomic(durable=True):
        action = (
            OutboundAction.objects.select_for_update(of=("self",))
            .select_related("message", "conversation")
            .get(pk=action.pk)
        )
        if action.state != ActionState.AWAITING_APPROVAL:
            raise ActionConflict(gettext("This reply is no longer waiting for approval."))
        edited = text is not None and text.strip() and text.strip() != action.text
        if edited:
            check_text(text.strip(), kind="reply", label=gettext("The reply"))
            check_reply_text(action.conversation.platform, text.strip())
            action.text = text.strip()
            Message.objects.filter(pk=action.message_id).update(text=action.text)
        action.state, action.next_attempt_at = ActionState.PENDING, timezone.now()
        action.save(update_fields=["text", "state", "next_attempt_at", "updated_at"])
        Activity.objects.create(
            conversation=action.conversation,
            actor=actor,
            kind=ActivityKind.REPLY_APPROVED,
            detail={"action": action.pk, "edited": bool(edited)},
        )
        _enqueue_after_commit(action)
    return action


def return_reply(*, actor, action: OutboundAction, note: str) -> OutboundAction:
    """Send a waiting reply back with a note; the conversation waits for an answer again."""
    policy.require_role(actor=actor, conversation=action.conversation, action="approve")
    note = check_text((note or "").strip(), kind="note", field="note", label=gettext("The note"))
    if not note:
        raise ActionError(
            gettext("Say what to change, so the contributor can learn from it."), field="note"
        )
    with transaction.atomic(durable=True):
        action = OutboundAction.objects.select_for_update().get(pk=action.pk)
        if action.state != ActionState.AWAITING_APPROVAL:
            raise ActionConflict(gettext("This reply is no longer waiting for approval."))
        action.state = ActionState.RETURNED
        action.save(update_fields=["state", "updated_at"])
        conversation = _lock(action.conversation)
        conversation.status, conversation.hold_reason, conversation.close_reason = (
            Status.OPEN,
            "",
            "",
        )
        conversation.awaiting_reply = True
        conversation.save()
        InternalNote.objects.create(
            conversation=conversation,
            author=actor,
            text=gettext("Reply sent back: %(note)s") % {"note": note},
        )
        Activity.objects.create(
            conversation=conversation,
            actor=actor,
            kind=ActivityKind.REPLY_RETURNED,
            detail={"action": action.pk},
        )
    return action


def hold(*, actor, conversation: Conversation, reason: str) -> Conversation:
    return _set_status(actor=actor, conversation=conversation, status=Status.HELD, reason=reason)


def close(*, actor, conversation: Conversation, reason: str) -> Conversation:
    return _set_status(actor=actor, conversation=conversation, status=Status.CLOSED, reason=reason)


def _set_status(*, actor, conversation: Conversation, status: str, reason: str):
    """Hold or close without a reply: the role, the reason, then under the row lock the deal's
    holder, the new status and the lease given up."""
    held = status == Status.HELD
    policy.require_role(actor=actor, conversation=conversation, action="hold" if held else "close")
    reason = _parse_hold_reason(reason) if held else _parse_close_reason(reason)
    now = timezone.now()
    with transaction.atomic(durable=True):
        conversation = _lock(conversation)
        _check_not_dealt_to_another(actor, conversation, now)
        _set_held_or_closed(actor=actor, conversation=conversation, status=status, reason=reason)
        _release(conversation)
        conversation.save()
    return conversation


def add_note(*, actor, conversation: Conversation, text: str) -> InternalNote:
    policy.require_role(actor=actor, conversation=conversation, action="note")
    text = check_text((text or "").strip(), kind="note", label=gettext("The internal note"))
    if not text:
        raise ActionError(gettext("The internal note is empty."), field="text")
    with transaction.atomic(durable=True):
        note = InternalNote.objects.create(conversation=conversation, author=actor, text=text)
        Activity.objects.create(
            conversation=conversation,
            actor=actor,
            kind=ActivityKind.NOTE_ADDED,
            detail={"note": note.pk},
        )
    return note


def like(*, actor, conversation: Conversation, message: Message) -> OutboundAction:
    """Like a customer's message, from the account that was mentioned (PO3), through the outbox."""
    policy.require_role(actor=actor, conversation=conversation, action="like")
    if message.conversation_id != conversation.pk or message.direction != Direction.INBOUND:
        raise ActionError(gettext("Only a customer's message in this conversation can be liked."))
    if message.deleted_at:
        raise ActionError(
            gettext("The customer deleted this message: there is nothing left to like.")
        )
    policy.require_account_allows(
        actor=actor, conversation=conversation, account=conversation.account, action="like"
    )
    now = timezone.now()
    with transaction.atomic(durable=True):
        _check_not_dealt_to_another(actor, _lock(conversation), now)
        if OutboundAction.objects.filter(
            kind=ActionKind.LIKE,
            target_platform_id=message.platform_id,
            account=conversation.account,
        ).exists():
            raise ActionConflict(
                gettext("This message is already liked (or the like is on its way).")
            )
        action = OutboundAction.objects.create(
            kind=ActionKind.LIKE,
            conversation=conversation,
            account=conversation.account,
            target_platform_id=message.platform_id,
            created_by=actor,
            next_attempt_at=now,
        )
        Activity.objects.create(
            conversation=conversation,
            actor=actor,
            kind=ActivityKind.LIKED,
            detail={"action": action.pk, "from": str(conversation.account)},
        )
        _enqueue_after_commit(action)
    return action


def mark_moderated(*, actor, conversation: Conversation) -> Conversation:
    """Moderated: the conversation moves into the contributors' queues (AG1).

    It leaves the moderator's queue, so a deal of it ends here: the moderator does not keep
    holding a conversation that now sits in someone else's queue.
    """
    policy.require_role(actor=actor, conversation=conversation, action="moderate")
    now = timezone.now()
    with transaction.atomic(durable=True):
        conversation = _lock(conversation)
        _check_not_dealt_to_another(actor, conversation, now)
        if not conversation.moderated:
            conversation.moderated = True
            Activity.objects.create(
                conversation=conversation, actor=actor, kind=ActivityKind.MODERATED
            )
        _release(conversation)
        conversation.save(
            update_fields=["moderated", "dealt_to", "lease_expires_at", "updated_at"]
        )
    return conversation


def set_sentiment(*, actor, conversation: Conversation, sentiment: str) -> Conversation:
    """The agent's sentiment wins over any suggestion (TR4)."""
    policy.require_role(actor=actor, conversation=conversation, action="sentiment")
    if sentiment not in Sentiment.values:
        raise ActionError(gettext("Choose positive, neutral or negative."), field="sentiment")
    with transaction.atomic(durable=True):
        conversation = _lock(conversation)
        was = conversation.sentiment
        conversation.sentiment = sentiment
        conversation.save(update_fields=["sentiment", "updated_at"])
        Activity.objects.create(
            conversation=conversation,
            actor=actor,
            kind=ActivityKind.SENTIMENT_SET,
            detail={"sentiment": sentiment, "was": was},
        )
    return conversation


def _tag_named(name_or_slug: str) -> Tag:
    value = check_text(
        (name_or_slug or "").strip(), kind="tag", field="tag", label=gettext("The tag")
    )
    tag = Tag.objects.filter(slug=value).first() or Tag.objects.filter(name__iexact=value).first()
    if tag is None:
        raise ActionError(
            gettext(
                "There is no tag “%(value)s”. Choose one from the list; community managers add new tags."
            )
            % {"value": value},
            field="tag",
        )
    return tag


def add_tag(*, actor, conversation: Conversation, tag: str) -> Tag:
    return _change_tag(actor=actor, conversation=conversation, tag=tag, on=True)


def remove_tag(*, actor, conversation: Conversation, tag: str) -> Tag:
    return _change_tag(actor=actor, conversation=conversation, tag=tag, on=False)


def _change_tag(*, actor, conversation: Conversation, tag: str, on: bool) -> Tag:
    """Add or remove a tag; logged only when it changed. A tag triage added and the agent
    removed is kept as a correction of triage."""
    policy.require_role(actor=actor, conversation=conversation, action="tag")
    found = _tag_named(tag)
    with transaction.atomic(durable=True):
        if conversation.tags.filter(pk=found.pk).exists() != on:
            (conversation.tags.add if on else conversation.tags.remove)(found)
            Activity.objects.create(
                conversation=conversation,
                actor=actor,
                kind=ActivityKind.TAG_ADDED if on else ActivityKind.TAG_REMOVED,
                detail={"tag": found.name},
            )
            if not on:
                _record_tag_correction(actor, conversation, found)
    return found


def _record_tag_correction(actor, conversation: Conversation, tag: Tag) -> None:
    """A tag triage added and an agent removed is a correction of triage, kept for retraining."""
    suggestion = TriageSuggestion.objects.filter(conversation=conversation).first()
    added = [
        t
        for t in (suggestion.tags if suggestion else [])
        if t.get("tag") == tag.name and t.get("band", "confident") == "confident"
    ]
    if added:
        TriageCorrection.objects.create(
            conversation=conversation,
            field=CorrectionField.TAG,
            suggested=tag.name[:100],
            suggested_confidence=1.0,
            chosen="",
            actor=actor,
        )


def _logged_label(kind: str) -> str:
    """A user tag's name as the activity log keeps it: in English, as every log entry is."""
    with translation.override("en"):
        return str(UserTagKind(kind).label)


def set_user_tag(*, actor, conversation: Conversation, kind: str, on: bool = True) -> None:
    """Tag the customer (TR6); kept across all their conversations. A spammer leaves Play Mode."""
    policy.require_role(actor=actor, conversation=conversation, action="user_tag")
    if kind not in UserTagKind.values:
        raise ActionError(
            gettext("Choose a user tag: %(kinds)s.")
            % {"kinds": ", ".join(str(label) for label in UserTagKind.labels)},
            field="kind",
        )
    with transaction.atomic(durable=True):
        if on:
            _, created = UserTag.objects.get_or_create(
                author_id=conversation.author_id, kind=kind, defaults={"added_by": actor}
            )
            if created:
                Activity.objects.create(
                    conversation=conversation,
                    actor=actor,
                    kind=ActivityKind.USER_TAG_ADDED,
                    detail={"user_tag": _logged_label(kind)},
                )
        elif UserTag.objects.filter(author_id=conversation.author_id, kind=kind).delete()[0]:
            Activity.objects.create(
                conversation=conversation,
                actor=actor,
                kind=ActivityKind.USER_TAG_REMOVED,
                detail={"user_tag": _logged_label(kind)},
            )


def set_author_tag(*, actor, author, kind: str, on: bool = True) -> bool:
    """A community manager tags a customer from the user-tags page (PE3, TR6), outside any
    conversation; the customer's newest conversation records it. True when something changed."""
    if not has_role(actor, Role.COMMUNITY_MANAGER):
        raise ActionRefused(gettext("Only community managers and admins edit user tags here."))
    if kind not in UserTagKind.values:
        raise ActionError(
            gettext("Choose a user tag: %(kinds)s.")
            % {"kinds": ", ".join(str(label) for label in UserTagKind.labels)},
            field="kind",
        )
    with transaction.atomic(durable=True):
        if on:
            changed = UserTag.objects.get_or_create(
                author=author, kind=kind, defaults={"added_by": actor}
            )[1]
        else:
            changed = bool(UserTag.objects.filter(author=author, kind=kind).delete()[0])
        newest = Conversation.objects.filter(author=author).order_by("-pk").first()
        if changed and newest is not None:
            Activity.objects.create(
                conversation=newest,
                actor=actor,
                kind=ActivityKind.USER_TAG_ADDED if on else ActivityKind.USER_TAG_REMOVED,
                detail={"user_tag": _logged_label(kind)},
            )
    return changed


def set_reminder(*, actor, conversation: Conversation, due_at, note: str = "") -> Reminder:
    policy.require_role(actor=actor, conversation=conversation, action="reminder")
    if due_at is None:
        raise ActionError(gettext("Choose when to be reminded."), field="due_at")
    if due_at <= timezone.now():
        raise ActionError(gettext("A reminder must be in the future."), field="due_at")
    note = check_text(
        (note or "").strip(),
        kind="reminder_note",
        field="note",
        label=gettext("The reminder's note"),
    )
    with transaction.atomic(durable=True):
        reminder = Reminder.objects.create(
            conversation=conversation, user=actor, due_at=due_at, note=note
        )
        Activity.objects.create(
            conversation=conversation,
            actor=actor,
            kind=ActivityKind.REMINDER_SET,
            detail={"due_at": due_at.isoformat()},
        )
    return reminder


def dismiss_reminder(*, actor, reminder: Reminder) -> None:
    if reminder.user_id != actor.id:
        raise ActionError(gettext("This reminder belongs to someone else."))
    Reminder.objects.filter(pk=reminder.pk).update(done=True)


def assign(
    *, actor, conversation: Conversation, to_user=None, to_queue=None, note: str = ""
) -> Conversation:
    """Assign to an agent and/or a queue (AG5), with an optional internal note.

    Anyone may take a conversation or send it to a queue; assigning to another agent needs a
    moderator. Assigning to a queue takes it out of the rule-based queues and out of Play; to the
    escalation queue, it is an escalation and the log says so (with the queue, as `escalate`'s
    entry does); an agent assigned as well is logged as assigned.
    """
    policy.require_role(actor=actor, conversation=conversation, action="assign")
    note = check_text((note or "").strip(), kind="note", field="note", label=gettext("The note"))
    if to_user is None and to_queue is None:
        raise ActionError(gettext("Choose an agent or a queue to assign to."), field="to")
    if to_user is not None and to_user != actor:
        policy.require_role(actor=actor, conversation=conversation, action="assign_others")
    if to_queue is not None and to_queue.kind != "assignment":
        raise ActionError(
            gettext("%(to_queue)s is a saved search, not a queue conversations are assigned to.")
            % {"to_queue": to_queue},
            field="to",
        )
    if to_queue is not None:
        if not has_role(actor, to_queue.visible_to):
            raise policy.refuse(
                actor=actor,
                conversation=conversation,
                action="assign",
                reason=gettext("The queue %(queue)s is not open to your role.")
                % {"queue": to_queue},
            )
    now = timezone.now()
    with transaction.atomic(durable=True):
        conversation = _lock(conversation)
        _check_not_dealt_to_another(actor, conversation, now)
        if to_user is not None:
            conversation.assignee = to_user
        if to_queue is not None:
            conversation.assigned_queue = to_queue
            _release(conversation)
            if to_queue.is_escalation:
                wait_for_escalation(conversation)
        conversation.save()
        if note.strip():
            InternalNote.objects.create(conversation=conversation, author=actor, text=note.strip())
        escalated = to_queue is not None and to_queue.is_escalation
        if escalated:
            Activity.objects.create(
                conversation=conversation,
                actor=actor,
                kind=ActivityKind.ESCALATED,
                detail={"queue": to_queue.name, "note": bool(note.strip()), "assigned": True},
            )
        if to_user is not None or not escalated:
            Activity.objects.create(
                conversation=conversation,
                actor=actor,
                kind=ActivityKind.ASSIGNED,
                detail={
                    "to_user": str(to_user or ""),
                    "to_queue": "" if escalated else str(to_queue or ""),
                    "note": bool(note.strip()),
                },
            )
    return conversation


def wait_for_escalation(conversation: Conversation) -> None:
    """An escalated conversation waits for an answer in the escalation queue, holding reply or
    not, until someone answers it there: Escalation Play deals it (the holding reply set
    `awaiting_reply` False). A follow-up goes to whoever handles the escalation, not kept for
    the agent who escalated it."""
    conversation.awaiting_reply = True
    conversation.last_agent = None
    conversation.reserved_for, conversation.reserved_until = None, None


def decide_retweet(
    *, actor, conversation: Conversation, approve: bool, note: str = ""
) -> OutboundAction | None:
    """A community manager executes or declines a recommended retweet (PO2: from the account the
    policy allows, never the main brand)."""
    policy.require_role(actor=actor, conversation=conversation, action="retweet")
    note = check_text((note or "").strip(), kind="note", field="note", label=gettext("The note"))
    conversation = Conversation.objects.select_related("respond_from").get(pk=conversation.pk)
    if not conversation.retweet_recommended:
        raise ActionError(gettext("Nobody recommended retweeting this conversation."))
    account = conversation.respond_from
    if approve:
        policy.require_account_allows(
            actor=actor, conversation=conversation, account=account, action="retweet"
        )
    target = (
        conversation.messages.filter(direction=Direction.INBOUND, platform_id__isnull=False)
        .order_by("created_at", "id")
        .first()
    )
    now = timezone.now()
    with transaction.atomic(durable=True):
        conversation = _lock(conversation)
        _check_not_dealt_to_another(actor, conversation, now)
        conversation.retweet_recommended = False
        conversation.save(update_fields=["retweet_recommended", "updated_at"])
        if note.strip():
            InternalNote.objects.create(conversation=conversation, author=actor, text=note.strip())
        if not approve:
            Activity.objects.create(
                conversation=conversation, actor=actor, kind=ActivityKind.RETWEET_DECLINED
            )
            return None
        action = OutboundAction.objects.create(
            kind=ActionKind.RETWEET,
            conversation=conversation,
            account=account,
            target_platform_id=target.platform_id,
            created_by=actor,
            next_attempt_at=now,
        )
        Activity.objects.create(
            conversation=conversation,
            actor=actor,
            kind=ActivityKind.RETWEET_EXECUTED,
            detail={"action": action.pk, "from": str(account)},
        )
        _enqueue_after_commit(action)
    return action


def _enqueue_after_commit(action: OutboundAction) -> None:
    # In the reply's own transaction with the database backend: one commit, and the send is
    # never lost between the commit and the enqueue.
    enqueue_with_transaction(send_action, action.pk)


BULK_ACTIONS = ("tag", "assign_queue", "hold", "close", "moderate")


def bulk(*, actor, conversations, action: str, value: str = "") -> tuple[int, list[str]]:
    """Apply one option to many conversations (AG13), each through its own action, so every one
    is checked and logged on its own. Returns how many were done and why others were not."""
    if action not in BULK_ACTIONS:
        raise ActionError(
            gettext("Choose what to do: tag, assign to a queue, hold, close or mark moderated."),
            field="action",
        )
    if action == "moderate":
        # One refusal for the whole selection rather than one per conversation.
        policy.require_role(actor=actor, conversation=None, action="moderate")
    elif not value:
        raise ActionError(gettext("Choose the tag, queue or reason first."), field="value")
    queue = None
    if action == "assign_queue":
        queue = Queue.objects.filter(slug=value).first()
        if queue is None:
            raise ActionError(gettext("That queue does not exist."), field="value")
    if action == "tag":
        _tag_named(value)
    if action == "hold":
        _parse_hold_reason(value)
    if action == "close":
        _parse_close_reason(value)
    done, problems = 0, []
    for conversation in conversations:
        try:
            if action == "tag":
                add_tag(actor=actor, conversation=conversation, tag=value)
            elif action == "assign_queue":
                assign(actor=actor, conversation=conversation, to_queue=queue)
            elif action == "hold":
                hold(actor=actor, conversation=conversation, reason=value)
            elif action == "moderate":
                mark_moderated(actor=actor, conversation=conversation)
            else:
                close(actor=actor, conversation=conversation, reason=value)
            done += 1
        except ActionError as exc:
            problems.append(f"#{conversation.pk}: {exc.message}")
    return done, problems


def merge(*, actor, conversation: Conversation, other: Conversation) -> Conversation:
    """Merge `other` into `conversation` (AG13): same customer only; messages, notes and tags move,
    `other` is closed and points to where it went."""
    policy.require_role(actor=actor, conversation=conversation, action="merge")
    # Both sides: merging closes `other`, so it must be as much the actor's to act on.
    policy.require_visible(actor=actor, conversation=other, action="merge")
    if other.pk == conversation.pk:
        raise ActionError(gettext("Choose another conversation to merge."))
    if other.author_id != conversation.author_id or other.platform != conversation.platform:
        raise ActionError(
            gettext(
                "Only two conversations of the same customer on the same platform can be merged."
            )
        )
    now = timezone.now()
    with transaction.atomic(durable=True):
        # Both rows locked in the order of their ids, whichever side is kept: two people merging
        # A into B and B into A at once would otherwise each hold one lock and wait for the other.
        locked = {c.pk: _lock(c) for c in sorted((conversation, other), key=lambda c: c.pk)}
        conversation, other = locked[conversation.pk], locked[other.pk]
        _check_not_dealt_to_another(actor, conversation, now)
        _check_not_dealt_to_another(actor, other, now)
        moved = Message.objects.filter(conversation=other).update(conversation=conversation)
        InternalNote.objects.filter(conversation=other).update(conversation=conversation)
        OutboundAction.objects.filter(conversation=other).update(conversation=conversation)
        conversation.tags.add(*other.tags.all())
        if other.last_inbound_at > conversation.last_inbound_at:
            conversation.last_inbound_at = other.last_inbound_at
        conversation.awaiting_reply = conversation.awaiting_reply or other.awaiting_reply
        conversation.save()
        other.status, other.close_reason, other.merged_into = (
            Status.CLOSED,
            CloseReason.ACKNOWLEDGED,
            conversation,
        )
        other.awaiting_reply = False
        _release(other)
        other.save()
        Activity.objects.create(
            conversation=conversation,
            actor=actor,
            kind=ActivityKind.MERGED,
            detail={"from": other.pk, "messages": moved},
        )
        Activity.objects.create(
            conversation=other,
            actor=actor,
            kind=ActivityKind.MERGED_AWAY,
            detail={"into": conversation.pk},
        )
    return conversation


def split(*, actor, conversation: Conversation, message: Message) -> Conversation:
    """Move `message` and everything after it into a new conversation with the same customer."""
    policy.require_role(actor=actor, conversation=conversation, action="merge")
    if message.conversation_id != conversation.pk:
        raise ActionError(gettext("That message is not in this conversation."))
    first = conversation.messages.order_by("created_at", "id").first()
    if first is None or first.pk == message.pk:
        raise ActionError(gettext("Split from a later message: the first one stays where it is."))
    with transaction.atomic(durable=True):
        conversation = _lock(conversation)
        _check_not_dealt_to_another(actor, conversation, timezone.now())
        new = Conversation.objects.create(
            platform=conversation.platform,
            thread_key=f"{conversation.thread_key}:split:{message.pk}",
            author_id=conversation.author_id,
            account_id=conversation.account_id,
            respond_from_id=conversation.respond_from_id,
            language=conversation.language,
            priority=conversation.priority,
            moderated=conversation.moderated,
            last_inbound_at=message.created_at,
        )
        later = conversation.messages.filter(created_at__gte=message.created_at).exclude(
            created_at=message.created_at, id__lt=message.id
        )
        moved = later.update(conversation=new)
        Activity.objects.create(
            conversation=conversation,
            actor=actor,
            kind=ActivityKind.SPLIT,
            detail={"into": new.pk, "messages": moved},
        )
        Activity.objects.create(
            conversation=new,
            actor=actor,
            kind=ActivityKind.OPENED,
            detail={"split_from": conversation.pk},
        )
    return new
