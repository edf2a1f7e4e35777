"""The X simulator's user authentication behaves as X documents it: PKCE, expiring access tokens,
single-use refresh tokens, scopes per endpoint, app-only tokens refused on writes, OAuth 1.0a."""

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import requests
import tweepy

from simulators.twitter.oauth import (
    CONSUMER_KEY,
    CONSUMER_SECRET,
    oauth1_secret_for,
    oauth1_token_for,
)

from .conftest import RedirectAdapter

CALLBACK = "http://127.0.0.1:8000/manage/accounts/callback"
BASIC = {"Authorization": "Basic " + base64.b64encode(b"sim-client-id:sim-client-secret").decode()}
VERIFIER = "a-verifier-of-at-least-forty-three-characters-long-0123456789"
CHALLENGE = (
    base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
)
SCOPES = "tweet.read users.read tweet.write like.write offline.access"


def _authorize(
    base_url, *, account="FirefoxSupport", decision="allow", scope=SCOPES, challenge=CHALLENGE
):
    params = {
        "response_type": "code",
        "client_id": "sim-client-id",
        "redirect_uri": CALLBACK,
        "scope": scope,
        "state": "st4te",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = requests.get(f"{base_url}/i/oauth2/authorize", params=params, timeout=5)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    hidden = dict(re.findall(r"name='(\w+)' value='([^']*)'", page.text))
    r = requests.post(
        f"{base_url}/i/oauth2/authorize",
        data={**hidden, "account": account, "decision": decision},
        allow_redirects=False,
        timeout=5,
    )
    assert r.status_code == 302
    location = urlsplit(r.headers["Location"])
    assert location._replace(query="").geturl() == CALLBACK
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def _exchange(base_url, code, verifier=VERIFIER):
    return requests.post(
        f"{base_url}/2/oauth2/token",
        headers=BASIC,
        timeout=5,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
            "client_id": "sim-client-id",
        },
    )


def test_the_pkce_flow_gives_an_expiring_token_and_a_refresh_token(base_url, sim):
    back = _authorize(base_url)
    assert back["state"] == "st4te"
    tokens = _exchange(base_url, back["code"]).json()
    assert (
        tokens["expires_in"] == 7200
        and tokens["token_type"] == "bearer"
        and tokens["refresh_token"]
    )
    me = requests.get(
        f"{base_url}/2/users/me",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=5,
    ).json()
    assert me["data"]["username"] == "FirefoxSupport"
    # The code is used once; a wrong verifier gets nothing.
    assert _exchange(base_url, back["code"]).status_code == 400
    assert (
        _exchange(
            base_url, _authorize(base_url)["code"], verifier="not-the-verifier-" * 3
        ).status_code
        == 400
    )


def test_a_refresh_token_works_once_and_an_expired_token_is_refused(base_url, sim):
    tokens = _exchange(base_url, _authorize(base_url)["code"]).json()
    requests.post(f"{base_url}/_sim/oauth/expire", timeout=5)
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert requests.get(f"{base_url}/2/users/me", headers=auth, timeout=5).status_code == 401
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": "sim-client-id",
    }
    first = requests.post(f"{base_url}/2/oauth2/token", headers=BASIC, data=refresh, timeout=5)
    second = requests.post(f"{base_url}/2/oauth2/token", headers=BASIC, data=refresh, timeout=5)
    assert first.status_code == 200 and first.json()["refresh_token"] != tokens["refresh_token"]
    assert second.status_code == 400 and second.json()["error"] == "invalid_request"
    fresh = {"Authorization": f"Bearer {first.json()['access_token']}"}
    assert requests.get(f"{base_url}/2/users/me", headers=fresh, timeout=5).status_code == 200
    counts = requests.get(f"{base_url}/_sim/oauth", timeout=5).json()["data"]
    assert (counts["refreshes"], counts["refused_refreshes"]) == (1, 1)


def test_scopes_decide_what_a_user_token_may_do(base_url, sim, customer_tweet):
    tweet = customer_tweet("@FirefoxSupport hi")
    tokens = _exchange(
        base_url, _authorize(base_url, scope="tweet.read users.read tweet.write")["code"]
    ).json()
    assert "refresh_token" not in tokens  # no offline.access, no refresh token
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    like = requests.post(
        f"{base_url}/2/users/2142732/likes",
        headers=auth,
        json={"tweet_id": tweet["id"]},
        timeout=5,
    )
    assert like.status_code == 403 and "like.write" in like.json()["detail"]
    assert (
        requests.post(
            f"{base_url}/2/users/2142732/retweets",
            headers=auth,
            json={"tweet_id": tweet["id"]},
            timeout=5,
        ).status_code
        == 200
    )


def test_declining_and_bad_requests_never_issue_a_code(base_url, sim):
    assert _authorize(base_url, decision="deny") == {"error": "access_denied", "state": "st4te"}
    r = requests.get(
        f"{base_url}/i/oauth2/authorize",
        params={"client_id": "sim-client-id", "redirect_uri": "https://evil.example/cb"},
        timeout=5,
    )
    assert (
        r.status_code == 400 and "callback URL" in r.text
    )  # never sent to a callback the app did not register
    r = requests.get(
        f"{base_url}/i/oauth2/authorize",
        allow_redirects=False,
        timeout=5,
        params={
            "response_type": "code",
            "client_id": "sim-client-id",
            "redirect_uri": CALLBACK,
            "scope": "tweet.read",
            "state": "s",
        },
    )
    assert (
        r.status_code == 302 and "error=invalid_request" in r.headers["Location"]
    )  # no PKCE challenge
    assert (
        requests.post(
            f"{base_url}/2/oauth2/token",
            data={"grant_type": "refresh_token", "refresh_token": "x"},
            timeout=5,
        ).status_code
        == 401
    )


def test_an_app_only_token_reads_but_may_not_post(base_url, sim):
    app = {"Authorization": "Bearer sim-app-token"}
    r = requests.post(f"{base_url}/2/tweets", headers=app, json={"text": "hello"}, timeout=5)
    assert r.status_code == 403 and r.json()["type"].endswith("/unsupported-authentication")
    assert (
        requests.get(
            f"{base_url}/2/users/by/username/FirefoxSupport", headers=app, timeout=5
        ).status_code
        == 200
    )


def test_oauth1_user_tokens_sign_requests_and_a_bad_signature_is_refused(
    base_url, sim, customer_tweet
):
    tweet = customer_tweet("@FirefoxSupport thanks")

    def client(secret):
        c = tweepy.Client(
            consumer_key=CONSUMER_KEY,
            consumer_secret=CONSUMER_SECRET,
            access_token=oauth1_token_for("FirefoxSupport"),
            access_token_secret=secret,
            return_type=requests.Response,
        )
        c.session.mount("https://api.twitter.com/", RedirectAdapter(base_url))
        return c

    good = client(oauth1_secret_for("FirefoxSupport"))
    assert good.get_me(user_auth=True).json()["data"]["id"] == "2142732"
    good.like(
        tweet["id"], user_auth=True
    )  # tweepy takes the user id from the token: no users/me call
    assert [
        lk["username"] for lk in requests.get(f"{base_url}/_sim/likes", timeout=5).json()["data"]
    ] == ["FirefoxSupport"]
    try:
        client("wrong-secret").get_me(user_auth=True)
    except tweepy.Unauthorized:
        pass
    else:
        raise AssertionError("a request signed with the wrong secret was accepted")
