"""The Mastodon simulator's OAuth behaves as Mastodon documents it: apps per instance, the
authorize form, tokens limited to their scopes, revocation."""

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from simulators.mastodon import MastodonSimulator

CALLBACK = "http://127.0.0.1:8000/manage/accounts/callback"
VERIFIER = "mastodon-verifier-with-enough-characters-to-be-valid-0123456789"
CHALLENGE = (
    base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
)


@pytest.fixture(scope="module")
def server():
    sim = MastodonSimulator(seed=1)
    sim.base_url = sim.serve().base_url
    yield sim
    sim.close()


@pytest.fixture
def masto(server):
    server.reset()
    return server


def _app(
    base, scopes="read:accounts read:notifications read:statuses write:statuses write:favourites"
):
    r = requests.post(
        f"{base}/api/v1/apps",
        data={"client_name": "Socialdesk", "redirect_uris": CALLBACK, "scopes": scopes},
        timeout=5,
    )
    assert r.status_code == 200, r.text
    return r.json()


def _token(base, app, *, scope, account="firefox_support"):
    params = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": CALLBACK,
        "scope": scope,
        "state": "s1",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    page = requests.get(f"{base}/oauth/authorize", params=params, timeout=5)
    hidden = dict(re.findall(r"name='(\w+)' value='([^']*)'", page.text))
    r = requests.post(
        f"{base}/oauth/authorize",
        data={**hidden, "account": account, "decision": "allow"},
        allow_redirects=False,
        timeout=5,
    )
    back = {k: v[0] for k, v in parse_qs(urlsplit(r.headers["Location"]).query).items()}
    assert back["state"] == "s1"
    r = requests.post(
        f"{base}/oauth/token",
        timeout=5,
        data={
            "grant_type": "authorization_code",
            "code": back["code"],
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "redirect_uri": CALLBACK,
            "code_verifier": VERIFIER,
            "scope": scope,
        },
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_an_app_is_registered_then_a_user_token_obtained_with_pkce(masto):
    app = _app(masto.base_url)
    assert app["client_secret"] and app["redirect_uris"] == [CALLBACK]
    token = _token(masto.base_url, app, scope="read:accounts write:statuses")
    assert (
        "expires_in" not in token and token["token_type"] == "Bearer"
    )  # Mastodon tokens do not expire
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    me = requests.get(
        f"{masto.base_url}/api/v1/accounts/verify_credentials", headers=auth, timeout=5
    ).json()
    assert me["username"] == "firefox_support"
    assert (
        requests.get(
            f"{masto.base_url}/api/v1/apps/verify_credentials", headers=auth, timeout=5
        ).json()["name"]
        == "Socialdesk"
    )


def test_a_token_is_limited_to_its_scopes_and_dies_when_revoked(masto):
    app = _app(masto.base_url)
    token = _token(masto.base_url, app, scope="read:accounts write:statuses")
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    r = requests.get(f"{masto.base_url}/api/v1/notifications", headers=auth, timeout=5)
    assert (
        r.status_code == 403
        and r.json()["error"] == "This action is outside the authorized scopes"
    )
    assert (
        requests.post(
            f"{masto.base_url}/api/v1/statuses", headers=auth, data={"status": "hello"}, timeout=5
        ).status_code
        == 200
    )
    requests.post(f"{masto.base_url}/_sim/oauth/revoke_all", timeout=5)
    r = requests.get(
        f"{masto.base_url}/api/v1/accounts/verify_credentials", headers=auth, timeout=5
    )
    assert r.status_code == 401 and r.json()["error"] == "The access token is invalid"


def test_wrong_pkce_verifier_unknown_redirects_and_wider_scopes_are_refused(masto):
    app = _app(masto.base_url, scopes="read")
    r = requests.get(
        f"{masto.base_url}/oauth/authorize",
        timeout=5,
        params={
            "response_type": "code",
            "client_id": app["client_id"],
            "redirect_uri": "https://elsewhere.example/cb",
            "scope": "read",
        },
    )
    assert r.status_code == 400
    r = requests.get(
        f"{masto.base_url}/oauth/authorize",
        allow_redirects=False,
        timeout=5,
        params={
            "response_type": "code",
            "client_id": app["client_id"],
            "redirect_uri": CALLBACK,
            "scope": "write:statuses",
            "state": "x",
        },
    )
    assert "error=invalid_scope" in r.headers["Location"]
    r = requests.post(
        f"{masto.base_url}/api/v1/apps",
        data={"client_name": "x", "redirect_uris": "not a uri"},
        timeout=5,
    )
    assert r.status_code == 422
