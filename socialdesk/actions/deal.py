"""Deal conversations to agents exclusively (AG3).

`deal_next` picks the best free conversation of the queue and gives it to one agent under a
lease. The claim is a single UPDATE whose WHERE picks the best free row (locked with SKIP LOCKED on
PostgreSQL), so two agents can never hold the same conversation and nobody waits for another.

A play session ends when the agent stops, plays another queue, signs out, or shows no sign of
life for longer than the lease (`end_idle_sessions`, run by the scheduler); whichever way, the
dealt conversation goes back and follow-ups kept for the agent are free for anyone again.

The claim stays one prepared SQL statement for speed (`_statement`; the held deal, the claim, the
`dealt` log entry and the session's sign of life in one round trip on PostgreSQL): it is written
here, in the action layer, and nowhere else.
"""

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
import psycopg.sql
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from socialdesk.actions import policy
from socialdesk.conversations.models import Activity, ActivityKind, Conversation
from socialdesk.errors import ActionError
from socialdesk.people.models import has_role
from socialdesk.play.models import EndedBy, PlaySession, PlaySkip
from socialdesk.queues.models import Queue
from socialdesk.queues.selectors import ConversationFilter, capped_count, dealable, kept_for


def lease_length() -> timedelta:
    return timedelta(seconds=settings.SOCIALDESK_LEASE_SECONDS)


def current_session(*, agent) -> PlaySession | None:
    return (
        PlaySession.objects.filter(agent=agent, ended_at__isnull=True)
        .select_related("queue")
        .order_by("-started_at")
        .first()
    )


def last_session(*, agent) -> PlaySession | None:
    """The agent's latest play session, open or ended (to say how the last one ended)."""
    return (
        PlaySession.objects.filter(agent=agent)
        .select_related("queue")
        .order_by("-started_at")
        .first()
    )


def start(*, agent, queue: Queue, filter: ConversationFilter | None = None) -> PlaySession:
    """Enter Play Mode on `queue`; ends any other play session of this agent."""
    _check_may_play(agent=agent, queue=queue)
    session = current_session(agent=agent)
    if session and session.queue_id == queue.pk and session.filter == _filter_dict(filter):
        return session
    if session:
        _end_sessions(agent=agent, ended_by=EndedBy.SWITCH)
    return PlaySession.objects.create(agent=agent, queue=queue, filter=_filter_dict(filter))


def _check_may_play(*, agent, queue: Queue) -> None:
    """The agent's role may play, and play this queue (checked on every deal: a role taken away
    mid-session stops the next deal)."""
    policy.require_role(actor=agent, conversation=None, action="play")
    if not has_role(agent, queue.visible_to):
        raise policy.refuse(
            actor=agent,
            conversation=None,
            action="play",
            reason=f"The queue {queue} is not open to your role.",
        )
    if not has_role(agent, queue.play_role):
        raise policy.refuse(
            actor=agent,
            conversation=None,
            action="play",
            reason=_(
                "%(queue)s is played by the community managers: what is escalated is theirs to "
                "answer."
            )
            % {"queue": queue},
        )


def _filter_dict(filter: ConversationFilter | None) -> dict:
    return filter.as_dict() if filter else {}


def _filter_of(session: PlaySession) -> ConversationFilter:
    return ConversationFilter.from_dict(session.filter)


def current_deal(*, agent, now=None) -> Conversation | None:
    now = now or timezone.now()
    return (
        Conversation.objects.filter(dealt_to=agent, lease_expires_at__gt=now)
        .order_by("-lease_expires_at")
        .first()
    )


def _skipped(session: PlaySession, now) -> Exists:
    """Skipped by this agent in this session, and the customer has not written since.

    A NOT EXISTS on the (session, conversation) unique index: one index probe per candidate.
    """
    skips = PlaySkip.objects.filter(
        session=session,
        conversation_id=OuterRef("pk"),
        skipped_at__gte=OuterRef("last_inbound_at"),
    )
    if settings.SOCIALDESK_SKIP_SECONDS:
        skips = skips.filter(
            skipped_at__gt=now - timedelta(seconds=settings.SOCIALDESK_SKIP_SECONDS)
        )
    return Exists(skips)


