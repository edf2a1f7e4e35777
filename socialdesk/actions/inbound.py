"""Store inbound messages exactly once and thread them into conversations (CH6).

The steps: make the message storable (ingestion.boundary), drop what is ours or already stored,
keep the author's profile current, find or open the conversation (reply chain first, then the
platform's thread), route it (PO1), store the message with its raw payload, and log it. A
conversation closed or waiting on the customer opens again when the customer writes. A message
that cannot be stored is set aside (ingestion.set_aside); the others go on.

A page is stored with a few statements whatever its size (`_store_in_bulk`), and message by
message (`_store_all`, a savepoint each) when that fails: the unique constraints, not the bulk
path, are what keeps a message from being stored twice. The bulk path writes conversations,
messages and the activity log with `ingestion.bulk.insert` (one `INSERT … RETURNING` per table),
called from here only: it is the action layer's, however it writes.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from socialdesk.actions import triage as triage_actions
from socialdesk.actions import webhooks
from socialdesk.actions.tagging import refresh_tag_slugs
from socialdesk.brands.models import BrandAccount, Platform
from socialdesk.brands.routing import respond_from_for, routing_rules
from socialdesk.connectors.base import InboundMessage, Unreadable
from socialdesk.conversations.models import (
    Activity,
    ActivityKind,
    Author,
    Conversation,
    Direction,
    HoldReason,
    Message,
    Status,
    Tag,
)
from socialdesk.enqueueing import enqueue_with_transaction
from socialdesk.ingestion import boundary, bulk, set_aside
from socialdesk.ingestion.filters import Rules, keep_out, restore
from socialdesk.ingestion.metadata import CONVERSATION_FIELDS, answers, apply_metadata
from socialdesk.ingestion.models import FilteredMessage, SetAsideMessage
from socialdesk.ingestion.set_aside import TRANSIENT
from socialdesk.play.models import PlaySession
from socialdesk.search import index as search_index
from socialdesk.triage import services as triage
from socialdesk.triage.tasks import triage_conversations

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
        platform=msg.platform,
        external_id=a.external_id,
        defaults=dict(
            handle=a.handle,
            name=a.name,
            followers=a.followers,
            verified=a.verified,
            profile_image_url=a.profile_image_url,
        ),
    )
    if not created and _profile(author) != _profile(a):
        author.handle, author.name, author.followers, author.verified, author.profile_image_url = (
            _profile(a)
        )
        author.save()
    return author


def _profile(author) -> tuple:
    """What ingestion keeps current of an author (an `Author` or a connector's `InboundAuthor`)."""
    return author.handle, author.name, author.followers, author.verified, author.profile_image_url


def _is_celebrity(author: Author) -> bool:
    return author.verified or author.followers >= settings.SOCIALDESK_CELEBRITY_FOLLOWERS


def _thread_key(msg: InboundMessage) -> str:
    # The platform's thread plus the customer: one conversation per customer per thread.
    return f"{msg.thread_id}:{msg.author.external_id}"


def _find_conversation(msg: InboundMessage, author: Author) -> Conversation | None:
    if msg.in_reply_to_id:
        parent = (
            Message.objects.filter(platform=msg.platform, platform_id=msg.in_reply_to_id)
            .select_related("conversation")
            .first()
        )
        if parent is not None and parent.conversation.author_id == author.id:
            return parent.conversation
    return Conversation.objects.filter(platform=msg.platform, thread_key=_thread_key(msg)).first()


def _new_conversation(
    msg: InboundMessage, author: Author, mentioned: list[BrandAccount], rules, triaged=None
) -> Conversation:
    """The conversation a customer's first message in a thread opens, not saved yet."""
    account = mentioned[0] if mentioned else None
    priority = 50 if _is_celebrity(author) else 0
    respond_from = respond_from_for(platform=msg.platform, mentioned=mentioned, rules=rules)
    # Triage (TR1-TR10): confident type/sentiment, the detected language, a priority bump.
    suggested = (
        triage.conversation_fields(
            triaged, respond_from=respond_from, platform_language=msg.language
        )
        if triaged
        else {}
    )
    priority += suggested.pop("priority", 0)
    return Conversation(
        platform=msg.platform,
        thread_key=_thread_key(msg),
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


def _opened(conversation: Conversation) -> Activity:
    return Activity(
        conversation=conversation,
        kind=ActivityKind.OPENED,
        detail={
            "account": str(conversation.account or ""),
            "respond_from": str(conversation.respond_from or ""),
        },
    )


def _inbound_message(conversation: Conversation, author: Author, msg: InboundMessage) -> Message:
    """The row of a customer's message (not saved: the bulk path inserts a page's at once)."""
    return Message(
        conversation=conversation,
        direction=Direction.INBOUND,
        platform=msg.platform,
        platform_id=msg.platform_id,
        in_reply_to_platform_id=msg.in_reply_to_id,
        author=author,
        text=msg.text,
        language=msg.language,
        created_at=msg.created_at,
        raw=msg.raw,
        metadata=msg.metadata,
        private=msg.private,
    )


def _received(conversation: Conversation, message: Message) -> Activity:
    return Activity(
        conversation=conversation,
        kind=ActivityKind.MESSAGE_RECEIVED,
        detail={"message": message.pk, "at": message.created_at.isoformat()},
    )


def _celebrity_tag() -> Tag:
    tag, _ = Tag.objects.get_or_create(slug="internet-celebrity", defaults={"name": CELEBRITY_TAG})
    return tag


# The conversation's fields a customer's message may change; what changed is written.
CHANGING = (
    "status",
    "close_reason",
    "hold_reason",
    "awaiting_reply",
    "last_inbound_at",
    "reserved_for_id",
    "reserved_until",
    "retriage_pending",
    *CONVERSATION_FIELDS,
)


def _state(conversation: Conversation) -> tuple:
    return tuple(getattr(conversation, name) for name in CHANGING)


def _changed(conversation: Conversation, before: tuple) -> list[str]:
    return [
        name
        for name, was in zip(CHANGING, before, strict=True)
        if getattr(conversation, name) != was
    ]


def _take_message(
    conversation: Conversation, msg: InboundMessage, *, follow_up: bool, playing
) -> dict | None:
    """What a customer's message does to its conversation, in memory: it awaits our answer again,
    a closed one (or one waiting on the customer) opens again, and a follow-up is kept for the
    agent who answered last while they play (AG3). Returns the `reopened` activity's detail."""
    conversation.awaiting_reply = True
    if msg.created_at > conversation.last_inbound_at:
        conversation.last_inbound_at = msg.created_at
    reopened = None
    if conversation.status == Status.CLOSED or (
        conversation.status == Status.HELD
        and conversation.hold_reason == HoldReason.WAITING_ON_CUSTOMER
    ):
        reopened = {
            "was": conversation.status,
            "reason": conversation.close_reason or conversation.hold_reason,
        }
        conversation.status, conversation.close_reason, conversation.hold_reason = (
            Status.OPEN,
            "",
            "",
        )
    if follow_up and conversation.last_agent_id and playing(conversation.last_agent_id):
        conversation.reserved_for_id = conversation.last_agent_id
        conversation.reserved_until = timezone.now() + timedelta(
            seconds=settings.SOCIALDESK_FOLLOW_UP_RESERVE_SECONDS
        )
    return reopened


def ingest(
    messages: Iterable[InboundMessage],
    *,
    apply_filters: bool = True,
    unreadable: Iterable[Unreadable] = (),
    account=None,
    stream: str = "",
    retrying: SetAsideMessage | None = None,
    triage_later: bool = False,
) -> IngestResult:
    """Store each message once; safe to call again with the same messages.

    No input stops the pipeline. Each message is first made storable (`boundary.storable`), then
    the page is stored in bulk; if that fails, it is stored again message by message, each in a
    savepoint of its own, and one that cannot be, whatever the reason, is set aside
    (`SetAsideMessage`, kept as received) while the others are stored. The page is one transaction
    (one commit): if setting a message aside fails too, nothing is stored, so a poll's cursor moves
    past a message only when it is kept. `unreadable` are the items the connector could not
    normalise; they are set aside as well. `account` and `stream` say where the page came from.

    A message set aside before is passed over when the platform sends it again; `retrying` is the
    set-aside message a community manager retries, which is tried again (see set_aside.retry).

    `triage_later` (a poll's pages): the page is stored without triage, its new conversations
    marked `triage_pending` (Play does not deal them yet), and one task to triage them
    (`triage.tasks.triage_conversations`) is enqueued in the page's own transaction, so it
    commits with the page; if the task is lost anyway, the scheduler's sweep finds them by
    the mark. Otherwise triage runs inside the page, as for a retried or let-through message.
    """
    messages = list(messages)
    unreadable = list(unreadable)
    if not messages and not unreadable:
        return IngestResult()
    aside = _Aside(account=account, stream=stream, retrying=retrying)
    result = IngestResult()
    # The page is the outer edge (a poll, a message let through), except when a community
    # manager retries a set-aside message: that runs under the set-aside row's lock.
    with transaction.atomic(durable=retrying is None):
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
            context = _Context.load(
                [m for m, _ in ready],
                apply_filters=apply_filters,
                retrying=retrying is not None,
                triage_later=triage_later,
            )
            result.add(_store_page(ready, context, aside))
            context.note_seen_again()
            follow_ups = context.follow_ups()
            if context.later or follow_ups:
                enqueue_with_transaction(
                    triage_conversations,
                    [c.pk for c, _ in context.later],
                    {c.pk: counts for c, counts in context.later if counts},
                    follow_ups=follow_ups,
                )
    return result


def _stored(platform, platform_id) -> bool:
    """Whether a message that cannot be stored now was stored before (then it is a duplicate, and
    setting it aside would keep it twice)."""
    return (
        isinstance(platform, str)
        and platform in Platform.values
        and boundary.is_storable_id(platform_id)
        and Message.objects.filter(platform=platform, platform_id=platform_id).exists()
    )


@dataclass
class _Aside:
    """Where this page's messages are set aside: a new row each, or the row being retried."""

    account: object
    stream: str
    retrying: SetAsideMessage | None

    def message(self, received, exc: Exception) -> None:
        if isinstance(exc, TRANSIENT):
            raise exc
        error = (
            str(exc)
            if isinstance(exc, boundary.Unstorable)
            else f"{exc.__class__.__name__}: {exc}"
        )
        if not isinstance(exc, boundary.Unstorable):
            # Not a message we knew to be unstorable: a bug or a limit of ours. The trace is for us.
            log.error(
                "Setting aside %s %s: %s",
                getattr(received, "platform", "?"),
                getattr(received, "platform_id", "?"),
                error,
                exc_info=exc,
            )
        if self.retrying is not None:
            set_aside.failed_again(self.retrying, error=error)
        else:
            set_aside.keep_message(received, error=error, account=self.account, stream=self.stream)

    def unreadable(self, item: Unreadable) -> None:
        if getattr(item, "waiting", False):
            # Not a message we cannot read, but one the platform sent incomplete: it says why it
            # waits, and the next polls of its account ask the platform again (set_aside.retry_waiting).
            set_aside.keep(
                platform=item.platform,
                platform_id=item.platform_id,
                raw=item.raw,
                error=item.error,
                text=getattr(item, "text", ""),
                author=getattr(item, "author", ""),
                account=self.account,
                stream=self.stream,
                waiting=self.account is not None,
            )
            return
        set_aside.keep(
            platform=item.platform,
            platform_id=item.platform_id,
            raw=item.raw,
            error=f"The connector could not read it: {item.error}",
            account=self.account,
            stream=self.stream,
        )


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
    # Messages stored before, of the page or that its messages reply to or carry (our replies on
    # the platform), by (platform, platform id): their conversation's id.
    stored: dict = field(default_factory=dict)
    # Triage after the page is stored: the conversations it opened, with what the platform
    # counted on their first message (likes, reposts), which triage reads and nothing stores.
    triage_later: bool = False
    later: list = field(default_factory=list)
    # Stored conversations the page added a customer's follow-up to: triaged again by the task.
    followed: list = field(default_factory=list)

    @classmethod
    def load(
        cls,
        messages: list[InboundMessage],
        *,
        apply_filters: bool = True,
        retrying: bool = False,
        triage_later: bool = False,
    ) -> "_Context":
        platforms = {m.platform for m in messages}
        page_ids = {(m.platform, m.platform_id) for m in messages}
        ours = {
            r["platform_id"]
            for m in messages
            if isinstance(r := (m.metadata or {}).get("our_reply"), dict) and r.get("platform_id")
        }
        # One query for the page's messages, the ones they reply to (the unrelated-replies filter,
        # and the conversation a reply joins) and our replies the platform shows with them.
        stored = {
            (platform, platform_id): conversation_id
            for platform, platform_id, conversation_id in Message.objects.filter(
                platform__in=platforms,
                platform_id__in={m.platform_id for m in messages}
                | {m.in_reply_to_id for m in messages if m.in_reply_to_id}
                | ours,
            ).values_list("platform", "platform_id", "conversation_id")
        }
        known = stored.keys() & page_ids
        set_aside_before = (
            set(
                SetAsideMessage.objects.filter(
                    platform__in=platforms, key__in={m.platform_id for m in messages}
                ).values_list("platform", "key")
            )
            & page_ids
        )
        kept_out_before = (
            set(
                FilteredMessage.objects.filter(
                    platform__in=platforms,
                    platform_id__in={m.platform_id for m in messages},
                    let_through_at__isnull=True,
                ).values_list("platform", "platform_id")
            )
            - known
            if apply_filters
            else set()
        )
        accounts = {
            (a.platform, a.external_id): a
            for a in BrandAccount.objects.filter(active=True).exclude(external_id="")
        }
        new = [
            m
            for m in messages
            if (m.platform, m.platform_id) not in known
            and (m.platform, m.author.external_id) not in accounts
            and not m.is_repost
            and (m.platform, m.platform_id) not in kept_out_before
            and (retrying or (m.platform, m.platform_id) not in set_aside_before)
        ]
        return cls(
            known=set(known),
            replied_to=stored.keys() - page_ids,
            accounts=accounts,
            rules=routing_rules(platforms=platforms),
            triaged={} if triage_later else _classify(new, accounts),
            opened=[],
            filters=Rules.load() if apply_filters else None,
            set_aside=set_aside_before,
            retrying=retrying,
            kept_out_before=kept_out_before,
            stored=stored,
            triage_later=triage_later,
        )

    def snapshot(self) -> tuple:
        """What storing a page changes in the context, to undo it when the page is stored again."""
        return (
            set(self.known),
            set(self.set_aside),
            set(self.seen_again),
            set(self.kept_out),
            len(self.opened),
            len(self.later),
            len(self.followed),
        )

    def restore(self, saved: tuple) -> None:
        self.known, self.set_aside, self.seen_again, self.kept_out, opened, later, followed = saved
        del self.opened[opened:]
        del self.later[later:]
        del self.followed[followed:]

    def follow_up(self, conversation: Conversation) -> None:
        """A customer wrote again in a conversation: with triage after the page, it is read again
        (marked on its row, written with the page's changes, for the sweep if the task is lost)."""
        if self.triage_later and not conversation.triage_pending:
            conversation.retriage_pending = True
            self.followed.append(conversation)

    def follow_ups(self) -> list[int]:
        """The ids of the stored conversations the page followed up, once each."""
        return list(dict.fromkeys(c.pk for c in self.followed if c.pk is not None))

    def open_untriaged(self, conversation: Conversation, msg: InboundMessage) -> None:
        """A conversation opened without triage, which runs once the page is stored."""
        if self.triage_later:
            conversation.triage_pending = True
            counts = {k: v for k, v in (("likes", msg.likes), ("reposts", msg.reposts)) if v}
            self.later.append((conversation, counts))

    def note_seen_again(self) -> None:
        """The platform sent set-aside messages again: when it last did is shown with them."""
        for platform in {p for p, _ in self.seen_again}:
            SetAsideMessage.objects.filter(
                platform=platform, key__in=[k for p, k in self.seen_again if p == platform]
            ).update(last_seen_at=timezone.now())


def _classify(new: list[InboundMessage], accounts: dict) -> dict:
    """Triage for the page in one model run; if that fails, message by message, and a message
    triage cannot classify is stored without suggestions (triage advises; the message matters)."""
    try:
        with transaction.atomic():
            return triage.classify_messages(new, accounts)
    except TRANSIENT:
        raise
    except Exception:  # noqa: BLE001
        log.exception(
            "Triage failed on a page of %d messages; classifying them one by one", len(new)
        )
    found = {}
    for msg in new:
        try:
            with transaction.atomic():
                found.update(triage.classify_messages([msg], accounts))
        except TRANSIENT:
            raise
        except Exception:  # noqa: BLE001
            log.exception(
                "Triage failed on %s %s; it is stored without suggestions",
                msg.platform,
                msg.platform_id,
            )
    return found


def _record_triage(opened: list) -> None:
    """Triage's suggestions in bulk; if that fails, one conversation at a time, and a conversation
    whose suggestions cannot be written keeps its messages (they are stored already)."""
    try:
        with transaction.atomic():
            triage_actions.record(opened)
        return
    except TRANSIENT:
        raise
    except Exception:  # noqa: BLE001
        log.exception(
            "Recording triage for %d conversations failed; recording them one by one", len(opened)
        )
    for pair in opened:
        try:
            with transaction.atomic():
                triage_actions.record([pair])
        except TRANSIENT:
            raise
        except Exception:  # noqa: BLE001
            log.exception(
                "Recording triage for conversation #%s failed; it stays without suggestions",
                pair[0].pk,
            )


def _store_page(
    ready: list[tuple[InboundMessage, InboundMessage]], context: _Context, aside: _Aside
) -> IngestResult:
    """Store the page with one statement per table (`_store_in_bulk`); if that fails, whatever the
    reason, roll it back and store the page again message by message (`_store_all`), where a
    message that fails is set aside and one another process stored meanwhile is a duplicate."""
    # The bulk path needs the new rows' ids back from its INSERTs (PostgreSQL, SQLite 3.35+).
    if connection.features.can_return_rows_from_bulk_insert:
        saved = context.snapshot()
        try:
            with transaction.atomic():
                return _store_in_bulk(ready, context)
        except TRANSIENT:
            raise
        except Exception as exc:  # noqa: BLE001 - the page is stored again, one message at a time
            context.restore(saved)
            if isinstance(exc, IntegrityError):
                # Another process stored some of these messages (or opened one of their
                # conversations) since the page was read: what it stored is a duplicate now.
                log.info(
                    "Part of a page of %d messages was stored meanwhile; storing it message by message",
                    len(ready),
                )
                context.known |= set(
                    Message.objects.filter(
                        platform__in={m.platform for m, _ in ready},
                        platform_id__in={m.platform_id for m, _ in ready},
                    ).values_list("platform", "platform_id")
                )
            else:
                log.warning(
                    "Storing a page of %d messages at once failed (%s: %s); storing it message by message",
                    len(ready),
                    exc.__class__.__name__,
                    exc,
                )
    result = _store_all(ready, context, aside)
    _record_triage(context.opened)
    return result


def _passed_over(msg: InboundMessage, context: _Context, result: IngestResult) -> bool:
    """A message of the page that is not stored now: known, kept out before, set aside before, or ours."""
    key = (msg.platform, msg.platform_id)
    if key in context.known:
        result.duplicates += 1
    elif key in context.kept_out_before:
        # Kept out when it first came: the same verdict, whatever else the page holds now
        # (a community manager lets it through from the filters page).
        result.filtered += 1
        context.known.add(key)
        context.kept_out.add(key)
    elif key in context.set_aside and not context.retrying:
        # Kept already, and still there: a community manager retries or dismisses it.
        context.seen_again.add(key)
        result.set_aside += 1
    elif (msg.platform, msg.author.external_id) in context.accounts:
        # Our own posts come back through search and mentions.
        result.skipped += 1
    else:
        return False
    return True


def _oldest_first(
    ready: list[tuple[InboundMessage, InboundMessage]],
) -> list[tuple[InboundMessage, InboundMessage]]:
    # So a reply finds the message it answers when both arrive in one page; two processes storing
    # overlapping pages also write the rows they share in the same order.
    return sorted(ready, key=lambda pair: (pair[0].created_at, pair[0].platform_id))


@dataclass
class _Planned:
    """One message of the page as it will be stored: its row, and the activity it causes."""

    msg: InboundMessage
    message: Message
    opened: bool
    reopened: dict | None
    reply: Message | None


def _store_in_bulk(
    ready: list[tuple[InboundMessage, InboundMessage]], context: _Context
) -> IngestResult:
    """The page's new messages with a few statements whatever its size: the authors, their
    conversations (the ones they reply in, by one `IN` on the thread keys and the parents'
    conversations), then one `INSERT` each for the new conversations, the messages and the
    activity entries, and one `UPDATE` per kind of change for the conversations they join.

    It threads the page in memory, oldest first, as `_store_one` does message by message: a
    follow-up joins the conversation its parent opened earlier in the page. The unique constraints
    stay the guard: a message or a thread another process stored meanwhile fails the statement,
    and the caller stores the page again message by message."""
    result = IngestResult()
    new = []
    for msg, _ in _oldest_first(ready):
        if _passed_over(msg, context, result):
            continue
        key = (msg.platform, msg.platform_id)
        outcome = _handle(msg, context, store=new.append)
        result.add(outcome)
        context.known.add(key)
        if outcome.filtered:
            context.kept_out.add(key)
    if not new:
        return result

    authors = _authors({(m.platform, m.author.external_id): m.author for m in new})
    by_key, by_id = _conversations(new, context)
    before = {pk: _state(c) for pk, c in by_id.items()}
    playing = _playing({c.last_agent_id for c in by_id.values() if c.last_agent_id})
    in_page = {}  # (platform, platform id) of what the page stores -> its conversation
    opened, planned = [], []
    for msg in new:
        author = authors[(msg.platform, msg.author.external_id)]
        conversation = None
        if msg.in_reply_to_id:
            parent = (msg.platform, msg.in_reply_to_id)
            found = in_page.get(parent) or by_id.get(context.stored.get(parent))
            if found is not None and found.author_id == author.pk:
                conversation = found
        if conversation is None:
            conversation = by_key.get((msg.platform, _thread_key(msg)))
        follow_up = conversation is not None
        if follow_up:
            context.follow_up(conversation)
        if conversation is None:
            mentioned = [
                context.accounts[(msg.platform, i)]
                for i in msg.mentioned_account_ids
                if (msg.platform, i) in context.accounts
            ]
            triaged = context.triaged.get((msg.platform, msg.platform_id))
            conversation = by_key[(msg.platform, _thread_key(msg))] = _new_conversation(
                msg, author, mentioned, context.rules, triaged
            )
            opened.append(conversation)
            if triaged is not None:
                context.opened.append((conversation, triaged))
            context.open_untriaged(conversation, msg)
            result.conversations_opened += 1
        message = _inbound_message(conversation, author, msg)
        reopened = _take_message(
            conversation, msg, follow_up=follow_up, playing=playing.__contains__
        )
        if reopened:
            result.conversations_reopened += 1
        reply = apply_metadata(conversation=conversation, message=message, msg=msg)
        if reply is not None and (
            (reply.platform, reply.platform_id) in context.stored
            or (reply.platform, reply.platform_id) in in_page
        ):
            reply = None  # the platform's copy of a reply we have
        if reply is not None:
            in_page[(reply.platform, reply.platform_id)] = conversation
            if answers(reply, message):
                conversation.awaiting_reply = False
        in_page[(msg.platform, msg.platform_id)] = conversation
        planned.append(
            _Planned(msg, message, opened=not follow_up, reopened=reopened, reply=reply)
        )
        result.stored += 1

    # Rows of one table in the order of their unique key, so two processes storing overlapping
    # pages wait for each other rather than deadlock.
    bulk.insert(sorted(opened, key=lambda c: (c.platform, c.thread_key)))
    if context.triage_later:
        # Their words go into search with their triage, once the page is stored.
        search_index.later([c.pk for c in opened])
    # Each row takes the id its conversation was just given.
    bulk.insert([row for p in planned for row in (p.message, p.reply) if row is not None])
    activity, tag_links = [], []
    for p in planned:
        conversation = p.message.conversation
        if p.opened:
            activity.append(_opened(conversation))
        activity.append(_received(conversation, p.message))
        if p.reopened:
            activity.append(
                Activity(conversation=conversation, kind=ActivityKind.REOPENED, detail=p.reopened)
            )
        if p.reply is not None:
            activity.append(
                Activity(
                    conversation=conversation,
                    kind=ActivityKind.EXISTING_REPLY_FOUND,
                    detail={"message": p.reply.pk},
                )
            )
    celebrities = [c for c in opened if _is_celebrity(c.author)]
    if celebrities:
        tag = _celebrity_tag()
        tag_links += [
            Conversation.tags.through(conversation_id=c.pk, tag_id=tag.pk) for c in celebrities
        ]
    # Triage's suggestions, tags and `triaged` entries go with the page's own rows.
    triage_actions.record(context.opened, activity=activity, tag_links=tag_links)
    Conversation.tags.through.objects.bulk_create(tag_links, ignore_conflicts=True)
    refresh_tag_slugs({link.conversation_id for link in tag_links})
    bulk.insert(activity)
    # The page's events for webhooks, in its transaction (the inserts above send no post_save).
    webhooks.activities_logged(activity)
    _write_changes(by_id.values(), before)
    return result


def _authors(profiles: dict) -> dict:
    """{(platform, external id): Author} for the page's authors, with one query and (when one is
    new or changed) one upsert: the newest profile of the page wins, as message by message."""
    query = Q()
    for platform in {p for p, _ in profiles}:
        query |= Q(platform=platform, external_id__in=[e for p, e in profiles if p == platform])
    found = {(a.platform, a.external_id): a for a in Author.objects.filter(query)}
    write = []
    for key, profile in sorted(profiles.items()):
        author = found.get(key)
        if author is None or _profile(author) != _profile(profile):
            author = found[key] = Author(
                platform=key[0],
                external_id=key[1],
                handle=profile.handle,
                name=profile.name,
                followers=profile.followers,
                verified=profile.verified,
                profile_image_url=profile.profile_image_url,
            )
            write.append(author)
    if write:
        # An author another process added since the query above is updated, not added twice.
        Author.objects.bulk_create(
            write,
            update_conflicts=True,
            unique_fields=["platform", "external_id"],
            update_fields=[
                "handle",
                "name",
                "followers",
                "verified",
                "profile_image_url",
                "updated_at",
            ],
        )
    return found


def _conversations(new: list[InboundMessage], context: _Context) -> tuple[dict, dict]:
    """The stored conversations the page's messages may join, in one query: those of the stored
    messages they reply to, and those of their threads. By (platform, thread key) and by id."""
    query = Q(
        pk__in={
            context.stored[(m.platform, m.in_reply_to_id)]
            for m in new
            if (m.platform, m.in_reply_to_id) in context.stored
        }
    )
    for platform in {m.platform for m in new}:
        query |= Q(
            platform=platform,
            thread_key__in={_thread_key(m) for m in new if m.platform == platform},
        )
    found = list(Conversation.objects.filter(query))
    return {(c.platform, c.thread_key): c for c in found}, {c.pk: c for c in found}


def _playing(agent_ids: set) -> set:
    """Which of these agents are in Play Mode now (AG3), in one query."""
    if not agent_ids:
        return set()

    recent = timezone.now() - timedelta(seconds=settings.SOCIALDESK_LEASE_SECONDS)
    return set(
        PlaySession.objects.filter(
            agent_id__in=agent_ids, ended_at__isnull=True, last_seen_at__gte=recent
        ).values_list("agent_id", flat=True)
    )


def _write_changes(conversations, before: dict) -> None:
    """Write what the page changed on stored conversations: one `UPDATE` per set of changed
    fields, and only those fields, so nothing else an agent changed meanwhile is written over."""
    groups = defaultdict(list)
    for conversation in conversations:
        changed = _changed(conversation, before[conversation.pk])
        if changed:
            groups[tuple(changed)].append(conversation)
    now = timezone.now()
    for fields, group in groups.items():
        for conversation in group:
            conversation.updated_at = now
        bulk.update(group, [*fields, "updated_at"])


def _store_all(
    ready: list[tuple[InboundMessage, InboundMessage]], context: _Context, aside: _Aside
) -> IngestResult:
    """Store (storable, as received) pairs one by one, each in its own savepoint."""
    result = IngestResult()
    for msg, received in _oldest_first(ready):
        key = (msg.platform, msg.platform_id)
        if _passed_over(msg, context, result):
            continue
        opened, later, followed = len(context.opened), len(context.later), len(context.followed)
        try:
            with transaction.atomic():
                outcome = _handle(msg, context, store=lambda msg: _store_one(msg, context))
        except Exception as exc:  # noqa: BLE001 - whatever fails on this message stays with this message
            del context.opened[opened:]
            del context.later[later:]
            del context.followed[followed:]
            if (
                isinstance(exc, IntegrityError)
                and Message.objects.filter(
                    platform=msg.platform, platform_id=msg.platform_id
                ).exists()
            ):
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


def _handle(msg: InboundMessage, context: _Context, *, store) -> IngestResult:
    """One new message: kept out by the filters, passed over (a repost), or stored (`store(msg)`,
    which returns the result of storing it, or None when it is stored later with its page)."""
    result = IngestResult()
    if context.filters is not None and _filtered_out(msg, context):
        result.filtered += 1
    elif msg.is_repost:
        # Reposts let through by the filters still carry no question of their own.
        result.skipped += 1
    else:
        stored = store(msg)
        if stored is not None:
            result.add(stored)
    return result


def _filtered_out(msg: InboundMessage, context: "_Context") -> bool:
    """CH8: a message the filters keep out is stored aside with its reason, not dropped."""
    mentions_us = any((msg.platform, i) in context.accounts for i in msg.mentioned_account_ids)
    parent = (msg.platform, msg.in_reply_to_id)
    # A reply to a message of ours or of a conversation we have, stored before or earlier in the page.
    replies_to_known = bool(msg.in_reply_to_id) and (
        parent in context.replied_to
        or (parent in context.known and parent not in context.kept_out)
    )
    found = context.filters.reason(msg, mentions_us=mentions_us, replies_to_known=replies_to_known)
    if found is None:
        return False
    keep_out(msg, *found)
    return True


def _store_one(msg: InboundMessage, context: _Context) -> IngestResult:
    """One message with its own statements (the page is stored this way when storing it in bulk failed)."""
    result = IngestResult()
    author = _upsert_author(msg)
    accounts = context.accounts
    conversation = _find_conversation(msg, author)
    follow_up = conversation is not None
    if conversation is None:
        mentioned = [
            accounts[(msg.platform, i)]
            for i in msg.mentioned_account_ids
            if (msg.platform, i) in accounts
        ]
        triaged = context.triaged.get((msg.platform, msg.platform_id))
        conversation = _new_conversation(msg, author, mentioned, context.rules, triaged)
        context.open_untriaged(conversation, msg)
        conversation.save()
        if _is_celebrity(author):
            conversation.tags.add(_celebrity_tag())
        _opened(conversation).save()
        if triaged is not None:
            context.opened.append((conversation, triaged))
        result.conversations_opened += 1
    before = _state(conversation)
    if follow_up:
        context.follow_up(conversation)
    message = _inbound_message(conversation, author, msg)
    message.save(force_insert=True)
    _received(conversation, message).save()
    reopened = _take_message(conversation, msg, follow_up=follow_up, playing=_is_playing)
    if reopened:
        Activity.objects.create(
            conversation=conversation, kind=ActivityKind.REOPENED, detail=reopened
        )
        result.conversations_reopened += 1
    reply = apply_metadata(conversation=conversation, message=message, msg=msg)
    if (
        reply is not None
        and not Message.objects.filter(
            platform=reply.platform, platform_id=reply.platform_id
        ).exists()
    ):
        reply.save()
        Activity.objects.create(
            conversation=conversation,
            kind=ActivityKind.EXISTING_REPLY_FOUND,
            detail={"message": reply.pk},
        )
        if answers(reply, message):
            conversation.awaiting_reply = False
    changed = _changed(conversation, before)
    if changed:
        conversation.updated_at = timezone.now()
        Conversation.objects.filter(pk=conversation.pk).update(
            **{name: getattr(conversation, name) for name in [*changed, "updated_at"]}
        )
    result.stored += 1
    return result


def _is_playing(user_id: int) -> bool:
    return bool(_playing({user_id}))


def let_through(filtered: FilteredMessage) -> IngestResult:
    """A wrong filter loses nothing: a CM lets a kept message through, and it is ingested now,
    past the filters."""
    result = ingest([restore(filtered)], apply_filters=False)
    FilteredMessage.objects.filter(pk=filtered.pk).update(let_through_at=timezone.now())
    return result
