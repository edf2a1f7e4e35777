"""Search: the conversations a person may see whose messages (the customers' and our replies) or
notes contain the words, whose customer has the @handle, or that have the number.

One function for the page and the API. Visibility is `visible_conversations` (the one definition
of what an agent may see); the queue filters narrow with `ConversationFilter.apply`, as on a
queue's list. Newest activity first, paged by keyset (`SearchCursor`).
"""

import datetime
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from socialdesk.conversations.limits import unsafe_character
from socialdesk.conversations.models import Message
from socialdesk.fields import MAX_ID
from socialdesk.queues.selectors import CappedCount, ConversationFilter, capped_count
from socialdesk.queues.visibility import visible_conversations

from .index import CONVERSATION_TEXT, MESSAGE_VECTOR

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
        return (
            f"SELECT conversation_id FROM {CONVERSATION_TEXT} "
            "WHERE vector @@ socialdesk_tsquery(%s)",
            [" ".join(query.words)],
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


# PostgreSQL: the text index's matches are read up to this many; more, and the words are common.
DENSE_AT = 1000
# The count beside the results stops here ("1,000+").
COUNT_CAP = 1000


@dataclass
class Matches:
    """What matches a query, whoever looks (`ids`), before visibility and filters.

    `ids`: every matching conversation's id, or (`dense`, PostgreSQL) only the first DENSE_AT + 1
    the text index gave; `sql`: SQL selecting them all (SQLite)."""

    ids: list[int] | None
    dense: bool = False
    sql: tuple[str, list] | None = None
    exact: tuple[int, ...] = ()  # the @handle's and the #number's conversations


def find(query: Query) -> Matches | None:
    """The conversations `query` matches (None: it matches nothing)."""
    ids = matching_ids(query)
    if ids is None:
        return None
    if connection.vendor != "postgresql":
        return Matches(ids=None, sql=ids)
    found = []
    with connection.cursor() as cursor:
        if query.words:
            cursor.execute(
                f"SELECT conversation_id FROM {CONVERSATION_TEXT} "
                "WHERE vector @@ socialdesk_tsquery(%s) LIMIT %s",
                [" ".join(query.words), DENSE_AT + 1],
            )
            found = [row[0] for row in cursor.fetchall()]
        dense = len(found) > DENSE_AT
        exact = []
        if query.handle:
            cursor.execute(
                "SELECT c.id FROM conversations_conversation c JOIN conversations_author a "
                "ON a.id = c.author_id WHERE UPPER(a.handle) = UPPER(%s)",
                [query.handle],
            )
            exact = [row[0] for row in cursor.fetchall()]
        if query.number:
            exact.append(query.number)
    if dense:
        return Matches(ids=[*exact, *found], dense=True, exact=tuple(exact))
    return Matches(ids=sorted(set(found) | set(exact)))


def _restricted(qs: QuerySet, query: Query, matches: Matches) -> QuerySet:
    if matches.sql is not None:  # SQLite
        sql, params = matches.sql
        return qs.filter(pk__in=RawSQL(sql, params))
    if not matches.dense:
        # The few matches, looked up by primary key, then sorted.
        return qs.filter(
            RawSQL('"conversations_conversation"."id" = ANY(%s)', [matches.ids], BooleanField())
        )
    # Common words: walk the conversations newest first (the keyset's index) and probe each
    # one's row of words, until the page is full. A scalar subquery, so the planner can neither
    # turn it into a join that reads every match nor hash all the matches first: either would
    # read the thousands of matches a common word has, to keep 25.
    probe = RawSQL(
        f"(COALESCE((SELECT t.vector @@ socialdesk_tsquery(%s) FROM {CONVERSATION_TEXT} t "
        '  WHERE t.conversation_id = "conversations_conversation"."id"), false) '
        '  OR "conversations_conversation"."id" = ANY(%s))',
        [" ".join(query.words), list(matches.exact)],
        BooleanField(),
    )
    return qs.filter(probe)


def matching(
    *,
    user,
    query: Query,
    filter: ConversationFilter | None = None,
    matches: Matches | None = None,
    visible: QuerySet | None = None,
) -> QuerySet:
    """Every conversation `user` may see that matches `query` and `filter`, unordered.

    PostgreSQL: the text index (`search_conversation_text`, one row of words per conversation)
    is read once, up to DENSE_AT + 1 matches (`find`). Fewer: they are all there is, looked up
    by primary key with the visibility and the filters, and sorted. More: the words are common,
    and the newest matches are found by walking the conversations newest first instead, which
    stops as soon as the page is full. SQLite: the FTS5 tables' matches as a subquery.
    """
    matches = matches or find(query)
    visible = visible if visible is not None else visible_conversations(user=user)
    if matches is None:
        return visible.none()
    qs = _restricted(visible, query, matches)
    return (filter or ConversationFilter()).apply(qs)


def count(
    *,
    user,
    query: Query,
    filter: ConversationFilter | None,
    matches: Matches | None,
    visible: QuerySet | None = None,
) -> CappedCount:
    """How many conversations `user` may see match, counted up to COUNT_CAP ("1,000+").

    With common words (PostgreSQL) only the first DENSE_AT + 1 matches the index gave are
    counted, so the count is "at least" what it says."""
    if matches is None:
        return CappedCount(0, COUNT_CAP)
    if not matches.dense:
        qs = matching(user=user, query=query, filter=filter, matches=matches, visible=visible)
        return capped_count(qs, cap=COUNT_CAP)
    sample = Matches(ids=matches.ids)
    qs = matching(user=user, query=query, filter=filter, matches=sample, visible=visible)
    n = capped_count(qs, cap=COUNT_CAP)
    return CappedCount(int(n), COUNT_CAP, at_least=int(n) <= COUNT_CAP)


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


# Common words: the walk hands out matches in batches, the first of a page's size + 1, each next
# one as large as the share of visible ones so far says the page still needs, until a page of
# visible ones is found or this many were looked at.
WALK_LIMIT = 5000


def _walk(query: Query, matches: Matches, *, after: SearchCursor | None, limit: int) -> list:
    """The next `limit` conversations matching `matches` (dense) after `after`, newest first,
    whoever may see them: the conversations walked newest first, each one's row of words probed
    (a scalar subquery: the planner can neither turn it into a join that reads every match nor
    hash all the matches first, either of which reads the thousands of matches a common word
    has, to keep 25)."""
    keyset, params = "", []
    if after is not None:
        keyset = "c.last_inbound_at <= %s AND (c.last_inbound_at < %s OR c.id < %s) AND "
        params = [after.last_inbound_at, after.last_inbound_at, after.id]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.id, c.last_inbound_at FROM conversations_conversation c WHERE {keyset}"
            f"(COALESCE((SELECT t.vector @@ socialdesk_tsquery(%s) FROM {CONVERSATION_TEXT} t "
            "  WHERE t.conversation_id = c.id), false) OR c.id = ANY(%s)) "
            "ORDER BY c.last_inbound_at DESC, c.id DESC LIMIT %s",
            [*params, " ".join(query.words), list(matches.exact), limit],
        )
        return cursor.fetchall()


