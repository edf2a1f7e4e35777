"""A play session ends on Stop, on sign-out and after the lease's idle time; how it ended and the
play time up to the last sign of life are recorded for the response-time figures."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from socialdesk.actions import conversation as actions
from socialdesk.actions import deal as play
from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import Activity, Conversation
from socialdesk.play.models import EndedBy, PlaySession
from socialdesk.queues.models import Queue

MODERATED = "twitter-conversations-moderated"


@pytest.fixture
def queue(demo):
    return Queue.objects.get(slug=MODERATED)


def _kept_follow_up(agents, queue, inbound):
    """The contributor answers a customer who writes again: the follow-up is kept for them (AG3)."""
    first = inbound("sync broken", author_id="41")
    ingest([first, inbound("another question")])
    contributor = agents["contributor"]
    answered = play.deal_next(agent=contributor, queue=queue)
    actions.reply(actor=contributor, conversation=answered, text="Try signing in again")
    ingest(
        [
            inbound(
                "still broken",
                author_id="41",
                in_reply_to=first.platform_id,
                thread_id=first.thread_id,
            )
        ]
    )
    answered.refresh_from_db()
    assert answered.reserved_for == contributor
    held = play.deal_next(agent=contributor)
    assert held.pk == answered.pk
    return answered


def test_signing_out_ends_play_returns_the_deal_and_frees_kept_follow_ups(
    client, agents, queue, inbound
):
    contributor = agents["contributor"]
    c = _kept_follow_up(agents, queue, inbound)
    client.force_login(contributor)
    client.post("/logout/")
    session = PlaySession.objects.get(agent=contributor)
    assert session.ended_by == EndedBy.SIGN_OUT and session.ended_at is not None
    c.refresh_from_db()
    assert (c.dealt_to, c.reserved_for) == (None, None)
    assert Activity.objects.filter(
        conversation=c, kind="returned", detail__ended_by="sign_out"
    ).exists()
    moderator = agents["moderator"]
    first = play.deal_next(agent=moderator, queue=queue)
    play.release(agent=moderator, conversation=first, kind="returned")
    Conversation.objects.filter(pk=first.pk).update(status="closed")
    assert play.deal_next(agent=moderator).pk == c.pk  # free for anyone now


def test_an_idle_session_ends_at_its_last_sign_of_life(agents, queue, inbound):
    contributor, moderator = agents["contributor"], agents["moderator"]
    c = _kept_follow_up(agents, queue, inbound)
    ingest([inbound("one more")])
    busy = play.deal_next(agent=moderator, queue=queue)  # the moderator keeps working
    last_seen = timezone.now() - timedelta(seconds=play.lease_length().total_seconds() + 60)
    PlaySession.objects.filter(agent=contributor).update(last_seen_at=last_seen)
    Conversation.objects.filter(pk=c.pk).update(lease_expires_at=last_seen + play.lease_length())

    assert play.end_idle_sessions() == 1
    session = PlaySession.objects.get(agent=contributor)
    assert (session.ended_by, session.ended_at) == (
        EndedBy.IDLE,
        last_seen,
    )  # idle time is not play time
    c.refresh_from_db()
    assert (c.dealt_to, c.reserved_for, c.reserved_until) == (None, None, None)
    assert Activity.objects.get(kind="play_ended", actor=contributor).detail["ended_by"] == "idle"
    assert play.current_session(agent=moderator) is not None
    assert play.current_deal(agent=moderator) == busy


def test_a_heartbeat_keeps_a_waiting_agent_playing(agents, queue):
    contributor = agents["contributor"]
    play.start(agent=contributor, queue=queue)
    PlaySession.objects.filter(agent=contributor).update(
        last_seen_at=timezone.now() - timedelta(hours=1)
    )
    assert play.renew(agent=contributor)  # the empty Play page's heartbeat: no conversation
    assert play.end_idle_sessions() == 0
    assert play.current_session(agent=contributor) is not None


def test_the_scheduler_ends_idle_sessions(agents, queue):
    contributor = agents["contributor"]
    play.start(agent=contributor, queue=queue)
    PlaySession.objects.filter(agent=contributor).update(
        last_seen_at=timezone.now() - timedelta(hours=1)
    )
    call_command("scheduler", "--once")
    assert PlaySession.objects.get(agent=contributor).ended_by == EndedBy.IDLE


def test_stop_and_switching_queues_say_how_the_session_ended(agents, queue, demo):
    contributor = agents["contributor"]
    play.start(agent=contributor, queue=queue)
    play.start(agent=contributor, queue=Queue.objects.get(slug="mastodon-conversations-moderated"))
    play.stop(agent=contributor)
    assert list(PlaySession.objects.order_by("started_at").values_list("ended_by", flat=True)) == [
        EndedBy.SWITCH,
        EndedBy.STOP,
    ]
    assert play.stop(agent=contributor) is None


def test_stop_after_an_idle_end_says_so(client, agents, queue):
    contributor = agents["contributor"]
    play.start(agent=contributor, queue=queue)
    PlaySession.objects.filter(agent=contributor).update(
        started_at=timezone.now() - timedelta(hours=2),
        last_seen_at=timezone.now() - timedelta(minutes=90),
    )
    play.end_idle_sessions()
    client.force_login(contributor)
    page = client.post("/play/stop", follow=True).content.decode()
    assert "ended at" in page and "after 30 min" in page and "last activity" in page
