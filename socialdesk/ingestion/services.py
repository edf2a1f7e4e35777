"""Store inbound messages exactly once and thread them into conversations (CH6).

The steps: make the message storable (ingestion.boundary), drop what is ours or already stored,
keep the author's profile current, find or open the conversation (reply chain first, then the
platform's thread), route it (PO1), store the message with its raw payload, and log it. A
conversation closed or waiting on the customer opens again when the customer writes. A message
that cannot be stored is set aside (ingestion.set_aside); the others go on.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from socialdesk.brands.models import BrandAccount, Platform
from socialdesk.brands.routing import respond_from_for, routing_rules
from socialdesk.connectors.base import InboundMessage, Unreadable
from socialdesk.conversations.models import (
    Activity, Author, Conversation, Direction, HoldReason, Message, Status, Tag,
)
from socialdesk.triage import services as triage

from . import boundary, set_aside
from .filters import Rules, keep_out
from .metadata import apply_metadata
from .models import FilteredMessage, SetAsideMessage

log = logging.getLogger(__name__)

CELEBRITY_TAG = "Internet celebrity"


@dataclass
class IngestResult:
    stored: int = 0
    duplicates: int = 0
    skipped: int = 0
    conversations_opened: int = 0
    conversations_reopened: int = 0
    filtered: int = 0
    # Messages kept aside because they could not be stored (or were, before, and came again).
    set_aside: int = 0

    def add(self, other: "IngestResult") -> "IngestResult":
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


def _upsert_author(msg: InboundMessage) -> Author:
    a = msg.author
    author, created = Author.objects.get_or_create(
        platform=msg.platform, external_id=a.external_id,
        defaults=dict(handle=a.handle, name=a.name, followers=a.followers, verified=a.verified, profile_image_url=a.profile_image_url),
    )
    if not created and (author.handle, author.name, author.followers, author.verified, author.profile_image_url) != (
        a.handle, a.name, a.followers, a.verified, a.profile_image_url
    ):
        author.handle, author.name, author.followers, author.verified, author.profile_image_url = (
            a.handle, a.name, a.followers, a.verified, a.profile_image_url,
        )
        author.save()
    return author


def _is_celebrity(author: Author) -> bool:
    return author.verified or author.followers >= settings.SOCIALDESK_CELEBRITY_FOLLOWERS


def _find_conversation(msg: InboundMessage, author: Author) -> Conversation | None:
    if msg.in_reply_to_id:
        parent = (
            Message.objects.filter(platform=msg.platform, platform_id=msg.in_reply_to_id)
            .select_related("conversation").first()
        )
        if parent is not None and parent.conversation.author_id == author.id:
            return parent.conversation
    return Conversation.objects.filter(platform=msg.platform, thread_key=f"{msg.thread_id}:{author.external_id}").first()


def _open_conversation(msg: InboundMessage, author: Author, mentioned: list[BrandAccount], rules, triaged=None) -> Conversation:
    account = mentioned[0] if mentioned else None
    celebrity = _is_celebrity(author)
    priority = 50 if celebrity else 0
    respond_from = respond_from_for(platform=msg.platform, mentioned=mentioned, rules=rules)
    # Triage (TR1-TR10): confident type/sentiment, the detected language, a priority bump.
    suggested = triage.conversation_fields(triaged, respond_from=respond_from, platform_language=msg.language) if triaged else {}
    priority += suggested.pop("priority", 0)
    conversation = Conversation.objects.create(
        platform=msg.platform,
        thread_key=f"{msg.thread_id}:{author.external_id}",
        author=author,
        account=account,
        respond_from=respond_from,
        language=suggested.pop("language", msg.language),
        priority=priority,
        **suggested,
        # Mentions of an account that needs moderation, and search finds, wait for a moderator.
        moderated=bool(mentioned) and not any(a.requires_moderation for a in mentioned),
        last_inbound_at=msg.created_at,
    )
    if celebrity:
        tag, _ = Tag.objects.get_or_create(slug="internet-celebrity", defaults={"name": CELEBRITY_TAG})
        conversation.tags.add(tag)
    Activity.objects.create(conversation=conversation, kind="opened", detail={"account": str(account or ""), "respond_from": str(conversation.respond_from or "")})
    return conversation


def ingest(messages: Iterable[InboundMessage], *, apply_filters: bool = True, unreadable: Iterable[Unreadable] = (),
           account=None, stream: str = "", retrying: SetAsideMessage | None = None) -> IngestResult:
    """Store each message once; safe to call again with the same messages.

    No input stops the pipeline. Each message is first made storable (`boundary.storable`), then
    stored in a savepoint of its own; one that cannot be, whatever the reason, is set aside
    (`SetAsideMessage`, kept as received) and the others are stored. The page is one transaction
    (one commit): if setting a message aside fails too, nothing is stored, so a poll's cursor moves
    past a message only when it is kept. `unreadable` are the items the connector could not
    normalise; they are set aside as well. `account` and `stream` say where the page came from.

    A message set aside before is passed over when the platform sends it again; `retrying` is the
    set-aside message a community manager retries, which is tried again (see set_aside.retry).
    """
    messages = list(messages)
    unreadable = list(unreadable)
    if not messages and not unreadable:
        return IngestResult()
    aside = _Aside(account=account, stream=stream, retrying=retrying)
    result = IngestResult()
    with transaction.atomic():
        for item in unreadable:
            if _stored(item.platform, item.platform_id):
                result.duplicates += 1  # a copy of a message we have: nothing to keep
                continue
            aside.unreadable(item)
            result.set_aside += 1
        ready = []
        for msg in messages:
            try:
                ready.append((boundary.storable(msg), msg))
            except Exception as exc:  # noqa: BLE001 - Unstorable, or a message too broken to look at
                if _stored(getattr(msg, "platform", ""), getattr(msg, "platform_id", "")):
                    result.duplicates += 1
                    continue
                aside.message(msg, exc)
                result.set_aside += 1
        if ready:
            context = _Context.load([m for m, _ in ready], apply_filters=apply_filters, retrying=retrying is not None)
            result.add(_store_all(ready, context, aside))
            _record_triage(context.opened)
            context.note_seen_again()
    return result


def _stored(platform, platform_id) -> bool:
    """Whether a message that cannot be stored now was stored before (then it is a duplicate, and
    setting it aside would keep it twice)."""
    return (isinstance(platform, str) and platform in Platform.values and boundary.is_storable_id(platform_id)
            and Message.objects.filter(platform=platform, platform_id=platform_id).exists())


# Errors of the database itself, not of a message (a lock held too long, a lost connection):
# the page fails and is read again at the next poll, rather than setting good messages aside.
TRANSIENT = (OperationalError, InterfaceError)


@dataclass
class _Aside:
    """Where this page's messages are set aside: a new row each, or the row being retried."""

    account: object
    stream: str
    retrying: SetAsideMessage | None

    def message(self, received, exc: Exception) -> None:
        if isinstance(exc, TRANSIENT):
            raise exc
        error = str(exc) if isinstance(exc, boundary.Unstorable) else f"{exc.__class__.__name__}: {exc}"
        if not isinstance(exc, boundary.Unstorable):
            # Not a message we knew to be unstorable: a bug or a limit of ours. The trace is for us.
            log.error("Setting aside %s %s: %s", getattr(received, "platform", "?"), getattr(received, "platform_id", "?"), error,
                      exc_info=exc)
        if self.retrying is not None:
            set_aside.failed_again(self.retrying, error=error)
        else:
            set_aside.keep_message(received, error=error, account=self.account, stream=self.stream)

    def unreadable(self, item: Unreadable) -> None:
        if getattr(item, "waiting", False):
            # Not a message we cannot read, but one the platform sent incomplete: it says why it
            # waits, and the next polls of its account ask the platform again (set_aside.retry_waiting).
            set_aside.keep(platform=item.platform, platform_id=item.platform_id, raw=item.raw, error=item.error,
                           text=getattr(item, "text", ""), author=getattr(item, "author", ""),
                           account=self.account, stream=self.stream, waiting=self.account is not None)
            return
        set_aside.keep(platform=item.platform, platform_id=item.platform_id, raw=item.raw,
                       error=f"The connector could not read it: {item.error}", account=self.account, stream=self.stream)


