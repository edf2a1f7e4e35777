"""AP2 end to end: a receiver started here (an `http.server` thread) gets each event once, checks
its signature with the secret the desk showed once, and gets an event again after answering
500 to it once; the subscription's delivery log shows both attempts."""

import json
import threading
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import freezegun
import pytest
from django.utils import timezone

from socialdesk.actions import conversation as actions
from socialdesk.actions import escalate as escalation
from socialdesk.actions import webhooks
from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import Conversation
from socialdesk.outbox.models import WebhookDelivery, WebhookState
from socialdesk.webhooks import services, signing
from socialdesk.webhooks.models import Event, WebhookSubscription


class Receiver:
    """Records each POST; answers 500 to the first delivery of the events in `fail_once`."""

    def __init__(self, fail_once=()):
        self.requests: list[dict] = []
        self.fail_once = set(fail_once)
        self.failed: set[str] = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                event = self.headers["Socialdesk-Event"]
                receiver.requests.append(
                    {"headers": dict(self.headers), "body": body, "path": self.path}
                )
                status = 200
                if event in receiver.fail_once and event not in receiver.failed:
                    receiver.failed.add(event)
                    status = 500
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/desk?from=test"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def local_receivers(settings):
    # The receiver listens on the loopback address, which webhooks are refused by default.
    settings.SOCIALDESK_WEBHOOKS_ALLOW_PRIVATE = True
    settings.SOCIALDESK_WEBHOOK_BACKOFF_SECONDS = 0
    settings.SOCIALDESK_WEBHOOK_TIMEOUT_SECONDS = 2


def drain():
    """What the worker does: send whatever is due until nothing is."""
    for _ in range(10):
        if not webhooks.send_due():
            return
    raise AssertionError("deliveries still due after 10 rounds")


def test_each_event_arrives_once_signed_and_again_after_a_500(
    local_receivers, agents, inbound, demo
):
    cm = agents["cm"]
    with Receiver(fail_once={"conversation.closed"}) as receiver:
        subscription, secret = services.create(
            actor=cm, name="CRM", url=receiver.url, events=Event.values
        )
        assert secret.startswith("whsec_") and len(secret) > 30

        ingest([inbound("my sync is broken")])
        conversation = Conversation.objects.latest("pk")
        actions.assign(actor=cm, conversation=conversation, to_user=cm)
        actions.reply(
            actor=cm,
            conversation=conversation,
            text="Could you try a new profile?",
            then="hold",
            hold_reason="waiting_customer",
        )
        escalation.escalate(actor=cm, conversation=conversation, note="Several report this")
        actions.close(actor=cm, conversation=conversation, reason="resolved")
        drain()

    types = Counter()
    ids = Counter()
    for request in receiver.requests:
        headers = request["headers"]
        # The signature verifies with the secret shown once, over the exact body received.
        signing.verify(secret, request["body"], headers["Socialdesk-Signature"])
        with pytest.raises(signing.BadSignature):
            signing.verify("whsec_wrong", request["body"], headers["Socialdesk-Signature"])
        body = json.loads(request["body"])
        assert body["id"] == headers["Socialdesk-Delivery"]
        assert body["type"] == headers["Socialdesk-Event"]
        assert body["data"]["conversation"]["id"] == conversation.pk
        assert request["path"] == "/hooks/desk?from=test"
        types[body["type"]] += 1
        ids[body["id"]] += 1

    # Each event once, the closed one twice (500, then 200), and nothing else.
    assert types == {
        "conversation.opened": 1,
        "message.received": 1,
        "conversation.assigned": 1,
        "conversation.replied": 1,
        "conversation.held": 1,
        "conversation.escalated": 1,
        "conversation.closed": 2,
    }
    assert sorted(ids.values()) == [1, 1, 1, 1, 1, 1, 2]
    closed = json.loads(
        next(r["body"] for r in receiver.requests if b"conversation.closed" in r["body"])
    )
    assert closed["data"]["activity"]["detail"] == {"reason": "resolved"}
    assert closed["data"]["activity"]["actor"] == "cm"

    # The log: every delivery delivered; the closed one in two attempts, 500 then 200.
    log = WebhookDelivery.objects.filter(subscription=subscription)
    assert set(log.values_list("state", flat=True)) == {WebhookState.DELIVERED}
    retried = log.get(event="conversation.closed")
    assert retried.attempts == 2 and retried.response_code == 200
    assert [(a.number, a.response_code) for a in retried.tries.all()] == [(1, 500), (2, 200)]
    assert "500" in retried.tries.first().error


