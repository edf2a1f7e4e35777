"""Two people merging the same two conversations into each other at the same moment: the rows
are locked in one order, so neither waits on the other for ever (PostgreSQL would break such a
deadlock by failing one of them with an error)."""

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from socialdesk.actions import conversation as actions
from socialdesk.conversations.models import Author, Conversation, Status
from socialdesk.errors import ActionError
from tests import factories

pytestmark = pytest.mark.postgres

PAIRS = 15


@pytest.mark.django_db(transaction=True)
def test_merging_a_into_b_and_b_into_a_at_once_never_deadlocks():
    if connection.vendor != "postgresql":
        pytest.skip("runs on PostgreSQL (set DATABASE_URL); SQLite serialises writers anyway")
    ana, ben = factories.agent("cm"), factories.agent("cm")
    account = factories.account()
    now = timezone.now()
    pairs = []
    for i in range(PAIRS):
        author = Author.objects.create(platform="twitter", external_id=f"m{i}", handle=f"m{i}")
        a, b = Conversation.objects.bulk_create(
            Conversation(
                platform="twitter",
                thread_key=f"m{i}-{side}",
                author=author,
                account=account,
                last_inbound_at=now,
            )
            for side in "ab"
        )
        pairs.append((a.pk, b.pk))

    unexpected: list[BaseException] = []
    merged: list[int] = []

    def merge(user, keep_pk, gone_pk, barrier):
        try:
            barrier.wait(timeout=30)
            keep, gone = Conversation.objects.get(pk=keep_pk), Conversation.objects.get(pk=gone_pk)
            actions.merge(actor=user, conversation=keep, other=gone)
            merged.append(keep_pk)
        except ActionError:
            pass  # the other merge went first and this one was refused: fine
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            unexpected.append(exc)
        finally:
            connections.close_all()

    for a, b in pairs:
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=merge, args=(ana, a, b, barrier)),
            threading.Thread(target=merge, args=(ben, b, a, barrier)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)

    assert unexpected == []
    for a, b in pairs:
        statuses = sorted(
            Conversation.objects.filter(pk__in=(a, b)).values_list("status", flat=True)
        )
        assert Status.CLOSED in statuses, "one of the two was merged into the other"
