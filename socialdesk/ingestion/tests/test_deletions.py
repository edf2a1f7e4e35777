"""CH2: a tweet its author deleted is noticed; a conversation left with nothing is closed "Deleted"."""

import pytest
import requests
from django.core.management import call_command

from socialdesk.conversations.models import Activity, Conversation, Message
from socialdesk.ingestion.deletions import notice_deleted
from socialdesk.ingestion.models import PollState
from socialdesk.ingestion.tests.worker import poll_all


def _delete(sim, tweet_id):
    requests.delete(f"{sim.base_url}/_sim/tweets/{tweet_id}", timeout=5).raise_for_status()


def test_a_deleted_tweet_is_marked_and_the_empty_conversation_closed_deleted(
    demo, twitter_sim, customer_tweet, client, agents
):
    first = customer_tweet("@FirefoxSupport my bookmarks vanished", username="maria_k")
    other = customer_tweet("@FirefoxSupport sync is broken", username="sam")
    poll_all()
    _delete(twitter_sim, first["data"]["id"])
    assert notice_deleted() == 1
    assert notice_deleted() == 0  # noticed once
    gone = Message.objects.get(platform_id=first["data"]["id"])
    assert gone.deleted_at is not None and gone.text.endswith(
        "my bookmarks vanished"
    )  # kept for the record
    c = gone.conversation
    assert (c.status, c.close_reason) == ("closed", "deleted")
    assert list(c.activity.filter(actor=None).values_list("kind", flat=True).order_by("id"))[
        -2:
    ] == ["message_deleted", "auto_closed"]
    # The other customer's conversation is untouched.
    kept = Conversation.objects.get(messages__platform_id=other["data"]["id"])
    assert kept.status == "open" and not kept.messages.filter(deleted_at__isnull=False).exists()
    client.force_login(agents["contributor"])
    page = client.get(f"/c/{c.pk}/").content.decode()
    assert "deleted by its author on" in page and "Customer deleted a message" in page


def test_a_conversation_with_a_message_left_stays_open(demo, twitter_sim, customer_tweet):
    first = customer_tweet("@FirefoxSupport tabs crash", username="maria_k")
    poll_all()
    customer_tweet(
        "@FirefoxSupport still crashing, any idea?",
        username="maria_k",
        in_reply_to=first["data"]["id"],
    )
    poll_all()
    c = Conversation.objects.get()
    assert c.messages.count() == 2
    _delete(twitter_sim, first["data"]["id"])
    assert notice_deleted() == 1
    c.refresh_from_db()
    assert c.status == "open"
    assert Activity.objects.filter(conversation=c, kind="message_deleted").count() == 1


def test_closed_conversations_are_not_looked_up(demo, twitter_sim, customer_tweet, agents):
    from socialdesk.actions import conversation as actions

    t = customer_tweet("@FirefoxSupport thanks, all good now")
    poll_all()
    actions.close(
        actor=agents["moderator"],
        conversation=Conversation.objects.get(),
        reason="no_need_to_reply",
    )
    _delete(twitter_sim, t["data"]["id"])
    assert notice_deleted() == 0


def test_a_platform_error_is_reported_on_the_health_page_not_raised(
    demo, twitter_sim, customer_tweet, settings
):
    customer_tweet("@FirefoxSupport hello")
    poll_all()
    settings.SOCIALDESK_TWITTER_API_BASE = "http://127.0.0.1:9"
    assert notice_deleted() == 0
    state = PollState.objects.get(account__handle="FirefoxSupport", stream="deletions")
    assert "No answer from X" in state.last_error


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_enqueues_the_check_and_the_worker_runs_it(
    demo, twitter_sim, customer_tweet
):
    t = customer_tweet("@FirefoxSupport my passwords are gone")
    poll_all()
    _delete(twitter_sim, t["data"]["id"])
    call_command("scheduler", "--once")
    call_command("db_worker", "--batch", "--interval", "0")
    assert Message.objects.get(platform_id=t["data"]["id"]).deleted_at is not None


def test_the_api_says_when_a_message_was_deleted(
    demo, twitter_sim, customer_tweet, client, agents
):
    t = customer_tweet("@FirefoxSupport video stutters")
    poll_all()
    _delete(twitter_sim, t["data"]["id"])
    notice_deleted()
    client.force_login(agents["moderator"])
    c = Conversation.objects.get()
    body = client.get(f"/api/v1/conversations/{c.pk}").json()
    assert body["close_reason"] == "deleted"
    assert [m["deleted_at"] is not None for m in body["messages"]] == [True]


def test_the_connector_tells_deleted_tweets_from_live_ones_in_one_lookup(demo, twitter_sim):
    from socialdesk.brands.models import BrandAccount
    from socialdesk.connectors.twitter import TwitterConnector

    made = [t["id"] for t in twitter_sim.traffic.generate(5)]
    gone = (
        twitter_sim.traffic.delete_one()
    )  # what the simulator's background traffic does now and then
    assert gone in made
    connector = TwitterConnector(BrandAccount.objects.get(handle="FirefoxSupport"))
    assert sorted(connector.deleted(made + ["1"])) == sorted([gone, "1"])


