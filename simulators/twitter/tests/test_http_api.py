"""The simulator's HTTP API exercised with plain requests: shapes, errors and control endpoints."""

from __future__ import annotations

import requests

SUPPORT_ID = "2142732"


def test_users_me_and_lookup_with_fields_and_errors(base_url, auth):
    me = requests.get(f"{base_url}/2/users/me", headers=auth())
    assert me.json() == {
        "data": {"id": SUPPORT_ID, "name": "Firefox Support", "username": "FirefoxSupport"}
    }
    r = requests.get(
        f"{base_url}/2/users/by",
        headers=auth("sim-app-token"),
        params={
            "usernames": "mozilla_germany,nobody_here",
            "user.fields": "verified,public_metrics",
        },
    )
    body = r.json()
    assert r.status_code == 200
    assert body["data"][0]["id"] == "2142733" and body["data"][0]["verified"] is True
    assert body["data"][0]["public_metrics"]["followers_count"] > 50_000
    assert body["errors"] == [
        {
            "value": "nobody_here",
            "detail": "Could not find user with usernames: [nobody_here].",
            "title": "Not Found Error",
            "resource_type": "user",
            "parameter": "usernames",
            "resource_id": "nobody_here",
            "type": "https://api.twitter.com/2/problems/resource-not-found",
        }
    ]
    r = requests.get(f"{base_url}/2/users", headers=auth(), params={"ids": "2142736,2142737"})
    assert [u["username"] for u in r.json()["data"]] == ["FirefoxBrasil", "FirefoxTurkiye"]
    assert set(r.json()["data"][0]) == {"id", "name", "username"}
    r = requests.get(f"{base_url}/2/users/me", headers=auth(), params={"user.fields": "bogus"})
    assert r.status_code == 400 and r.json()["errors"][0]["parameters"] == {
        "user.fields": ["bogus"]
    }


def test_tweet_lookup_and_deleted_tweet_errors(base_url, auth, customer_tweet):
    t = customer_tweet("@FirefoxSupport hello there")
    r = requests.get(f"{base_url}/2/tweets/{t['id']}", headers=auth("sim-app-token"))
    assert r.json() == {
        "data": {
            "id": t["id"],
            "text": "@FirefoxSupport hello there",
            "edit_history_tweet_ids": [t["id"]],
        }
    }
    assert requests.delete(f"{base_url}/_sim/tweets/{t['id']}").json() == {
        "data": {"deleted": True}
    }
    r = requests.get(f"{base_url}/2/tweets/{t['id']}", headers=auth())
    assert r.status_code == 200
    assert r.json() == {
        "errors": [
            {
                "value": t["id"],
                "detail": f"Could not find tweet with id: [{t['id']}].",
                "title": "Not Found Error",
                "resource_type": "tweet",
                "parameter": "id",
                "resource_id": t["id"],
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            }
        ]
    }
    live = customer_tweet("@FirefoxSupport still here")
    r = requests.get(
        f"{base_url}/2/tweets", headers=auth(), params={"ids": f"{t['id']},{live['id']}"}
    )
    assert [x["id"] for x in r.json()["data"]] == [live["id"]]
    assert (
        r.json()["errors"][0]["resource_id"] == t["id"]
        and r.json()["errors"][0]["parameter"] == "ids"
    )
    # deleted tweets leave mentions and search; replying to them is refused
    mentions = requests.get(f"{base_url}/2/users/{SUPPORT_ID}/mentions", headers=auth()).json()
    assert [x["id"] for x in mentions["data"]] == [live["id"]]
    r = requests.post(
        f"{base_url}/2/tweets",
        headers=auth(),
        json={"text": "hi", "reply": {"in_reply_to_tweet_id": t["id"]}},
    )
    assert r.status_code == 403 and "deleted" in r.json()["detail"]


