"""Reads about conversations that more than one page needs: who else has one open, what the
customer first wrote.

Who may see which conversation follows its queue: `queues.visibility`."""

from datetime import timedelta

from django.utils import timezone

from .models import Direction, Message, Presence

PRESENCE_WINDOW = timedelta(seconds=30)


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


def first_texts(conversations) -> dict[int, str]:
    """{conversation id: the text of the customer's first message} for these conversations (or
    ids), in one query; a conversation without one is left out."""
    first = {}
    for cid, text in (
        Message.objects.filter(conversation__in=conversations, direction=Direction.INBOUND)
        .order_by("conversation_id", "created_at", "id")
        .values_list("conversation_id", "text")
    ):
        first.setdefault(cid, text)
    return first