def test_a_deleted_message_cannot_be_liked(demo, twitter_sim, customer_tweet, agents, client):
    from socialdesk.actions import conversation as actions
    from socialdesk.errors import ActionError
    from socialdesk.outbox.models import OutboundAction

    t = customer_tweet("@FirefoxSupport you rock", username="fan")
    poll_all()
    _delete(twitter_sim, t["data"]["id"])
    notice_deleted()
    message = Message.objects.get(platform_id=t["data"]["id"])
    with pytest.raises(ActionError, match="deleted"):
        actions.like(actor=agents["cm"], conversation=message.conversation, message=message)
    client.force_login(agents["cm"])
    page = client.get(f"/c/{message.conversation_id}/").content.decode()
    assert "♥ Like" not in page
    assert not OutboundAction.objects.exists()


def test_a_deleted_mastodon_status_is_noticed_and_its_conversation_closed(
    demo, mastodon_sim, customer_toot
):
    gone = customer_toot("@firefox_support my bookmarks vanished", username="alex_codes")
    kept = customer_toot("@firefox_support sync is broken", username="sam_k")
    poll_all()
    requests.post(
        f"{mastodon_sim.base_url}/_sim/statuses/{gone['id']}/delete", timeout=5
    ).raise_for_status()
    assert notice_deleted() == 1
    assert notice_deleted() == 0
    message = Message.objects.get(platform_id=gone["id"])
    assert message.deleted_at is not None and message.text.endswith("my bookmarks vanished")
    assert (message.conversation.status, message.conversation.close_reason) == (
        "closed",
        "deleted",
    )
    assert Message.objects.get(platform_id=kept["id"]).deleted_at is None
    state = PollState.objects.get(
        account__platform="mastodon", account__handle="firefox_support", stream="deletions"
    )
    assert state.last_error == ""


def test_mastodon_statuses_are_looked_up_many_at_a_time_and_each_absence_confirmed(
    demo, mastodon_sim, customer_toot
):
    from socialdesk.brands.models import BrandAccount
    from socialdesk.connectors.mastodon import MastodonConnector

    toots = [
        customer_toot(f"@firefox_support question {i}", username=f"asker{i}")["id"]
        for i in range(25)
    ]
    requests.post(
        f"{mastodon_sim.base_url}/_sim/statuses/{toots[3]}/delete", timeout=5
    ).raise_for_status()
    connector = MastodonConnector(
        BrandAccount.objects.get(platform="mastodon", handle="firefox_support")
    )
    before = mastodon_sim.faults.requests
    assert connector.deleted(toots + ["1"]) == [toots[3], "1"]
    # Two lists of at most 20, then one confirming look-up per status missing from them.
    assert mastodon_sim.faults.requests - before == 2 + 2


def _remove_review(sim, review_id):
    requests.post(f"{sim.base_url}/_sim/reviews/{review_id}/remove", timeout=5).raise_for_status()


def test_a_removed_google_play_review_is_marked_after_a_confirming_get(
    demo, play_sim, customer_review
):
    gone = customer_review("Crashes all the time.", stars=1)
    kept = customer_review("Works fine, thanks.", stars=5, author_name="Sam")
    poll_all()
    requests.post(
        f"{play_sim.base_url}/_sim/reviews/{gone['review_id']}/edit",
        json={"text": "Crashes, still."},
        timeout=5,
    )
    poll_all()
    assert (
        Message.objects.filter(conversation__thread_key__contains=gone["review_id"]).count() == 2
    )
    _remove_review(play_sim, gone["review_id"])
    assert notice_deleted() == 2  # both versions of the review
    versions = Message.objects.filter(platform_id__startswith=gone["review_id"] + ":")
    assert all(m.deleted_at for m in versions)
    c = versions[0].conversation
    assert (c.status, c.close_reason) == ("closed", "deleted")
    assert (
        Message.objects.get(platform_id__startswith=kept["review_id"] + ":").conversation.status
        == "open"
    )
    requests_made = requests.get(f"{play_sim.base_url}/_sim/state", timeout=5).json()["requests"]
    assert (
        requests_made.get("get_review") == 1
    )  # only the review missing from the listing was looked up


def test_google_play_is_checked_hourly_and_a_review_only_read_past_is_not_removed(
    demo, play_sim, customer_review, monkeypatch
):
    from socialdesk.connectors import google_play

    for i in range(3):
        customer_review(f"Review number {i} about tabs.", stars=2, author_name=f"R{i}")
    poll_all()
    # The listing read for the check ends after one review: the two others are confirmed present.
    monkeypatch.setattr(google_play, "PAGE_SIZE", 1)
    monkeypatch.setattr(google_play, "MAX_PAGES", 1)
    assert notice_deleted() == 0
    state = requests.get(f"{play_sim.base_url}/_sim/state", timeout=5).json()["requests"]
    assert (
        state.get("get_review") == 2
        and not Message.objects.filter(deleted_at__isnull=False).exists()
    )
    # Within the hour, the listing is not read again: Google Play's GET quota is 200 an hour.
    listed_before = state["list_reviews"]
    assert notice_deleted() == 0
    assert (
        requests.get(f"{play_sim.base_url}/_sim/state", timeout=5).json()["requests"][
            "list_reviews"
        ]
        == listed_before
    )
