"""What is in a queue: one definition for the list view, the counts and the dealing query.

A queue's saved rules and the left panel's filters are the same thing, a `ConversationFilter`:
the rules may also say "moderated", a minimum priority and a star-rating range, which the panel
does not offer. One `apply` narrows every list, count and deal.
"""

import datetime
import hashlib
import json
import logging
from dataclasses import dataclass, field, fields, replace

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from socialdesk.brands.models import BrandAccount, Platform
from socialdesk.conversations.limits import unsafe_character
from socialdesk.conversations.models import (
    Conversation,
    Message,
    MessageType,
    Sentiment,
    Status,
    Tag,
    UserTag,
    UserTagKind,
)
from socialdesk.fields import MAX_ID
from socialdesk.people.models import has_role

from .models import Queue, QueueKind, validate_rules

log = logging.getLogger(__name__)

# The type filter's extra option (seed: "There is a 'Containing private message' option").
PRIVATE_MESSAGE = "private_message"
# The value that selects "nothing there": no brand account (a search find), no language detected,
# no type, no sentiment, no tag. Parentheses appear in no handle, language code or slug.
NONE = "(none)"
NONE_LABELS = {
    "accounts": gettext_lazy("No account (search)"),
    "languages": gettext_lazy("Not detected"),
    "types": gettext_lazy("Not classified"),
    "sentiments": gettext_lazy("Not marked"),
    "tags": gettext_lazy("No tag"),
}
# The columns the multiple-choice fields narrow; `tags` and the private-message type are EXISTS.
COLUMNS = {
    "types": "type",
    "platforms": "platform",
    "accounts": "account__handle",
    "languages": "language",
    "sentiments": "sentiment",
    "statuses": "status",
}


def _private_message() -> Exists:
    return Exists(Message.objects.filter(conversation_id=OuterRef("pk"), private=True))


def _tagged(slugs) -> Q:
    # A condition on the conversation's own copy of its tag slugs (`actions.tagging`):
    # on PostgreSQL the GIN index answers it and the planner knows a rare tag from a common one,
    # where an EXISTS over the links made a rare tag walk the whole queue. No join either, so no
    # duplicates to DISTINCT away and the dealing query can still lock rows.
    if slugs is None:
        return Q(tag_slugs__empty=False)
    return Q(tag_slugs__has_any=list(slugs))


def _empty(name: str) -> Q:
    if name == "accounts":
        return Q(account__isnull=True)
    column = COLUMNS[name]
    return Q(**{column: ""}) | Q(**{f"{column}__isnull": True})


def _one_of(name: str, values) -> Q:
    """Any of `values` in the field `name`, NONE standing for "empty"."""
    real = [v for v in values if v != NONE]
    either = []
    if name == "tags":
        if real:
            either.append(_tagged(real))
        if NONE in values:
            either.append(Q(tag_slugs__empty=True))
    else:
        if name == "types" and PRIVATE_MESSAGE in real:
            real.remove(PRIVATE_MESSAGE)
            either.append(Q(_private_message()))
        if real:
            either.append(Q(**{f"{COLUMNS[name]}__in": real}))
        if NONE in values and name in NONE_LABELS:
            either.append(_empty(name))
    if not either:
        return Q(pk__in=[])  # only values that cannot be: nothing matches
    q = either[0]
    for other in either[1:]:
        q |= other
    return q


