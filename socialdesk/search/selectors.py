"""Search: the conversations a person may see whose messages (the customers' and our replies) or
notes contain the words, whose customer has the @handle, or that have the number.

One function for the page and the API. Visibility is `visible_conversations` (the one definition
of what an agent may see); the queue filters narrow with `ConversationFilter.apply`, as on a
queue's list. Newest activity first, paged by keyset (`SearchCursor`).
"""

import datetime
import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from socialdesk.conversations.limits import unsafe_character
from socialdesk.conversations.models import Message
from socialdesk.fields import MAX_ID
from socialdesk.queues.selectors import ConversationFilter
from socialdesk.queues.visibility import visible_conversations

from .index import MESSAGE_VECTOR, NOTE_VECTOR

MAX_QUERY = 200
MAX_WORDS = 16
PAGE_SIZE = 25
ORDER = ("-last_inbound_at", "-id")


class BadQuery(ValueError):
    """The search text cannot be searched for; the message says why, in words for the person."""


@dataclass(frozen=True)
class Query:
    text: str
    words: tuple[str, ...]
    handle: str | None
    number: int | None

    @classmethod
    def parse(cls, raw: str) -> "Query":
        text = " ".join((raw or "").split())
        if len(text) > MAX_QUERY:
            raise BadQuery(f"Search for at most {MAX_QUERY} characters.")
        if unsafe_character(text) is not None:
            raise BadQuery("The search contains a character that cannot be searched for.")
        words = tuple(re.findall(r"\w+", text))[:MAX_WORDS]
        handle = number = None
        if m := re.fullmatch(r"@?([A-Za-z0-9_.]{1,100})(@[\w.-]+)?", text):
            # A handle with or without its @ (a Mastodon handle may name its instance).
            handle = m.group(1) if not m.group(2) else m.group(0).lstrip("@")
        if m := re.fullmatch(r"#?(\d{1,18})", text):
            n = int(m.group(1))
            number = n if 0 < n <= MAX_ID else None
        return cls(text, words, handle, number)

    def __bool__(self) -> bool:
        return bool(self.words or self.handle or self.number)


def _fts5_query(words) -> str:
    # Each word a quoted FTS5 string: no operator or column name the person typed is obeyed.
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def text_matches(query: Query) -> tuple[str, list] | None:
    """SQL selecting the ids of conversations with a message or note matching the words."""
    if not query.words:
        return None
    if connection.vendor == "postgresql":
        words = " ".join(query.words)
        return (
            f"SELECT conversation_id FROM conversations_message "
            f"WHERE {MESSAGE_VECTOR} @@ socialdesk_tsquery(%s) "
            f"UNION SELECT conversation_id FROM conversations_internalnote "
            f"WHERE {NOTE_VECTOR} @@ socialdesk_tsquery(%s)",
            [words, words],
        )
    match = _fts5_query(query.words)
    return (
        "SELECT m.conversation_id FROM search_message_fts f "
        "JOIN conversations_message m ON m.id = f.rowid WHERE search_message_fts MATCH %s "
        "UNION SELECT n.conversation_id FROM search_note_fts g "
        "JOIN conversations_internalnote n ON n.id = g.rowid WHERE search_note_fts MATCH %s",
        [match, match],
    )


def message_matches(query: Query, conversation_ids) -> dict[int, Message]:
    """The latest matching message of each of `conversation_ids` (for the snippet)."""
    ids = [int(i) for i in conversation_ids]
    if not query.words or not ids:
        return {}
    if connection.vendor == "postgresql":
        where = RawSQL(
            f"{MESSAGE_VECTOR} @@ socialdesk_tsquery(%s)",
            [" ".join(query.words)],
        )
        qs = Message.objects.filter(conversation_id__in=ids).alias(hit=where).filter(hit=True)
    else:
        qs = Message.objects.filter(
            conversation_id__in=ids,
            pk__in=RawSQL(
                "SELECT rowid FROM search_message_fts WHERE search_message_fts MATCH %s",
                [_fts5_query(query.words)],
            ),
        )
    found = {}
    for m in qs.order_by("created_at", "pk"):
        found[m.conversation_id] = m
    return found


