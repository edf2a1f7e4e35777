"""Deal conversations to agents exclusively (AG3).

`deal_next` picks the best free conversation of the queue and gives it to one agent under a
lease. The claim is a single UPDATE whose WHERE picks the best free row (locked with SKIP LOCKED on
PostgreSQL), so two agents can never hold the same conversation and nobody waits for another.
"""

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from socialdesk.conversations import policy
from socialdesk.conversations.errors import ActionError
from socialdesk.conversations.models import Activity, Conversation
from socialdesk.queues.models import Queue
from socialdesk.queues.selectors import ConversationFilter, dealable

from .models import PlaySession

def lease_length() -> timedelta:
    return timedelta(seconds=settings.SOCIALDESK_LEASE_SECONDS)


def current_session(*, agent) -> PlaySession | None:
    return PlaySession.objects.filter(agent=agent, ended_at__isnull=True).select_related("queue").order_by("-started_at").first()


def start(*, agent, queue: Queue, filter: ConversationFilter | None = None) -> PlaySession:
    """Enter Play Mode on `queue`; ends any other play session of this agent."""
    policy.require_role(actor=agent, conversation=None, action="play")
    from socialdesk.people.models import has_role

    if not has_role(agent, queue.visible_to):
        raise policy.refuse(actor=agent, conversation=None, action="play", reason=f"The queue {queue} is not open to your role.")
    session = current_session(agent=agent)
    if session and session.queue_id == queue.pk and session.filter == _filter_dict(filter):
        return session
    if session:
        stop(agent=agent)
    return PlaySession.objects.create(agent=agent, queue=queue, filter=_filter_dict(filter))


def _filter_dict(filter: ConversationFilter | None) -> dict:
    return filter.as_dict() if filter else {}


def _filter_of(session: PlaySession) -> ConversationFilter:
    return ConversationFilter.from_dict(session.filter)


def current_deal(*, agent, now=None) -> Conversation | None:
    now = now or timezone.now()
    return Conversation.objects.filter(dealt_to=agent, lease_expires_at__gt=now).order_by("-lease_expires_at").first()


def deal_next(*, agent, queue: Queue | None = None, filter: ConversationFilter | None = None) -> Conversation | None:
    """Deal this agent the next conversation of their play session; None when the queue is empty.

    An agent who still holds a live deal gets that one again (a reload does not skip).
    """
    if queue is not None:
        session = start(agent=agent, queue=queue, filter=filter)
    else:
        session = current_session(agent=agent)
        if session is None:
            raise ActionError("Press Play on a queue first.")
    now = timezone.now()
    held = current_deal(agent=agent, now=now)
    if held is not None:
        return held
    return _claim_next(agent=agent, session=session, now=now)


def _claim_next(*, agent, session: PlaySession, now, exclude: tuple[int, ...] = ()) -> Conversation | None:
    """Claim the best free conversation in one statement: UPDATE … WHERE id = (best free one).

    The inner SELECT is the queue's dealing query (`queues.selectors.dealable`); on PostgreSQL it
    locks its row with SKIP LOCKED, so concurrent agents each take a different row without
    waiting; SQLite runs one writing transaction at a time, which gives the same guarantee.
    """
    pick = dealable(queue=session.queue, filter=_filter_of(session), agent=agent, now=now).exclude(pk__in=exclude).values("pk")[:1]
    expires = now + lease_length()
    ops = connection.ops
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            pick = pick.select_for_update(skip_locked=True, of=("self",))
        sql, params = pick.query.get_compiler(connection=connection).as_sql()
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ops.quote_name(Conversation._meta.db_table)} "
                f"SET dealt_to_id = %s, lease_expires_at = %s, updated_at = %s WHERE id = ({sql}) RETURNING id",
                [agent.pk, ops.adapt_datetimefield_value(expires), ops.adapt_datetimefield_value(now), *params],
            )
            row = cursor.fetchone()
        if row is None:
            return None
        Activity.objects.create(conversation_id=row[0], actor=agent, kind="dealt", detail={"queue": session.queue.slug, "session": session.pk})
        PlaySession.objects.filter(pk=session.pk).update(dealt=F("dealt") + 1, last_seen_at=now)
    return Conversation.objects.get(pk=row[0])


def renew(*, agent, conversation: Conversation) -> bool:
    """Extend the lease while the agent works; False if it is no longer theirs."""
    now = timezone.now()
    n = Conversation.objects.filter(pk=conversation.pk, dealt_to=agent, lease_expires_at__gt=now).update(
        lease_expires_at=now + lease_length()
    )
    PlaySession.objects.filter(agent=agent, ended_at__isnull=True).update(last_seen_at=now)
    return bool(n)


def release(*, agent, conversation: Conversation, kind: str) -> None:
    n = Conversation.objects.filter(pk=conversation.pk, dealt_to=agent).update(dealt_to=None, lease_expires_at=None)
    if n:
        Activity.objects.create(conversation=conversation, actor=agent, kind=kind)


def skip(*, agent, conversation: Conversation) -> Conversation | None:
    """Give this conversation back and deal the next one (not the same again)."""
    session = current_session(agent=agent)
    if session is None:
        raise ActionError("Press Play on a queue first.")
    release(agent=agent, conversation=conversation, kind="skipped")
    return _claim_next(agent=agent, session=session, now=timezone.now(), exclude=(conversation.pk,))


def stop(*, agent) -> PlaySession | None:
    """Leave Play Mode: the dealt conversation goes back to the queue, play time stops counting."""
    now = timezone.now()
    held = current_deal(agent=agent, now=now)
    if held is not None:
        release(agent=agent, conversation=held, kind="returned")
    session = current_session(agent=agent)
    if session is not None:
        session.ended_at = now
        session.save(update_fields=["ended_at"])
    return session
