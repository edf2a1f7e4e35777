"""socialdesk/prepared.py: a queryset compiled once gives what the queryset itself gives, for
each call's own values, in any thread."""

import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from socialdesk.conversations.models import Conversation, Message
from socialdesk.prepared import Prepared

with_people = Prepared(
    lambda pk: Conversation.objects.select_related("author", "respond_from").filter(pk=pk)
)
latest_in = Prepared(
    lambda conversation: Message.objects.filter(
        conversation_id=conversation, direction="in"
    ).order_by("-created_at", "-id")[:1]
)


@pytest.fixture
def two(demo, inbound):
    from socialdesk.actions.inbound import ingest

    ingest([inbound("Sync stopped", handle="first"), inbound("Tabs gone", handle="second")])
    return list(Conversation.objects.order_by("pk"))


def test_the_rows_and_their_related_objects_are_the_querysets(two):
    for c in two:
        handle, account = c.author.handle, c.respond_from
        found = with_people.first(pk=c.pk)
        assert found == c and found.__dict__.keys() >= {"id", "author_id", "status"}
        with CaptureQueriesContext(connection) as queries:
            assert found.author.handle == handle  # filled in: no statement
            assert found.respond_from == account
        assert not queries.captured_queries
        assert latest_in.first(conversation=c.pk) == c.messages.filter(direction="in").latest(
            "created_at"
        )


def test_nothing_found_and_values_no_key_can_take(two):
    assert with_people.first(pk=10**12) is None
    with CaptureQueriesContext(connection) as queries:
        assert with_people.all(pk=2**63) == [] and with_people.all(pk=-(2**64)) == []
    assert not queries.captured_queries  # never sent: PostgreSQL would refuse the number


def test_a_value_that_is_not_a_parameter_is_refused(db):
    folded = Prepared(lambda pk: Conversation.objects.filter(pk__gt=0))
    with pytest.raises(ValueError, match="pk"):
        folded.all(pk=1)


@pytest.mark.django_db(transaction=True)
def test_each_thread_runs_it_on_its_own_connection(demo, inbound):
    from socialdesk.actions.inbound import ingest

    ingest([inbound("Sync stopped", handle="first")])
    c = Conversation.objects.get()
    assert with_people.first(pk=c.pk) == c
    found, errors = [], []

    def other():
        try:
            found.append(with_people.first(pk=c.pk))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert not errors and found == [c]
