"""The Google Play simulator signs service accounts in as Google does: a key file, a signed JWT
for an hour's token, and the Play Console's invitation per app."""

import pytest
import requests
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account

from simulators.google_play import GooglePlaySimulator

SCOPE = "https://www.googleapis.com/auth/androidpublisher"
REVIEWS = "/androidpublisher/v3/applications/org.mozilla.firefox/reviews"


@pytest.fixture(scope="module")
def server():
    sim = GooglePlaySimulator(seed=1)
    sim.base_url = sim.serve().base_url
    yield sim
    sim.close()


@pytest.fixture
def play(server):
    server.reset()
    return server


def _key(play, packages=("org.mozilla.firefox",)):
    r = requests.post(
        f"{play.base_url}/_sim/service_accounts", json={"packages": list(packages)}, timeout=5
    )
    assert r.status_code == 201
    return r.json()["data"]


def _session(key):
    return AuthorizedSession(
        service_account.Credentials.from_service_account_info(key, scopes=[SCOPE])
    )


def test_a_service_account_key_signs_in_and_reads_the_reviews_of_its_app(play):
    key = _key(play)
    assert key["type"] == "service_account" and key["token_uri"] == f"{play.base_url}/token"
    r = _session(key).get(f"{play.base_url}{REVIEWS}", params={"maxResults": 1}, timeout=5)
    assert r.status_code == 200
    assert (
        requests.get(f"{play.base_url}/_sim/service_accounts", timeout=5).json()["data"][
            "tokens_issued"
        ]
        == 1
    )


def test_an_account_the_play_console_did_not_invite_is_refused_the_app(play):
    r = _session(_key(play, packages=())).get(f"{play.base_url}{REVIEWS}", timeout=5)
    assert r.status_code == 403 and r.json()["error"]["status"] == "PERMISSION_DENIED"


def test_a_disabled_account_or_a_key_signed_by_another_cannot_get_a_token(play):
    key, other = _key(play), _key(play)
    forged = {**key, "private_key": other["private_key"]}  # the email of one, the key of another
    with pytest.raises(RefreshError, match="Invalid JWT Signature"):
        _session(forged).get(f"{play.base_url}{REVIEWS}", timeout=5)
    requests.post(
        f"{play.base_url}/_sim/service_accounts/{key['client_email']}/disable", timeout=5
    )
    with pytest.raises(RefreshError, match="account not found"):
        _session(key).get(f"{play.base_url}{REVIEWS}", timeout=5)