def deal_next(
    *,
    agent,
    queue: Queue | None = None,
    filter: ConversationFilter | None = None,
    session: PlaySession | None = None,
) -> Conversation | None:
    """Deal this agent the next conversation of their play session; None when the queue is empty.

    An agent who still holds a live deal gets that one again (a reload does not skip). A caller
    that already holds the agent's open play session (read in this request) passes it as
    `session`, which saves reading it again; with `queue` (and `filter`) the session is started
    or continued first.
    """
    if session is None:
        if queue is not None:
            session = start(agent=agent, queue=queue, filter=filter)
        else:
            session = current_session(agent=agent)
            if session is None:
                raise ActionError(_("Press Play on a queue first."))
            _check_may_play(agent=agent, queue=session.queue)
    else:
        _check_may_play(agent=agent, queue=session.queue)
    return _claim_next(agent=agent, session=session, now=timezone.now())


def _claim_next(*, agent, session: PlaySession, now) -> Conversation | None:
    """The conversation the agent holds under a live lease, else claim the best free one: a
    follow-up kept for this agent first (AG3), else the queue's next one.

    The claim is one UPDATE … WHERE id = COALESCE((kept pick), (queue pick)) whose picks are the
    queue's dealing query (`queues.selectors.dealable`) without what this agent skipped; on
    PostgreSQL each pick locks its row with SKIP LOCKED, so concurrent agents each take a
    different row without waiting, and the statement also writes the `dealt` activity entry and
    the session's sign of life (one round trip). SQLite runs one writing transaction at a time,
    which gives the same guarantee.
    """
    deal = _statement(session=session, vendor=connection.vendor)
    ops = connection.ops
    values = {
        "agent": agent.pk,
        "session": session.pk,
        "now": ops.adapt_datetimefield_value(now),
        "expires": ops.adapt_datetimefield_value(now + lease_length()),
        "skip_since": ops.adapt_datetimefield_value(
            now - timedelta(seconds=settings.SOCIALDESK_SKIP_SECONDS)
        ),
        "detail": json.dumps({"queue": session.queue.slug, "session": session.pk}),
    }
    if connection.vendor == "postgresql":
        row = deal.run_once(values)
    else:
        row = deal.run_apart(values)
    return None if row is None else _conversation(row)


# The columns a deal returns, in the model's order, and how to read each one back.
def _columns() -> list:
    return Conversation._meta.concrete_fields


_readers: dict = {}


def _conversation(row) -> Conversation:
    """A Conversation from the columns the dealing statement returned (no second read)."""
    readers = _readers.get(connection.alias)
    if readers is None:
        readers = []
        for f in _columns():
            col = f.get_col(Conversation._meta.db_table)
            readers.append(
                (col, connection.ops.get_db_converters(col) + f.get_db_converters(connection))
            )
        _readers[connection.alias] = readers
    values = []
    for (col, converters), value in zip(readers, row, strict=True):
        for convert in converters:
            value = convert(value, col, connection)
        values.append(value)
    return Conversation.from_db(connection.alias, [f.attname for f in _columns()], values)


# Stand-ins compiled into the dealing query in place of the values of one deal, so the SQL of a
# queue and filter is built once and only its parameters change (see `_statement`).
_AGENT, _SESSION = -(2**62) + 11, -(2**62) + 13
_NOW = datetime(2001, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)


@dataclass(frozen=True)
class _Part:
    """One statement of a deal, and where each of its parameters comes from: ("value", name)
    for what changes per deal, ("constant", value) for the queue's own rules."""

    sql: str
    slots: tuple

    def params(self, values) -> list:
        return [values[v] if kind == "value" else v for kind, v in self.slots]


@dataclass(frozen=True)
class _Deal:
    """The dealing SQL of one queue and filter: its four parts, and on PostgreSQL all of them
    as one statement (`once`)."""

    held: _Part  # the conversation the agent holds under a live lease
    claim: _Part  # UPDATE … WHERE id = COALESCE((kept pick), (queue pick)) RETURNING …
    log: _Part  # the `dealt` activity entry (conversation id as the last parameter)
    seen: _Part  # the session's sign of life and deal count (how many dealt as the first one)
    once: _Part | None = None

    def run_once(self, values) -> tuple | None:
        """PostgreSQL: hold or claim, log and sign of life in one prepared statement."""
        with connection.cursor() as wrapper:
            # A server-side bound, prepared statement: parsed and planned once per connection
            # rather than on every deal. Django's own cursor binds on the client and cannot
            # prepare, and Django turns psycopg's preparing off for the connection (for poolers
            # that cannot keep them): it is turned on for this statement only.
            conn = wrapper.cursor.connection
            threshold = conn.prepare_threshold
            conn.prepare_threshold = 0
            try:
                with connection.wrap_database_errors, psycopg.Cursor(conn) as raw:
                    raw.execute(self.once.sql, self.once.params(values), prepare=True)
                    return raw.fetchone()
            finally:
                conn.prepare_threshold = threshold

    def run_apart(self, values) -> tuple | None:
        """Other databases: the same parts one after the other in one transaction."""
        claimed = None
        with transaction.atomic(durable=True), connection.cursor() as cursor:
            cursor.execute(self.held.sql, self.held.params(values))
            row = cursor.fetchone()
            if row is None:
                cursor.execute(self.claim.sql, self.claim.params(values))
                claimed = cursor.fetchone()
                if claimed is not None:
                    cursor.execute(self.log.sql, self.log.params(values) + [claimed[0]])
            cursor.execute(
                self.seen.sql,
                [1 if row is None and claimed is not None else 0, *self.seen.params(values)],
            )
            return row if row is not None else claimed