@dataclass
class _Context:
    known: set
    # Stored messages the page's messages reply to (besides those of the page itself).
    replied_to: set
    accounts: dict
    rules: list
    # Triage results of the page's new messages, and the conversations opened with them.
    triaged: dict
    opened: list
    filters: Rules | None
    # The page's messages set aside before: passed over unless `retrying`.
    set_aside: set = field(default_factory=set)
    retrying: bool = False
    seen_again: set = field(default_factory=set)
    # The page's messages the filters kept out (known, but no conversation of ours), and those
    # they kept out on an earlier poll.
    kept_out: set = field(default_factory=set)
    kept_out_before: set = field(default_factory=set)

    @classmethod
    def load(cls, messages: list[InboundMessage], *, apply_filters: bool = True, retrying: bool = False) -> "_Context":
        platforms = {m.platform for m in messages}
        page_ids = {(m.platform, m.platform_id) for m in messages}
        # One query for the page's messages and the ones they reply to (the unrelated-replies filter).
        stored = set(
            Message.objects.filter(
                platform__in=platforms,
                platform_id__in={m.platform_id for m in messages} | {m.in_reply_to_id for m in messages if m.in_reply_to_id},
            ).values_list("platform", "platform_id")
        )
        known = stored & page_ids
        set_aside_before = set(SetAsideMessage.objects.filter(
            platform__in=platforms, key__in={m.platform_id for m in messages}).values_list("platform", "key")) & page_ids
        kept_out_before = set(FilteredMessage.objects.filter(
            platform__in=platforms, platform_id__in={m.platform_id for m in messages}, let_through_at__isnull=True,
        ).values_list("platform", "platform_id")) - known if apply_filters else set()
        accounts = {(a.platform, a.external_id): a for a in BrandAccount.objects.filter(active=True).exclude(external_id="")}
        new = [m for m in messages if (m.platform, m.platform_id) not in known and (m.platform, m.author.external_id) not in accounts
               and not m.is_repost and (m.platform, m.platform_id) not in kept_out_before
               and (retrying or (m.platform, m.platform_id) not in set_aside_before)]
        return cls(known=known, replied_to=stored - page_ids, accounts=accounts, rules=routing_rules(platforms=platforms),
                   triaged=_classify(new, accounts), opened=[], filters=Rules.load() if apply_filters else None,
                   set_aside=set_aside_before, retrying=retrying, kept_out_before=kept_out_before)

    def note_seen_again(self) -> None:
        """The platform sent set-aside messages again: when it last did is shown with them."""
        for platform in {p for p, _ in self.seen_again}:
            SetAsideMessage.objects.filter(platform=platform, key__in=[k for p, k in self.seen_again if p == platform]).update(
                last_seen_at=timezone.now())