def test_the_delivery_log_page_shows_both_attempts_and_the_test_button_sends_a_ping(
    local_receivers, agents, client
):
    cm = agents["cm"]
    client.force_login(cm)
    with Receiver(fail_once={"ping"}) as receiver:
        r = client.post(
            "/manage/webhooks/",
            {
                "name": "Ops",
                "url": receiver.url,
                "events": ["conversation.closed"],
                "active": "on",
            },
        )
        assert r.status_code == 201, r.content
        subscription = WebhookSubscription.objects.get(name="Ops")
        # The secret is on this answer only, and never cached.
        assert subscription.secret in r.content.decode()
        assert r["Cache-Control"] == "no-store"
        assert subscription.secret not in client.get("/manage/webhooks/").content.decode()

        r = client.post(f"/manage/webhooks/{subscription.pk}/test")
        assert r.status_code == 302
        drain()
    assert len(receiver.requests) == 2  # a 500, then delivered
    for request in receiver.requests:
        signing.verify(
            subscription.secret, request["body"], request["headers"]["Socialdesk-Signature"]
        )
    page = client.get(f"/manage/webhooks/{subscription.pk}/").content.decode()
    assert page.count('data-state="delivered"') == 1
    assert "500" in page and "200" in page and "ping" in page


def test_a_new_secret_signs_what_is_sent_next_and_the_previous_one_still_verifies_for_a_while(
    local_receivers, agents, settings
):
    """A real receiver gets each delivery after a renewal signed with the new secret and, during
    the overlap, also with the one it replaced; once the overlap is over, with the new one only."""
    cm = agents["cm"]
    settings.SOCIALDESK_WEBHOOK_SECRET_OVERLAP_HOURS = 24
    with Receiver() as receiver:
        subscription, old = services.create(
            actor=cm, name="CRM", url=receiver.url, events=["conversation.closed"]
        )
        new = services.rotate_secret(actor=cm, subscription=subscription)
        assert new != old
        webhooks.send_test(subscription=WebhookSubscription.objects.get(pk=subscription.pk))
        drain()
        with freezegun.freeze_time(timezone.now() + timedelta(hours=25)):
            webhooks.send_test(subscription=WebhookSubscription.objects.get(pk=subscription.pk))
            drain()
            during, after = receiver.requests
            signing.verify(new, after["body"], after["headers"]["Socialdesk-Signature"])
            with pytest.raises(signing.BadSignature):
                signing.verify(old, after["body"], after["headers"]["Socialdesk-Signature"])
    header = during["headers"]["Socialdesk-Signature"]
    assert header.count("v1=") == 2
    signing.verify(new, during["body"], header)
    signing.verify(old, during["body"], header)
    # A second renewal keeps only the secret it replaced; with no overlap, none.
    newer = services.rotate_secret(actor=cm, subscription=subscription)
    subscription.refresh_from_db()
    assert subscription.signing_secrets() == [newer, new]
    settings.SOCIALDESK_WEBHOOK_SECRET_OVERLAP_HOURS = 0
    newest = services.rotate_secret(actor=cm, subscription=subscription)
    subscription.refresh_from_db()
    assert subscription.signing_secrets() == [newest]


def test_events_are_scheduled_with_the_change_and_not_without_it(agents, conversation, settings):
    """A refused change schedules nothing; a subscription gets only what it asked for, and a
    paused one nothing."""
    from socialdesk.errors import ActionError

    settings.SOCIALDESK_WEBHOOKS_ALLOW_PRIVATE = True
    cm = agents["cm"]
    subscription, _ = services.create(
        actor=cm, name="Closes", url="http://127.0.0.1:9/", events=["conversation.closed"]
    )
    paused, _ = services.create(
        actor=cm, name="Paused", url="http://127.0.0.1:9/", events=["conversation.closed"]
    )
    services.update(actor=cm, subscription=paused, active=False)
    with pytest.raises(ActionError):
        actions.close(actor=cm, conversation=conversation, reason="no such reason")
    assert WebhookDelivery.objects.count() == 0
    actions.hold(actor=cm, conversation=conversation, reason="waiting_customer")
    assert WebhookDelivery.objects.count() == 0
    conversation.refresh_from_db()
    actions.close(actor=cm, conversation=conversation, reason="resolved")
    assert list(WebhookDelivery.objects.values_list("subscription", "event")) == [
        (subscription.pk, "conversation.closed")
    ]