@dataclass(frozen=True)
class SearchCursor:
    """Where a page of results ended: its last row's (last_inbound_at, id), newest first."""

    last_inbound_at: datetime.datetime
    id: int

    def encode(self) -> str:
        return f"{round(self.last_inbound_at.timestamp() * 1_000_000)}_{self.id}"

    @classmethod
    def decode(cls, text: str) -> "SearchCursor":
        """ValueError if `text` is not a cursor this code wrote."""
        parts = (text or "").split("_")
        if len(parts) != 2 or len(text) > 60:
            raise ValueError("not a page cursor")
        micros, pk = (int(p) for p in parts)
        if not (0 < pk <= MAX_ID and 0 <= micros < 253402300800 * 1_000_000):
            raise ValueError("not a page cursor")
        when = datetime.datetime.fromtimestamp(0, tz=datetime.UTC) + datetime.timedelta(
            microseconds=micros
        )
        return cls(when, pk)


def matching_ids(query: Query) -> tuple[str, list] | None:
    """SQL selecting the ids of the conversations matching `query`, whoever looks: one UNION,
    so the database reads each index once and joins the (usually few) ids to the conversations."""
    parts = []
    if text := text_matches(query):
        parts.append(text)
    if query.handle:
        # Django's iexact, spelled out: UPPER() on both sides (indexed on PostgreSQL).
        parts.append(
            (
                "SELECT c.id FROM conversations_conversation c JOIN conversations_author a "
                "ON a.id = c.author_id WHERE UPPER(a.handle) = UPPER(%s)",
                [query.handle],
            )
        )
    if query.number:
        parts.append(("SELECT %s", [query.number]))
    if not parts:
        return None
    return " UNION ".join(sql for sql, _ in parts), [p for _, params in parts for p in params]


def matching(*, user, query: Query, filter: ConversationFilter | None = None) -> QuerySet:
    """Every conversation `user` may see that matches `query` and `filter`, unordered.

    On PostgreSQL the matches are one array (`id = ANY(ARRAY(…))`), read once from the indexes
    and looked up by primary key. Handed them as an `IN (subquery)`, the planner would rather walk
    every conversation newest first, matching each one's messages' text until 25 match: quick for
    a word in every tenth message, the whole table for a rare one.
    """
    ids = matching_ids(query)
    if ids is None:
        return visible_conversations(user=user).none()
    sql, params = ids
    if connection.vendor == "postgresql":
        hit = RawSQL(f'"conversations_conversation"."id" = ANY(ARRAY({sql}))', params)
        qs = visible_conversations(user=user).alias(hit=hit).filter(hit=True)
    else:
        qs = visible_conversations(user=user).filter(pk__in=RawSQL(sql, params))
    return (filter or ConversationFilter()).apply(qs)


def page(
    qs: QuerySet,
    *,
    after: SearchCursor | None = None,
    size: int = PAGE_SIZE,
    related=("author", "account", "dealt_to"),
    prefetch=(),
) -> tuple[list, SearchCursor | None]:
    """A page of `qs`, newest activity first, its rows with `related` joined and `prefetch`
    fetched; and the cursor of the next page (None on the last)."""
    if after is not None:
        qs = qs.filter(
            Q(last_inbound_at__lt=after.last_inbound_at)
            | Q(last_inbound_at=after.last_inbound_at, id__lt=after.id)
        )
    # The page's ids first, then its rows with whatever `qs` joins: joined before the LIMIT,
    # every match would be joined to its author and account only to be sorted away.
    keys = list(qs.order_by(*ORDER).values_list("pk", flat=True)[: size + 1])
    more = len(keys) > size
    keys = keys[:size]
    rows = (
        list(
            qs.model.objects.filter(pk__in=keys)
            .select_related(*related)
            .prefetch_related(*prefetch)
            .order_by(*ORDER)
        )
        if keys
        else []
    )
    return rows, (SearchCursor(rows[-1].last_inbound_at, rows[-1].pk) if more else None)


def search(
    *,
    user,
    text: str,
    filter: ConversationFilter | None = None,
    after: SearchCursor | None = None,
    size: int = PAGE_SIZE,
) -> tuple[list, SearchCursor | None]:
    """A page of results for `text` (BadQuery if it cannot be searched for), each conversation
    with `hit`: its latest message matching the words, if one does."""
    query = Query.parse(text)
    if not query:
        return [], None
    rows, cursor = page(matching(user=user, query=query, filter=filter), after=after, size=size)
    hits = message_matches(query, [c.pk for c in rows])
    for c in rows:
        c.hit = hits.get(c.pk)
    return rows, cursor