def _classify(new: list[InboundMessage], accounts: dict) -> dict:
    """Triage for the page in one model run; if that fails, message by message, and a message
    triage cannot classify is stored without suggestions (triage advises; the message matters)."""
    try:
        with transaction.atomic():
            return triage.classify_messages(new, accounts)
    except TRANSIENT:
        raise
    except Exception:  # noqa: BLE001
        log.exception("Triage failed on a page of %d messages; classifying them one by one", len(new))
    found = {}
    for msg in new:
        try:
            with transaction.atomic():
                found.update(triage.classify_messages([msg], accounts))
        except TRANSIENT:
            raise
        except Exception:  # noqa: BLE001
            log.exception("Triage failed on %s %s; it is stored without suggestions", msg.platform, msg.platform_id)
    return found


def _record_triage(opened: list) -> None:
    """Triage's suggestions in bulk; if that fails, one conversation at a time, and a conversation
    whose suggestions cannot be written keeps its messages (they are stored already)."""
    try:
        with transaction.atomic():
            triage.record(opened)
        return
    except TRANSIENT:
        raise
    except Exception:  # noqa: BLE001
        log.exception("Recording triage for %d conversations failed; recording them one by one", len(opened))
    for pair in opened:
        try:
            with transaction.atomic():
                triage.record([pair])
        except TRANSIENT:
            raise
        except Exception:  # noqa: BLE001
            log.exception("Recording triage for conversation #%s failed; it stays without suggestions", pair[0].pk)


def _store_all(ready: list[tuple[InboundMessage, InboundMessage]], context: _Context, aside: _Aside) -> IngestResult:
    """Store (storable, as received) pairs, each in its own savepoint."""
    result = IngestResult()
    # Oldest first, so a reply finds the message it answers when both arrive in one page.
    for msg, received in sorted(ready, key=lambda pair: (pair[0].created_at, pair[0].platform_id)):
        key = (msg.platform, msg.platform_id)
        if key in context.known:
            result.duplicates += 1
            continue
        if key in context.kept_out_before:
            # Kept out when it first came: the same verdict, whatever else the page holds now
            # (a community manager lets it through from the filters page).
            result.filtered += 1
            context.known.add(key)
            context.kept_out.add(key)
            continue
        if key in context.set_aside and not context.retrying:
            # Kept already, and still there: a community manager retries or dismisses it.
            context.seen_again.add(key)
            result.set_aside += 1
            continue
        if (msg.platform, msg.author.external_id) in context.accounts:
            # Our own posts come back through search and mentions.
            result.skipped += 1
            continue
        opened = len(context.opened)
        try:
            with transaction.atomic():
                outcome = _handle(msg, context)
        except Exception as exc:  # noqa: BLE001 - whatever fails on this message stays with this message
            del context.opened[opened:]
            if isinstance(exc, IntegrityError) and Message.objects.filter(platform=msg.platform, platform_id=msg.platform_id).exists():
                # Another process stored it first (unique platform id): nothing twice.
                result.duplicates += 1
                context.known.add(key)
                continue
            aside.message(received, exc)
            context.set_aside.add(key)
            result.set_aside += 1
            continue
        result.add(outcome)
        context.known.add(key)
        if outcome.filtered:
            context.kept_out.add(key)
    return result


