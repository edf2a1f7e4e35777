"""The deal as one statement per queue and filter: what it returns, logs and counts, on every kind
of queue the demo configuration has, with the queue's rules, a filter and a kept follow-up."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from socialdesk.actions import deal as play
from socialdesk.conversations.models import Activity, Author, Conversation, Status
from socialdesk.people.models import Profile, Role
from socialdesk.play.models import PlaySession
from socialdesk.queues.models import Queue, QueueKind
from socialdesk.queues.selectors import ConversationFilter, queue_conversations


def _conversation(n, *, platform="twitter", moderated=True, **fields):
    author, _ = Author.objects.get_or_create(
        platform=platform, external_id=f"a{n}", defaults={"handle": f"a{n}"}
    )
    fields.setdefault("last_inbound_at", timezone.now() - timedelta(minutes=n))
    return Conversation.objects.create(
        platform=platform, thread_key=f"t{n}", author=author, moderated=moderated, **fields
    )


@pytest.fixture
def desk(demo):
    """Conversations for every queue of the demo configuration: X, Google Play and Mastodon,
    moderated or not, ratings 1-5, a famous one, and one escalated."""
    made = []
    n = 0
    for platform in ("twitter", "google_play", "mastodon"):
        for moderated in (True, False):
            for rating in (1, 2, 3, 4, 5) if platform == "google_play" else (None,):
                for priority in (0, 50):
                    n += 1
                    made.append(
                        _conversation(
                            n,
                            platform=platform,
                            moderated=moderated,
                            rating=rating,
                            priority=priority,
                            language="en",
                        )
                    )
    escalation = Queue.objects.get(kind=QueueKind.ASSIGNMENT)
    n += 1
    made.append(_conversation(n, assigned_queue=escalation))
    return made


def test_every_queue_of_the_demo_configuration_deals_what_it_holds_best_first(desk, agents):
    admin = agents["admin"]
    for queue in Queue.objects.all():
        held = queue_conversations(queue=queue).filter(status=Status.OPEN, awaiting_reply=True)
        expected = list(
            held.order_by("-priority", "last_inbound_at", "id").values_list("pk", flat=True)
        )
        got = []
        while (c := play.deal_next(agent=admin, queue=queue)) is not None:
            got.append(c.pk)
            Conversation.objects.filter(pk=c.pk).update(
                dealt_to=None, lease_expires_at=None, status=Status.CLOSED
            )
        Conversation.objects.filter(pk__in=got).update(status=Status.OPEN)
        assert expected, f"the fixture has nothing for {queue}"
        assert got == expected, queue.name


def test_the_deal_comes_back_as_stored_and_is_logged_and_counted_once(desk, contributor):
    queue = Queue.objects.get(slug="twitter-conversations-moderated")
    dealt = play.deal_next(agent=contributor, queue=queue)
    stored = Conversation.objects.get(pk=dealt.pk)
    for field in Conversation._meta.concrete_fields:
        assert getattr(dealt, field.attname) == getattr(stored, field.attname), field.name
    assert dealt.dealt_to_id == contributor.pk and dealt.lease_expires_at > timezone.now()
    assert dealt.lease_expires_at.tzinfo is not None
    # A reload gets the same deal again: not claimed, logged or counted twice.
    assert play.deal_next(agent=contributor).pk == dealt.pk
    assert play.deal_next(agent=contributor, queue=queue).pk == dealt.pk
    entries = Activity.objects.filter(kind="dealt")
    assert [(e.conversation_id, e.actor_id) for e in entries] == [(dealt.pk, contributor.pk)]
    session = play.current_session(agent=contributor)
    assert entries.get().detail == {"queue": queue.slug, "session": session.pk}
    assert session.dealt == 1
    Conversation.objects.filter(pk=dealt.pk).update(
        status=Status.CLOSED, dealt_to=None, lease_expires_at=None
    )
    play.deal_next(agent=contributor, session=session)
    session.refresh_from_db()
    assert session.dealt == 2 and Activity.objects.filter(kind="dealt").count() == 2


def test_each_filter_deals_within_itself(demo, contributor):
    queue = Queue.objects.get(slug="twitter-conversations-moderated")
    german = _conversation(1, language="de")
    french = _conversation(2, language="fr")
    play.start(agent=contributor, queue=queue, filter=ConversationFilter(languages=("fr",)))
    assert play.deal_next(agent=contributor).pk == french.pk
    Conversation.objects.filter(pk=french.pk).update(status=Status.CLOSED, dealt_to=None)
    assert play.deal_next(agent=contributor) is None
    play.start(agent=contributor, queue=queue, filter=ConversationFilter(languages=("de",)))
    assert play.deal_next(agent=contributor).pk == german.pk


def test_a_follow_up_kept_for_the_agent_comes_before_the_queues_best(demo, agents):
    queue = Queue.objects.get(slug="twitter-conversations-moderated")
    famous = _conversation(1, priority=50)
    kept = _conversation(
        2, reserved_for=agents["contributor"], reserved_until=timezone.now() + timedelta(minutes=5)
    )
    assert play.deal_next(agent=agents["moderator"], queue=queue).pk == famous.pk
    assert play.deal_next(agent=agents["cm"], queue=queue) is None  # kept for the contributor
    assert play.deal_next(agent=agents["contributor"], queue=queue).pk == kept.pk


def test_a_stale_session_object_still_deals_to_its_agent_only(demo, agents):
    """Callers may pass the session they read; the deal goes to the agent, never to another."""
    queue = Queue.objects.get(slug="twitter-conversations-moderated")
    a, b = _conversation(1), _conversation(2)
    mine = play.start(agent=agents["contributor"], queue=queue)
    theirs = play.start(agent=agents["moderator"], queue=queue)
    first = play.deal_next(agent=agents["contributor"], session=mine)
    second = play.deal_next(agent=agents["moderator"], session=theirs)
    assert {first.pk, second.pk} == {a.pk, b.pk}
    assert Conversation.objects.get(pk=first.pk).dealt_to == agents["contributor"]
    assert (
        PlaySession.objects.get(pk=mine.pk).dealt == 1
        and PlaySession.objects.get(pk=theirs.pk).dealt == 1
    )


@pytest.mark.postgres
def test_the_deal_is_one_prepared_statement_on_postgresql(demo, contributor):
    if connection.vendor != "postgresql":
        pytest.skip("runs on PostgreSQL (set DATABASE_URL)")
    queue = Queue.objects.get(slug="twitter-conversations-moderated")
    for n in range(8):
        _conversation(n)
    session = play.start(agent=contributor, queue=queue)
    for _ in range(8):
        c = play.deal_next(agent=contributor, session=session)
        Conversation.objects.filter(pk=c.pk).update(
            status=Status.CLOSED, dealt_to=None, lease_expires_at=None
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans + custom_plans FROM pg_prepared_statements WHERE statement LIKE 'WITH held AS%%'"
        )
        (runs,) = cursor.fetchone()
    assert runs == 8


def test_a_queue_whose_rules_cannot_be_read_deals_nothing(demo, agents):
    queue = Queue.objects.get(slug="twitter-conversations-moderated")
    _conversation(1)
    Queue.objects.filter(pk=queue.pk).update(rules={"platforms": "not a list", "nonsense": 1})
    queue.refresh_from_db()
    assert play.deal_next(agent=agents["admin"], queue=queue) is None


def test_agents_of_every_role_deal(demo):
    queue = Queue.objects.get(slug="twitter-conversations-moderated")
    User = get_user_model()
    for n, role in enumerate(Role):
        user = User.objects.create(username=f"r{n}")
        Profile.objects.create(user=user, role=role)
        c = _conversation(n)
        assert play.deal_next(agent=user, queue=queue).pk == c.pk