def _dense_page(*, visible, query, filter, matches, after, size):
    """A page of a common word's matches: batches of the walk, narrowed to what `user` may see
    and `filter` by primary key (cheap for a few ids, where the visibility rules joined to a
    walk would read whole platforms). None if WALK_LIMIT matches held no page."""
    found, batch, seen, position = [], size + 1, 0, after
    while seen < WALK_LIMIT:
        rows = _walk(query, matches, after=position, limit=batch)
        seen += len(rows)
        ids = [pk for pk, _ in rows]
        if ids:
            narrowed = (filter or ConversationFilter()).apply(visible.filter(pk__in=ids))
            keep = set(narrowed.values_list("pk", flat=True))
            found += [pk for pk in ids if pk in keep]
        if len(found) > size or len(rows) < batch:
            return page(
                visible.filter(pk__in=found[: size + 1]),
                after=after,
                size=size,
            )
        position = SearchCursor(rows[-1][1], rows[-1][0])
        # As many as the share of visible ones so far says the page still needs, and a little more.
        share = len(found) / seen if found else 0.25
        batch = max(8, math.ceil((size + 1 - len(found)) / share * 1.25))
    return None


@contextmanager
def _rules_row_by_row(visible: QuerySet):
    """PostgreSQL: the queues' visibility rules checked on each candidate row, not hashed.

    Search narrows a known, small set of conversations (a page's worth, or the index's first
    thousand matches) to what a person may see. Estimating hundreds of rows, the planner would
    hash each queue's members first (every Google Play conversation, every Mastodon one: tens of
    thousands of rows read to check a thousand); with a working memory too small for those hash
    tables it probes each rule for each candidate by primary key instead. Restored afterwards,
    even inside a longer transaction."""
    if connection.vendor != "postgresql" or not visible.query.where:  # sees everything
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('work_mem'), set_config('work_mem', '64kB', true)")
        before = cursor.fetchone()[0]
        try:
            yield
        finally:
            cursor.execute("SELECT set_config('work_mem', %s, true)", [before])


@dataclass
class Results:
    rows: list
    next: SearchCursor | None
    count: CappedCount | None


def results(
    *,
    user,
    text: str,
    filter: ConversationFilter | None = None,
    after: SearchCursor | None = None,
    size: int = PAGE_SIZE,
    with_count: bool = True,
) -> Results:
    """A page of results for `text` (BadQuery if it cannot be searched for), each conversation
    with `hit`: its latest message matching the words, if one does; and (`with_count`) how many
    conversations match, capped."""
    query = Query.parse(text)
    if not query:
        return Results([], None, None)
    # The visibility rules read once (the queues `user` may see), for every query below.
    visible = visible_conversations(user=user)
    with _rules_row_by_row(visible):
        return _results(
            visible=visible,
            user=user,
            query=query,
            filter=filter,
            after=after,
            size=size,
            with_count=with_count,
        )


def _results(*, visible, user, query, filter, after, size, with_count) -> Results:
    matches = find(query)
    walked = None
    if matches is not None and matches.dense:
        walked = _dense_page(
            visible=visible, query=query, filter=filter, matches=matches, after=after, size=size
        )
    if walked is not None:
        rows, cursor = walked
    else:
        qs = matching(user=user, query=query, filter=filter, matches=matches, visible=visible)
        rows, cursor = page(qs, after=after, size=size)
    hits = message_matches(query, [c.pk for c in rows])
    for c in rows:
        c.hit = hits.get(c.pk)
    total = None
    if with_count:
        if after is None and cursor is None:
            total = CappedCount(len(rows), COUNT_CAP)  # the whole of it is on this page
        else:
            total = count(user=user, query=query, filter=filter, matches=matches, visible=visible)
    return Results(rows, cursor, total)


def search(
    *,
    user,
    text: str,
    filter: ConversationFilter | None = None,
    after: SearchCursor | None = None,
    size: int = PAGE_SIZE,
) -> tuple[list, SearchCursor | None]:
    """`results` without the count: (rows, the next page's cursor)."""
    r = results(user=user, text=text, filter=filter, after=after, size=size, with_count=False)
    return r.rows, r.next
