"""X's answers are partial (fields, includes and items left out, errors in a 200): what the
connector stores from them is X's own word or waits with a visible reason, never a guess.

Against the X simulator with its partial answers turned on (`partial` in `/_sim/config`), through
tweepy, the connector, `poll_all` and ingestion, on the real database."""

from datetime import datetime

import pytest
import requests

from socialdesk.conversations.models import Author, Conversation, Message
from socialdesk.ingestion.models import PollState, Resolution, SetAsideMessage
from socialdesk.ingestion.tests.worker import poll_all

SPARSE = {"omit_fields": ["author_id", "created_at", "entities"], "omit_includes": True}


def configure(sim, **body):
    requests.post(f"{sim.base_url}/_sim/config", json=body, timeout=5).raise_for_status()


def posted_at(tweet) -> datetime:
    return datetime.fromisoformat(tweet["data"]["created_at"].replace("Z", "+00:00"))


def waiting():
    return SetAsideMessage.objects.filter(resolved_at__isnull=True)


def test_a_page_without_authors_times_or_entities_stores_each_tweet_under_its_own_author(
    demo, twitter_sim, customer_tweet
):
    # One lookup per endpoint is all a page of 20 may take: a second would be refused (429).
    configure(twitter_sim, partial=SPARSE, rate_limits={"GET /2/tweets": 1, "GET /2/users": 1})
    tweets = [
        customer_tweet(
            f"@FirefoxSupport question {i} about sync", username=f"asker_{i}", name=f"Asker {i}"
        )
        for i in range(20)
    ]
    german = customer_tweet(
        "@mozilla_germany Lesezeichen sind weg", username="lena_b", name="Lena", lang="de"
    )

    assert poll_all().stored == 21
    assert not waiting().exists()
    for i, t in enumerate(tweets):
        m = Message.objects.select_related("author", "conversation__account").get(
            platform_id=t["data"]["id"]
        )
        assert (m.author.external_id, m.author.handle, m.author.name) == (
            t["data"]["author_id"],
            f"asker_{i}",
            f"Asker {i}",
        )
        assert m.created_at == posted_at(t)  # the tweet's own time, not the poll's
        assert str(m.conversation.account) == "@FirefoxSupport"  # the mention found in the text
    assert Author.objects.filter(platform="twitter").count() == 21
    assert not Author.objects.filter(handle="").exists()
    lena = Conversation.objects.get(messages__platform_id=german["data"]["id"])
    assert (str(lena.account), str(lena.respond_from), lena.author.handle) == (
        "@mozilla_germany",
        "@mozilla_germany",
        "lena_b",
    )


def test_without_created_at_the_time_comes_from_the_tweet_id(demo, twitter_sim, customer_tweet):
    configure(twitter_sim, partial={"omit_fields": ["created_at"]})
    t = customer_tweet("@FirefoxSupport passwords gone after the update")
    poll_all()
    assert Message.objects.get(platform_id=t["data"]["id"]).created_at == posted_at(t)


def test_an_author_x_will_not_show_waits_with_xs_reason_and_the_others_are_stored(
    demo, twitter_sim, customer_tweet, client, agents
):
    hidden = customer_tweet("@FirefoxSupport my account is weird", username="ghost_user")
    shown = customer_tweet("@FirefoxSupport tabs crash on start", username="visible_user")
    ghost = hidden["data"]["author_id"]
    configure(twitter_sim, partial={"hide_users": [ghost]})

    result = poll_all()
    assert result.stored == 1 and Message.objects.get().platform_id == shown["data"]["id"]
    kept = waiting().get()
    assert (
        kept.platform_id == hidden["data"]["id"]
        and kept.text == "@FirefoxSupport my account is weird"
    )
    assert (
        kept.error
        == f"X did not send the author of this tweet (user {ghost}): Could not find user with ids: [{ghost}]."
    )
    assert kept.retry_at is not None and kept.stream == "mentions"
    assert not Author.objects.filter(external_id=ghost).exists()
    # A community manager sees why it waits, and that the next polls ask X again.
    client.force_login(agents["cm"])
    page = client.get("/manage/set-aside/").content.decode()
    assert (
        f"Could not find user with ids: [{ghost}]" in page
        and "waiting for the platform: asked again at the first poll after" in page
    )

    # Still hidden: it waits longer, and the health of the stream is not in question.
    poll_all()
    kept.refresh_from_db()
    assert kept.resolved_at is None and kept.attempts == 2 and kept.retry_at is not None
    assert (
        PollState.objects.get(account__handle="FirefoxSupport", stream="mentions").last_error == ""
    )

    # X shows the user again: the next poll that is due stores the tweet by itself.
    configure(twitter_sim, partial={"hide_users": []})
    SetAsideMessage.objects.filter(pk=kept.pk).update(retry_at=kept.first_seen_at)
    assert poll_all().stored == 1
    kept.refresh_from_db()
    assert (kept.resolution, kept.resolved_by, kept.history[-1]["automatic"]) == (
        Resolution.STORED,
        None,
        True,
    )
    m = Message.objects.get(platform_id=hidden["data"]["id"])
    assert (m.author.handle, m.created_at, kept.message_id) == (
        "ghost_user",
        posted_at(hidden),
        m.pk,
    )


def test_a_tweet_x_leaves_out_of_the_lookup_waits_with_xs_words(demo, twitter_sim, customer_tweet):
    gone = customer_tweet("@FirefoxSupport deleted a moment later", username="quick_one")
    configure(
        twitter_sim, partial={"omit_fields": ["author_id"], "hide_tweets": [gone["data"]["id"]]}
    )
    poll_all()
    kept = waiting().get()
    assert (
        kept.error
        == f"X left this tweet out of its answer: Could not find tweet with ids: [{gone['data']['id']}]."
    )
    assert not Message.objects.exists()


