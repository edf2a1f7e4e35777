"""Who may see which conversation: the one definition every page, fragment, API operation and
action uses. It follows the queues (their rules and the roles they are open to), so it lives here,
above `conversations`, which knows nothing of queues."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from socialdesk.conversations.models import Conversation
from socialdesk.people.models import Role, has_role

from .selectors import queue_conversations, visible_queues


def visible_conversations(*, user) -> QuerySet:
    """The conversations `user` may see: the one definition every page, fragment, API operation
    and action uses (PRODUCT: "who may see or act on a conversation follows its queue, moderation
    stage and deal").

    Community managers and admins see everything. Moderators and contributors see what is in a
    queue their role may see (so a contributor never meets a conversation still waiting for a
    moderator), and what is dealt or assigned to them personally. Anyone else sees nothing.
    """
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