def test_create_tweet_rules(base_url, auth, customer_tweet):
    r = requests.post(
        f"{base_url}/2/tweets", headers=auth("sim-app-token"), json={"text": "hello"}
    )
    assert r.status_code == 403 and r.json()["title"] == "Unsupported Authentication"
    r = requests.post(f"{base_url}/2/tweets", headers=auth(), json={"text": "a" * 281})
    assert r.status_code == 400 and "too long" in r.json()["errors"][0]["message"]
    assert (
        requests.post(f"{base_url}/2/tweets", headers=auth(), json={"text": "a" * 280}).status_code
        == 201
    )
    # 140 CJK characters weigh 280; a URL weighs 23 whatever its length
    assert (
        requests.post(
            f"{base_url}/2/tweets", headers=auth(), json={"text": "火" * 140}
        ).status_code
        == 201
    )
    assert (
        requests.post(
            f"{base_url}/2/tweets", headers=auth(), json={"text": "火" * 141}
        ).status_code
        == 400
    )
    long_url = "https://support.mozilla.org/" + "x" * 300
    assert (
        requests.post(
            f"{base_url}/2/tweets", headers=auth(), json={"text": "See " + long_url}
        ).status_code
        == 201
    )
    r = requests.post(f"{base_url}/2/tweets", headers=auth(), data=b"{not json", params=None)
    assert r.status_code == 400 and "not valid JSON" in r.json()["detail"]
    t = customer_tweet("@FirefoxSupport delete me later")
    own = requests.post(
        f"{base_url}/2/tweets",
        headers=auth(),
        json={"text": "Our reply", "reply": {"in_reply_to_tweet_id": t["id"]}},
    )
    own_id = own.json()["data"]["id"]
    assert requests.delete(f"{base_url}/2/tweets/{t['id']}", headers=auth()).status_code == 403
    assert (
        requests.delete(
            f"{base_url}/2/tweets/{own_id}", headers=auth("sim-token-firefox")
        ).status_code
        == 403
    )
    r = requests.delete(f"{base_url}/2/tweets/{own_id}", headers=auth())
    assert r.json() == {"data": {"deleted": True}}


def test_like_on_behalf_of_someone_else_is_forbidden(base_url, auth, customer_tweet):
    t = customer_tweet("@Firefox nice")
    r = requests.post(
        f"{base_url}/2/users/2142731/likes", headers=auth(), json={"tweet_id": t["id"]}
    )
    assert r.status_code == 403
    r = requests.post(
        f"{base_url}/2/users/2142731/likes",
        headers=auth("sim-token-firefox"),
        json={"tweet_id": t["id"]},
    )
    assert r.json() == {"data": {"liked": True}}
    r = requests.post(
        f"{base_url}/2/users/2142731/likes",
        headers=auth("sim-token-firefox"),
        json={"tweet_id": "123"},
    )
    assert r.status_code == 404


def test_rate_limit_headers_on_every_x_response(base_url, auth):
    for headers in (auth(), auth("bad"), {}):
        r = requests.get(f"{base_url}/2/users/me", headers=headers)
        assert {"x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"} <= set(
            r.headers
        )
    assert requests.get(f"{base_url}/2/users/me").status_code == 401


def test_unknown_route_and_bad_max_results(base_url, auth):
    r = requests.get(f"{base_url}/2/nothing/here", headers=auth())
    assert r.status_code == 404 and r.headers["Content-Type"].startswith("application/json")
    r = requests.get(
        f"{base_url}/2/tweets/search/recent",
        headers=auth(),
        params={"query": "firefox", "max_results": "5"},
    )
    assert r.status_code == 400 and "between 10 and 100" in r.json()["errors"][0]["message"]
    r = requests.get(
        f"{base_url}/2/users/{SUPPORT_ID}/mentions", headers=auth(), params={"max_results": "101"}
    )
    assert r.status_code == 400
    r = requests.get(
        f"{base_url}/2/users/{SUPPORT_ID}/mentions",
        headers=auth(),
        params={"pagination_token": "zz"},
    )
    assert r.status_code == 400
    r = requests.get(
        f"{base_url}/2/tweets/search/recent", headers=auth(), params={"query": "foo:bar"}
    )
    assert r.status_code == 400