@dataclass(frozen=True)
class ConversationFilter:
    """Narrows conversations; every field narrows, empty (or None) means "any".

    The multiple-choice fields are the left panel's (AG2) and may hold NONE; the last four are
    what only a queue's saved rules say (AG1): moderation stage, minimum priority, star ratings.
    """

    tags: tuple[str, ...] = field(default_factory=tuple)
    types: tuple[str, ...] = field(default_factory=tuple)
    platforms: tuple[str, ...] = field(default_factory=tuple)
    accounts: tuple[str, ...] = field(default_factory=tuple)
    languages: tuple[str, ...] = field(default_factory=tuple)
    sentiments: tuple[str, ...] = field(default_factory=tuple)
    statuses: tuple[str, ...] = field(default_factory=tuple)
    moderated: bool | None = None
    min_priority: int | None = None
    min_rating: int | None = None
    max_rating: int | None = None

    # The left panel's fields, in the order of the query string.
    FIELDS = ("tags", "types", "platforms", "accounts", "languages", "sentiments", "statuses")
    # What a queue's rules may say beyond the panel (each one a key of `queues.models.RULE_KEYS`).
    RULE_ONLY = ("moderated", "min_priority", "min_rating", "max_rating")

    @staticmethod
    def _param(name: str) -> str:
        return "status" if name == "statuses" else name[:-1]

    @classmethod
    def from_query(cls, query) -> "ConversationFilter":
        """From a request's GET/POST (`tag=a&tag=b&type=…`); unknown values simply match nothing.

        A value no column could hold (too long, or with a character the database refuses) is
        dropped here rather than sent to the database, where it would be an error, not a miss.
        """

        def usable(v: str) -> bool:
            return bool(v) and len(v) <= 200 and unsafe_character(v) is None

        return cls(
            **{
                name: tuple(v for v in query.getlist(cls._param(name)) if usable(v))
                for name in cls.FIELDS
            }
        )

    @classmethod
    def from_dict(cls, data: dict | None) -> "ConversationFilter":
        """From `as_dict()` as stored (a play session, a saved filter); unknown keys are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(
            **{
                k: tuple(v) if isinstance(v, list | tuple) else v
                for k, v in (data or {}).items()
                if k in known
            }
        )

    @classmethod
    def from_rules(cls, rules: dict | None) -> "ConversationFilter":
        """A queue's saved rules as a filter; ValidationError if they are not rules we know."""
        rules = rules or {}
        validate_rules(rules)
        return cls.from_dict(rules)

    def as_query(self) -> list[tuple[str, str]]:
        return [(self._param(name), v) for name in self.FIELDS for v in getattr(self, name)]

    def as_dict(self) -> dict:
        data = {name: list(getattr(self, name)) for name in self.FIELDS if getattr(self, name)}
        data.update(
            {
                name: getattr(self, name)
                for name in self.RULE_ONLY
                if getattr(self, name) is not None
            }
        )
        return data

    def as_rules(self) -> dict:
        """As a queue's saved rules (the panel's status is not a rule)."""
        return {k: v for k, v in self.as_dict().items() if k != "statuses"}

    def __bool__(self) -> bool:
        return bool(self.as_dict())

    def without(self, name: str) -> "ConversationFilter":
        return replace(self, **{name: () if name in self.FIELDS else None})

    def narrowing(self, *, but: tuple[str, ...] = ("statuses",)) -> Q | None:
        """The panel's fields (all but `but`) as one condition; None if none of them is set."""
        q = None
        for name in self.FIELDS:
            values = getattr(self, name)
            if values and name not in but:
                q = _one_of(name, values) if q is None else q & _one_of(name, values)
        return q

    def apply(self, qs: QuerySet) -> QuerySet:
        condition = self.condition()
        return qs.filter(condition) if condition else qs

    def condition(self) -> Q:
        """Every field as one condition on a conversation's row (an empty Q: any)."""
        q = Q()
        for name in self.FIELDS:
            values = getattr(self, name)
            if values:
                q &= _one_of(name, values)
        if self.moderated is not None:
            q &= Q(moderated=self.moderated)
        if self.min_priority is not None:
            q &= Q(priority__gte=self.min_priority)
        # Star ratings (app-store reviews): a conversation without a rating never matches.
        if self.min_rating is not None:
            q &= Q(rating__gte=self.min_rating)
        if self.max_rating is not None:
            q &= Q(rating__lte=self.max_rating)
        return q

    def describe(self, *, tag_names: dict[str, str] | None = None) -> str:
        """The conditions as a person reads them: "Google Play · moderated · 1–2★"."""
        if tag_names is None and self.tags:
            tag_names = dict(Tag.objects.filter(slug__in=self.tags).values_list("slug", "name"))

        def labels(name: str, known: dict) -> str:
            return gettext(" or ").join(
                str(NONE_LABELS.get(name, gettext("none")) if v == NONE else known.get(v, v))
                for v in getattr(self, name)
            )

        parts = []
        if self.platforms:
            parts.append(labels("platforms", dict(Platform.choices)))
        if self.accounts:
            parts.append(labels("accounts", {a: f"@{a}" for a in self.accounts}))
        if self.moderated is not None:
            parts.append(gettext("moderated") if self.moderated else gettext("not yet moderated"))
        if self.languages:
            parts.append(
                gettext("language %(languages)s") % {"languages": labels("languages", {})}
            )
        if self.tags:
            parts.append(gettext("tagged %(tags)s") % {"tags": labels("tags", tag_names or {})})
        if self.types:
            parts.append(
                labels(
                    "types",
                    {
                        **dict(MessageType.choices),
                        PRIVATE_MESSAGE: gettext("Containing private message"),
                    },
                )
            )
        if self.sentiments:
            parts.append(
                gettext("%(sentiments)s sentiment")
                % {"sentiments": labels("sentiments", dict(Sentiment.choices))}
            )
        if self.statuses:
            parts.append(labels("statuses", dict(Status.choices)))
        if self.min_priority is not None:
            parts.append(gettext("priority ≥ %(priority)s") % {"priority": self.min_priority})
        if self.min_rating is not None or self.max_rating is not None:
            low, high = self.min_rating or 1, self.max_rating or 5
            parts.append(f"{low}★" if low == high else f"{low}–{high}★")
        return " · ".join(parts) or gettext("every conversation")


