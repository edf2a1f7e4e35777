"""The simulator driven through tweepy.Client exactly as the product's connector does."""

from __future__ import annotations

import pytest
import requests
import tweepy

FIELDS = dict(
    tweet_fields=[
        "created_at",
        "author_id",
        "conversation_id",
        "in_reply_to_user_id",
        "referenced_tweets",
        "entities",
        "lang",
        "public_metrics",
    ],
    expansions=[
        "author_id",
        "referenced_tweets.id",
        "in_reply_to_user_id",
        "entities.mentions.username",
    ],
    user_fields=["verified", "public_metrics", "created_at", "description"],
)
SUPPORT_ID = "2142732"


def test_mentions_paging_with_since_id_and_next_token_misses_and_repeats_nothing(
    sim, make_client, customer_tweet
):
    client = make_client()
    first = [
        customer_tweet(f"@FirefoxSupport problem number {i}", username=f"user{i % 4}")
        for i in range(12)
    ]
    customer_tweet(
        "@Firefox this one is not for support"
    )  # other account: never in these mentions

    def poll(since_id=None):
        seen, token, newest = [], None, None
        while True:
            r = client.get_users_mentions(
                SUPPORT_ID,
                since_id=since_id,
                max_results=5,
                pagination_token=token,
                user_auth=False,
                **FIELDS,
            )
            assert r.status_code == 200
            body = r.json()
            if body["meta"]["result_count"] == 0:
                assert "data" not in body
                break
            if newest is None:
                newest = body["meta"]["newest_id"]
            ids = [t["id"] for t in body["data"]]
            assert ids == sorted(ids, key=int, reverse=True)
            assert body["meta"]["oldest_id"] == ids[-1]
            seen += ids
            # a tweet arriving in the middle of paging must not leak into older pages
            if token is None and since_id is None:
                customer_tweet("@FirefoxSupport arrived while paging", username="late_user")
            token = body["meta"].get("next_token")
            if not token:
                break
        return seen, newest

    seen, newest = poll()
    assert seen == [t["id"] for t in reversed(first)]  # all 12, newest first, no repeats
    assert newest == first[-1]["id"]

    later = [customer_tweet(f"@FirefoxSupport follow-up {i}") for i in range(3)]
    seen2, newest2 = poll(since_id=newest)
    assert len(seen2) == 4 and len(set(seen2)) == 4
    assert seen2[:3] == [t["id"] for t in reversed(later)]
    assert newest2 == later[-1]["id"]
    assert client.get_users_mentions(SUPPORT_ID, since_id=newest2, user_auth=False).json() == {
        "meta": {"result_count": 0}
    }


def test_mentions_fields_and_expansions(make_client, customer_tweet):
    parent = customer_tweet(
        "@FirefoxSupport my bookmarks are gone",
        username="bookworm",
        author={"followers_count": 300_000, "verified": True},
    )
    reply = customer_tweet(
        "still gone after restart",
        username="bookworm",
        in_reply_to_tweet_id=parent["id"],
        author={},
    )
    # a customer replying to their own tweet does not get an auto-mention, so this one is found
    # through the first tweet only; reply to it with a mention to check expansions
    child = customer_tweet(
        "@FirefoxSupport any news?", username="bookworm", in_reply_to_tweet_id=reply["id"]
    )
    body = make_client().get_users_mentions(SUPPORT_ID, user_auth=False, **FIELDS).json()
    tweet = next(t for t in body["data"] if t["id"] == child["id"])
    assert tweet["conversation_id"] == parent["id"]
    assert tweet["referenced_tweets"] == [{"type": "replied_to", "id": reply["id"]}]
    assert tweet["entities"]["mentions"][0] == {
        "start": 0,
        "end": 15,
        "username": "FirefoxSupport",
        "id": SUPPORT_ID,
    }
    users = {u["username"]: u for u in body["includes"]["users"]}
    assert users["bookworm"]["verified"] is True
    assert users["bookworm"]["public_metrics"]["followers_count"] == 300_000
    assert "FirefoxSupport" in users
    assert reply["id"] in [t["id"] for t in body["includes"]["tweets"]]


def test_search_recent_with_tweepy(make_client, customer_tweet):
    crash = customer_tweet("Firefox crash again on Windows, third time today")
    customer_tweet("Chrome crash again")  # no firefox
    customer_tweet("firefox is great", username="fan")  # no crash
    rt = customer_tweet("", username="echo", retweet_of_tweet_id=crash["id"])
    sync = customer_tweet("Firefox sync broke my bookmarks", username="syncer", lang="en")
    r = make_client("sim-app-token").search_recent_tweets(
        "firefox (crash OR sync) -is:retweet",
        user_auth=False,
        max_results=10,
        tweet_fields=["author_id"],
    )
    assert r.status_code == 200
    assert [t["id"] for t in r.json()["data"]] == [sync["id"], crash["id"]]
    r = make_client().search_recent_tweets("firefox crash", user_auth=False)
    assert [t["id"] for t in r.json()["data"]] == [rt["id"], crash["id"]]