def _handle(msg: InboundMessage, context: _Context) -> IngestResult:
    """One new message: kept out by the filters, passed over (a repost), or stored."""
    result = IngestResult()
    if context.filters is not None and _filtered_out(msg, context):
        result.filtered += 1
    elif msg.is_repost:
        # Reposts let through by the filters still carry no question of their own.
        result.skipped += 1
    else:
        _store_one(msg, context, result)
    return result


def _filtered_out(msg: InboundMessage, context: "_Context") -> bool:
    """CH8: a message the filters keep out is stored aside with its reason, not dropped."""
    mentions_us = any((msg.platform, i) in context.accounts for i in msg.mentioned_account_ids)
    parent = (msg.platform, msg.in_reply_to_id)
    # A reply to a message of ours or of a conversation we have, stored before or earlier in the page.
    replies_to_known = bool(msg.in_reply_to_id) and (
        parent in context.replied_to or (parent in context.known and parent not in context.kept_out))
    found = context.filters.reason(msg, mentions_us=mentions_us, replies_to_known=replies_to_known)
    if found is None:
        return False
    keep_out(msg, *found)
    return True


def _is_playing(user_id: int) -> bool:
    from socialdesk.play.models import PlaySession

    recent = timezone.now() - timedelta(seconds=settings.SOCIALDESK_LEASE_SECONDS)
    return PlaySession.objects.filter(agent_id=user_id, ended_at__isnull=True, last_seen_at__gte=recent).exists()


def _store_one(msg: InboundMessage, context: _Context, result: IngestResult) -> None:
    author = _upsert_author(msg)
    accounts = context.accounts
    mentioned = [accounts[(msg.platform, i)] for i in msg.mentioned_account_ids if (msg.platform, i) in accounts]
    conversation = _find_conversation(msg, author)
    follow_up = conversation is not None
    if conversation is None:
        triaged = context.triaged.get((msg.platform, msg.platform_id))
        conversation = _open_conversation(msg, author, mentioned, context.rules, triaged)
        if triaged is not None:
            context.opened.append((conversation, triaged))
        result.conversations_opened += 1
    message = Message.objects.create(
        conversation=conversation, direction=Direction.INBOUND, platform=msg.platform, platform_id=msg.platform_id,
        in_reply_to_platform_id=msg.in_reply_to_id, author=author, text=msg.text, language=msg.language,
        created_at=msg.created_at, raw=msg.raw, metadata=msg.metadata,
    )
    Activity.objects.create(conversation=conversation, kind="message_received", detail={"message": message.pk, "at": msg.created_at.isoformat()})
    updates = {} if conversation.awaiting_reply else {"awaiting_reply": True}
    if msg.created_at > conversation.last_inbound_at:
        updates["last_inbound_at"] = msg.created_at
    if conversation.status == Status.CLOSED or (
        conversation.status == Status.HELD and conversation.hold_reason == HoldReason.WAITING_ON_CUSTOMER
    ):
        Activity.objects.create(
            conversation=conversation, kind="reopened",
            detail={"was": conversation.status, "reason": conversation.close_reason or conversation.hold_reason},
        )
        updates.update(status=Status.OPEN, close_reason="", hold_reason="")
        result.conversations_reopened += 1
    if follow_up and conversation.last_agent_id and _is_playing(conversation.last_agent_id):
        # AG3: back to the agent who answered last, while they are in Play Mode.
        updates.update(reserved_for_id=conversation.last_agent_id, reserved_until=timezone.now() + timedelta(seconds=settings.SOCIALDESK_FOLLOW_UP_RESERVE_SECONDS))
    if updates:
        updates["updated_at"] = timezone.now()
        Conversation.objects.filter(pk=conversation.pk).update(**updates)
    apply_metadata(conversation=conversation, message=message, msg=msg)
    result.stored += 1
