from datetime import timedelta

import pytest
from django.utils import timezone

from socialdesk.actions import deal as play
from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import Activity, Conversation, UserTag, UserTagKind
from socialdesk.errors import ActionError
from socialdesk.play.models import PlaySession
from socialdesk.queues.models import Queue

MODERATED = "twitter-conversations-moderated"


@pytest.fixture
def queue(demo):
    return Queue.objects.get(slug=MODERATED)


def test_play_deals_the_highest_priority_then_the_oldest(agents, queue, inbound):
    now = timezone.now()
    ingest(
        [
            inbound("old", created_at=now - timedelta(hours=3)),
            inbound("older", created_at=now - timedelta(hours=5)),
            inbound("famous but new", verified=True, created_at=now - timedelta(minutes=1)),
        ]
    )
    order = []
    for name in ("contributor", "moderator", "cm"):
        c = play.deal_next(agent=agents[name], queue=queue)
        order.append(c.messages.get().text.split(" ", 1)[1])
    assert order == ["famous but new", "older", "old"]


def test_two_agents_never_get_the_same_conversation(agents, queue, inbound):
    ingest([inbound(), inbound()])
    a = play.deal_next(agent=agents["contributor"], queue=queue)
    b = play.deal_next(agent=agents["moderator"], queue=queue)
    assert a.pk != b.pk
    assert play.deal_next(agent=agents["cm"], queue=queue) is None


def test_a_reload_deals_the_same_conversation_again(contributor, queue, inbound):
    ingest([inbound(), inbound()])
    first = play.deal_next(agent=contributor, queue=queue)
    assert play.deal_next(agent=contributor).pk == first.pk


def test_an_abandoned_lease_expires_and_the_conversation_is_dealt_again(agents, queue, inbound):
    ingest([inbound()])
    c = play.deal_next(agent=agents["contributor"], queue=queue)
    assert play.deal_next(agent=agents["moderator"], queue=queue) is None
    Conversation.objects.filter(pk=c.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert play.deal_next(agent=agents["moderator"], queue=queue).pk == c.pk


def test_renewing_keeps_the_lease_alive(contributor, queue, inbound):
    ingest([inbound()])
    c = play.deal_next(agent=contributor, queue=queue)
    Conversation.objects.filter(pk=c.pk).update(
        lease_expires_at=timezone.now() + timedelta(seconds=5)
    )
    assert play.renew(agent=contributor, conversation=c)
    c.refresh_from_db()
    assert c.lease_expires_at > timezone.now() + timedelta(seconds=60)


def test_skip_deals_another_and_gives_the_skipped_one_back(agents, queue, inbound):
    ingest([inbound(), inbound()])
    first = play.deal_next(agent=agents["contributor"], queue=queue)
    second = play.skip(agent=agents["contributor"], conversation=first)
    assert second.pk != first.pk
    assert play.deal_next(agent=agents["moderator"], queue=queue).pk == first.pk


def test_stop_returns_the_conversation_and_ends_the_play_session(agents, queue, inbound):
    ingest([inbound()])
    c = play.deal_next(agent=agents["contributor"], queue=queue)
    session = play.stop(agent=agents["contributor"])
    assert session.ended_at is not None and session.dealt == 1
    assert play.deal_next(agent=agents["moderator"], queue=queue).pk == c.pk
    assert Activity.objects.filter(conversation=c, kind="returned").exists()


def test_unmoderated_and_spammer_conversations_are_not_dealt_to_contributors(
    contributor, queue, inbound
):
    ingest([inbound(mention="Firefox"), inbound(author_id="666")])
    UserTag.objects.create(
        author=Conversation.objects.get(author__external_id="666").author, kind=UserTagKind.SPAMMER
    )
    assert play.deal_next(agent=contributor, queue=queue) is None


def test_a_contributor_cannot_play_a_moderators_queue(contributor, demo):
    with pytest.raises(ActionError):
        play.deal_next(agent=contributor, queue=Queue.objects.get(slug="twitter-all"))
    assert not PlaySession.objects.exists()
    assert Activity.objects.filter(kind="refused", actor=contributor).exists()


def test_play_without_a_queue_asks_to_press_play_first(contributor):
    with pytest.raises(ActionError, match="Press Play"):
        play.deal_next(agent=contributor)


def test_a_follow_up_goes_back_to_the_agent_who_answered_while_they_play(agents, queue, inbound):
    from socialdesk.actions import conversation as actions

    first = inbound("sync broken", author_id="31")
    ingest([first, inbound("other question")])
    contributor, moderator = agents["contributor"], agents["moderator"]
    c = play.deal_next(agent=contributor, queue=queue)
    assert c.author.external_id == "31"
    actions.reply(actor=contributor, conversation=c, text="Try signing in again")  # still playing
    ingest(
        [
            inbound(
                "still broken",
                author_id="31",
                in_reply_to=first.platform_id,
                thread_id=first.thread_id,
            )
        ]
    )
    other = play.deal_next(agent=moderator, queue=queue)
    assert other.pk != c.pk  # kept for the contributor
    assert play.deal_next(agent=moderator) == other
    assert play.deal_next(agent=contributor).pk == c.pk  # and dealt to them first


def test_a_follow_up_is_not_kept_for_an_agent_who_stopped_playing(agents, queue, inbound):
    from socialdesk.actions import conversation as actions

    first = inbound("sync broken", author_id="32")
    ingest([first])
    c = play.deal_next(agent=agents["contributor"], queue=queue)
    actions.reply(actor=agents["contributor"], conversation=c, text="Try signing in again")
    play.stop(agent=agents["contributor"])
    ingest(
        [
            inbound(
                "still broken",
                author_id="32",
                in_reply_to=first.platform_id,
                thread_id=first.thread_id,
            )
        ]
    )
    assert play.deal_next(agent=agents["moderator"], queue=queue).pk == c.pk
