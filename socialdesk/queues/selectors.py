"""What is in a queue: one definition for the list view, the counts and the dealing query.

A queue's saved rules and the left panel's filters are the same thing, a `ConversationFilter`:
the rules may also say "moderated", a minimum priority and a star-rating range, which the panel
does not offer. One `apply` narrows every list, count and deal.
"""

import logging
from dataclasses import dataclass, field, fields, replace

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from socialdesk.brands.models import Platform
from socialdesk.conversations.models import Conversation, Message, MessageType, Sentiment, Status, Tag, UserTag, UserTagKind
from socialdesk.people.models import has_role

from .models import Queue, QueueKind, validate_rules

log = logging.getLogger(__name__)

# The type filter's extra option (seed: "There is a 'Containing private message' option").
PRIVATE_MESSAGE = "private_message"
# The value that selects "nothing there": no brand account (a search find), no language detected,
# no type, no sentiment, no tag. Parentheses appear in no handle, language code or slug.
NONE = "(none)"
NONE_LABELS = {
    "accounts": "No account (search)",
    "languages": "Not detected",
    "types": "Not classified",
    "sentiments": "Not marked",
    "tags": "No tag",
}
# The columns the multiple-choice fields narrow; `tags` and the private-message type are EXISTS.
COLUMNS = {
    "types": "type", "platforms": "platform", "accounts": "account__handle",
    "languages": "language", "sentiments": "sentiment", "statuses": "status",
}


def _private_message() -> Exists:
    return Exists(Message.objects.filter(conversation_id=OuterRef("pk"), raw__private=True))


def _tagged(slugs) -> Exists:
    # EXISTS rather than a join: no duplicates to DISTINCT away, so the dealing query can
    # still lock rows (PostgreSQL refuses FOR UPDATE with DISTINCT).
    through = Conversation.tags.through
    rows = through.objects.filter(conversation_id=OuterRef("pk"))
    return Exists(rows.filter(tag__slug__in=slugs) if slugs is not None else rows)


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
            either.append(Q(_tagged(real)))
        if NONE in values:
            either.append(~Q(_tagged(None)))
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
        from socialdesk.conversations.limits import unsafe_character

        def usable(v: str) -> bool:
            return bool(v) and len(v) <= 200 and unsafe_character(v) is None

        return cls(**{name: tuple(v for v in query.getlist(cls._param(name)) if usable(v)) for name in cls.FIELDS})

    @classmethod
    def from_dict(cls, data: dict | None) -> "ConversationFilter":
        """From `as_dict()` as stored (a play session, a saved filter); unknown keys are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: tuple(v) if isinstance(v, list | tuple) else v for k, v in (data or {}).items() if k in known})

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
        data.update({name: getattr(self, name) for name in self.RULE_ONLY if getattr(self, name) is not None})
        return data

    def as_rules(self) -> dict:
        """As a queue's saved rules (the panel's status is not a rule)."""
        return {k: v for k, v in self.as_dict().items() if k != "statuses"}

    def __bool__(self) -> bool:
        return bool(self.as_dict())

    def without(self, name: str) -> "ConversationFilter":
        return replace(self, **{name: () if name in self.FIELDS else None})

    def apply(self, qs: QuerySet) -> QuerySet:
        for name in self.FIELDS:
            values = getattr(self, name)
            if values:
                qs = qs.filter(_one_of(name, values))
        if self.moderated is not None:
            qs = qs.filter(moderated=self.moderated)
        if self.min_priority is not None:
            qs = qs.filter(priority__gte=self.min_priority)
        # Star ratings (app-store reviews): a conversation without a rating never matches.
        if self.min_rating is not None:
            qs = qs.filter(rating__gte=self.min_rating)
        if self.max_rating is not None:
            qs = qs.filter(rating__lte=self.max_rating)
        return qs

    def describe(self, *, tag_names: dict[str, str] | None = None) -> str:
        """The conditions as a person reads them: "Google Play · moderated · 1–2★"."""
        if tag_names is None and self.tags:
            tag_names = dict(Tag.objects.filter(slug__in=self.tags).values_list("slug", "name"))

        def labels(name: str, known: dict) -> str:
            return " or ".join(NONE_LABELS.get(name, "none") if v == NONE else known.get(v, v) for v in getattr(self, name))

        parts = []
        if self.platforms:
            parts.append(labels("platforms", dict(Platform.choices)))
        if self.accounts:
            parts.append(labels("accounts", {a: f"@{a}" for a in self.accounts}))
        if self.moderated is not None:
            parts.append("moderated" if self.moderated else "not yet moderated")
        if self.languages:
            parts.append(f"language {labels('languages', {})}")
        if self.tags:
            parts.append(f"tagged {labels('tags', tag_names or {})}")
        if self.types:
            parts.append(labels("types", {**dict(MessageType.choices), PRIVATE_MESSAGE: "Containing private message"}))
        if self.sentiments:
            parts.append(f"{labels('sentiments', dict(Sentiment.choices))} sentiment")
        if self.statuses:
            parts.append(labels("statuses", dict(Status.choices)))
        if self.min_priority is not None:
            parts.append(f"priority ≥ {self.min_priority}")
        if self.min_rating is not None or self.max_rating is not None:
            low, high = self.min_rating or 1, self.max_rating or 5
            parts.append(f"{low}★" if low == high else f"{low}–{high}★")
        return " · ".join(parts) or "every conversation"


def queue_filter(queue: Queue) -> ConversationFilter | None:
    """The queue's rules as a filter; None for an assignment queue or rules we cannot read."""
    if queue.kind == QueueKind.ASSIGNMENT:
        return None
    try:
        return ConversationFilter.from_rules(queue.rules)
    except ValidationError as exc:
        log.error("Queue %s has rules that cannot be read (%s): it shows nothing until they are fixed.", queue.slug, exc.messages)
        return None


