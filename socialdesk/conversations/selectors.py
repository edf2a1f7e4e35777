"""Reads about conversations that more than one page needs, and who may see which one."""

from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from socialdesk.people.models import Role, has_role

from .models import Conversation, Presence

PRESENCE_WINDOW = timedelta(seconds=30)


def visible_conversations(*, user) -> QuerySet:
    """The conversations `user` may see: the one definition every page, fragment, API operation
    and action uses (PRODUCT: "who may see or act on a conversation follows its queue, moderation
    stage and deal").

    Community managers and admins see everything. Moderators and contributors see what is in a
    queue their role may see (so a contributor never meets a conversation still waiting for a
    moderator), and what is dealt or assigned to them personally. Anyone else sees nothing.
    """
    from socialdesk.queues.selectors import queue_conversations, visible_queues

    if has_role(user, Role.COMMUNITY_MANAGER):
        return Conversation.objects.all()
    if not has_role(user, Role.CONTRIBUTOR):
        return Conversation.objects.none()
    seen = Q(dealt_to=user) | Q(assignee=user)
    for queue in visible_queues(user=user):
        # Correlated on the primary key: looking up one conversation probes each queue's rule for
        # that row alone, instead of collecting every member of every queue first.
        seen |= Exists(queue_conversations(queue=queue).filter(pk=OuterRef("pk")))
    return Conversation.objects.filter(seen)


def can_see(*, user, conversation: Conversation) -> bool:
    """`visible_conversations` for one conversation, in a few primary-key lookups: the check every
    page and action makes, so it must not depend on how many conversations there are."""
    from socialdesk.queues.selectors import queue_conversations, visible_queues

    if has_role(user, Role.COMMUNITY_MANAGER):
        return True
    if not has_role(user, Role.CONTRIBUTOR):
        return False
    current = (
        Conversation.objects.filter(pk=conversation.pk)
        .values("dealt_to_id", "assignee_id")
        .first()
    )
    if current is None:
        return False
    if user.pk in (current["dealt_to_id"], current["assignee_id"]):
        return True
    return any(
        queue_conversations(queue=q).filter(pk=conversation.pk).exists()
        for q in visible_queues(user=user)
    )


def visible_conversation(*, user, pk) -> Conversation | None:
    """The conversation `pk` if `user` may see it; None when it does not exist or is not theirs to see."""
    conversation = Conversation.objects.filter(pk=pk).first()
    return (
        conversation
        if conversation is not None and can_see(user=user, conversation=conversation)
        else None
    )


def record_presence(*, conversation, user, now=None) -> list:
    """Note that `user` has `conversation` open now; return the others who have it open."""
    now = now or timezone.now()
    Presence.objects.update_or_create(
        conversation=conversation, user=user, defaults={"seen_at": now}
    )
    return list(
        Presence.objects.filter(conversation=conversation, seen_at__gte=now - PRESENCE_WINDOW)
        .exclude(user=user)
        .select_related("user")
        .order_by("seen_at")
    )
