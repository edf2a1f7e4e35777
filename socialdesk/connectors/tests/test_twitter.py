"""The Twitter/X connector drives the real tweepy client over HTTP against the simulator."""

import requests
from django.utils import timezone

from socialdesk.brands.models import BrandAccount
from socialdesk.connectors.twitter import TwitterConnector, make_client
from socialdesk.conversations.models import Conversation, Message
from socialdesk.ingestion.models import PollState
from socialdesk.ingestion.tests.worker import poll_all


def test_tweepy_requests_are_redirected_to_the_configured_base(twitter_sim, settings):
    client = make_client("sim-token-firefoxsupport")
    me = client.get_me(user_auth=False).json()
    assert me["data"]["username"] == "FirefoxSupport"


def test_polling_stores_mentions_and_search_finds_once(demo, twitter_sim, customer_tweet):
    customer_tweet("@FirefoxSupport my bookmarks are gone after the update")
    customer_tweet("@mozilla_germany Firefox stürzt ständig ab", username="jonas", lang="de")
    customer_tweet("ugh firefox crash again on my laptop", username="sam")
    first = poll_all()
    again = poll_all()
    assert first.stored == 3
    assert again.stored == 0
    assert Message.objects.count() == 3
    by_account = {
        str(c.account or "search"): str(c.respond_from) for c in Conversation.objects.all()
    }
    assert by_account == {
        "@FirefoxSupport": "@FirefoxSupport",
        "@mozilla_germany": "@mozilla_germany",
        "search": "@FirefoxSupport",
    }
    de = Conversation.objects.get(account__handle="mozilla_germany")
    assert de.language == "de"
    assert de.messages.get().raw["tweet"]["author_id"]


def test_many_mentions_arrive_across_pages_without_gaps(demo, twitter_sim, customer_tweet):
    for i in range(230):
        customer_tweet(f"@FirefoxSupport question number {i}", username=f"asker{i % 40}")
    poll_all()
    assert Message.objects.count() == 230
    state = PollState.objects.get(account__handle="FirefoxSupport", stream="mentions")
    assert state.cursor == max(Message.objects.values_list("platform_id", flat=True), key=int)


def test_a_follow_up_is_threaded_into_the_same_conversation(demo, twitter_sim, customer_tweet):
    first = customer_tweet("@FirefoxSupport sync stopped working")
    poll_all()
    customer_tweet(
        "@FirefoxSupport still not working, any idea?",
        in_reply_to=first["data"]["id"] if "data" in first else first["id"],
    )
    poll_all()
    assert Conversation.objects.count() == 1
    assert Conversation.objects.get().messages.count() == 2


def test_rate_limit_is_honoured(demo, twitter_sim, customer_tweet):
    base = twitter_sim_base()
    requests.post(
        f"{base}/_sim/config", json={"rate_limits": {"GET /2/users/:id/mentions": 1}}, timeout=5
    ).raise_for_status()
    customer_tweet("@FirefoxSupport hello")
    poll_all()  # uses the one allowed call
    customer_tweet("@FirefoxSupport hello again", username="other")
    poll_all()  # told to wait: nothing fetched, no crash
    state = PollState.objects.get(account__handle="FirefoxSupport", stream="mentions")
    assert state.wait_until is not None and state.wait_until > timezone.now()
    assert Message.objects.filter(conversation__account__handle="FirefoxSupport").count() == 1


def test_bad_credentials_are_reported_not_raised(demo, twitter_sim, customer_tweet):
    BrandAccount.objects.filter(handle="FirefoxSupport").update(
        credentials={"bearer_token": "wrong"}
    )
    poll_all()
    state = PollState.objects.get(account__handle="FirefoxSupport", stream="mentions")
    assert "credentials" in state.last_error


def test_reply_and_like_reach_the_platform(demo, twitter_sim, customer_tweet):
    tweet = customer_tweet("@FirefoxSupport thanks, it works!")
    tid = tweet["data"]["id"] if "data" in tweet else tweet["id"]
    connector = TwitterConnector(BrandAccount.objects.get(handle="FirefoxSupport"))
    new_id = connector.reply(text="Glad to hear it!", in_reply_to_id=tid, idempotency_key="k")
    connector.like(target_id=tid)
    base = twitter_sim_base()
    replies = requests.get(f"{base}/_sim/tweets", params={"in_reply_to": tid}, timeout=5).json()[
        "data"
    ]
    assert [(r["id"], r["text"]) for r in replies] == [(new_id, "Glad to hear it!")]
    likes = requests.get(f"{base}/_sim/likes", timeout=5).json()["data"]
    assert [(lk["username"], lk["tweet_id"]) for lk in likes] == [("FirefoxSupport", tid)]


def twitter_sim_base():
    from django.conf import settings

    return settings.SOCIALDESK_TWITTER_API_BASE


def test_a_backlog_larger_than_one_poll_is_read_over_several_polls_without_loss(
    demo, twitter_sim, customer_tweet, monkeypatch
):
    from socialdesk.connectors import twitter

    monkeypatch.setattr(twitter, "MAX_PAGES", 2)  # 200 tweets per poll
    for i in range(530):
        customer_tweet(f"@FirefoxSupport backlog question {i}", username=f"b{i % 50}")
    polls = 0
    while Message.objects.count() < 530 and polls < 10:
        poll_all()
        polls += 1
    assert Message.objects.count() == 530 and polls == 3
    customer_tweet("@FirefoxSupport a new one after the backlog", username="late")
    poll_all()
    assert Message.objects.count() == 531
    state = PollState.objects.get(account__handle="FirefoxSupport", stream="mentions")
    assert "|" not in state.cursor


def test_a_poll_that_fails_midway_keeps_the_pages_it_read(
    demo, twitter_sim, customer_tweet, monkeypatch
):
    from socialdesk.connectors import twitter

    monkeypatch.setattr(twitter, "PAGE_SIZE", 10)
    for i in range(25):
        customer_tweet(f"@FirefoxSupport question {i}", username=f"q{i}")
    real = twitter.TwitterConnector._page
    calls = {"n": 0}

    def second_mentions_page_fails(call, kwargs):
        if call.__name__ == "get_users_mentions" and kwargs.get("id") == "2142732":
            calls["n"] += 1
            if calls["n"] == 2:
                raise twitter.ConnectorError("X server error 503", retryable=True, status=503)
        return real(call, kwargs)

    monkeypatch.setattr(
        twitter.TwitterConnector, "_page", staticmethod(second_mentions_page_fails)
    )
    assert poll_all().stored == 10
    state = PollState.objects.get(account__handle="FirefoxSupport", stream="mentions")
    assert "503" in state.last_error and "|" in state.cursor
    assert poll_all().stored == 15
    assert Message.objects.count() == 25
    assert PollState.objects.get(pk=state.pk).last_error == ""


def test_the_first_poll_reads_the_last_week_not_the_last_800_mentions(
    demo, twitter_sim, customer_tweet, monkeypatch
):
    from socialdesk.connectors import base

    customer_tweet("@FirefoxSupport a question of today", username="new_here")
    monkeypatch.setattr(base, "FIRST_POLL_DAYS", -1 / 86400)  # "a week ago" is a second from now
    assert poll_all().stored == 0  # older than the window: X leaves it out (start_time)
    monkeypatch.setattr(base, "FIRST_POLL_DAYS", 7)
    assert poll_all().stored == 1
    assert (
        "|"
        not in PollState.objects.get(account__handle="FirefoxSupport", stream="mentions").cursor
    )