def queue_filter(queue: Queue) -> ConversationFilter | None:
    """The queue's rules as a filter; None for an assignment queue or rules we cannot read."""
    if queue.kind == QueueKind.ASSIGNMENT:
        return None
    try:
        return ConversationFilter.from_rules(queue.rules)
    except ValidationError as exc:
        log.error(
            "Queue %s has rules that cannot be read (%s): it shows nothing until they are fixed.",
            queue.slug,
            exc.messages,
        )
        return None


def visible_queues(*, user) -> list[Queue]:
    return [q for q in Queue.objects.all() if has_role(user, q.visible_to)]


def queue_condition(queue: Queue) -> Q:
    """Whether a conversation is in `queue` (any status), as a condition on its own row: the
    definition `queue_conversations` selects by, and visibility tests each row with."""
    if queue.kind == QueueKind.ASSIGNMENT:
        return Q(assigned_queue=queue)
    rules = queue_filter(queue)
    if rules is None:
        # Rules nobody can read match nothing: better an empty queue than conversations
        # shown to a role that should not see them yet.
        return Q(pk__in=[])
    # A conversation assigned to a queue (e.g. escalated) leaves the rule-based queues.
    return Q(assigned_queue__isnull=True) & rules.condition()


def queue_conversations(*, queue: Queue, filter: ConversationFilter | None = None) -> QuerySet:
    """Every conversation in `queue` (any status), narrowed by `filter`."""
    qs = Conversation.objects.filter(queue_condition(queue))
    if filter is not None:
        qs = filter.apply(qs)
    return qs


def dealable(
    *, queue: Queue, filter: ConversationFilter | None = None, agent=None, now=None
) -> QuerySet:
    """The conversations Play Mode may deal from `queue`, best first.

    Open, waiting for our answer, triaged (a poll's new conversation waits for its triage, which
    may still change what the queues route on), not dealt to someone else under a live lease,
    not from a spammer.
    """
    now = now or timezone.now()
    qs = queue_conversations(queue=queue, filter=filter).filter(
        status=Status.OPEN, awaiting_reply=True, triage_pending=False
    )
    free = Q(dealt_to__isnull=True) | Q(lease_expires_at__lt=now)
    if agent is not None:
        free |= Q(dealt_to=agent)
    # A follow-up kept for the agent who answered last (AG3) is not dealt to anyone else meanwhile.
    reserved_for_other = Q(reserved_until__gt=now) & Q(reserved_for__isnull=False)
    if agent is not None:
        reserved_for_other &= ~Q(reserved_for=agent)
    free &= ~reserved_for_other
    spammer = UserTag.objects.filter(author_id=OuterRef("author_id"), kind=UserTagKind.SPAMMER)
    # The moderation stage once more as `IN (…)`: the rules' `moderated = true` is written as a
    # bare boolean column, which SQLite does not read as an equality on the index's column, so
    # it would sort every candidate instead of walking `deal_platform_order` in order.
    rules = queue_filter(queue) if queue.kind != QueueKind.ASSIGNMENT else None
    stage = next(
        (f.moderated for f in (filter, rules) if f is not None and f.moderated is not None), None
    )
    if stage is not None:
        qs = qs.filter(moderated__in=[stage])
    # The order of the `deal_platform_order` (and `deal_order`) index, so the first free row is
    # found by walking it rather than by sorting every candidate. Follow-ups kept for the agent
    # come first: Play asks for them apart (`kept_for`), on the reserved_for index.
    return qs.filter(free).exclude(Exists(spammer)).order_by("-priority", "last_inbound_at", "id")


