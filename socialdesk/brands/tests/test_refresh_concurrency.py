"""Two workers that find the same X token expired renew it once: X's refresh tokens are
single-use, so a second renewal with the same one would be refused and disconnect the account.
Real threads, real row locks: PostgreSQL (SQLite serialises every writer anyway)."""

import threading
import time

import pytest
import requests
from django.db import connection

from socialdesk.brands.models import BrandAccount
from socialdesk.brands.tokens import TokenKeeper
from socialdesk.connectors import twitter_auth
from socialdesk.connectors.auth import pkce_pair
from socialdesk.connectors.registry import connector_for

from .flows import PUBLIC_URL, consent

CALLBACK = f"{PUBLIC_URL}/manage/accounts/callback"


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip(
            "row locks under real concurrency: run with DATABASE_URL pointing at PostgreSQL"
        )


@pytest.fixture
def connected(postgres, transactional_db, twitter_sim):
    """@FirefoxSupport connected through the simulator's OAuth 2.0 sign-in, its token expired."""
    from socialdesk.demo.seed import load_demo_configuration

    load_demo_configuration()
    account = BrandAccount.objects.get(handle="FirefoxSupport")
    verifier, challenge = pkce_pair()
    url, _ = twitter_auth.start_oauth(
        account=account,
        values={},
        redirect_uri=CALLBACK,
        state="s",
        challenge=challenge,
        apps=None,
    )
    code = consent(url, account="FirefoxSupport").split("code=")[1].split("&")[0]
    got = twitter_auth.finish_oauth(
        account=account, flow={}, code=code, verifier=verifier, redirect_uri=CALLBACK, apps=None
    )
    BrandAccount.objects.filter(pk=account.pk).update(credentials=got.credentials)
    requests.post(f"{twitter_sim.base_url}/_sim/oauth/expire", timeout=5).raise_for_status()
    return account.pk


def _in_threads(n, work):
    start, results = threading.Barrier(n), [None] * n

    def run(i):
        try:
            start.wait()
            results[i] = work()
        except Exception as exc:  # noqa: BLE001 - reported by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def _oauth(twitter_sim):
    return requests.get(f"{twitter_sim.base_url}/_sim/oauth", timeout=5).json()["data"]


def test_two_workers_renew_an_expired_token_once_and_both_use_it(connected, twitter_sim):
    stale = BrandAccount.objects.get(pk=connected).credentials["access_token"]
    results = _in_threads(
        2, lambda: TokenKeeper(BrandAccount.objects.get(pk=connected)).refreshed(stale=stale)
    )
    assert not any(isinstance(r, Exception) for r in results), results
    assert results[0]["access_token"] == results[1]["access_token"] != stale
    assert (_oauth(twitter_sim)["refreshes"], _oauth(twitter_sim)["refused_refreshes"]) == (1, 0)
    account = BrandAccount.objects.get(pk=connected)
    assert (
        not account.sending_paused
        and account.credentials["access_token"] == results[0]["access_token"]
    )


def test_two_workers_whose_calls_meet_a_401_at_once_both_go_on(connected, twitter_sim):
    def call():
        connector = connector_for(BrandAccount.objects.get(pk=connected))
        connector.check()  # GET /2/users/me with the expired token: 401, renewed, again
        return connector.token

    results = _in_threads(3, call)
    assert not any(isinstance(r, Exception) for r in results), results
    assert len(set(results)) == 1
    assert (_oauth(twitter_sim)["refreshes"], _oauth(twitter_sim)["refused_refreshes"]) == (1, 0)
    assert time.time() < BrandAccount.objects.get(pk=connected).credentials["expires_at"]
