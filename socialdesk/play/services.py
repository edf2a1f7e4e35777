"""Deal conversations to agents exclusively (AG3).

`deal_next` picks the best free conversation of the queue and gives it to one agent under a
lease. The claim is a single UPDATE whose WHERE picks the best free row (locked with SKIP LOCKED on
PostgreSQL), so two agents can never hold the same conversation and nobody waits for another.

A play session ends when the agent stops, plays another queue, signs out, or shows no sign of
life for longer than the lease (`end_idle_sessions`, run by the scheduler); whichever way, the
dealt conversation goes back and follow-ups kept for the agent are free for anyone again.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from socialdesk.conversations import policy
from socialdesk.conversations.errors import ActionError
from socialdesk.conversations.models import Activity, Conversation
from socialdesk.queues.models import Queue
from socialdesk.queues.selectors import ConversationFilter, dealable, kept_for

from .models import EndedBy, PlaySession, PlaySkip


def lease_length() -> timedelta:
    return timedelta(seconds=settings.SOCIALDESK_LEASE_SECONDS)


def current_session(*, agent) -> PlaySession | None:
    return PlaySession.objects.filter(agent=agent, ended_at__isnull=True).select_related("queue").order_by("-started_at").first()


def last_session(*, agent) -> PlaySession | None:
    """The agent's latest play session, open or ended (to say how the last one ended)."""
    return PlaySession.objects.filter(agent=agent).select_related("queue").order_by("-started_at").first()


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
        _end_sessions(agent=agent, ended_by=EndedBy.SWITCH)
    return PlaySession.objects.create(agent=agent, queue=queue, filter=_filter_dict(filter))


def _filter_dict(filter: ConversationFilter | None) -> dict:
    return filter.as_dict() if filter else {}


def _filter_of(session: PlaySession) -> ConversationFilter:
    return ConversationFilter.from_dict(session.filter)


def current_deal(*, agent, now=None) -> Conversation | None:
    now = now or timezone.now()
    return Conversation.objects.filter(dealt_to=agent, lease_expires_at__gt=now).order_by("-lease_expires_at").first()


def _skipped(session: PlaySession, now) -> Exists:
    """Skipped by this agent in this session, and the customer has not written since.

    A NOT EXISTS on the (session, conversation) unique index: one index probe per candidate.
    """
    skips = PlaySkip.objects.filter(session=session, conversation_id=OuterRef("pk"), skipped_at__gte=OuterRef("last_inbound_at"))
    if settings.SOCIALDESK_SKIP_SECONDS:
        skips = skips.filter(skipped_at__gt=now - timedelta(seconds=settings.SOCIALDESK_SKIP_SECONDS))
    return Exists(skips)


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


def _claim_next(*, agent, session: PlaySession, now) -> Conversation | None:
    """Claim the best free conversation: a follow-up kept for this agent first (AG3), else the
    queue's next one, each in one statement: UPDATE … WHERE id = (best free one).

    The inner SELECT is the queue's dealing query (`queues.selectors.dealable`) without what this
    agent skipped; on PostgreSQL it locks its row with SKIP LOCKED, so concurrent agents each take
    a different row without waiting; SQLite runs one writing transaction at a time, which gives the
    same guarantee.
    """
    candidates = dealable(queue=session.queue, filter=_filter_of(session), agent=agent, now=now).exclude(_skipped(session, now))
    expires = now + lease_length()
    ops = connection.ops
    row = None
    with transaction.atomic():
        for pick in (candidates.filter(kept_for(agent=agent, now=now)), candidates):
            pick = pick.values("pk")[:1]
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
            if row is not None:
                break
        PlaySession.objects.filter(pk=session.pk).update(last_seen_at=now)
        if row is None:
            return None
        Activity.objects.create(conversation_id=row[0], actor=agent, kind="dealt", detail={"queue": session.queue.slug, "session": session.pk})
        PlaySession.objects.filter(pk=session.pk).update(dealt=F("dealt") + 1)
    return Conversation.objects.get(pk=row[0])


@dataclass(frozen=True)
class PlayState:
    """What the Play page shows when nothing is dealt: read only, nothing is claimed."""

    session: PlaySession
    waiting: int  # dealable now, not skipped
    skipped: int  # dealable but skipped by this agent in this session


def state(*, agent, session: PlaySession) -> PlayState:
    now = timezone.now()
    candidates = dealable(queue=session.queue, filter=_filter_of(session), agent=agent, now=now)
    skipped = _skipped(session, now)
    return PlayState(session=session, waiting=candidates.exclude(skipped).count(), skipped=candidates.filter(skipped).count())