def test_customer_tweets_validation_and_profile_updates(sim, base_url):
    url = f"{base_url}/_sim/customer_tweets"
    r = requests.post(url, data=b"{oops", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "not valid JSON" in r.json()["detail"]
    assert requests.post(url, json=["a list"]).status_code == 400
    assert requests.post(url, json={"text": "hi"}).status_code == 400
    assert requests.post(url, json={"text": "", "author": {"username": "x"}}).status_code == 400
    assert (
        requests.post(url, json={"text": "hi", "author": {"username": "bad name!"}}).status_code
        == 400
    )
    assert (
        requests.post(
            url, json={"text": "hi", "author": {"username": "FirefoxSupport"}}
        ).status_code
        == 400
    )
    assert (
        requests.post(
            url, json={"text": "hi", "author": {"username": "x", "followers_count": "many"}}
        ).status_code
        == 400
    )
    assert (
        requests.post(
            url, json={"text": "hi", "author": {"username": "x"}, "in_reply_to_tweet_id": "99"}
        ).status_code
        == 400
    )
    r = requests.post(
        url,
        json={
            "text": "@mozilla_france Bonjour",
            "lang": "fr",
            "author": {"username": "celine", "name": "Céline", "followers_count": 10},
        },
    )
    assert r.status_code == 201
    data = r.json()["data"]
    assert data["lang"] == "fr" and data["author_username"] == "celine"
    assert data["created_at"].endswith("Z") and len(data["created_at"]) == 24
    r = requests.post(
        url,
        json={
            "text": "encore moi @mozilla_france",
            "lang": "fr",
            "author": {"username": "celine", "followers_count": 400_000, "verified": True},
        },
    )
    assert r.json()["data"]["author_id"] == data["author_id"]
    user = sim.state.user(data["author_id"])
    assert (user.name, user.followers_count, user.verified) == ("Céline", 400_000, True)


def test_customer_reply_to_brand_gets_the_mention(base_url, auth, customer_tweet):
    t = customer_tweet("@mozilla_germany Lesezeichen weg", username="kai", lang="de")
    r = requests.post(
        f"{base_url}/2/tweets",
        headers=auth("sim-token-mozilla_germany"),
        json={"text": "@kai Schau mal hier", "reply": {"in_reply_to_tweet_id": t["id"]}},
    )
    reply_id = r.json()["data"]["id"]
    answer = customer_tweet(
        "Danke, geht wieder!", username="kai", lang="de", in_reply_to_tweet_id=reply_id
    )
    assert answer["text"] == "@mozilla_germany Danke, geht wieder!"
    assert answer["conversation_id"] == t["id"]
    mentions = requests.get(
        f"{base_url}/2/users/2142733/mentions",
        headers=auth("sim-token-mozilla_germany"),
        params={"since_id": t["id"]},
    ).json()
    assert [m["id"] for m in mentions["data"]] == [answer["id"]]


def test_inspection_reset_config_and_faults(sim, base_url, auth, customer_tweet):
    t = customer_tweet("@FirefoxSupport hi")
    state = requests.get(f"{base_url}/_sim/state").json()
    assert state["counts"]["tweets"] == 1 and state["rate_limits"]["default_limit"] == 10_000
    assert (
        requests.get(f"{base_url}/_sim/tweets", params={"author": "jane_doe"}).json()["data"][0][
            "id"
        ]
        == t["id"]
    )

    requests.post(f"{base_url}/_sim/config", json={"faults": {"error_next": 1}})
    assert requests.get(f"{base_url}/2/users/me", headers=auth()).status_code == 503
    assert requests.get(f"{base_url}/2/users/me", headers=auth()).status_code == 200
    # the platform acts, but the answer is lost: the reply exists although the client saw 503
    requests.post(f"{base_url}/_sim/config", json={"faults": {"lose_response_next": 1}})
    r = requests.post(
        f"{base_url}/2/tweets",
        headers=auth(),
        json={"text": "lost answer", "reply": {"in_reply_to_tweet_id": t["id"]}},
    )
    assert r.status_code == 503
    assert [
        x["text"]
        for x in requests.get(f"{base_url}/_sim/tweets", params={"in_reply_to": t["id"]}).json()[
            "data"
        ]
    ] == ["lost answer"]
    assert (
        requests.post(
            f"{base_url}/_sim/config", json={"rate_limits": {"GET /nope": 1}}
        ).status_code
        == 400
    )

    assert requests.post(f"{base_url}/_sim/reset").status_code == 200
    state = requests.get(f"{base_url}/_sim/state").json()
    assert state["counts"]["tweets"] == 0 and state["counts"]["users"] == 7
    assert requests.get(f"{base_url}/2/users/me", headers=auth()).status_code == 200


def test_traffic_control_endpoints(sim, base_url):
    r = requests.post(f"{base_url}/_sim/generate", json={"n": 5})
    assert r.status_code == 201 and len(r.json()["data"]) == 5
    assert (
        requests.post(f"{base_url}/_sim/traffic", json={"rate_per_minute": -1}).status_code == 400
    )
    assert requests.post(f"{base_url}/_sim/traffic", json={"rate_per_minute": 6000}).json()[
        "data"
    ]["running"]
    assert sim.traffic.running
    import time

    deadline = time.time() + 5
    while sim.state.summary()["counts"]["tweets"] < 8 and time.time() < deadline:
        time.sleep(0.05)
    assert sim.state.summary()["counts"]["tweets"] >= 8
    requests.post(f"{base_url}/_sim/traffic", json={"rate_per_minute": 0})
    assert not sim.traffic.running
    assert requests.get(f"{base_url}/_sim/state").json()["traffic"]["rate_per_minute"] == 0


def test_reset_keeps_ids_growing_and_restores_limits(sim, base_url, auth, customer_tweet):
    before = customer_tweet("@FirefoxSupport before reset")
    requests.post(
        f"{base_url}/_sim/config",
        json={"rate_limits": {"GET /2/users/me": 1}, "faults": {"error_next": 5}},
    )
    requests.post(f"{base_url}/_sim/reset")
    after = customer_tweet("@FirefoxSupport after reset")
    assert int(after["id"]) > int(before["id"])  # an old since_id cursor still sees new tweets
    r = requests.get(f"{base_url}/2/users/me", headers=auth())
    assert r.status_code == 200 and r.headers["x-rate-limit-limit"] == "10000"


def test_concurrent_writers_get_unique_ids(sim, base_url, auth, customer_tweet):
    from concurrent.futures import ThreadPoolExecutor

    root = customer_tweet("@FirefoxSupport busy day")

    def reply(i):
        with requests.Session() as s:
            r = s.post(
                f"{base_url}/2/tweets",
                headers=auth(),
                json={"text": f"reply {i}", "reply": {"in_reply_to_tweet_id": root["id"]}},
            )
            return r.status_code, r.json()["data"]["id"]

    def shout(i):
        return customer_tweet(f"@Firefox shout {i}", username=f"fan{i % 7}")["id"]

    with ThreadPoolExecutor(16) as pool:
        replies = list(pool.map(reply, range(60)))
        shouts = list(pool.map(shout, range(60)))
    assert {s for s, _ in replies} == {201}
    ids = [i for _, i in replies] + shouts
    assert len(set(ids)) == 120
    assert sim.state.get_tweet(root["id"])["public_metrics"]["reply_count"] == 60


def test_tweet_ids_carry_the_time_they_were_posted_at(base_url, customer_tweet):
    # X's ids are Snowflakes: the top 42 bits are milliseconds since 1288834974657.
    from datetime import datetime

    tweets = [customer_tweet(f"@FirefoxSupport question {i}") for i in range(3)]
    for t in tweets:
        from_id = ((int(t["id"]) >> 22) + 1288834974657) / 1000
        assert (
            from_id == datetime.fromisoformat(t["created_at"].replace("Z", "+00:00")).timestamp()
        )
    assert [t["id"] for t in tweets] == sorted((t["id"] for t in tweets), key=int)


def test_partial_answers_leave_out_fields_includes_users_and_tweets_with_errors(
    base_url, auth, customer_tweet
):
    t = customer_tweet("@FirefoxSupport my tabs are gone", username="tabs_gone")
    author = t["author_id"]
    params = {
        "tweet.fields": "author_id,created_at,entities,lang",
        "expansions": "author_id",
        "user.fields": "username",
    }
    full = requests.get(
        f"{base_url}/2/users/{SUPPORT_ID}/mentions", headers=auth(), params=params
    ).json()
    assert (
        full["data"][0]["author_id"] == author
        and full["includes"]["users"][0]["username"] == "tabs_gone"
    )

    r = requests.post(
        f"{base_url}/_sim/config",
        json={
            "partial": {
                "omit_fields": ["author_id", "created_at", "entities"],
                "omit_includes": True,
            }
        },
    )
    assert r.status_code == 200 and r.json()["partial"]["omit_includes"] is True
    sparse = requests.get(
        f"{base_url}/2/users/{SUPPORT_ID}/mentions", headers=auth(), params=params
    ).json()
    assert sparse["data"] == [
        {"id": t["id"], "text": t["text"], "edit_history_tweet_ids": [t["id"]], "lang": "en"}
    ]
    assert "includes" not in sparse and sparse["meta"]["result_count"] == 1
    # Lookups by id still answer in full: that is how a client gets what a page left out.
    again = requests.get(
        f"{base_url}/2/tweets", headers=auth(), params={"ids": t["id"], **params}
    ).json()
    assert (
        again["data"][0]["author_id"] == author and again["includes"]["users"][0]["id"] == author
    )

    requests.post(
        f"{base_url}/_sim/config",
        json={
            "partial": {
                "omit_fields": [],
                "omit_includes": False,
                "hide_users": [author],
                "hide_tweets": [t["id"]],
            }
        },
    )
    page = requests.get(
        f"{base_url}/2/users/{SUPPORT_ID}/mentions", headers=auth(), params=params
    ).json()
    assert page["data"][0]["author_id"] == author and "includes" not in page
    assert [(e["resource_type"], e["resource_id"], e["parameter"]) for e in page["errors"]] == [
        ("user", author, "author_id")
    ]
    users = requests.get(
        f"{base_url}/2/users", headers=auth(), params={"ids": f"{author},{SUPPORT_ID}"}
    ).json()
    assert [u["id"] for u in users["data"]] == [SUPPORT_ID] and users["errors"][0][
        "resource_id"
    ] == author
    tweets = requests.get(f"{base_url}/2/tweets", headers=auth(), params={"ids": t["id"]}).json()
    assert "data" not in tweets and tweets["errors"][0]["resource_id"] == t["id"]

    for bad in (
        {"omit_fields": ["id"]},
        {"hide_users": [12]},
        {"omit_includes": "yes"},
        {"drop": True},
        [],
    ):
        r = requests.post(f"{base_url}/_sim/config", json={"partial": bad})
        assert r.status_code == 400 and "partial" in r.json()["detail"]
    requests.post(f"{base_url}/_sim/reset")
    assert requests.get(f"{base_url}/_sim/state").json()["partial"]["hide_users"] == []
