"""Contract tests on real X API v2 exchanges: tweepy's own recordings, replayed through the
connector's poll and send paths, and what is stored checked field by field.

tweepy records its test suite against api.twitter.com with vcrpy (`cassettes/test_client_*.yaml`,
MIT licence, Copyright (c) 2009-2022 Joshua Roesslein). Its PyPI archives leave the cassettes out;
Debian's source package of tweepy 4.12.1 ships them (the upstream tarball of tweepy's
v4.12.1 tag). The test downloads that package from the Debian archive with apt-get, checks its
sha256, and reads the cassettes from it; none of it is kept in this repository. Without a
reachable archive the tests are skipped, and say so.

The recordings were made without fields or expansions, so they are the sparse answers of the
issue as X really sends them: every tweet is `id`, `text` and `edit_history_tweet_ids`, nothing
says who wrote it or when, and there are no `entities`. Replayed, no tweet may be stored under an
empty or borrowed author: each waits, with the reason in words, while its time (from its id) and
the accounts it mentions (from its text) are read right.
"""

import json
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from socialdesk.actions import conversation as actions
from socialdesk.actions.delivery import perform
from socialdesk.actions.inbound import ingest
from socialdesk.brands.models import BrandAccount, SearchTerm
from socialdesk.connectors import twitter
from socialdesk.connectors.base import InboundAuthor, InboundMessage, Unreadable
from socialdesk.conversations.models import Author, Message
from socialdesk.ingestion.models import PollState, SetAsideMessage
from socialdesk.ingestion.polling import poll_account

from . import recorded

pytestmark = pytest.mark.recordings

# Debian bookworm's tweepy source package; the sha256 is that of the upstream tarball.
TWEEPY = dict(
    package="tweepy",
    version="4.12.1-3",
    suite="bookworm",
    filename="tweepy_4.12.1.orig.tar.gz",
    digest="b3617383975bc40dac9663d85172ddd91590136220ddc59ef1de0a1f8e15863a",
)
CASSETTES = (
    r"test_client_(get_users_mentions|search_recent_tweets|get_tweets|get_me|create_and_delete_tweet"
    r"|like_and_unlike|retweet_and_unretweet)\.yaml"
)
# The accounts the recordings were made with: @Twitter's mentions, and tweepy's test account.
TWITTER_ID, TWEEPY_DEV_ID = "783214", "1072250532645998596"


@pytest.fixture(scope="session")
def x_recordings():
    try:
        archive = recorded.debian_source(**TWEEPY)
    except recorded.Unavailable as exc:
        pytest.skip(
            f"the recorded X exchanges (Debian's tweepy {TWEEPY['version']} source package) cannot be had here: {exc}"
        )
    found = recorded.cassettes(archive, CASSETTES)
    assert len(found) == 7, sorted(found)
    return found


@pytest.fixture
def replay(x_recordings, settings):
    server = recorded.ReplayServer([e for exchanges in x_recordings.values() for e in exchanges])
    settings.SOCIALDESK_TWITTER_API_BASE = server.base_url
    yield server
    server.close()


def recorded_answer(x_recordings, name):
    (exchange, *_) = x_recordings[f"test_client_{name}.yaml"]
    return exchange


def x_account(handle, external_id):
    return BrandAccount.objects.create(
        platform="twitter",
        handle=handle,
        external_id=external_id,
        credentials={"bearer_token": "replayed"},
    )


def test_recorded_mentions_and_search_pages_store_nothing_wrong_and_say_why_each_tweet_waits(
    db, x_recordings, replay
):
    account = x_account("Twitter", TWITTER_ID)
    term = SearchTerm.objects.create(account=account, query="Tweepy")
    mentions = recorded_answer(x_recordings, "get_users_mentions").json()
    search = recorded_answer(x_recordings, "search_recent_tweets").json()

    poll_account(account)

    # Nothing is stored without knowing who wrote it: no message, no author, least of all a blank one.
    assert not Message.objects.exists() and not Author.objects.exists()
    for page, stream in ((mentions, "mentions"), (search, f"search:{term.pk}")):
        ids = [t["id"] for t in page["data"]]
        kept = {k.platform_id: k for k in SetAsideMessage.objects.filter(stream=stream)}
        assert sorted(kept) == sorted(ids)
        for tweet in page["data"]:
            k = kept[tweet["id"]]
            assert (
                k.text == tweet["text"]
                and k.account == account
                and k.resolved_at is None
                and k.retry_at is not None
            )
            assert k.error == (
                "X did not say who wrote this tweet (no author_id); asking X for it again failed (X answered 404: "
                f"No recorded exchange for GET /2/tweets ids={','.join(ids)})."
            )
            assert json.loads(k.payload)["tweet"] == tweet  # kept as X sent it
        # The authors were asked for in one call per page, by id, with the author expanded.
        (lookup,) = [
            r
            for r in replay.requests
            if r.path == "/2/tweets" and r.query["ids"] == [",".join(ids)]
        ]
        assert "author_id" in lookup.query["expansions"][0].split(",")
        # The page after the recorded one was never recorded: the stream says so, and goes on from it next time.
        state = PollState.objects.get(account=account, stream=stream)
        assert state.cursor == f"|{page['meta']['next_token']}|{page['meta']['newest_id']}"
        assert "X answered 404: No recorded exchange for GET" in state.last_error