def test_create_reply_inherits_conversation(sim, base_url, make_client, customer_tweet):
    root = customer_tweet("@FirefoxSupport Firefox keeps crashing on startup", username="crashy")
    follow = customer_tweet(
        "@FirefoxSupport it happens on 136 too", username="crashy", in_reply_to_tweet_id=root["id"]
    )
    r = make_client().create_tweet(
        text="@crashy Sorry about that! Could you try troubleshoot mode?",
        in_reply_to_tweet_id=follow["id"],
        user_auth=False,
    )
    assert r.status_code == 201
    data = r.json()["data"]
    assert set(data) == {"id", "text", "edit_history_tweet_ids"}
    assert data["edit_history_tweet_ids"] == [data["id"]]
    assert int(data["id"]) > int(follow["id"])
    stored = requests.get(f"{base_url}/_sim/tweets", params={"in_reply_to": follow["id"]}).json()[
        "data"
    ]
    assert len(stored) == 1
    assert stored[0]["id"] == data["id"]
    assert stored[0]["conversation_id"] == root["id"]
    assert stored[0]["in_reply_to_user_id"] == follow["author_id"]
    assert stored[0]["author_username"] == "FirefoxSupport"
    assert stored[0]["referenced_tweets"] == [{"type": "replied_to", "id": follow["id"]}]
    assert sim.state.summary()["counts"]["brand_replies"] == 1
    got = (
        make_client()
        .get_tweet(data["id"], tweet_fields=["conversation_id"], user_auth=False)
        .json()
    )
    assert got["data"]["conversation_id"] == root["id"]


def test_duplicate_content_is_forbidden(make_client, customer_tweet):
    client = make_client()
    tweet = customer_tweet("@FirefoxSupport help")
    client.create_tweet(text="We're on it!", in_reply_to_tweet_id=tweet["id"], user_auth=False)
    with pytest.raises(tweepy.Forbidden) as exc:
        client.create_tweet(text="We're on it!", in_reply_to_tweet_id=tweet["id"], user_auth=False)
    assert exc.value.response.json() == {
        "detail": "You are not allowed to create a Tweet with duplicate content.",
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
    }
    # the same text from another account is fine
    assert (
        make_client("sim-token-firefox")
        .create_tweet(text="We're on it!", user_auth=False)
        .status_code
        == 201
    )


def test_like_and_retweet_through_tweepy(sim, base_url, make_client, customer_tweet):
    tweet = customer_tweet("@FirefoxSupport love the new update")
    client = make_client()
    r = client.like(tweet["id"], user_auth=False)  # asks /2/users/me first for the user id
    assert r.status_code == 200 and r.json() == {"data": {"liked": True}}
    assert client.like(tweet["id"], user_auth=False).json() == {"data": {"liked": True}}
    likes = requests.get(f"{base_url}/_sim/likes").json()["data"]
    assert [(like["user_id"], like["username"], like["tweet_id"]) for like in likes] == [
        (SUPPORT_ID, "FirefoxSupport", tweet["id"])
    ]
    assert sim.state.get_tweet(tweet["id"])["public_metrics"]["like_count"] == 1

    assert client.retweet(tweet["id"], user_auth=False).json() == {"data": {"retweeted": True}}
    assert client.retweet(tweet["id"], user_auth=False).json() == {"data": {"retweeted": True}}
    retweets = requests.get(f"{base_url}/_sim/retweets").json()["data"]
    assert len(retweets) == 1 and retweets[0]["tweet_id"] == tweet["id"]


def test_bad_token_is_401(make_client):
    with pytest.raises(tweepy.Unauthorized) as exc:
        make_client("not-a-token").get_me(user_auth=False)
    assert exc.value.response.json() == {
        "title": "Unauthorized",
        "type": "about:blank",
        "status": 401,
        "detail": "Unauthorized",
    }


def test_bad_max_results_is_400(make_client):
    with pytest.raises(tweepy.BadRequest) as exc:
        make_client().get_users_mentions(SUPPORT_ID, max_results=3, user_auth=False)
    body = exc.value.response.json()
    assert body["title"] == "Invalid Request"
    assert body["errors"][0]["parameters"] == {"max_results": ["3"]}
    assert "is not between 5 and 100" in body["errors"][0]["message"]


def test_rate_limit_429_with_headers(sim, make_client):
    sim.state.configure(rate_limits={"GET /2/users/:id/mentions": 2})
    client = make_client()
    first = client.get_users_mentions(SUPPORT_ID, user_auth=False)
    assert first.headers["x-rate-limit-limit"] == "2"
    assert first.headers["x-rate-limit-remaining"] == "1"
    client.get_users_mentions(SUPPORT_ID, user_auth=False)
    with pytest.raises(tweepy.TooManyRequests) as exc:
        client.get_users_mentions(SUPPORT_ID, user_auth=False)
    resp = exc.value.response
    assert resp.status_code == 429
    assert resp.json() == {
        "title": "Too Many Requests",
        "detail": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
    }
    assert resp.headers["x-rate-limit-remaining"] == "0"
    assert int(resp.headers["x-rate-limit-reset"]) == int(first.headers["x-rate-limit-reset"])
    # other endpoints and other tokens have their own windows
    assert client.get_me(user_auth=False).status_code == 200
    assert (
        make_client("sim-token-firefox")
        .get_users_mentions(SUPPORT_ID, user_auth=False)
        .status_code
        == 200
    )
