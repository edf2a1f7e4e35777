"""Search: the conversations a person may see whose messages (the customers' and our replies) or
notes contain the words, whose customer has the @handle, or that have the number.

One function for the page and the API. Visibility is `visible_conversations` (the one definition
of what an agent may see); the queue filters narrow with `ConversationFilter.apply`, as on a
queue's list. Newest activity first, paged by keyset (`SearchCursor`).
"""

import datetime
import json
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from socialdesk.conversations.limits import unsafe_character
from socialdesk.conversations.models import Conversation, Message
from socialdesk.fields import MAX_ID
from socialdesk.queues.selectors import (
    CappedCount,
    ConversationFilter,
    capped_count,
    decode_cursor,
    encode_cursor,
)
from socialdesk.queues.visibility import visible_conversations

from .index import CONVERSATION_TEXT, MESSAGE_VECTOR

MAX_QUERY = 200
MAX_WORDS = 16
PAGE_SIZE = 25
ORDER = ("-last_inbound_at", "-id")
PAGE_RELATED = ("author", "account", "dealt_to")


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
            raise BadQuery(_("Search for at most %(n)s characters.") % {"n": MAX_QUERY})
        if unsafe_character(text) is not None:
            raise BadQuery(_("The search contains a character that cannot be searched for."))
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
        return encode_cursor(when=self.last_inbound_at, pk=self.id)

    @classmethod
    def decode(cls, text: str) -> "SearchCursor":
        """ValueError if `text` is not a cursor this code wrote."""
        _, when, pk = decode_cursor(text)
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
    # Common words: the conversations newest first, each one's row of words probed by key.
    return qs.filter(_words_probe(query, matches))


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
    visible = visible if visible is not None else visible_conversations(user=user)
    if not visible.query.where and not filter:
        # Whoever sees everything, unfiltered: the index's first DENSE_AT + 1 are all theirs.
        return CappedCount(min(len(matches.ids), COUNT_CAP + 1), COUNT_CAP, at_least=True)
    sample = Matches(ids=matches.ids)
    qs = matching(user=user, query=query, filter=filter, matches=sample, visible=visible)
    n = capped_count(qs, cap=COUNT_CAP)
    return CappedCount(int(n), COUNT_CAP, at_least=int(n) <= COUNT_CAP)


