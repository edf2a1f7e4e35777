"""Skip (AG3): a skipped conversation stays skipped for that agent for the rest of the play session,
so a volunteer can skip through the whole queue, alone or beside others."""

from datetime import timedelta

import pytest
from django.utils import timezone

from socialdesk.actions import deal as play
from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import Activity, Conversation
from socialdesk.queues.models import Queue
from socialdesk.queues.selectors import ConversationFilter


@pytest.fixture
def twitter_all(demo):
    return Queue.objects.get(slug="twitter-all")


def _ingest(inbound, n, **kwargs):
    now = timezone.now()
    ingest(
        [
            inbound(
                f"question {i}",
                mention="Firefox",
                created_at=now - timedelta(minutes=n - i),
                **kwargs,
            )
            for i in range(n)
        ]
    )


def test_thirty_skips_through_a_queue_of_forty_deal_thirty_one_conversations(
    agents, twitter_all, inbound
):
    _ingest(inbound, 40)
    moderator = agents["moderator"]
    seen = [play.deal_next(agent=moderator, queue=twitter_all).pk]
    for _ in range(30):
        seen.append(
            play.skip(agent=moderator, conversation=Conversation.objects.get(pk=seen[-1])).pk
        )
    assert len(set(seen)) == 31
    assert Activity.objects.filter(kind="skipped", actor=moderator).count() == 30
    # Only the one in hand is dealt to the moderator; the skipped ones are free for everyone else.
    assert Conversation.objects.filter(dealt_to=moderator).count() == 1
    assert play.deal_next(agent=agents["cm"], queue=twitter_all).pk == seen[0]


def test_two_agents_skipping_get_past_each_others_conversations(agents, twitter_all, inbound):
    _ingest(inbound, 6)
    a, b = agents["moderator"], agents["cm"]
    held = {
        a: play.deal_next(agent=a, queue=twitter_all),
        b: play.deal_next(agent=b, queue=twitter_all),
    }
    seen = {a: {held[a].pk}, b: {held[b].pk}}
    for _ in range(5):
        for agent in (a, b):
            held[agent] = play.skip(agent=agent, conversation=held[agent])
            if held[agent] is not None:
                seen[agent].add(held[agent].pk)
    assert len(seen[a]) == 6 and len(seen[b]) == 6  # both went through the whole queue


def test_skipping_within_a_language_filter(agents, twitter_all, inbound):
    _ingest(inbound, 5, lang="de")
    _ingest(inbound, 5, lang="en")
    moderator = agents["moderator"]
    c = play.deal_next(
        agent=moderator, queue=twitter_all, filter=ConversationFilter(languages=("de",))
    )
    seen = [c.pk]
    for _ in range(10):  # bounded: a regression must fail, not loop
        c = play.skip(agent=moderator, conversation=c)
        if c is None:
            break
        seen.append(c.pk)
    assert c is None and len(seen) == len(set(seen)) == 5
    assert set(Conversation.objects.filter(pk__in=seen).values_list("language", flat=True)) == {
        "de"
    }


def test_when_everything_left_is_skipped_the_agent_is_told_and_can_start_over(
    agents, twitter_all, inbound
):
    _ingest(inbound, 2)
    moderator = agents["moderator"]
    first = play.deal_next(agent=moderator, queue=twitter_all)
    second = play.skip(agent=moderator, conversation=first)
    assert play.skip(agent=moderator, conversation=second) is None
    session = play.current_session(agent=moderator)
    assert play.state(agent=moderator, session=session) == play.PlayState(
        session=session, waiting=0, skipped=2
    )
    assert play.deal_next(agent=moderator) is None  # a reload does not bring them back
    assert play.start_over(agent=moderator).pk == first.pk


def test_a_skip_lasts_for_the_session_only(agents, twitter_all, inbound):
    _ingest(inbound, 1)
    moderator = agents["moderator"]
    c = play.deal_next(agent=moderator, queue=twitter_all)
    assert play.skip(agent=moderator, conversation=c) is None
    play.stop(agent=moderator)
    assert play.deal_next(agent=moderator, queue=twitter_all).pk == c.pk  # a new session


def test_the_customer_writing_again_brings_a_skipped_conversation_back(
    agents, twitter_all, inbound
):
    first = inbound("sync broken", mention="Firefox", author_id="77")
    ingest([first])
    moderator = agents["moderator"]
    c = play.deal_next(agent=moderator, queue=twitter_all)
    assert play.skip(agent=moderator, conversation=c) is None
    ingest(
        [
            inbound(
                "still broken!",
                mention="Firefox",
                author_id="77",
                in_reply_to=first.platform_id,
                thread_id=first.thread_id,
                created_at=timezone.now(),
            )
        ]
    )
    assert play.deal_next(agent=moderator).pk == c.pk


def test_skip_seconds_bounds_a_skip_when_set(agents, twitter_all, inbound, settings):
    settings.SOCIALDESK_SKIP_SECONDS = 60
    _ingest(inbound, 1)
    moderator = agents["moderator"]
    c = play.deal_next(agent=moderator, queue=twitter_all)
    assert play.skip(agent=moderator, conversation=c) is None
    play.current_session(agent=moderator).skips.update(
        skipped_at=timezone.now() - timedelta(seconds=61)
    )
    assert play.deal_next(agent=moderator).pk == c.pk


def test_skips_hold_for_the_api_too(client, agents, twitter_all, inbound):
    from socialdesk.people.models import ApiToken

    _ingest(inbound, 2)
    moderator = agents["moderator"]
    first = play.deal_next(agent=moderator, queue=twitter_all)
    second = play.skip(agent=moderator, conversation=first)
    play.release(agent=moderator, conversation=second, kind="returned")
    token = ApiToken.issue(moderator, "test")[1]
    r = client.post(
        "/api/v1/play/next",
        {"queue": "twitter-all"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert r.status_code == 200 and r.json()["id"] == second.pk


def test_the_waiting_figure_stops_at_the_count_cap(agents, twitter_all, inbound, settings):
    # Counted like a queue's totals: a COUNT(*) of a large queue on every visit would cost as
    # much as the queue is long.
    settings.SOCIALDESK_COUNT_CAP = 3
    _ingest(inbound, 6)
    moderator = agents["moderator"]
    play.deal_next(agent=moderator, queue=twitter_all)
    state = play.state(agent=moderator, session=play.current_session(agent=moderator))
    assert state.waiting.capped and str(state.waiting) == "3+"
    assert not state.skipped.capped and str(state.skipped) == "0"
    settings.SOCIALDESK_COUNT_CAP = 10
    state = play.state(agent=moderator, session=play.current_session(agent=moderator))
    assert state.waiting == 6 and str(state.waiting) == "6"