def kept_for(*, agent, now) -> Q:
    """A customer's follow-up kept for this agent, who answered them last (AG3)."""
    return Q(reserved_for=agent) & Q(reserved_until__gt=now)


def count_cap() -> int:
    """Where a queue's totals stop counting ("1,000+")."""
    return settings.SOCIALDESK_COUNT_CAP


def facet_cap() -> int:
    """Where each value of the left panel stops counting ("100+"): there are some fifty values,
    each counted on its own, so their cap is what bounds the panel's cost."""
    return settings.SOCIALDESK_FACET_COUNT_CAP


class CappedCount(int):
    """A count that stopped at `cap` + 1: above `cap` it means "more than `cap`".

    `at_least`: the count looked at part of the rows only (a tag's newest links): there may be
    more than it says, shown "12+".
    """

    def __new__(cls, n: int, cap: int, *, at_least: bool = False):
        count = super().__new__(cls, n)
        count.cap = cap
        count.at_least = at_least
        return count

    def __reduce__(self):
        # Kept in the cache (`cached_facet_counts`): pickled with its cap and its "at least".
        return (_capped_count, (int(self), self.cap, self.at_least))

    @property
    def capped(self) -> bool:
        return self > self.cap or self.at_least

    def __str__(self) -> str:
        if self > self.cap:
            return f"{self.cap:,}+"
        if self.at_least:
            return f"{int(self):,}+" if self else "?"
        return f"{int(self):,}"


def _capped_count(n: int, cap: int, at_least: bool) -> CappedCount:
    return CappedCount(n, cap, at_least=at_least)


# A tag's count looks at no more than this many times the value cap of its newest links.
TAG_WINDOW_PER_CAP = 10


def capped_count(qs: QuerySet, *, cap: int | None = None) -> CappedCount:
    """How many rows `qs` has, counted no further than `cap` + 1: above `cap` means "cap+".

    A queue page's counts stop there, so their cost is bounded by the cap, not by the queue
    (a COUNT(*) over a million conversations reads every one of them on each page view).
    """
    cap = count_cap() if cap is None else cap
    return CappedCount(qs.order_by().values("pk")[: cap + 1].count(), cap)


def capped_counts(querysets: dict, *, cap: int | None = None) -> dict:
    """`capped_count` of each queryset, in one statement (one round trip, however many values)."""
    cap = count_cap() if cap is None else cap
    if not querysets:
        return {}
    parts, params = [], []
    for i, qs in enumerate(querysets.values()):
        if not qs.query.order_by:
            qs = qs.order_by()  # no model's default order: nothing to sort
        sql, p = qs.values("pk")[: cap + 1].query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped_{i})")
        params.extend(p)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Many small capped subqueries add up to a plan cost that crosses jit_above_cost:
            # compiling it (tens of ms) would cost more than running it (a few ms).
            cursor.execute("SET LOCAL jit = off")
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return {key: CappedCount(n, cap) for key, n in zip(querysets, row, strict=True)}


def is_capped(n) -> bool:
    return isinstance(n, CappedCount) and n.capped


# The order of every queue list: the order Play deals in, `id` last so the order is total (which
# keyset pagination needs). The `queue_order_covering` indexes serve it.
LIST_ORDER = ("-priority", "last_inbound_at", "id")
PAGE_SIZE = 50