def test_the_time_of_a_recorded_tweet_comes_from_its_id(x_recordings):
    # tweepy's search test tweets carry the time they were sent at in their text.
    for tweet in recorded_answer(x_recordings, "search_recent_tweets").json()["data"]:
        written = datetime.fromisoformat(tweet["text"].removesuffix(" tweepy")).replace(tzinfo=UTC)
        assert timedelta(0) <= twitter.tweet_time(tweet) - written < timedelta(seconds=1), tweet
    answer = recorded_answer(x_recordings, "get_users_mentions")
    answered_at = parsedate_to_datetime(dict(answer.headers)["date"])
    for tweet in answer.json()["data"]:
        assert answered_at - timedelta(minutes=5) < twitter.tweet_time(tweet) <= answered_at, tweet


def test_the_account_a_recorded_mention_mentions_is_found_in_its_text(db, x_recordings):
    x_account("Twitter", TWITTER_ID)
    handles = twitter.our_handles()
    for tweet in recorded_answer(x_recordings, "get_users_mentions").json()["data"]:
        assert TWITTER_ID in {
            handles.get(name.lower()) for name in twitter.mentioned_usernames(tweet["text"])
        }, tweet["text"]
    first = recorded_answer(x_recordings, "get_users_mentions").json()["data"][1]["text"]
    assert twitter.mentioned_usernames(first) == [
        "WilliamCohan",
        "elonmusk",
        "Twitter",
        "PuckNews",
    ]


def test_a_recorded_tweets_lookup_without_authors_keeps_the_tweets_waiting(
    db, x_recordings, replay
):
    account = x_account("TweepyDev", TWEEPY_DEV_ID)
    looked_up = recorded_answer(x_recordings, "get_tweets").json()["data"]
    connector = twitter.TwitterConnector(account)
    again = connector.reread(
        [{"tweet": {"id": t["id"], "text": t["text"]}, "author": None} for t in looked_up]
    )
    assert all(isinstance(u, Unreadable) and u.waiting for u in again)
    assert [u.error for u in again] == [
        "X did not say who wrote this tweet (no author_id); asked again by its id, X still did not say."
    ] * 2
    # The same recorded answer, read for deletions (CH2): both tweets are there.
    assert connector.deleted([t["id"] for t in looked_up]) == []


def test_recorded_reply_like_and_retweet_answers_are_stored_through_the_outbox(
    demo, agents, x_recordings, replay
):
    account = x_account("TweepyDev", TWEEPY_DEV_ID)
    target = recorded_answer(x_recordings, "get_tweets").json()["data"][0]
    ingest(
        [
            InboundMessage(
                platform="twitter",
                platform_id=target["id"],
                author=InboundAuthor(external_id="71", handle="a_customer", name="A customer"),
                text=target["text"],
                created_at=twitter.tweet_time(target),
                thread_id=target["id"],
                mentioned_account_ids=(TWEEPY_DEV_ID,),
                raw={"tweet": target},
            )
        ],
        apply_filters=False,
    )
    message = Message.objects.get(platform_id=target["id"])
    conversation = message.conversation
    assert conversation.respond_from == account

    reply = actions.reply(
        actor=agents["cm"], conversation=conversation, text="Test Tweet", signed=False
    )
    assert perform(reply.outbound_action.pk) == "sent"
    reply.refresh_from_db()
    created = recorded_answer(x_recordings, "create_and_delete_tweet").json()["data"]
    assert reply.platform_id == created["id"] and reply.outbound_action.state == "sent"
    (posted,) = [r for r in replay.requests if (r.method, r.path) == ("POST", "/2/tweets")]
    assert json.loads(posted.body) == {
        "text": "Test Tweet",
        "reply": {"in_reply_to_tweet_id": target["id"]},
    }

    like = actions.like(actor=agents["cm"], conversation=conversation, message=message)
    assert perform(like.pk) == "sent"
    (liked,) = [
        r
        for r in replay.requests
        if (r.method, r.path) == ("POST", f"/2/users/{TWEEPY_DEV_ID}/likes")
    ]
    assert json.loads(liked.body) == {"tweet_id": target["id"]}

    retweeted = recorded_answer(x_recordings, "retweet_and_unretweet")
    twitter.TwitterConnector(account).retweet(
        target_id=json.loads(retweeted.request_body)["tweet_id"]
    )
    (sent,) = [
        r
        for r in replay.requests
        if (r.method, r.path) == ("POST", f"/2/users/{TWEEPY_DEV_ID}/retweets")
    ]
    assert json.loads(sent.body) == json.loads(retweeted.request_body)