_statements: dict = {}


def _statement(*, session: PlaySession, vendor: str) -> _Deal:
    queue = session.queue
    key = (
        connection.alias,
        vendor,
        queue.pk,
        queue.kind,
        json.dumps(queue.rules, sort_keys=True),
        json.dumps(session.filter, sort_keys=True),
        settings.SOCIALDESK_SKIP_SECONDS,
    )
    deal = _statements.get(key)
    if deal is None:
        if len(_statements) > 500:
            _statements.clear()
        deal = _statements[key] = _build(queue=queue, filter=_filter_of(session), vendor=vendor)
    return deal


def _build(*, queue: Queue, filter: ConversationFilter, vendor: str) -> _Deal:
    ops = connection.ops
    stand_in = {
        _AGENT: ("value", "agent"),
        _SESSION: ("value", "session"),
        ops.adapt_datetimefield_value(_NOW): ("value", "now"),
    }
    if settings.SOCIALDESK_SKIP_SECONDS:
        stand_in[
            ops.adapt_datetimefield_value(
                _NOW - timedelta(seconds=settings.SOCIALDESK_SKIP_SECONDS)
            )
        ] = ("value", "skip_since")

    def inline(sql: str, params) -> tuple[str, list]:
        """Keep a parameter for each value of the deal; on PostgreSQL write the queue's own
        values (its rules, the filter) into the SQL, so the plan of the prepared statement knows
        them and can use the partial index that holds only what may be dealt."""
        params, slots = iter(params), []

        def one(match) -> str:
            if match.group(0) == "%%":
                return "%%"
            value = next(params)
            slot = (
                stand_in.get(value)
                if isinstance(value, int | str | datetime) and not isinstance(value, bool)
                else None
            )
            if slot is None and vendor == "postgresql":
                # Its own % signs are not placeholders: the statement is run with parameters.
                return (
                    psycopg.sql.Literal(value).as_string(connection.connection).replace("%", "%%")
                )
            slots.append(slot or ("constant", value))
            return "%s"

        return re.sub(r"%[%s]", one, sql), slots

    session = PlaySession(pk=_SESSION)
    candidates = dealable(queue=queue, filter=filter, agent=_AGENT, now=_NOW).exclude(
        _skipped(session, _NOW)
    )
    picks, pick_slots = [], []
    for pick in (candidates.filter(kept_for(agent=_AGENT, now=_NOW)), candidates):
        pick = pick.values("pk")[:1]
        if connection.features.has_select_for_update_skip_locked:
            pick = pick.select_for_update(skip_locked=True, of=("self",))
        try:
            with transaction.atomic():  # the compiler refuses FOR UPDATE outside a transaction
                sql, params = pick.query.get_compiler(connection=connection).as_sql()
        except EmptyResultSet:  # rules nobody can read: nothing to deal
            sql, params = "SELECT CAST(NULL AS bigint)", ()
        sql, slots = inline(sql, params)
        picks.append(f"({sql})")
        pick_slots += slots
    table = ops.quote_name(Conversation._meta.db_table)
    columns = ", ".join(ops.quote_name(f.column) for f in _columns())
    held = _Part(
        f"SELECT {columns} FROM {table} WHERE dealt_to_id = %s AND lease_expires_at > %s ORDER BY lease_expires_at DESC LIMIT 1",
        (("value", "agent"), ("value", "now")),
    )
    set_lease = "SET dealt_to_id = %s, lease_expires_at = %s, updated_at = %s"
    lease_slots = (("value", "agent"), ("value", "expires"), ("value", "now"))
    pick = f"COALESCE({', '.join(picks)})"
    claim = _Part(
        f"UPDATE {table} {set_lease} WHERE id = {pick} RETURNING {columns}",
        lease_slots + tuple(pick_slots),
    )

    # The `dealt` entry: every column of the activity log, the model's defaults for the rest.
    entry = Activity(kind=ActivityKind.DEALT)
    log_columns, log_values, log_slots = [], [], []
    for f in Activity._meta.concrete_fields:
        if f.primary_key or f.attname == "conversation_id":
            continue
        log_columns.append(ops.quote_name(f.column))
        log_values.append("%s")
        if f.attname == "actor_id":
            log_slots.append(("value", "agent"))
        elif f.attname == "at":
            log_slots.append(("value", "now"))
        elif f.attname == "detail":
            log_values[-1] = "CAST(%s AS jsonb)" if vendor == "postgresql" else "%s"
            log_slots.append(("value", "detail"))
        else:
            log_slots.append(
                ("constant", f.get_db_prep_save(f.pre_save(entry, add=True), connection))
            )
    log_table = ops.quote_name(Activity._meta.db_table)
    log_into = (
        f"INSERT INTO {log_table} ({', '.join(log_columns)}, {ops.quote_name('conversation_id')})"
    )
    log = _Part(f"{log_into} VALUES ({', '.join(log_values)}, %s)", tuple(log_slots))
    sessions = ops.quote_name(PlaySession._meta.db_table)
    seen = _Part(
        f"UPDATE {sessions} SET dealt = dealt + %s, last_seen_at = %s WHERE id = %s",
        (("value", "now"), ("value", "session")),
    )
    if vendor != "postgresql":
        return _Deal(held, claim, log, seen)

    # One statement: what the agent already holds wins (a reload), else the claim; the picks are
    # never run when a deal is held (CASE evaluates its sub-selects only when reached).
    once = _Part(
        f"WITH held AS ({held.sql}), "
        f"claimed AS ({claim.sql.replace(f'WHERE id = {pick}', f'WHERE id = (SELECT CASE WHEN EXISTS (SELECT 1 FROM held) THEN NULL ELSE {pick} END)')}), "
        f"logged AS ({log_into} SELECT {', '.join(log_values)}, claimed.id FROM claimed), "
        f"seen AS (UPDATE {sessions} SET dealt = dealt + (SELECT count(*) FROM claimed), last_seen_at = %s WHERE id = %s) "
        f"SELECT {columns} FROM claimed UNION ALL SELECT {columns} FROM held",
        held.slots + claim.slots + tuple(log_slots) + seen.slots,
    )
    return _Deal(held, claim, log, seen, once)