def encode_cursor(*values: int, when: datetime.datetime, pk: int) -> str:
    """A keyset page cursor: `values`, then the row's time in whole microseconds, then its id."""
    return "_".join(str(v) for v in (*values, round(when.timestamp() * 1_000_000), pk))


def decode_cursor(text: str, *, values: int = 0) -> tuple[list[int], datetime.datetime, int]:
    """(values, time, id) of a cursor `encode_cursor` wrote with `values` numbers before its
    time; ValueError for anything else (a cursor comes back in a URL anyone can edit)."""
    parts = (text or "").split("_")
    if len(parts) != values + 2 or len(text) > 60:
        raise ValueError("not a page cursor")
    *leading, micros, pk = (int(p) for p in parts)
    if not (0 < pk <= MAX_ID and 0 <= micros < 253402300800 * 1_000_000):
        raise ValueError("not a page cursor")
    when = datetime.datetime.fromtimestamp(0, tz=datetime.UTC) + datetime.timedelta(
        microseconds=micros
    )
    return leading, when, pk


@dataclass(frozen=True)
class Cursor:
    """Where a page of a queue ended: the last row's place in `LIST_ORDER`.

    The next page starts strictly after it, whatever happened to the rows before: a conversation
    closed, answered or added on an earlier page moves no other row across the page boundary, as
    an OFFSET would.
    """

    priority: int
    last_inbound_at: datetime.datetime
    id: int

    @classmethod
    def of(cls, conversation) -> "Cursor":
        return cls(conversation.priority, conversation.last_inbound_at, conversation.pk)

    def encode(self) -> str:
        return encode_cursor(self.priority, when=self.last_inbound_at, pk=self.id)

    @classmethod
    def decode(cls, text: str) -> "Cursor":
        """ValueError if `text` is not a cursor this code wrote."""
        (priority,), when, pk = decode_cursor(text, values=1)
        if not -(2**31) <= priority < 2**31:
            raise ValueError("not a page cursor")
        return cls(priority, when, pk)


# How many entries of the queue's order a filtered page walks in the order index, testing each
# (`page_of`), before it asks the filter's own indexes instead.
WINDOW = 10_000


def _first_ids(part: QuerySet, narrow: Q | None, n: int) -> list[int]:
    """The ids of the first `n` rows of `part` (ordered) that match `narrow`.

    A common filter (a tag on one conversation in ten) is found by walking the queue's order
    and testing each entry: on PostgreSQL the `queue_order_covering` indexes carry every column
    a filter tests, so the walk reads the index alone, and its cost is the number of entries
    before the page's last match, not the number of matches in the table (gathering every
    match from the GIN index and sorting them grows with the table: 0.45-0.88 s at a million).
    A rare filter may have no `n` matches in the first `WINDOW` entries: its own indexes are
    then cheap, and the statement without the window uses them.
    """
    if narrow is None:
        return list(part.values_list("pk", flat=True)[:n])
    window = part.values(
        w_id=F("pk"),
        w_priority=F("priority"),
        w_at=F("last_inbound_at"),
        w_in=ExpressionWrapper(narrow, output_field=BooleanField()),
    )[:WINDOW]
    sql, params = window.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT w.w_id FROM ({sql}) w WHERE w.w_in "
            f"ORDER BY w.w_priority DESC, w.w_at, w.w_id LIMIT {int(n)}",
            params,
        )
        ids = [row[0] for row in cursor.fetchall()]
    if len(ids) == n:
        return ids
    walked = part.values("pk")[:WINDOW].count()
    if walked < WINDOW:
        return ids  # the window held the whole part: these are all its matches
    return list(part.filter(narrow).values_list("pk", flat=True)[:n])