def test_a_receiver_that_never_answers_well_fails_after_the_last_attempt(
    local_receivers, agents, settings
):
    settings.SOCIALDESK_WEBHOOK_MAX_ATTEMPTS = 3
    cm = agents["cm"]
    # Nothing listens on port 9: the connection is refused at each attempt.
    subscription, _ = services.create(
        actor=cm, name="Down", url="http://127.0.0.1:9/", events=["conversation.closed"]
    )
    delivery = webhooks.send_test(subscription=subscription)
    drain()
    delivery.refresh_from_db()
    assert delivery.state == WebhookState.FAILED and delivery.attempts == 3
    assert delivery.tries.count() == 3
    assert all(a.response_code is None and a.error for a in delivery.tries.all())


def test_a_stalled_delivery_goes_back_in_line(local_receivers, agents, settings):
    from datetime import timedelta

    from django.utils import timezone

    cm = agents["cm"]
    subscription, _ = services.create(
        actor=cm, name="X", url="http://127.0.0.1:9/", events=["conversation.closed"]
    )
    delivery = webhooks.send_test(subscription=subscription)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=WebhookState.SENDING, updated_at=timezone.now() - timedelta(hours=1)
    )
    assert webhooks.send_due() == []  # claimed by a worker that died: not sent twice meanwhile
    assert webhooks.recover_stalled() == 1
    assert webhooks.due_delivery_ids() == [delivery.pk]


def test_a_page_of_messages_schedules_one_event_each_and_a_lost_task_is_swept(
    local_receivers, agents, inbound, demo
):
    """Ingestion's page-sized inserts schedule their events too; if the task that should send
    them never runs (the process died after the commit), the scheduler's outbox job enqueues it."""
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from socialdesk.operations import schedule

    with Receiver() as receiver:
        services.create(
            actor=agents["cm"], name="In", url=receiver.url, events=["message.received"]
        )
        ingest([inbound(f"page message {i}") for i in range(5)])
        assert WebhookDelivery.objects.filter(event="message.received").count() == 5
        # Nothing is overdue yet: their own task has its grace.
        DBTaskResult.objects.all().delete()
        schedule.outbox(None)
        assert not DBTaskResult.objects.filter(task_path__endswith="send_webhooks").exists()
        WebhookDelivery.objects.update(created_at=timezone.now() - timedelta(minutes=5))
        schedule.outbox(None)
        task = DBTaskResult.objects.get(task_path__endswith="send_webhooks")
        assert task.status == "READY"
        drain()
    assert (
        sorted(json.loads(r["body"])["type"] for r in receiver.requests)
        == ["message.received"] * 5
    )
    assert len({r["headers"]["Socialdesk-Delivery"] for r in receiver.requests}) == 5


def test_a_person_who_leaves_is_not_named_in_what_webhooks_keep(agents, conversation, settings):
    from socialdesk.actions.leaving import FORMER_CONTRIBUTOR, stop_contributing

    settings.SOCIALDESK_WEBHOOKS_ALLOW_PRIVATE = True
    services.create(
        actor=agents["cm"], name="Holds", url="http://127.0.0.1:9/", events=["conversation.held"]
    )
    moderator = agents["moderator"]
    actions.hold(actor=moderator, conversation=conversation, reason="waiting_customer")
    (delivery,) = WebhookDelivery.objects.all()
    assert json.loads(delivery.body)["data"]["activity"]["actor"] == "moderator"
    stop_contributing(actor=moderator, user=moderator)
    delivery.refresh_from_db()
    assert "moderator" not in delivery.body
    assert json.loads(delivery.body)["data"]["activity"]["actor"] == FORMER_CONTRIBUTOR