@dataclass(frozen=True)
class PlayState:
    """What the Play page shows when nothing is dealt: read only, nothing is claimed."""

    session: PlaySession
    waiting: int  # dealable now, not skipped; counted up to the cap ("1,000+")
    skipped: int  # dealable but skipped by this agent in this session; capped the same way


def state(*, agent, session: PlaySession) -> PlayState:
    now = timezone.now()
    candidates = dealable(queue=session.queue, filter=_filter_of(session), agent=agent, now=now)
    skipped = _skipped(session, now)
    return PlayState(
        session=session,
        # Capped like a queue's totals: a COUNT(*) would read the whole queue on every visit.
        waiting=capped_count(candidates.exclude(skipped)),
        skipped=capped_count(candidates.filter(skipped)),
    )


def renew(*, agent, conversation: Conversation | None = None) -> bool:
    """A sign of life from a Play page: extend the lease while the agent works on `conversation`
    (False if it is no longer theirs) and keep the play session from ending as idle."""
    now = timezone.now()
    n = PlaySession.objects.filter(agent=agent, ended_at__isnull=True).update(last_seen_at=now)
    if conversation is None:
        return bool(n)
    return bool(
        Conversation.objects.filter(
            pk=conversation.pk, dealt_to=agent, lease_expires_at__gt=now
        ).update(lease_expires_at=now + lease_length())
    )


def release(*, agent, conversation: Conversation, kind: str, detail: dict | None = None) -> None:
    n = Conversation.objects.filter(pk=conversation.pk, dealt_to=agent).update(
        dealt_to=None, lease_expires_at=None
    )
    if n:
        Activity.objects.create(
            conversation=conversation, actor=agent, kind=kind, detail=detail or {}
        )