def page_of(
    qs: QuerySet,
    *,
    after: Cursor | None = None,
    size: int = PAGE_SIZE,
    narrow: Q | None = None,
    rows: QuerySet | None = None,
) -> tuple[list, Cursor | None]:
    """One page of `qs` narrowed by `narrow`, in `LIST_ORDER`, starting after `after`; and the
    cursor of the next page. The page's rows are read from `rows` (by default `qs`: the
    caller's select_related, only and annotations), by their ids, once those are found.

    Keyset pagination: each page reads `size` + 1 entries from the index, however deep it is,
    where OFFSET reads and throws away every row before the page. The keyset is mixed
    (priority descending, the rest ascending), so a page is at most two index ranges: the rest
    of the priority band the cursor is in, then the lower priorities. `narrow` (the left
    panel's filters beside the status) is tested while walking the order (`_first_ids`).
    """
    want = size + 1
    if after is None:
        ids = _first_ids(qs.order_by(*LIST_ORDER), narrow, want)
    else:
        at = after.last_inbound_at
        rest_of_band = (
            qs.filter(priority=after.priority, last_inbound_at__gte=at)
            .filter(Q(last_inbound_at__gt=at) | Q(id__gt=after.id))
            .order_by("last_inbound_at", "id")
        )
        ids = _first_ids(rest_of_band, narrow, want)
        if len(ids) < want:
            ids += _first_ids(
                qs.filter(priority__lt=after.priority).order_by(*LIST_ORDER),
                narrow,
                want - len(ids),
            )
    place = {pk: i for i, pk in enumerate(ids)}
    found = sorted(
        (rows if rows is not None else qs).order_by().filter(pk__in=ids),
        key=lambda row: place[row.pk],
    )
    more = len(found) > size
    found = found[:size]
    return found, (Cursor.of(found[-1]) if more else None)


def languages_in_use() -> list[str]:
    """The languages conversations have (codes, sorted), read through the language index."""
    return _distinct_languages()


def _distinct_languages() -> list[str]:
    """Every language a conversation has, read by skipping through the language index.

    A recursive "next larger value" walk: one index probe per language, not a scan of the table.
    """
    table = connection.ops.quote_name(Conversation._meta.db_table)
    sql = f"""
        WITH RECURSIVE langs(v) AS (
            SELECT MIN(language) FROM {table} WHERE language > ''
            UNION ALL
            SELECT (SELECT MIN(language) FROM {table} WHERE language > langs.v) FROM langs WHERE langs.v IS NOT NULL
        )
        SELECT v FROM langs WHERE v IS NOT NULL
    """
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


def _candidates(name: str, rules: ConversationFilter | None) -> list[str]:
    """Every value the facet `name` could count within a queue's `rules`, NONE included where it
    means something.

    Values the rules exclude are not counted at all: counting Google Play within a Twitter queue
    would walk every Google Play row to find none.
    """

    accounts = BrandAccount.objects.all()
    if rules is not None and rules.platforms:
        accounts = accounts.filter(platform__in=rules.platforms)
    values = {
        "statuses": lambda: [v for v, _ in Status.choices],
        "types": lambda: [*(v for v, _ in MessageType.choices), PRIVATE_MESSAGE],
        "platforms": lambda: [v for v, _ in Platform.choices],
        "accounts": lambda: list(accounts.values_list("handle", flat=True)),
        "languages": _distinct_languages,
        "sentiments": lambda: [v for v, _ in Sentiment.choices],
        "tags": lambda: list(Tag.objects.values_list("slug", flat=True)),
    }[name]()
    if name in NONE_LABELS:
        values = [*values, NONE]
    allowed = getattr(rules, name, None) if name in ConversationFilter.FIELDS else None
    if allowed:
        values = [v for v in values if v in allowed]
    return values


