"""What is in a queue: one definition for the list view, the counts and the dealing query."""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from socialdesk.conversations.models import Conversation, Status, UserTag, UserTagKind


def _with_any_tag(qs: QuerySet, slugs) -> QuerySet:
    # EXISTS rather than a join: no duplicates to DISTINCT away, so the dealing query can
    # still lock rows (PostgreSQL refuses FOR UPDATE with DISTINCT).
    through = Conversation.tags.through
    return qs.filter(Exists(through.objects.filter(conversation_id=OuterRef("pk"), tag__slug__in=slugs)))
from socialdesk.people.models import has_role

from .models import Queue, QueueKind


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

    def apply(self, qs: QuerySet) -> QuerySet:
        if self.tags:
            qs = _with_any_tag(qs, self.tags)
        if self.types:
            qs = qs.filter(type__in=self.types)
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
    spammer = UserTag.objects.filter(author_id=OuterRef("author_id"), kind=UserTagKind.SPAMMER)
    qs = qs.filter(free).exclude(Exists(spammer))
    return qs.order_by("-priority", "last_inbound_at", "id")