def skip(*, agent, conversation: Conversation) -> Conversation | None:
    """Give this conversation back and deal the next one.

    The skip lasts for the rest of the play session (or SOCIALDESK_SKIP_SECONDS when set): an
    agent can skip through the whole queue, and two agents skipping do not hand each other the
    same two conversations. The customer writing again brings the conversation back.
    """
    session = current_session(agent=agent)
    if session is None:
        raise ActionError(_("Press Play on a queue first."))
    now = timezone.now()
    with transaction.atomic(durable=True):
        PlaySkip.objects.update_or_create(
            session=session, conversation=conversation, defaults={"skipped_at": now}
        )
        release(agent=agent, conversation=conversation, kind=ActivityKind.SKIPPED)
    return deal_next(agent=agent, session=session)


def start_over(*, agent) -> Conversation | None:
    """Forget what this agent skipped in the current play session, and deal again."""
    session = current_session(agent=agent)
    if session is None:
        raise ActionError(_("Press Play on a queue first."))
    PlaySkip.objects.filter(session=session).delete()
    return deal_next(agent=agent, session=session)


def _end_sessions(
    *, agent, ended_by: str, now=None, idle_before=None, durable: bool = True
) -> PlaySession | None:
    """End the agent's open play sessions; returns the latest one ended, None if none was open.

    The dealt conversation goes back to the queue, and follow-ups kept for this agent (AG3) are
    free for anyone: they must not wait for someone who is no longer playing. An idle session
    ends at its last sign of life, so the idle time is not counted as play time; `idle_before`
    makes that end conditional, so a heartbeat that arrives meanwhile wins. It is the outer
    edge (`durable`) except when signing out ends it: that runs wherever a sign-out happens.
    """
    now = now or timezone.now()
    ended = None
    with transaction.atomic(durable=durable):
        open_sessions = PlaySession.objects.select_for_update(of=("self",)).filter(
            agent=agent, ended_at__isnull=True
        )
        if idle_before is not None:
            open_sessions = open_sessions.filter(last_seen_at__lt=idle_before)
        for session in open_sessions.select_related("queue").order_by("started_at"):
            session.ended_at = session.last_seen_at if ended_by == EndedBy.IDLE else now
            session.ended_by = ended_by
            session.save(update_fields=["ended_at", "ended_by"])
            Activity.objects.create(
                actor=agent,
                kind=ActivityKind.PLAY_ENDED,
                detail={
                    "session": session.pk,
                    "queue": session.queue.slug,
                    "ended_by": ended_by,
                    "play_seconds": round(session.play_time.total_seconds()),
                    "dealt": session.dealt,
                },
            )
            ended = session
        if ended is None:
            return None
        if PlaySession.objects.filter(agent=agent, ended_at__isnull=True).exists():
            return ended  # a newer session (started meanwhile) keeps its deal
        for held in Conversation.objects.filter(dealt_to=agent):
            release(
                agent=agent,
                conversation=held,
                kind=ActivityKind.RETURNED,
                detail={"ended_by": ended_by},
            )
        Conversation.objects.filter(reserved_for=agent).update(
            reserved_for=None, reserved_until=None, updated_at=now
        )
    return ended


def stop(*, agent) -> PlaySession | None:
    """Leave Play Mode: the dealt conversation goes back to the queue, play time stops counting."""
    return _end_sessions(agent=agent, ended_by=EndedBy.STOP)


def end_on_sign_out(*, agent) -> PlaySession | None:
    """Signing out ends Play Mode (seed: "sign out whenever you're done")."""
    return _end_sessions(agent=agent, ended_by=EndedBy.SIGN_OUT, durable=False)


def end_idle_sessions(*, now=None) -> int:
    """End every play session with no sign of life for longer than the lease (a closed browser).

    Run by the scheduler every minute; returns how many sessions ended.
    """
    now = now or timezone.now()
    idle_before = now - lease_length()
    ended = 0
    agents = (
        PlaySession.objects.filter(ended_at__isnull=True, last_seen_at__lt=idle_before)
        .values_list("agent", flat=True)
        .distinct()
    )
    from django.contrib.auth import get_user_model

    for agent in get_user_model().objects.filter(pk__in=list(agents)):
        if (
            _end_sessions(agent=agent, ended_by=EndedBy.IDLE, now=now, idle_before=idle_before)
            is not None
        ):
            ended += 1
    return ended