def page(
    qs: QuerySet,
    *,
    after: SearchCursor | None = None,
    size: int = PAGE_SIZE,
    related=PAGE_RELATED,
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
    return _rows(qs.model, keys, size=size, related=related, prefetch=prefetch)


def _rows(model, keys: list[int], *, size: int, related=(), prefetch=()):
    """The rows of the page whose ids are `keys` (newest first; one more than `size` if there
    is a next page), with `related` joined and `prefetch` fetched; and the next page's cursor."""
    more = len(keys) > size
    keys = keys[:size]
    rows = (
        list(
            model.objects.filter(pk__in=keys)
            .select_related(*related)
            .prefetch_related(*prefetch)
            .order_by(*ORDER)
        )
        if keys
        else []
    )
    return rows, (SearchCursor(rows[-1].last_inbound_at, rows[-1].pk) if more else None)


# Common words (PostgreSQL): the conversations are walked newest first in windows of this many,
# each probed for the words only if it passes the filters; after WALK_LIMIT of them without a full
# page, the matches that are left are read from the text index instead (a common word with filters
# that keep few of its matches: reading them is then cheaper than walking on).
WALK_WINDOW = 2500
WALK_LIMIT = 10_000
# Matches read whole are asked for this many at a time (each read goes through all of them).
READ_BATCH = 1000


def _words_probe(query: Query, matches: Matches) -> RawSQL:
    """Whether a conversation's row of words matches, probed by key (a scalar subquery: the
    planner can neither turn it into a join that reads every match nor hash all the matches
    first, either of which reads the thousands of matches a common word has, to keep 25)."""
    return RawSQL(
        f"(COALESCE((SELECT t.vector @@ socialdesk_tsquery(%s) FROM {CONVERSATION_TEXT} t "
        '  WHERE t.conversation_id = "conversations_conversation"."id"), false) '
        '  OR "conversations_conversation"."id" = ANY(%s))',
        [" ".join(query.words), list(matches.exact)],
        BooleanField(),
    )


def _after(qs: QuerySet, after: SearchCursor | None) -> QuerySet:
    if after is None:
        return qs
    return qs.filter(
        Q(last_inbound_at__lt=after.last_inbound_at)
        | Q(last_inbound_at=after.last_inbound_at, id__lt=after.id)
    )


def _window_end(after: SearchCursor | None) -> datetime.datetime | None:
    """The activity time WALK_WINDOW conversations older than `after` (None: fewer are left),
    read off the index of `last_inbound_at` alone."""
    qs = Conversation.objects.all()
    if after is not None:
        # id 0: the window before ended at this time, all of it walked.
        op = "last_inbound_at__lt" if after.id == 0 else "last_inbound_at__lte"
        qs = qs.filter(**{op: after.last_inbound_at})
    return (
        qs.order_by("-last_inbound_at")
        .values_list("last_inbound_at", flat=True)[WALK_WINDOW : WALK_WINDOW + 1]
        .first()
    )


def _walk(query, matches, filter, *, after, until, limit) -> list[tuple[int, datetime.datetime]]:
    """The next `limit` conversations after `after` and not older than `until` that pass
    `filter` and match (dense), newest first, whoever may see them: the index of
    `last_inbound_at` walked, each row's filter columns checked, then its words probed."""
    qs = _after(filter.apply(Conversation.objects.all()), after)
    if until is not None:
        qs = qs.filter(last_inbound_at__gte=until)
    qs = qs.filter(_words_probe(query, matches))
    return list(qs.order_by(*ORDER).values_list("pk", "last_inbound_at")[:limit])


def _read_rest(query, matches, filter, *, after, limit) -> list[tuple[int, datetime.datetime]]:
    """The next `limit` matches after `after` that pass `filter`, newest first: every match read
    from the text index (an InitPlan: once), looked up by key, sorted."""
    qs = _after(filter.apply(Conversation.objects.all()), after).filter(
        RawSQL(
            '"conversations_conversation"."id" = ANY(ARRAY('
            f"SELECT conversation_id FROM {CONVERSATION_TEXT} "
            "WHERE vector @@ socialdesk_tsquery(%s)) || %s::bigint[])",
            [" ".join(query.words), list(matches.exact)],
            BooleanField(),
        )
    )
    return list(qs.order_by(*ORDER).values_list("pk", "last_inbound_at")[:limit])


def _planned_rows(sql: str, params) -> float:
    """How many rows the planner expects `sql` to give (from the table's statistics; nothing is
    read)."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return float(plan[0]["Plan"]["Plan Rows"])


# Buffers (8 kB pages) touched per conversation walked (its index entry and row), per row of
# words probed, and per match read whole (its row of words and its conversation): from
# EXPLAIN (ANALYZE, BUFFERS) at a million messages (docs/performance.md).
# A walk with filters costs more per conversation: the planner reads the filter's index over
# the window's time range and checks each row, about 7.5 a conversation.
WALK_COST, PROBE_COST, READ_COST, FILTERED_WALK_COST = 2.0, 4.0, 4.5, 7.5


def _walk_first(query, matches, filter, size) -> bool:
    """Whether walking the conversations newest first should find a page of a common word's
    matches sooner than reading all of its matches: the planner's estimates of how many
    conversations the words match (the text index's statistics) and the filters keep."""
    words = " ".join(query.words)
    matched = _planned_rows(
        f"SELECT 1 FROM {CONVERSATION_TEXT} WHERE vector @@ socialdesk_tsquery(%s)", [words]
    )
    everything = Conversation.objects.all()
    total = _planned_rows(*everything.query.sql_with_params())
    kept = 1.0
    if filter:
        kept = _planned_rows(*filter.apply(everything).query.sql_with_params()) / max(total, 1)
    matched, kept = max(matched, 1.0), max(kept, 1e-6)
    walked = (size + 1) * total / (matched * kept)
    per_conversation = FILTERED_WALK_COST if filter else WALK_COST + PROBE_COST
    return walked <= WALK_LIMIT and walked * per_conversation < matched * READ_COST


def _dense_page(*, visible, query, filter, matches, after, size, prefetch=()):
    """A page of a common word's matches: batches of the walk (or, past WALK_LIMIT or where the
    estimates say reading is cheaper, of the matches read whole), narrowed to what the person may
    see by primary key."""
    filter = filter or ConversationFilter()
    narrow = bool(visible.query.where)  # a community manager sees every conversation
    found, seen, walked, batch, position = [], 0, 0, size + 1, after
    if _walk_first(query, matches, filter, size):
        until = _window_end(position)
    else:
        walked, until = WALK_LIMIT, None
    while True:
        if walked < WALK_LIMIT:
            rows = _walk(query, matches, filter, after=position, until=until, limit=batch)
        else:
            # Each read goes through every match: ask for plenty at once.
            rows = _read_rest(query, matches, filter, after=position, limit=max(batch, READ_BATCH))
        ids = [pk for pk, _ in rows]
        seen += len(ids)
        if ids and narrow:
            keep = set(visible.filter(pk__in=ids).values_list("pk", flat=True))
            ids = [pk for pk in ids if pk in keep]
        found += ids
        if len(found) > size:
            break
        if len(rows) == (batch if walked < WALK_LIMIT else max(batch, READ_BATCH)):  # more left
            position = SearchCursor(rows[-1][1], rows[-1][0])
        elif walked < WALK_LIMIT and until is not None:  # the window is walked: the next one
            walked += WALK_WINDOW
            position = SearchCursor(until, 0)
            until = _window_end(position) if walked < WALK_LIMIT else None
        else:  # the oldest conversation reached
            break
        # As many as the share kept so far says the page still needs, and a little more.
        share = len(found) / seen if found else 0.25
        batch = max(8, math.ceil((size + 1 - len(found)) / share * 1.25))
    return _rows(
        Conversation, found[: size + 1], size=size, related=PAGE_RELATED, prefetch=prefetch
    )


def _sparse_page(*, visible, filter, matches, after, size, prefetch=()):
    """A page of a rare word's matches (PostgreSQL: at most DENSE_AT + 1 of them, and the
    @handle's and #number's), and how many there are: every match the person may see and the
    filters keep, read by primary key in one statement and sorted here. Sorted by the database
    with a LIMIT, the planner may walk the activity index from the newest conversation instead,
    testing each against the ids (or all of them, to count)."""
    qs = (filter or ConversationFilter()).apply(
        visible.filter(
            RawSQL('"conversations_conversation"."id" = ANY(%s)', [matches.ids], BooleanField())
        )
    )
    found = sorted(qs.values_list("last_inbound_at", "pk"), reverse=True)
    total = CappedCount(min(len(found), COUNT_CAP + 1), COUNT_CAP)
    if after is not None:
        found = [row for row in found if row < (after.last_inbound_at, after.id)]
    keys = [pk for _, pk in found[: size + 1]]
    rows, cursor = _rows(Conversation, keys, size=size, related=PAGE_RELATED, prefetch=prefetch)
    return rows, cursor, total


@contextmanager
def _search_settings(visible: QuerySet):
    """PostgreSQL: no JIT, and the queues' visibility rules checked on each candidate row, not
    hashed; both for this search's statements only (restored afterwards, even inside a longer
    transaction).

    JIT: a statement over a thousand ids with the visibility rules is estimated costly enough to
    be compiled (tens of milliseconds), where running it takes a few. Work memory: search
    narrows a known, small set of conversations (a page's worth, or the index's first thousand
    matches) to what a person may see. Estimating hundreds of rows, the planner would hash each
    queue's members first (every Google Play conversation, every Mastodon one: tens of thousands
    of rows read to check a thousand); with a working memory too small for those hash tables it
    probes each rule for each candidate by primary key instead."""
    if connection.vendor != "postgresql":
        yield
        return
    settings = {"jit": "off"}
    if visible.query.where:  # a community manager sees everything: nothing to narrow
        settings["work_mem"] = "64kB"
    names = list(settings)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join("current_setting(%s), set_config(%s, %s, true)" for _ in names),
            [p for name in names for p in (name, name, settings[name])],
        )
        row = cursor.fetchone()
        before = {name: row[2 * i] for i, name in enumerate(names)}
        try:
            yield
        finally:
            cursor.execute(
                "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in names),
                [p for name in names for p in (name, before[name])],
            )


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
    within: QuerySet | None = None,
    prefetch=(),
) -> Results:
    """A page of results for `text` (BadQuery if it cannot be searched for), each conversation
    with `hit`: its latest message matching the words, if one does; and (`with_count`) how many
    conversations match, capped. The search page and the API's `?q=` both call this.

    `within`: only these conversations (a queue's); `prefetch`: fetched with the page's rows."""
    query = Query.parse(text)
    if not query:
        return Results([], None, None)
    # The visibility rules read once (the queues `user` may see), for every query below.
    visible = visible_conversations(user=user)
    if within is not None:
        visible = visible.filter(pk__in=within.values("pk"))
    with _search_settings(visible):
        return _results(
            visible=visible,
            user=user,
            query=query,
            filter=filter,
            after=after,
            size=size,
            with_count=with_count,
            prefetch=prefetch,
        )


def _results(*, visible, user, query, filter, after, size, with_count, prefetch) -> Results:
    matches = find(query)
    total = None
    if matches is not None and matches.dense:
        rows, cursor = _dense_page(
            visible=visible,
            query=query,
            filter=filter,
            matches=matches,
            after=after,
            size=size,
            prefetch=prefetch,
        )
    elif matches is not None and matches.ids is not None:
        rows, cursor, total = _sparse_page(
            visible=visible,
            filter=filter,
            matches=matches,
            after=after,
            size=size,
            prefetch=prefetch,
        )
    else:
        qs = matching(user=user, query=query, filter=filter, matches=matches, visible=visible)
        rows, cursor = page(qs, after=after, size=size, prefetch=prefetch)
    hits = message_matches(query, [c.pk for c in rows])
    for c in rows:
        c.hit = hits.get(c.pk)
    if with_count and total is None:
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
