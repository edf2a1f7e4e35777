"""Store inbound messages exactly once and thread them into conversations (CH6).

The steps: drop what is ours or already stored, keep the author's profile current, find or open
the conversation (reply chain first, then the platform's thread), route it (PO1), store the
message with its raw payload, and log it. A conversation closed or waiting on the customer
opens again when the customer writes.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from socialdesk.brands.models import BrandAccount
from socialdesk.brands.routing import respond_from_for, routing_rules
from socialdesk.connectors.base import InboundMessage
from socialdesk.conversations.models import (
    Activity, Author, Conversation, Direction, HoldReason, Message, Status, Tag,
)
from socialdesk.triage import services as triage

from .filters import Rules, keep_out
from .metadata import apply_metadata

CELEBRITY_TAG = "Internet celebrity"


@dataclass
class IngestResult:
    stored: int = 0
    duplicates: int = 0
    skipped: int = 0
    conversations_opened: int = 0
    conversations_reopened: int = 0
    filtered: int = 0

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


def ingest(messages: Iterable[InboundMessage], *, apply_filters: bool = True) -> IngestResult:
    """Store each message once; safe to call again with the same messages.

    A page is stored in one transaction (one commit, not one per message). If another process
    stored one of its messages meanwhile, the page is rolled back and stored again message by
    message, so the unique platform id keeps every message exactly once.
    """
    messages = list(messages)
    if not messages:
        return IngestResult()
    context = _Context.load(messages, apply_filters=apply_filters)
    try:
        with transaction.atomic():
            result = _store_all(messages, context, savepoints=False)
            triage.record(context.opened)
            return result
    except IntegrityError:
        context = _Context.load(messages, apply_filters=apply_filters)
        result = _store_all(messages, context, savepoints=True)
        triage.record(context.opened)
        return result


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
    # The page's messages the filters kept out (known, but no conversation of ours).
    kept_out: set = field(default_factory=set)

    @classmethod
    def load(cls, messages: list[InboundMessage], *, apply_filters: bool = True) -> "_Context":
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
        accounts = {(a.platform, a.external_id): a for a in BrandAccount.objects.filter(active=True).exclude(external_id="")}
        new = [m for m in messages if (m.platform, m.platform_id) not in known and (m.platform, m.author.external_id) not in accounts
               and not m.is_repost]
        return cls(known=known, replied_to=stored - page_ids, accounts=accounts, rules=routing_rules(platforms=platforms),
                   triaged=triage.classify_messages(new, accounts), opened=[], filters=Rules.load() if apply_filters else None)


def _store_all(messages: list[InboundMessage], context: _Context, *, savepoints: bool) -> IngestResult:
    result = IngestResult()
    # Oldest first, so a reply finds the message it answers when both arrive in one page.
    for msg in sorted(messages, key=lambda m: (m.created_at, m.platform_id)):
        key = (msg.platform, msg.platform_id)
        if key in context.known:
            result.duplicates += 1
            continue
        if (msg.platform, msg.author.external_id) in context.accounts:
            # Our own posts come back through search and mentions.
            result.skipped += 1
            continue
        if context.filters is not None and _filtered_out(msg, context):
            result.filtered += 1
            context.known.add(key)
            context.kept_out.add(key)
            continue
        if msg.is_repost:
            # Reposts let through by the filters still carry no question of their own.
            result.skipped += 1
            continue
        if savepoints:
            opened = len(context.opened)
            try:
                with transaction.atomic():
                    _store_one(msg, context, result)
            except IntegrityError:
                # Another process stored it first (unique platform id): nothing twice.
                del context.opened[opened:]
                result.duplicates += 1
        else:
            _store_one(msg, context, result)
        context.known.add(key)
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