def visible_queues(*, user) -> list[Queue]:
    return [q for q in Queue.objects.all() if has_role(user, q.visible_to)]


def queue_conversations(*, queue: Queue, filter: ConversationFilter | None = None) -> QuerySet:
    """Every conversation in `queue` (any status), narrowed by `filter`."""
    qs = Conversation.objects.all()
    if queue.kind == QueueKind.ASSIGNMENT:
        qs = qs.filter(assigned_queue=queue)
    else:
        rules = queue_filter(queue)
        if rules is None:
            # Rules nobody can read match nothing: better an empty queue than conversations
            # shown to a role that should not see them yet.
            return qs.none()
        # A conversation assigned to a queue (e.g. escalated) leaves the rule-based queues.
        qs = rules.apply(qs.filter(assigned_queue__isnull=True))
    if filter is not None:
        qs = filter.apply(qs)
    return qs


def dealable(*, queue: Queue, filter: ConversationFilter | None = None, agent=None, now=None) -> QuerySet:
    """The conversations Play Mode may deal from `queue`, best first.

    Open, waiting for our answer, not dealt to someone else under a live lease, not from a spammer.
    """
    now = now or timezone.now()
    qs = queue_conversations(queue=queue, filter=filter).filter(status=Status.OPEN, awaiting_reply=True)
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
    stage = next((f.moderated for f in (filter, rules) if f is not None and f.moderated is not None), None)
    if stage is not None:
        qs = qs.filter(moderated__in=[stage])
    # The order of the `deal_platform_order` (and `deal_order`) index, so the first free row is
    # found by walking it rather than by sorting every candidate. Follow-ups kept for the agent
    # come first: Play asks for them apart (`kept_for`), on the reserved_for index.
    return qs.filter(free).exclude(Exists(spammer)).order_by("-priority", "last_inbound_at", "id")


def kept_for(*, agent, now) -> Q:
    """A customer's follow-up kept for this agent, who answered them last (AG3)."""
    return Q(reserved_for=agent) & Q(reserved_until__gt=now)


def facet_counts(*, queue: Queue, filter: ConversationFilter) -> dict[str, list[tuple[str, str, int]]]:
    """Counts per value of each filter of the left panel, within the queue and the other filters.

    Every value a conversation can have is counted, including none at all: an empty account,
    language, type, sentiment or tag is the NONE bucket; an empty platform or status (which
    nothing writes) is left out rather than shown as a choice that means nothing.
    """

    def narrowed(without: str) -> QuerySet:
        return queue_conversations(queue=queue, filter=filter.without(without))

    def grouped(name: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        column = COLUMNS[name]
        for value, n in narrowed(name).values_list(column).annotate(n=Count("pk")).values_list(column, "n"):
            key = value if value else NONE
            counts[key] = counts.get(key, 0) + n
        if name not in NONE_LABELS:
            counts.pop(NONE, None)
        return counts

    def choices(name: str, known: list[tuple[str, str]], counts: dict[str, int], *, always: bool = False) -> list[tuple[str, str, int]]:
        """`known` values in their order (all of them if `always`), then others by name, then NONE."""
        selected = set(getattr(filter, name))
        labels = dict(known)
        rows = [(v, label, counts.get(v, 0)) for v, label in known if always or counts.get(v) or v in selected]
        rows += [(v, v, counts[v]) for v in sorted(set(counts) - set(labels) - {NONE})]
        if counts.get(NONE) or NONE in selected:
            rows.append((NONE, NONE_LABELS[name], counts.get(NONE, 0)))
        return rows

    tagged = narrowed("tags")
    tag_counts = dict(
        Conversation.tags.through.objects.filter(conversation__in=tagged.values("pk"))
        .values_list("tag__slug").annotate(n=Count("pk")).values_list("tag__slug", "n")
    )
    tag_names = dict(Tag.objects.filter(slug__in=tag_counts).values_list("slug", "name"))
    untagged = tagged.exclude(_tagged(None)).count()
    type_counts = grouped("types")
    type_counts[PRIVATE_MESSAGE] = narrowed("types").filter(_private_message()).count()
    accounts = grouped("accounts")
    return {
        "status": choices("statuses", Status.choices, grouped("statuses")),
        "tag": choices("tags", sorted(tag_names.items(), key=lambda kv: kv[1].lower()), {**tag_counts, NONE: untagged}),
        "type": choices("types", [*MessageType.choices, (PRIVATE_MESSAGE, "Containing private message")], type_counts, always=True),
        "platform": choices("platforms", [(v, label) for v, label in Platform.choices], grouped("platforms")),
        "account": choices("accounts", [(v, f"@{v}") for v in sorted(set(accounts) - {NONE}, key=str.lower)], accounts),
        "language": choices("languages", [], grouped("languages")),
        "sentiment": choices("sentiments", Sentiment.choices, grouped("sentiments"), always=True),
    }