def test_a_failed_lookup_keeps_the_tweets_waiting_and_the_next_poll_stores_them(
    demo, twitter_sim, customer_tweet
):
    t = customer_tweet("@FirefoxSupport video does not play", username="vid_fan")
    configure(twitter_sim, partial={"omit_includes": True})
    # The mentions page answers; the users lookup after it is refused (429).
    configure(twitter_sim, rate_limits={"GET /2/users": 0})
    poll_all()
    kept = waiting().get()
    assert kept.error.startswith(
        f"X did not send the author of this tweet (user {t['data']['author_id']}): looking the user up failed"
    )
    assert "rate limit" in kept.error
    configure(twitter_sim, rate_limits={"GET /2/users": 100}, reset_windows=True)
    SetAsideMessage.objects.filter(pk=kept.pk).update(retry_at=kept.first_seen_at)
    poll_all()
    assert Message.objects.get(platform_id=t["data"]["id"]).author.handle == "vid_fan"
    assert not waiting().exists()


def test_a_community_manager_retry_asks_x_again(demo, twitter_sim, customer_tweet, agents):
    from socialdesk.ingestion import set_aside

    t = customer_tweet("@FirefoxSupport sync lost my history", username="hist_user")
    configure(twitter_sim, partial={"hide_users": [t["data"]["author_id"]]})
    poll_all()
    kept = waiting().get()
    assert set_aside.retry(kept.pk, actor=agents["cm"]).error.startswith(
        "It still cannot be stored: X did not send the author"
    )
    configure(twitter_sim, partial={"hide_users": []})
    outcome = set_aside.retry(kept.pk, actor=agents["cm"])
    assert outcome.resolution == Resolution.STORED and outcome.conversation_id
    assert Message.objects.get(platform_id=t["data"]["id"]).author.handle == "hist_user"


def test_a_waiting_tweet_is_given_to_a_community_manager_after_a_day(
    demo, twitter_sim, customer_tweet
):
    from datetime import timedelta

    t = customer_tweet("@FirefoxSupport cannot log in", username="locked_out")
    configure(twitter_sim, partial={"hide_users": [t["data"]["author_id"]]})
    poll_all()
    kept = waiting().get()
    SetAsideMessage.objects.filter(pk=kept.pk).update(
        first_seen_at=kept.first_seen_at - timedelta(days=1), retry_at=kept.first_seen_at
    )
    poll_all()
    kept.refresh_from_db()
    assert kept.retry_at is None and kept.resolved_at is None
    assert kept.error.endswith(
        "Asked again for a day without success: retry it once the platform has it, or dismiss it."
    )


@pytest.mark.parametrize(
    "text, mentioned",
    [
        (
            "@FirefoxSupport@example.com is that you?",
            None,
        ),  # too close to an e-mail address: no mention
        ("see https://example.com/@FirefoxSupport for help", None),  # inside a link
        ("RT @FirefoxSupport: restart fixes it", "@FirefoxSupport"),
        ("thanks ＠firefoxsupport!", "@FirefoxSupport"),  # a full-width at sign, any case
    ],
)
def test_mentions_are_found_in_the_text_by_xs_rules_when_entities_are_missing(
    demo, twitter_sim, customer_tweet, text, mentioned
):
    from socialdesk.connectors.twitter import our_handles, read_page

    page = {
        "data": [{"id": "1900000000000000001", "author_id": "71", "text": text}],
        "includes": {"users": [{"id": "71", "username": "ana", "name": "Ana"}]},
    }
    (message,), _ = read_page(page, handles=our_handles())
    assert message.mentioned_account_ids == (("2142732",) if mentioned else ())


def test_a_timeline_answered_with_errors_only_shows_xs_reason_on_the_health_page(
    demo, twitter_sim, customer_tweet
):
    # X answers a 200 with only `errors` when the timeline itself cannot be given (an unknown account).
    from socialdesk.brands.models import BrandAccount

    BrandAccount.objects.filter(handle="FirefoxSupport").update(external_id="999999999")
    customer_tweet("@FirefoxSupport hello?")
    poll_all()
    state = PollState.objects.get(account__handle="FirefoxSupport", stream="mentions")
    assert (
        state.last_error
        == "X answered with errors only: Could not find user with id: [999999999]."
        and state.cursor == ""
    )


@pytest.mark.parametrize(
    "text, names",
    [
        ("@sync_help my tabs", ["sync_help"]),
        ("ask @sync_help", ["sync_help"]),
        ("東京の@sync_helpに聞いた", ["sync_help"]),  # no space needed before the at sign
        ("status: @_@ (cc: @sync_help)", ["sync_help"]),  # "@_" runs into another at sign
        ("@sync_helpé is not a handle", []),  # followed by an accented Latin letter
        ("mail @sync_help@example.org please", []),
        ("@http://example.com", []),
        ("@first\n@second", ["first", "second"]),
        ("RT@a rt:@b Rt @c", ["a", "b", "c"]),
        ("x!@a x#@b x$@c x%@d x&@e x*@f x@@g", []),
        ("our list @mozilla/support-team", []),  # a list, not a person
        (
            "https://example.com/@sync_help and @sync_help",
            ["sync_help"],
        ),  # the one in the link is the link's
    ],
)
def test_mentioned_usernames_follow_twitter_texts_rules(text, names):
    from socialdesk.connectors.twitter import mentioned_usernames

    assert mentioned_usernames(text) == names
