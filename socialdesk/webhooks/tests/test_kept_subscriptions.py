"""Each process keeps the active subscriptions a few seconds (`actions.webhooks`): a change made
here takes effect at once, one made by another process (no signal here) within the time kept,
and a subscription deleted or paused elsewhere never gets a delivery, kept or not."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import make_inbound
from socialdesk.actions import conversation as actions
from socialdesk.actions import webhooks
from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import Conversation
from socialdesk.outbox.models import WebhookDelivery
from socialdesk.webhooks import services
from socialdesk.webhooks.models import WebhookSubscription

CLOSED = "conversation.closed"


@pytest.fixture
def cm(agents, settings):
    settings.SOCIALDESK_WEBHOOKS_ALLOW_PRIVATE = True
    settings.SOCIALDESK_WEBHOOK_SUBSCRIPTIONS_SECONDS = 60
    return agents["cm"]


@pytest.fixture
def clock(monkeypatch):
    """The kept list's clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(webhooks.time, "monotonic", lambda: now[0])
    return now


def close_one(cm):
    """A change with a `conversation.closed` event: a new conversation, closed."""
    ingest([make_inbound()])
    conversation = Conversation.objects.latest("pk")
    actions.close(actor=cm, conversation=conversation, reason="resolved")


def subscription_statements(queries) -> int:
    return sum(WebhookSubscription._meta.db_table in q["sql"] for q in queries)


def test_without_a_subscription_for_the_event_no_statement_is_spent(cm, demo, clock):
    services.create(
        actor=cm, name="Opened", url="http://127.0.0.1:9/", events=["conversation.opened"]
    )
    close_one(cm)  # reads the list and keeps it
    ingest([make_inbound()])
    conversation = Conversation.objects.latest("pk")
    with CaptureQueriesContext(connection) as queries:
        actions.close(actor=cm, conversation=conversation, reason="resolved")
    assert subscription_statements(queries.captured_queries) == 0
    assert not WebhookDelivery.objects.filter(event=CLOSED).exists()


def test_a_subscription_made_or_deleted_here_takes_effect_at_once(cm, demo, clock):
    close_one(cm)  # none yet: "none" is kept
    made, _ = services.create(actor=cm, name="Closes", url="http://127.0.0.1:9/", events=[CLOSED])
    close_one(cm)
    assert list(WebhookDelivery.objects.values_list("subscription", "event")) == [
        (made.pk, CLOSED)
    ]
    services.delete(actor=cm, subscription=made)
    close_one(cm)
    assert WebhookDelivery.objects.count() == 0  # deleted with its subscription; none new


def test_a_subscription_made_by_another_process_takes_effect_within_the_time_kept(cm, demo, clock):
    close_one(cm)  # none: kept for 60 s
    # Another process makes one: nothing is signalled here.
    WebhookSubscription.objects.bulk_create(
        [WebhookSubscription(name="Elsewhere", url="http://127.0.0.1:9/", events=[CLOSED])]
    )
    clock[0] += 59
    close_one(cm)
    assert WebhookDelivery.objects.count() == 0
    clock[0] += 2
    close_one(cm)
    assert list(WebhookDelivery.objects.values_list("event", flat=True)) == [CLOSED]


def test_a_subscription_deleted_or_paused_by_another_process_gets_nothing_though_kept(
    cm, demo, clock
):
    deleted, _ = services.create(actor=cm, name="Gone", url="http://127.0.0.1:9/", events=[CLOSED])
    paused, _ = services.create(
        actor=cm, name="Paused", url="http://127.0.0.1:9/", events=[CLOSED]
    )
    close_one(cm)  # both wanted it: the list with both is kept
    assert WebhookDelivery.objects.count() == 2
    # Another process deletes one and pauses the other, without a signal here.
    WebhookSubscription.objects.filter(pk=paused.pk).update(active=False)
    WebhookDelivery.objects.filter(subscription=deleted).delete()
    WebhookSubscription.objects.filter(pk=deleted.pk)._raw_delete(connection.alias)
    before = WebhookDelivery.objects.count()
    close_one(cm)  # the kept list still names both
    assert WebhookDelivery.objects.count() == before


def test_with_nothing_kept_every_event_reads_the_subscriptions(cm, demo, settings):
    settings.SOCIALDESK_WEBHOOK_SUBSCRIPTIONS_SECONDS = 0
    close_one(cm)
    WebhookSubscription.objects.bulk_create(
        [WebhookSubscription(name="Elsewhere", url="http://127.0.0.1:9/", events=[CLOSED])]
    )
    close_one(cm)
    assert WebhookDelivery.objects.count() == 1
