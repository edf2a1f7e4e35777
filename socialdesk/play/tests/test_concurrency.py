"""Many agents playing one queue at once, each thread with its own database connection."""

import threading
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.utils import timezone

from socialdesk.conversations import actions
from socialdesk.conversations.models import Author, Conversation, Status
from socialdesk.people.models import Profile, Role
from socialdesk.play import services as play
from socialdesk.queues.models import Queue

AGENTS = 20
CONVERSATIONS = 2_000

pytestmark = pytest.mark.postgres


@pytest.mark.django_db(transaction=True)
def test_twenty_agents_deal_and_finish_two_thousand_conversations_without_overlap():
    if connection.vendor != "postgresql":
        pytest.skip("runs on PostgreSQL (set DATABASE_URL); SQLite serialises writers anyway")
    from socialdesk.demo.seed import load_demo_configuration

    load_demo_configuration(with_users=False)
    queue = Queue.objects.get(slug="twitter-conversations-moderated")
    author = Author.objects.create(platform="twitter", external_id="1", handle="someone")
    now = timezone.now()
    Conversation.objects.bulk_create(
        Conversation(platform="twitter", thread_key=f"t{i}", author=author, moderated=True, priority=i % 3, last_inbound_at=now)
        for i in range(CONVERSATIONS)
    )
    User = get_user_model()
    users = []
    for i in range(AGENTS):
        u = User.objects.create(username=f"agent{i}")
        Profile.objects.create(user=u, role=Role.CONTRIBUTOR)
        users.append(u)

    lock = threading.Lock()
    holding: dict[int, int] = {}  # conversation -> agent holding it right now
    overlaps: list[tuple[int, int, int]] = []
    finished = Counter()
    errors: list[BaseException] = []

    def work(user):
        try:
            while True:
                c = play.deal_next(agent=user, queue=queue)
                if c is None:
                    return
                with lock:
                    if c.pk in holding:
                        overlaps.append((c.pk, holding[c.pk], user.pk))
                    holding[c.pk] = user.pk
                actions.close(actor=user, conversation=c, reason="acknowledged")
                with lock:
                    del holding[c.pk]
                    finished[c.pk] += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)

    assert not errors, errors[:3]
    assert not overlaps, overlaps[:5]
    assert len(finished) == CONVERSATIONS and set(finished.values()) == {1}
    assert Conversation.objects.exclude(status=Status.CLOSED).count() == 0


@pytest.mark.django_db(transaction=True)
def test_agents_reloading_and_skipping_at_once_never_hold_the_same_conversation():
    """The one-statement deal under contention with its other paths: a reload returns the held
    deal (never a second one), a skip gives one back and deals the next."""
    if connection.vendor != "postgresql":
        pytest.skip("runs on PostgreSQL (set DATABASE_URL); SQLite serialises writers anyway")
    from socialdesk.demo.seed import load_demo_configuration

    load_demo_configuration(with_users=False)
    queue = Queue.objects.get(slug="twitter-conversations-moderated")
    author = Author.objects.create(platform="twitter", external_id="1", handle="someone")
    now = timezone.now()
    Conversation.objects.bulk_create(
        Conversation(platform="twitter", thread_key=f"t{i}", author=author, moderated=True, priority=i % 3, last_inbound_at=now)
        for i in range(600)
    )
    User = get_user_model()
    users = []
    for i in range(10):
        u = User.objects.create(username=f"agent{i}")
        Profile.objects.create(user=u, role=Role.CONTRIBUTOR)
        users.append(u)

    lock = threading.Lock()
    holding: dict[int, int] = {}
    overlaps, errors, reloads_moved = [], [], []
    finished = Counter()

    def work(user):
        try:
            session = play.start(agent=user, queue=queue)
            c = play.deal_next(agent=user, session=session)
            n = 0
            while c is not None:
                n += 1
                with lock:
                    if holding.get(c.pk, user.pk) != user.pk:
                        overlaps.append((c.pk, holding[c.pk], user.pk))
                    holding[c.pk] = user.pk
                if n % 3 == 0 and play.deal_next(agent=user, session=session).pk != c.pk:
                    reloads_moved.append(c.pk)
                if n % 5 == 0:
                    with lock:
                        del holding[c.pk]
                    c = play.skip(agent=user, conversation=c)
                    continue
                with lock:
                    del holding[c.pk]
                    finished[c.pk] += 1
                actions.close(actor=user, conversation=c, reason="acknowledged")
                c = play.deal_next(agent=user, session=session)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)

    assert not errors, errors[:3]
    assert not overlaps, overlaps[:5]
    assert not reloads_moved, reloads_moved[:5]
    assert set(finished.values()) == {1}
    open_left = Conversation.objects.exclude(status=Status.CLOSED).count()
    assert len(finished) + open_left == 600 and len(finished) > 500