def renew(*, agent, conversation: Conversation | None = None) -> bool:
    """A sign of life from a Play page: extend the lease while the agent works on `conversation`
    (False if it is no longer theirs) and keep the play session from ending as idle."""
    now = timezone.now()
    n = PlaySession.objects.filter(agent=agent, ended_at__isnull=True).update(last_seen_at=now)
    if conversation is None:
        return bool(n)
    return bool(
        Conversation.objects.filter(pk=conversation.pk, dealt_to=agent, lease_expires_at__gt=now).update(lease_expires_at=now + lease_length())
    )


def release(*, agent, conversation: Conversation, kind: str, detail: dict | None = None) -> None:
    n = Conversation.objects.filter(pk=conversation.pk, dealt_to=agent).update(dealt_to=None, lease_expires_at=None)
    if n:
        Activity.objects.create(conversation=conversation, actor=agent, kind=kind, detail=detail or {})


def skip(*, agent, conversation: Conversation) -> Conversation | None:
    """Give this conversation back and deal the next one.

    The skip lasts for the rest of the play session (or SOCIALDESK_SKIP_SECONDS when set): an
    agent can skip through the whole queue, and two agents skipping do not hand each other the
    same two conversations. The customer writing again brings the conversation back.
    """
    session = current_session(agent=agent)
    if session is None:
        raise ActionError("Press Play on a queue first.")
    now = timezone.now()
    with transaction.atomic():
        PlaySkip.objects.update_or_create(session=session, conversation=conversation, defaults={"skipped_at": now})
        release(agent=agent, conversation=conversation, kind="skipped")
    return deal_next(agent=agent)


def start_over(*, agent) -> Conversation | None:
    """Forget what this agent skipped in the current play session, and deal again."""
    session = current_session(agent=agent)
    if session is None:
        raise ActionError("Press Play on a queue first.")
    PlaySkip.objects.filter(session=session).delete()
    return deal_next(agent=agent)


def _end_sessions(*, agent, ended_by: str, now=None, idle_before=None) -> PlaySession | None:
    """End the agent's open play sessions; returns the latest one ended, None if none was open.

    The dealt conversation goes back to the queue, and follow-ups kept for this agent (AG3) are
    free for anyone: they must not wait for someone who is no longer playing. An idle session
    ends at its last sign of life, so the idle time is not counted as play time; `idle_before`
    makes that end conditional, so a heartbeat that arrives meanwhile wins.
    """
    now = now or timezone.now()
    ended = None
    with transaction.atomic():
        open_sessions = PlaySession.objects.select_for_update(of=("self",)).filter(agent=agent, ended_at__isnull=True)
        if idle_before is not None:
            open_sessions = open_sessions.filter(last_seen_at__lt=idle_before)
        for session in open_sessions.select_related("queue").order_by("started_at"):
            session.ended_at = session.last_seen_at if ended_by == EndedBy.IDLE else now
            session.ended_by = ended_by
            session.save(update_fields=["ended_at", "ended_by"])
            Activity.objects.create(actor=agent, kind="play_ended", detail={
                "session": session.pk, "queue": session.queue.slug, "ended_by": ended_by,
                "play_seconds": round(session.play_time.total_seconds()), "dealt": session.dealt,
            })
            ended = session
        if ended is None:
            return None
        if PlaySession.objects.filter(agent=agent, ended_at__isnull=True).exists():
            return ended  # a newer session (started meanwhile) keeps its deal
        for held in Conversation.objects.filter(dealt_to=agent):
            release(agent=agent, conversation=held, kind="returned", detail={"ended_by": ended_by})
        Conversation.objects.filter(reserved_for=agent).update(reserved_for=None, reserved_until=None, updated_at=now)
    return ended


def stop(*, agent) -> PlaySession | None:
    """Leave Play Mode: the dealt conversation goes back to the queue, play time stops counting."""
    return _end_sessions(agent=agent, ended_by=EndedBy.STOP)


def end_on_sign_out(*, agent) -> PlaySession | None:
    """Signing out ends Play Mode (seed: "sign out whenever you're done")."""
    return _end_sessions(agent=agent, ended_by=EndedBy.SIGN_OUT)


def end_idle_sessions(*, now=None) -> int:
    """End every play session with no sign of life for longer than the lease (a closed browser).

    Run by the scheduler every minute; returns how many sessions ended.
    """
    now = now or timezone.now()
    idle_before = now - lease_length()
    ended = 0
    agents = PlaySession.objects.filter(ended_at__isnull=True, last_seen_at__lt=idle_before).values_list("agent", flat=True).distinct()
    from django.contrib.auth import get_user_model

    for agent in get_user_model().objects.filter(pk__in=list(agents)):
        if _end_sessions(agent=agent, ended_by=EndedBy.IDLE, now=now, idle_before=idle_before) is not None:
            ended += 1
    return ended
