"""What is in a queue: one definition for the list view, the counts and the dealing query."""

from dataclasses import dataclass, field

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from socialdesk.conversations.models import Conversation, Message, Status, UserTag, UserTagKind
from socialdesk.people.models import has_role

from .models import Queue, QueueKind

# The type filter's extra option (seed: "There is a 'Containing private message' option").
PRIVATE_MESSAGE = "private_message"


def _with_any_tag(qs: QuerySet, slugs) -> QuerySet:
    # EXISTS rather than a join: no duplicates to DISTINCT away, so the dealing query can
    # still lock rows (PostgreSQL refuses FOR UPDATE with DISTINCT).
    through = Conversation.tags.through
    return qs.filter(Exists(through.objects.filter(conversation_id=OuterRef("pk"), tag__slug__in=slugs)))


@dataclass(frozen=True)
class ConversationFilter:
    """The left panel's filters (AG2); every field narrows, empty means 'any'."""

    tags: tuple[str, ...] = field(default_factory=tuple)
    types: tuple[str, ...] = field(default_factory=tuple)
    platforms: tuple[str, ...] = field(default_factory=tuple)
    accounts: tuple[str, ...] = field(default_factory=tuple)
    languages: tuple[str, ...] = field(default_factory=tuple)
    sentiments: tuple[str, ...] = field(default_factory=tuple)
    statuses: tuple[str, ...] = field(default_factory=tuple)

    FIELDS = ("tags", "types", "platforms", "accounts", "languages", "sentiments", "statuses")

    @classmethod
    def from_query(cls, query) -> "ConversationFilter":
        """From a request's GET/POST (`tag=a&tag=b&type=…`); unknown values simply match nothing.

        A value no column could hold (too long, or with a character the database refuses) is
        dropped here rather than sent to the database, where it would be an error, not a miss.
        """
        from socialdesk.conversations.limits import unsafe_character

        def usable(v: str) -> bool:
            return bool(v) and len(v) <= 200 and unsafe_character(v) is None

        return cls(**{name: tuple(v for v in query.getlist(name[:-1] if name != "statuses" else "status") if usable(v)) for name in cls.FIELDS})

    def as_query(self) -> list[tuple[str, str]]:
        return [(name[:-1] if name != "statuses" else "status", v) for name in self.FIELDS for v in getattr(self, name)]

    def as_dict(self) -> dict:
        return {name: list(getattr(self, name)) for name in self.FIELDS if getattr(self, name)}

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in self.FIELDS)

    def apply(self, qs: QuerySet) -> QuerySet:
        if self.tags:
            qs = _with_any_tag(qs, self.tags)
        if self.types:
            types = [t for t in self.types if t != PRIVATE_MESSAGE]
            private = Exists(Message.objects.filter(conversation_id=OuterRef("pk"), raw__private=True))
            if PRIVATE_MESSAGE in self.types:
                qs = qs.filter(Q(type__in=types) | private) if types else qs.filter(private)
            else:
                qs = qs.filter(type__in=types)
        if self.platforms:
            qs = qs.filter(platform__in=self.platforms)
        if self.accounts:
            qs = qs.filter(account__handle__in=self.accounts)
        if self.languages:
            qs = qs.filter(language__in=self.languages)
        if self.sentiments:
            qs = qs.filter(sentiment__in=self.sentiments)
        if self.statuses:
            qs = qs.filter(status__in=self.statuses)
        return qs


def visible_queues(*, user) -> list[Queue]:
    return [q for q in Queue.objects.all() if has_role(user, q.visible_to)]


def queue_conversations(*, queue: Queue, filter: ConversationFilter | None = None) -> QuerySet:
    """Every conversation in `queue` (any status), narrowed by `filter`."""
    qs = Conversation.objects.all()
    if queue.kind == QueueKind.ASSIGNMENT:
        qs = qs.filter(assigned_queue=queue)
    else:
        # A conversation assigned to a queue (e.g. escalated) leaves the rule-based queues.
        qs = qs.filter(assigned_queue__isnull=True)
        rules = queue.rules or {}
        if rules.get("platforms"):
            qs = qs.filter(platform__in=rules["platforms"])
        if rules.get("accounts"):
            qs = qs.filter(account__handle__in=rules["accounts"])
        if rules.get("moderated") is not None:
            qs = qs.filter(moderated=rules["moderated"])
        if rules.get("languages"):
            qs = qs.filter(language__in=rules["languages"])
        if rules.get("tags"):
            qs = _with_any_tag(qs, rules["tags"])
        if rules.get("types"):
            qs = qs.filter(type__in=rules["types"])
        if rules.get("sentiments"):
            qs = qs.filter(sentiment__in=rules["sentiments"])
        if rules.get("min_priority") is not None:
            qs = qs.filter(priority__gte=rules["min_priority"])
        # Star ratings (app-store reviews): a conversation without a rating never matches.
        if rules.get("min_rating") is not None:
            qs = qs.filter(rating__gte=rules["min_rating"])
        if rules.get("max_rating") is not None:
            qs = qs.filter(rating__lte=rules["max_rating"])
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
    qs = qs.filter(free).exclude(Exists(spammer))
    if agent is not None:
        mine = Case(When(Q(reserved_for=agent) & Q(reserved_until__gt=now), then=Value(1)), default=Value(0), output_field=IntegerField())
        return qs.annotate(kept_for_me=mine).order_by("-kept_for_me", "-priority", "last_inbound_at", "id")
    return qs.order_by("-priority", "last_inbound_at", "id")


def facet_counts(*, queue: Queue, filter: ConversationFilter) -> dict[str, list[tuple[str, str, int]]]:
    """Counts per value of each filter of the left panel, within the queue and the other filters."""
    from django.db.models import Count

    from socialdesk.conversations.models import MessageType, Sentiment, Tag

    def narrowed(without: str) -> QuerySet:
        kept = ConversationFilter(**{n: getattr(filter, n) for n in ConversationFilter.FIELDS if n != without})
        return queue_conversations(queue=queue, filter=kept)

    def grouped(without: str, column: str) -> dict:
        return dict(narrowed(without).values_list(column).annotate(n=Count("pk")).values_list(column, "n"))

    tag_counts = dict(
        Conversation.tags.through.objects.filter(conversation__in=narrowed("tags").values("pk"))
        .values_list("tag__slug").annotate(n=Count("pk")).values_list("tag__slug", "n")
    )
    type_counts = grouped("types", "type")
    status_counts = grouped("statuses", "status")
    sentiment_counts = grouped("sentiments", "sentiment")
    type_counts[PRIVATE_MESSAGE] = narrowed("types").filter(Exists(Message.objects.filter(conversation_id=OuterRef("pk"), raw__private=True))).count()
    return {
        "status": [(v, label, n) for v, label in Status.choices if (n := status_counts.get(v, 0)) or v in filter.statuses],
        "tag": [(t.slug, t.name, tag_counts[t.slug]) for t in Tag.objects.filter(slug__in=tag_counts)],
        "type": [(v, label, type_counts.get(v, 0)) for v, label in [*MessageType.choices, (PRIVATE_MESSAGE, "Containing private message")]],
        "platform": [(v, v.replace("_", " ").title(), n) for v, n in sorted(grouped("platforms", "platform").items())],
        "account": [(v, f"@{v}", n) for v, n in sorted(grouped("accounts", "account__handle").items()) if v],
        "language": [(v, v, n) for v, n in sorted(grouped("languages", "language").items()) if v],
        "sentiment": [(v, label, sentiment_counts.get(v, 0)) for v, label in Sentiment.choices],
    }
