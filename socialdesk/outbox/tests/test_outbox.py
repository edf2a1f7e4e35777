"""The outbox performs each action once, retries what may succeed later, and says why it failed."""

from datetime import timedelta

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone

from socialdesk.actions import conversation as actions
from socialdesk.actions.delivery import perform, recover_stalled, retry_failed
from socialdesk.conversations.models import Activity, Conversation
from socialdesk.ingestion.tests.worker import poll_all
from socialdesk.outbox.models import OutboundAction


def _base():
    from django.conf import settings

    return settings.SOCIALDESK_TWITTER_API_BASE


@pytest.fixture
def polled(demo, twitter_sim, customer_tweet):
    customer_tweet("@FirefoxSupport my tabs vanished")
    poll_all()
    return Conversation.objects.get()


def _replies_on_platform(tweet_id):
    return requests.get(
        f"{_base()}/_sim/tweets", params={"in_reply_to": tweet_id}, timeout=5
    ).json()["data"]


def test_a_queued_reply_is_delivered_once_and_marked_delivered(contributor, polled):
    msg = actions.reply(
        actor=contributor,
        conversation=polled,
        text="Try Restore Previous Session",
        then="close",
        close_reason="resolved",
    )
    action = msg.outbound_action
    assert perform(action.pk) == "sent"
    assert perform(action.pk) is None  # already done: nothing twice
    msg.refresh_from_db()
    platform = _replies_on_platform(msg.in_reply_to_platform_id)
    assert [r["text"] for r in platform] == ["Try Restore Previous Session ^CO"]
    assert msg.platform_id == platform[0]["id"]
    assert Activity.objects.filter(conversation=polled, kind="delivered").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_process_sends_what_was_queued(contributor, polled):
    # Committed for real (the worker closes its connection when done, as in production).
    msg = actions.reply(actor=contributor, conversation=polled, text="Hello from the worker")
    call_command("db_worker", "--batch", "--interval", "0")
    msg.outbound_action.refresh_from_db()
    assert msg.outbound_action.state == "sent"
    assert len(_replies_on_platform(msg.in_reply_to_platform_id)) == 1


def test_an_unreachable_platform_is_retried_later_with_backoff(contributor, polled, settings):
    msg = actions.reply(actor=contributor, conversation=polled, text="Will you get this?")
    good = settings.SOCIALDESK_TWITTER_API_BASE
    settings.SOCIALDESK_TWITTER_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    assert perform(msg.outbound_action.pk) == "pending"
    action = OutboundAction.objects.get()
    assert action.attempts == 1 and "No answer from X" in action.last_error
    assert action.next_attempt_at > timezone.now()
    assert perform(action.pk) is None  # not due yet
    settings.SOCIALDESK_TWITTER_API_BASE = good
    OutboundAction.objects.filter(pk=action.pk).update(next_attempt_at=timezone.now())
    assert perform(action.pk) == "sent"
    assert len(_replies_on_platform(msg.in_reply_to_platform_id)) == 1


def test_a_refused_duplicate_on_the_first_try_fails_with_the_reason_and_can_be_retried(
    contributor, polled, customer_tweet
):
    # The account already posted this exact text: X refuses it as duplicate content.
    msg = actions.reply(actor=contributor, conversation=polled, text="Same words")
    assert perform(msg.outbound_action.pk) == "sent"
    customer_tweet("@FirefoxSupport another question", username="second")
    poll_all()
    other = Conversation.objects.exclude(pk=polled.pk).get()
    msg2 = actions.reply(actor=contributor, conversation=other, text="Same words")
    assert perform(msg2.outbound_action.pk) == "failed"
    action = OutboundAction.objects.get(pk=msg2.outbound_action.pk)
    assert "duplicate content" in action.last_error
    retry_failed(actor=contributor, action=action)
    assert OutboundAction.objects.get(pk=action.pk).state == "pending"


def test_a_worker_killed_after_the_platform_accepted_does_not_post_twice(contributor, polled):
    msg = actions.reply(actor=contributor, conversation=polled, text="Exactly once please")
    action = msg.outbound_action
    assert perform(action.pk) == "sent"
    # Simulate the crash: the platform has the reply, our record still says "sending".
    OutboundAction.objects.filter(pk=action.pk).update(
        state="sending", updated_at=timezone.now() - timedelta(minutes=10)
    )
    assert recover_stalled() == 1
    assert perform(action.pk) == "sent"
    action.refresh_from_db()
    assert "earlier attempt" in action.last_error
    assert len(_replies_on_platform(msg.in_reply_to_platform_id)) == 1


def test_like_is_performed_from_the_mentioned_account(contributor, polled):
    action = actions.like(actor=contributor, conversation=polled, message=polled.messages.get())
    assert perform(action.pk) == "sent"
    likes = requests.get(f"{_base()}/_sim/likes", timeout=5).json()["data"]
    assert [lk["username"] for lk in likes] == ["FirefoxSupport"]


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_polls_and_resends_an_action_whose_task_was_lost(
    contributor, demo, twitter_sim, customer_tweet
):
    customer_tweet("@FirefoxSupport the scheduler should find me")
    call_command("scheduler", "--once")
    call_command("db_worker", "--batch", "--interval", "0")
    conversation = Conversation.objects.get()  # polled by the worker
    # A reply whose task never made it into the queue (as if the process died after the commit).
    msg = actions.reply(actor=contributor, conversation=conversation, text="Found you")
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(task_path__endswith="send_action").delete()
    OutboundAction.objects.filter(pk=msg.outbound_action.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=1)
    )
    call_command("scheduler", "--once")
    call_command("db_worker", "--batch", "--interval", "0")
    assert OutboundAction.objects.get(pk=msg.outbound_action.pk).state == "sent"
    assert len(_replies_on_platform(msg.in_reply_to_platform_id)) == 1
