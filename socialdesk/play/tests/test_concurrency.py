"""Many agents playing one queue at once, each thread with its own database connection."""

import threading
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.utils import timezone

from socialdesk.actions import conversation as actions
from socialdesk.actions import deal as play
from socialdesk.conversations.models import Author, Conversation, Status
from socialdesk.people.models import Profile, Role
from socialdesk.queues.models import Queue

AGENTS = 20
# Thirty each: enough for every agent to meet the others at each claim; bench/dealing.py deals
# at scale.
CONVERSATIONS = 600

pytestmark = pytest.mark.postgres


def _contributors(n: int) -> list:
    User = get_user_model()
    users = [User.objects.create(username=f"agent{i}") for i in range(n)]
    Profile.objects.bulk_create(Profile(user=u, role=Role.CONTRIBUTOR) for u in users)
    return users


def _run_at_once(users, work, errors: list) -> None:
    """`work(user)` in a thread per agent, each on its own connection; what a thread raises goes to `errors`."""

    def guarded(user):
        try:
            work(user)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guarded, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)


@pytest.mark.django_db(transaction=True)
def test_twenty_agents_deal_and_finish_six_hundred_conversations_without_overlap():
    if connection.vendor != "postgresql":
        pytest.skip("runs on PostgreSQL (set DATABASE_URL); SQLite serialises writers anyway")
    from socialdesk.demo.seed import load_demo_configuration

    load_demo_configuration(with_users=False)
    queue = Queue.objects.get(slug="twitter-conversations-moderated")
    author = Author.objects.create(platform="twitter", external_id="1", handle="someone")
    now = timezone.now()
    Conversation.objects.bulk_create(
        Conversation(
            platform="twitter",
            thread_key=f"t{i}",
            author=author,
            moderated=True,
            priority=i % 3,
            last_inbound_at=now,
        )
        for i in range(CONVERSATIONS)
    )
    users = _contributors(AGENTS)

    lock = threading.Lock()
    holding: dict[int, int] = {}  # conversation -> agent holding it right now
    overlaps: list[tuple[int, int, int]] = []
    finished = Counter()
    errors: list[BaseException] = []

    def work(user):
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

    _run_at_once(users, work, errors)

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
        Conversation(
            platform="twitter",
            thread_key=f"t{i}",
            author=author,
            moderated=True,
            priority=i % 3,
            last_inbound_at=now,
        )
        for i in range(600)
    )
    users = _contributors(10)

    lock = threading.Lock()
    holding: dict[int, int] = {}
    overlaps, errors, reloads_moved = [], [], []
    finished = Counter()

    def work(user):
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

    _run_at_once(users, work, errors)

    assert not errors, errors[:3]
    assert not overlaps, overlaps[:5]
    assert not reloads_moved, reloads_moved[:5]
    assert set(finished.values()) == {1}
    open_left = Conversation.objects.exclude(status=Status.CLOSED).count()
    assert len(finished) + open_left == 600 and len(finished) > 500
