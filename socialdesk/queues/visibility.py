"""Who may see which conversation: the one definition every page, fragment, API operation and
action uses. It follows the queues (their rules and the roles they are open to), so it lives here,
above `conversations`, which knows nothing of queues."""

from django.db.models import Q, QuerySet

from socialdesk.conversations.models import Conversation
from socialdesk.people.models import Role, has_role

from .selectors import queue_condition, queue_conversations, visible_queues


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
        # Each queue's rules as conditions on the row itself: a conversation looked up is tested
        # without reading anything more, where a subquery per queue would look it up again per
        # queue (or collect every member of a queue first).
        seen |= queue_condition(queue)
    return Conversation.objects.filter(seen)


def can_see(*, user, conversation: Conversation, fresh: bool = False) -> bool:
    """`visible_conversations` for one conversation, in a few primary-key lookups: the check every
    page and action makes, so it must not depend on how many conversations there are.

    `fresh`: the instance was just read from the database (an API operation's look-up), so its
    holder and assignee are current and need no second read; that it was seen is then remembered
    on the instance for this user, so the action the operation calls next checks it in memory
    (and checks the deal again under its row lock)."""
    if has_role(user, Role.COMMUNITY_MANAGER):
        return True
    if not has_role(user, Role.CONTRIBUTOR):
        return False
    if getattr(conversation, "_seen_by", None) == user.pk:
        return True
    if fresh:
        current = {
            "dealt_to_id": conversation.dealt_to_id,
            "assignee_id": conversation.assignee_id,
        }
    else:
        current = (
            Conversation.objects.filter(pk=conversation.pk)
            .values("dealt_to_id", "assignee_id")
            .first()
        )
    if current is None:
        return False
    seen = user.pk in (current["dealt_to_id"], current["assignee_id"]) or any(
        queue_conversations(queue=q).filter(pk=conversation.pk).exists()
        for q in visible_queues(user=user)
    )
    if seen and fresh:
        conversation._seen_by = user.pk
    return seen


def visible_conversation(*, user, pk) -> Conversation | None:
    """The conversation `pk` if `user` may see it; None when it does not exist or is not theirs to see."""
    conversation = Conversation.objects.filter(pk=pk).first()
    return (
        conversation
        if conversation is not None and can_see(user=user, conversation=conversation)
        else None
    )