def facet_counts(
    *, queue: Queue, filter: ConversationFilter
) -> dict[str, list[tuple[str, str, int]]]:
    """Counts per value of each filter of the left panel, within the queue and the other filters.

    Every value a conversation can have is counted, including none at all: an empty account,
    language, type, sentiment or tag is the NONE bucket; an empty platform or status (which
    nothing writes) is left out rather than shown as a choice that means nothing.

    Counts are capped: where the queue narrowed by the other filters holds no more than
    `count_cap()` conversations, the values are counted exactly in one GROUP BY over those rows;
    above it, each value is counted up to `facet_cap()` + 1 (shown "100+"), all values in one
    statement, each from an index of its column. A value's count then reads at most about
    cap / (the share of the value's rows that are in the queue) rows, whatever the queue's size.
    """
    cap = count_cap()
    sizes: dict = {}
    rules = queue_filter(queue)

    built: dict[str, QuerySet] = {}

    def narrowed(without: str) -> QuerySet:
        # A facet with nothing selected narrows by the same filter as every other such facet.
        key = without if getattr(filter, without) else ""
        if key not in built:
            built[key] = queue_conversations(queue=queue, filter=filter.without(without))
        return built[key]

    def size(without: str) -> int:
        key = without if getattr(filter, without) else ""
        if key not in sizes:
            sizes[key] = capped_count(narrowed(without), cap=cap)
        return sizes[key]

    def grouped(name: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        column = COLUMNS[name]
        for value, n in (
            narrowed(name).values_list(column).annotate(n=Count("pk")).values_list(column, "n")
        ):
            key = value if value else NONE
            counts[key] = counts.get(key, 0) + n
        if name not in NONE_LABELS:
            counts.pop(NONE, None)
        return counts

    def exact(name: str) -> dict[str, int]:
        if name == "tags":
            tagged = narrowed("tags")
            counts = dict(
                Conversation.tags.through.objects.filter(conversation__in=tagged.values("pk"))
                .values_list("tag__slug")
                .annotate(n=Count("pk"))
                .values_list("tag__slug", "n")
            )
            counts[NONE] = tagged.filter(tag_slugs__empty=True).count()
            return counts
        counts = grouped(name)
        if name == "types":
            counts[PRIVATE_MESSAGE] = narrowed("types").filter(_private_message()).count()
        return counts

    # Facets over small sets are counted exactly; the others value by value, all in one statement.
    counted: dict[str, dict[str, int]] = {}
    per_value: dict[tuple[str, str], QuerySet] = {}
    tag_sizes: dict[str, QuerySet] = {}
    for name in ConversationFilter.FIELDS:
        # A tag filter is a condition on the row (`tag_slugs`, GIN-indexed on PostgreSQL), so
        # within it each value is counted up to the cap like within any other filter.
        if size(name) <= cap:
            counted[name] = exact(name)
        else:
            counted[name] = {}
            base = narrowed(name)
            tag_ids = dict(Tag.objects.values_list("slug", "pk")) if name == "tags" else {}
            window = TAG_WINDOW_PER_CAP * facet_cap()
            account_ids = {}
            if name == "accounts":
                for handle, pk in BrandAccount.objects.values_list("handle", "pk"):
                    account_ids.setdefault(handle, []).append(pk)
            for value in _candidates(name, rules):
                if value in account_ids:
                    # By key, on the account index, rather than a join the planner may hash.
                    per_value[(name, value)] = base.filter(account_id__in=account_ids[value])
                elif value in tag_ids:
                    # Walk the tag's links and look each conversation up by its key, stopping at
                    # the cap. A scalar subquery keeps that shape: as a join or EXISTS the planner
                    # may hash every link of the tag, or scan the conversations, instead.
                    in_queue = base.filter(pk=OuterRef("conversation_id")).values("pk")[:1]
                    links = Conversation.tags.through.objects.filter(tag_id=tag_ids[value])
                    # The walk looks at the tag's newest `window` links at most: where the tag is
                    # common but rare in this queue it could otherwise walk all of them.
                    oldest_in_window = links.order_by("-conversation_id").values(
                        "conversation_id"
                    )[window - 1 : window]
                    # In the order of the `conversation_tags_by_tag` index, so the walk starts
                    # at once rather than after gathering the tag's links into a bitmap.
                    per_value[(name, value)] = (
                        links.filter(conversation_id__gte=Coalesce(Subquery(oldest_in_window), 0))
                        .annotate(in_queue=Subquery(in_queue))
                        .filter(in_queue__isnull=False)
                        .order_by("tag_id", "-conversation_id")
                    )
                    tag_sizes[value] = links
                else:
                    per_value[(name, value)] = base.filter(_one_of(name, (value,)))
    for (name, value), n in capped_counts(per_value, cap=facet_cap()).items():
        if n:
            counted[name][value] = n
    # A tag with more links than the window, not found often enough in it, may have more.
    # Not seen in the window at all, it is still offered, with "?" for its count.
    for slug, size in capped_counts(tag_sizes, cap=TAG_WINDOW_PER_CAP * facet_cap()).items():
        n = counted["tags"].get(slug)
        if size.capped and not (n is not None and n.capped):
            counted["tags"][slug] = CappedCount(n or 0, facet_cap(), at_least=True)

    def choices(
        name: str, known: list[tuple[str, str]], counts: dict[str, int], *, always: bool = False
    ) -> list[tuple[str, str, int]]:
        """`known` values in their order (all of them if `always`), then others by name, then NONE."""
        selected = set(getattr(filter, name))
        labels = dict(known)
        rows = [
            (v, label, counts.get(v, 0))
            for v, label in known
            if always or counts.get(v) or is_capped(counts.get(v)) or v in selected
        ]
        rows += [(v, v, counts[v]) for v in sorted(set(counts) - set(labels) - {NONE})]
        if counts.get(NONE) or NONE in selected:
            rows.append((NONE, NONE_LABELS[name], counts.get(NONE, 0)))
        return rows

    tag_counts = counted["tags"]
    tag_names = dict(
        Tag.objects.filter(slug__in=[t for t in tag_counts if t != NONE]).values_list(
            "slug", "name"
        )
    )
    accounts = counted["accounts"]
    return {
        "status": choices("statuses", Status.choices, counted["statuses"]),
        "tag": choices(
            "tags", sorted(tag_names.items(), key=lambda kv: kv[1].lower()), tag_counts
        ),
        "type": choices(
            "types",
            [*MessageType.choices, (PRIVATE_MESSAGE, gettext("Containing private message"))],
            counted["types"],
            always=True,
        ),
        "platform": choices(
            "platforms", [(v, label) for v, label in Platform.choices], counted["platforms"]
        ),
        "account": choices(
            "accounts",
            [(v, f"@{v}") for v in sorted(set(accounts) - {NONE}, key=str.lower)],
            accounts,
        ),
        "language": choices("languages", [], counted["languages"]),
        "sentiment": choices("sentiments", Sentiment.choices, counted["sentiments"], always=True),
    }


def facet_counts_seconds() -> int:
    """How long the left panel's counts are kept before they are counted again."""
    return settings.SOCIALDESK_FACET_COUNTS_SECONDS


# Bumped to count every queue's panel again at once (after a bulk action, say).
_FACETS_GENERATION = "queues:facets:generation"


def forget_facet_counts() -> None:
    """Count every panel again on its next view, rather than when its kept counts expire."""
    try:
        cache.incr(_FACETS_GENERATION)
    except ValueError:
        cache.set(_FACETS_GENERATION, 1, None)


def cached_facet_counts(
    *, queue: Queue, filter: ConversationFilter
) -> tuple[dict[str, list[tuple[str, str, int]]], datetime.datetime]:
    """`facet_counts`, kept for `facet_counts_seconds()` per queue, rules and filter; and when
    they were counted (the panel says "as of HH:MM").

    The panel's counts are the page's one costly part (some fifty capped counts in one
    statement: tens to hundreds of milliseconds on a large queue), and an agent paging through a
    queue, or several agents on the same queue, ask for the same ones again and again. Counted
    within the other filters, they are no set of counters an action could keep up to date, so
    they are recounted from the rows when they expire and cannot drift for longer than that.
    """
    seconds = facet_counts_seconds()
    if seconds <= 0:
        return facet_counts(queue=queue, filter=filter), timezone.now()
    generation = cache.get(_FACETS_GENERATION, 0)
    what = json.dumps(
        [queue.kind, queue.rules, filter.as_dict()],
        sort_keys=True,
        default=str,
    )
    key = f"queues:facets:{generation}:{queue.pk}:{hashlib.sha256(what.encode()).hexdigest()[:32]}"
    kept = cache.get(key)
    if kept is not None:
        return kept
    kept = (facet_counts(queue=queue, filter=filter), timezone.now())
    cache.set(key, kept, seconds)
    return kept
