"""Report figures over a date range, read from the activity log (RE1-RE4); nothing here writes.

The activity log is the source of truth: a response time is the time between a `message_received`
entry and the `replied` entry that answered it, play time is what `play_ended` entries say, a
volume is a count of `opened` or `closed` entries. docs/reports.md says how each figure is made.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Extract, TruncDate
from django.utils import timezone

from socialdesk.conversations.models import (
    Activity,
    CloseReason,
    Conversation,
    HoldReason,
    MessageType,
    Sentiment,
    Status,
)
from socialdesk.outbox.models import ActionState, OutboundAction
from socialdesk.play.models import PlaySession
from socialdesk.queues.models import Queue
from socialdesk.queues.selectors import NONE_LABELS

# A range longer than this is refused: a year of activity is the most one page reads.
MAX_DAYS = 366
FORMER = "Former contributor"
NOT_DEALT = "Not dealt in Play Mode"
NO_ACCOUNT = "No account"

# What ends the customer's wait with an answer, and what ends it without one.
ANSWERS = ("replied", "reply_approved")
CLOSES = ("closed", "auto_closed")
# Every kind the response-time walk reads.
WALKED = (
    "opened",
    "message_received",
    "replied",
    "reply_awaiting_approval",
    "reply_approved",
    "reply_returned",
    *CLOSES,
    "merged_away",
    "dealt",
    "escalated",
    "retweet_recommended",
    "assigned",
)


@dataclass(frozen=True)
class DateRange:
    """Whole days, `first` to `last` included, in the current time zone."""

    first: date
    last: date

    @classmethod
    def last_days(cls, days: int = 7, *, today: date | None = None) -> DateRange:
        today = today or timezone.localdate()
        return cls(first=today - timedelta(days=days - 1), last=today)

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first, time.min))

    @property
    def end(self) -> datetime:
        """The first moment after the range (exclusive)."""
        return timezone.make_aware(datetime.combine(self.last + timedelta(days=1), time.min))

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def of(self, qs, field_name: str = "at"):
        return qs.filter(**{f"{field_name}__gte": self.start, f"{field_name}__lt": self.end})


# --- Statistics --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    """Count, mean, median and 90th percentile (nearest rank) of durations in seconds."""

    count: int = 0
    mean: float | None = None
    median: float | None = None
    p90: float | None = None

    @classmethod
    def of(cls, seconds: list[float]) -> Stats:
        if not seconds:
            return cls()
        ordered = sorted(seconds)
        return cls(
            count=len(ordered),
            mean=statistics.fmean(ordered),
            median=statistics.median(ordered),
            p90=ordered[math.ceil(0.9 * len(ordered)) - 1],
        )


# --- RE1: response times -----------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    """One answer to a customer who was waiting: from their first unanswered message to our reply."""

    conversation_id: int
    waited_from: datetime
    at: datetime
    agent_id: int | None
    account: str
    queue: str
    first: bool

    @property
    def seconds(self) -> float:
        return (self.at - self.waited_from).total_seconds()


@dataclass
class _Walk:
    """What the walk knows about one conversation at a point of its history."""

    wait: float | None = (
        None  # when the customer's first message we have not answered arrived (epoch seconds)
    )
    answered: bool = False  # a first response was given
    dealt_queue: str = ""  # the Play queue it was dealt from, until answered
    assigned_queue: str = ""  # the queue it was assigned or escalated to
    pending: dict = field(
        default_factory=dict
    )  # replies waiting for approval: action -> (writer, account)


def responses(*, period: DateRange, agent=None) -> list[Response]:
    """Every answer given in the range, with how long the customer had waited for it.

    Walks the log of each conversation answered in the range, from its start, in order:
    a customer message starts a wait (if none is running); a reply (or an approved reply, at its
    approval, credited to its writer) ends it with a response; a close, automation's close or a
    merge ends it without one (a merge hands the wait to the conversation merged into, a split
    hands it to the new conversation). Holding changes nothing: the customer is still waiting
    unless we answered. `agent`: only that agent's answers.
    """
    answered_here = period.of(Activity.objects.filter(kind__in=ANSWERS)).values("conversation_id")
    if agent is not None:
        # Only conversations this agent wrote a reply in: one agent's page walks their share.
        written = Activity.objects.filter(
            actor=agent, kind__in=("replied", "reply_awaiting_approval"), at__lt=period.end
        )
        answered_here = answered_here.filter(conversation_id__in=written.values("conversation_id"))
    # Conversations whose waits flowed into these: merged in, or split off.
    sources = set()
    linked = Activity.objects.filter(conversation_id__in=answered_here).filter(
        Q(kind="merged") | Q(kind="opened", detail__has_key="split_from")
    )
    for kind, detail in linked.values_list("kind", "detail"):
        source = (detail or {}).get("from" if kind == "merged" else "split_from")
        if isinstance(source, int):
            sources.add(source)
    # Only the two values of `detail` the walk reads, as text: decoding every entry's JSON and
    # timestamp in Python would cost more than the walk itself.
    info = Case(
        When(kind__in=("dealt", "escalated", "retweet_recommended"), then=KT("detail__queue")),
        When(kind__in=("replied", "reply_awaiting_approval"), then=KT("detail__from")),
        When(kind="assigned", then=KT("detail__to_queue")),
        default=Value(""),
        output_field=TextField(),
    )
    ref = Case(
        When(
            kind__in=("reply_awaiting_approval", "reply_approved", "reply_returned"),
            then=KT("detail__action"),
        ),
        When(kind="merged_away", then=KT("detail__into")),
        When(kind="opened", then=KT("detail__split_from")),
        default=Value(""),
        output_field=TextField(),
    )
    events = (
        Activity.objects.filter(
            Q(conversation_id__in=answered_here) | Q(conversation_id__in=sources),
            kind__in=WALKED,
            at__lt=period.end,
        )
        .annotate(info=info, ref=ref, moment=_moment())
        .order_by("at", "id")
        .values_list("conversation_id", "kind", "actor_id", "info", "ref", "moment")
    )
    queue_names = dict(Queue.objects.values_list("slug", "name"))
    walks: dict[int, _Walk] = defaultdict(_Walk)
    found: list[Response] = []
    start = period.start.timestamp()

    def answer(cid: int, walk: _Walk, at: float, writer, account: str) -> None:
        if walk.wait is not None and at >= start:
            found.append(
                Response(
                    conversation_id=cid,
                    waited_from=_instant(walk.wait),
                    at=_instant(at),
                    agent_id=writer,
                    account=account or NO_ACCOUNT,
                    queue=walk.dealt_queue or walk.assigned_queue or NOT_DEALT,
                    first=not walk.answered,
                )
            )
        walk.wait, walk.answered, walk.dealt_queue = None, True, ""

    for cid, kind, actor, info, ref, at in events.iterator(chunk_size=10000):
        if not isinstance(at, float):
            at = at.timestamp()
        ref = _int(ref) if ref else None
        walk = walks[cid]
        if kind == "message_received":
            if walk.wait is None:
                walk.wait = at
        elif kind == "opened":
            source = walks.get(ref)
            if source is not None and source.wait is not None:
                walk.wait = source.wait
        elif kind == "replied":
            answer(cid, walk, at, actor, info)
        elif kind == "reply_awaiting_approval":
            walk.pending[ref] = (actor, info)
        elif kind == "reply_approved":
            writer = walk.pending.pop(ref, None)
            if writer is not None:
                answer(cid, walk, at, *writer)
        elif kind == "reply_returned":
            walk.pending.pop(ref, None)
        elif kind in CLOSES:
            walk.wait = None
        elif kind == "merged_away":
            into = walks[ref]
            if walk.wait is not None and (into.wait is None or walk.wait < into.wait):
                into.wait = walk.wait
            into.pending.update(walk.pending)
            walk.wait, walk.pending = None, {}
        elif kind == "dealt":
            walk.dealt_queue = queue_names.get(info, info or "")
        elif kind in ("escalated", "retweet_recommended"):
            walk.assigned_queue = info or walk.assigned_queue
        elif kind == "assigned" and info:
            walk.assigned_queue = info
    if agent is not None:
        found = [r for r in found if r.agent_id == agent.pk]
    return found


def _moment():
    """The entry's time as seconds since the epoch, computed by PostgreSQL (reading timestamps
    into datetimes is most of the work otherwise); elsewhere the time itself."""
    if connection.vendor == "postgresql":
        return Cast(Extract("at", "epoch"), FloatField())
    return F("at")


def _instant(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class ResponseRow:
    label: str
    first: Stats
    all: Stats


@dataclass(frozen=True)
class PlayRow:
    label: str
    sessions: int
    seconds: int
    idle_sessions: int
    dealt: int


@dataclass(frozen=True)
class ResponseTimes:
    period: DateRange
    overall: ResponseRow
    by_queue: list[ResponseRow]
    by_account: list[ResponseRow]
    by_agent: list[ResponseRow]
    by_day: list[ResponseRow]
    play: list[PlayRow]
    playing_now: list  # open play sessions: not counted until they end
    lease_seconds: int


def _names(user_ids) -> dict:
    ids = {pk for pk in user_ids if pk is not None}
    return (
        dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))
        if ids
        else {}
    )


def _grouped(found: list[Response], key, measure=None) -> list[ResponseRow]:
    measure = measure or (lambda r: r.seconds)
    groups = defaultdict(list)
    for r in found:
        groups[key(r)].append(r)
    return [
        ResponseRow(
            label=str(label),
            first=Stats.of([measure(r) for r in rs if r.first]),
            all=Stats.of([measure(r) for r in rs]),
        )
        for label, rs in sorted(groups.items(), key=lambda item: str(item[0]))
    ]


def play_time(*, period: DateRange, agent=None) -> list[PlayRow]:
    """Time in Play Mode per agent: the play sessions that ended in the range, counted on the day
    they ended, each up to its last sign of life (see actions.deal.end_idle_sessions)."""
    ended = period.of(Activity.objects.filter(kind="play_ended"))
    if agent is not None:
        ended = ended.filter(actor=agent)
    rows = list(
        ended.values("actor")
        .annotate(
            sessions=Count("id"),
            seconds=Sum(Cast(KT("detail__play_seconds"), IntegerField())),
            dealt=Sum(Cast(KT("detail__dealt"), IntegerField())),
            idle=Count("id", filter=Q(detail__ended_by="idle")),
        )
        .order_by("actor")
    )
    names = _names(r["actor"] for r in rows)
    return sorted(
        (
            PlayRow(
                label=names.get(r["actor"], FORMER),
                sessions=r["sessions"],
                seconds=r["seconds"] or 0,
                idle_sessions=r["idle"],
                dealt=r["dealt"] or 0,
            )
            for r in rows
        ),
        key=lambda row: row.label,
    )


def response_times(*, period: DateRange, agent=None, hours=None) -> ResponseTimes:
    """RE1 for the range: first response time and response time per queue, account, agent and
    day (of the answer), and play time per agent. `agent`: only that agent's own figures.
    `hours` (`hours.Hours`, or a `hours.HoursBook` of each account's): count each wait only
    within the business hours of the team that answered it."""
    from django.conf import settings

    from .hours import Hours, HoursBook

    found = responses(period=period, agent=agent)
    names = _names(r.agent_id for r in found)
    book = HoursBook(default=hours, by_account={}) if isinstance(hours, Hours) else hours
    measure = None
    if book:

        def measure(r: Response) -> float:
            within = book.for_account(r.account)
            return within.seconds_between(r.waited_from, r.at) if within else r.seconds

    def _rows(found, key):
        return _grouped(found, key, measure)

    overall = _rows(found, lambda r: "All")
    live = (
        PlaySession.objects.filter(ended_at__isnull=True)
        .select_related("agent", "queue")
        .order_by("started_at")
    )
    if agent is not None:
        live = live.filter(agent=agent)
    return ResponseTimes(
        period=period,
        overall=overall[0] if overall else ResponseRow("All", Stats(), Stats()),
        by_queue=_rows(found, lambda r: r.queue),
        by_account=_rows(found, lambda r: r.account),
        by_agent=_rows(found, lambda r: names.get(r.agent_id, FORMER)),
        by_day=_rows(found, lambda r: timezone.localdate(r.at).isoformat()),
        play=play_time(period=period, agent=agent),
        playing_now=list(live),
        lease_seconds=settings.SOCIALDESK_LEASE_SECONDS,
    )


# --- RE2: volumes and the dashboard --------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    label: str
    count: int


@dataclass(frozen=True)
class Volumes:
    period: DateRange
    opened: int
    closed: int
    per_day: list[tuple[date, int, int]]  # day, opened, closed
    by: dict[str, list[Tally]]  # dimension -> counts, largest first


NONE = "(none)"
SHORT_PLATFORM = {"twitter": "X", "google_play": "Play", "mastodon": "Mastodon"}


def _channel(platform: str, handle: str | None) -> str:
    """ "X @FirefoxSupport", "Play org.mozilla.firefox", "X search" (found by a search term)."""
    if not handle:
        return f"{SHORT_PLATFORM.get(platform, platform)} search"
    return f"{SHORT_PLATFORM.get(platform, platform)} {'' if platform == 'google_play' else '@'}{handle}"


def _counted(rows, labels: dict | None = None, *, none: str = NONE) -> list[Tally]:
    labels = labels or {}
    out = [Tally(label=labels.get(value, value) or none, count=n) for value, n in rows]
    return sorted(out, key=lambda c: (-c.count, c.label))


def volumes(*, period: DateRange, within=None) -> Volumes:
    """RE2: conversations opened in the range by tag, type, channel, sentiment and language (their
    values now), and closes in the range by reason; each a GROUP BY in the database. `within`:
    only these conversations (a queue, the queues' filters)."""
    tz = timezone.get_current_timezone()
    opened_log = period.of(Activity.objects.filter(kind="opened"))
    closed_log = period.of(Activity.objects.filter(kind__in=CLOSES))
    conversations = Conversation.objects.filter(pk__in=opened_log.values("conversation_id"))
    if within is not None:
        conversations = conversations.filter(pk__in=within.values("pk"))
        opened_log = opened_log.filter(conversation__in=within.values("pk"))
        closed_log = closed_log.filter(conversation__in=within.values("pk"))

    def by(field_name: str):
        return (
            conversations.order_by().values_list(field_name).annotate(n=Count("pk", distinct=True))
        )

    opened_days = dict(
        opened_log.annotate(day=TruncDate("at", tzinfo=tz))
        .order_by()
        .values_list("day")
        .annotate(n=Count("id"))
    )
    closed_days = dict(
        closed_log.annotate(day=TruncDate("at", tzinfo=tz))
        .order_by()
        .values_list("day")
        .annotate(n=Count("id"))
    )
    channels = (
        conversations.order_by().values_list("platform", "account__handle").annotate(n=Count("pk"))
    )
    reasons = (
        closed_log.annotate(reason=KT("detail__reason"))
        .order_by()
        .values_list("reason")
        .annotate(n=Count("id"))
    )
    return Volumes(
        period=period,
        opened=sum(opened_days.values()),
        closed=sum(closed_days.values()),
        per_day=[(d, opened_days.get(d, 0), closed_days.get(d, 0)) for d in period.days()],
        by={
            "Tag": _counted(by("tags__name"), none=NONE_LABELS["tags"]),
            "Type": _counted(by("type"), dict(MessageType.choices), none=NONE_LABELS["types"]),
            "Channel": sorted(
                (
                    Tally(label=_channel(platform, handle), count=n)
                    for platform, handle, n in channels
                ),
                key=lambda c: (-c.count, c.label),
            ),
            "Sentiment": _counted(
                by("sentiment"), dict(Sentiment.choices), none=NONE_LABELS["sentiments"]
            ),
            "Language": _counted(by("language"), none=NONE_LABELS["languages"]),
            "Close reason": _counted(reasons, dict(CloseReason.choices)),
        },
    )


@dataclass(frozen=True)
class Dashboard:
    now: datetime
    backlog: int  # open and waiting for our answer
    held: list[Tally]
    oldest: Conversation | None
    today_opened: int
    today_answered: int
    today_closed: int
    outbox: list[Tally]
    outbox_failed_today: int
    oldest_unsent: OutboundAction | None


def dashboard(*, now: datetime | None = None) -> Dashboard:
    """The community managers' view of today: what waits, for how long, and how sending goes."""
    now = now or timezone.now()
    today = DateRange(first=timezone.localdate(now), last=timezone.localdate(now))
    waiting = Conversation.objects.filter(status=Status.OPEN, awaiting_reply=True)
    held = (
        Conversation.objects.filter(status=Status.HELD)
        .order_by()
        .values_list("hold_reason")
        .annotate(n=Count("pk"))
    )
    outbox = OutboundAction.objects.order_by().values_list("state").annotate(n=Count("pk"))
    unsent = (
        ActionState.PENDING,
        ActionState.SENDING,
        ActionState.WAITING_FOR_ACCOUNT,
        ActionState.AWAITING_APPROVAL,
    )
    return Dashboard(
        now=now,
        backlog=waiting.count(),
        held=_counted(held, dict(HoldReason.choices)),
        oldest=waiting.select_related("author", "account")
        .order_by("last_inbound_at", "pk")
        .first(),
        today_opened=today.of(Activity.objects.filter(kind="opened")).count(),
        today_answered=today.of(Activity.objects.filter(kind__in=ANSWERS)).count(),
        today_closed=today.of(Activity.objects.filter(kind__in=CLOSES)).count(),
        outbox=_counted(outbox, dict(ActionState.choices)),
        outbox_failed_today=today.of(Activity.objects.filter(kind="delivery_failed")).count(),
        oldest_unsent=OutboundAction.objects.filter(state__in=unsent)
        .select_related("account")
        .order_by("created_at", "pk")
        .first(),
    )


# --- RE4: recognition ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RecognitionRow:
    agent_id: int | None
    label: str
    replies: int
    seen_through: int
    escalations: int
    useful_escalations: int = 0


def recognition(*, period: DateRange, agent=None) -> list[RecognitionRow]:
    """RE4 per agent over the range: replies written (an approved reply counts for its writer, on
    its approval), conversations seen through to a close (closed in the range, by anyone or by
    automation, after this agent wrote the last reply), escalations made, and escalations a
    community manager marked useful in the range (counted for whoever escalated). Nothing here
    ever subtracts: an escalation only adds to a count."""
    replies: dict = defaultdict(int)
    for actor, n in (
        period.of(Activity.objects.filter(kind="replied"))
        .order_by()
        .values_list("actor")
        .annotate(n=Count("id"))
    ):
        replies[actor] += n
    approved = list(
        period.of(Activity.objects.filter(kind="reply_approved")).values_list("detail", flat=True)
    )
    action_ids = [d.get("action") for d in approved if isinstance((d or {}).get("action"), int)]
    if action_ids:
        writers = Activity.objects.filter(
            kind="reply_awaiting_approval", detail__action__in=action_ids
        ).values_list("actor", "detail")
        for actor, _detail in writers:
            replies[actor] += 1

    # Who wrote the last reply before each close in the range: one correlated look-up per close,
    # on the conversation's own entries, grouped in the database.
    last_writer = (
        Activity.objects.filter(
            conversation_id=OuterRef("conversation_id"),
            kind__in=("replied", "reply_awaiting_approval"),
            at__lte=OuterRef("at"),
        )
        .order_by("-at", "-id")
        .values("actor")[:1]
    )
    seen = dict(
        period.of(Activity.objects.filter(kind__in=CLOSES))
        .annotate(writer=Subquery(last_writer))
        .filter(writer__isnull=False)
        .order_by()
        .values_list("writer")
        .annotate(n=Count("conversation_id", distinct=True))
    )

    escalations = dict(
        period.of(Activity.objects.filter(kind__in=("escalated", "retweet_recommended")))
        .order_by()
        .values_list("actor")
        .annotate(n=Count("id"))
    )
    marked = [
        (d or {}).get("escalation")
        for d in period.of(Activity.objects.filter(kind="escalation_useful")).values_list(
            "detail", flat=True
        )
    ]
    useful: dict = defaultdict(int)
    marked_ids = [pk for pk in marked if isinstance(pk, int)]
    if marked_ids:
        escalator = dict(Activity.objects.filter(pk__in=marked_ids).values_list("pk", "actor"))
        for pk in marked_ids:
            if pk in escalator:
                useful[escalator[pk]] += 1
    people = set(replies) | set(seen) | set(escalations) | set(useful)
    if agent is not None:
        people = {agent.pk}
    names = _names(people)
    rows = [
        RecognitionRow(
            agent_id=pk,
            label=names.get(pk, FORMER),
            replies=replies.get(pk, 0),
            seen_through=seen.get(pk, 0),
            escalations=escalations.get(pk, 0),
            useful_escalations=useful.get(pk, 0),
        )
        for pk in people
    ]
    return sorted(rows, key=lambda r: (-r.replies, -r.seen_through, r.label))
