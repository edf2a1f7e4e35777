"""The fault mode every simulator shares: a configured share of platform requests goes wrong,
in the same way for the same seed, and what was performed despite a lost answer is counted."""

import argparse

import pytest
import requests

from simulators.faults import KINDS, FaultInjector, add_cli_arguments, injector_from_args
from simulators.google_play import GooglePlaySimulator
from simulators.mastodon import MastodonSimulator
from simulators.twitter import TwitterSimulator

PLAY_AUTH = {"Authorization": "Bearer sim-token-google-play"}
REVIEWS = "/androidpublisher/v3/applications/org.mozilla.firefox/reviews"


@pytest.fixture(scope="module")
def play():
    sim = GooglePlaySimulator(seed=3)
    server = sim.serve()
    sim.base_url = server.base_url
    yield sim
    sim.close()


@pytest.fixture(scope="module")
def twitter():
    sim = TwitterSimulator(seed=3)
    server = sim.serve()
    sim.base_url = server.base_url
    yield sim
    sim.close()


@pytest.fixture(autouse=True)
def fresh(play, twitter):
    play.reset()
    twitter.state.reset()
    twitter.faults.reset()


def configure(sim, **body):
    r = requests.post(f"{sim.base_url}/_sim/config", json=body, timeout=5)
    r.raise_for_status()
    return r.json()


def test_the_same_seed_fails_the_same_requests():
    a, b = FaultInjector(share=0.3, seed=5), FaultInjector(share=0.3, seed=5)
    draws = [a.draw() for _ in range(200)]
    assert draws == [b.draw() for _ in range(200)]
    assert 30 < sum(d is not None for d in draws) < 90
    assert set(d for d in draws if d) <= set(KINDS)


def test_the_command_line_sets_the_fault_mode():
    parser = argparse.ArgumentParser()
    add_cli_arguments(parser)
    injector = injector_from_args(
        parser.parse_args(
            ["--fault-share", "0.1", "--fault-kinds", "429,503", "--fault-seed", "9"]
        )
    )
    assert injector.summary()["share"] == 0.1 and injector.summary()["kinds"] == ["429", "503"]
    injector.configure({"share": 0.5})
    injector.reset()  # back to what the command line said
    assert injector.share == 0.1


def test_bad_fault_settings_get_a_clear_message(play):
    r = requests.post(
        f"{play.base_url}/_sim/config", json={"faults": {"share": 2, "kinds": ["boom"]}}, timeout=5
    )
    assert r.status_code == 400 and "share" in r.json()["error"]
    r = requests.post(
        f"{play.base_url}/_sim/config", json={"faults": {"kinds": ["boom"]}}, timeout=5
    )
    assert r.status_code == 400 and "drop_after_commit" in r.json()["error"]


def test_a_refused_request_does_nothing_and_sim_requests_never_fail(play):
    review = play.state.add_review(author_name="A", text="Crashes", star_rating=1)
    configure(play, faults={"share": 1.0, "kinds": ["503"]})
    r = requests.post(
        f"{play.base_url}{REVIEWS}/{review.review_id}:reply",
        json={"replyText": "Hi"},
        headers=PLAY_AUTH,
        timeout=5,
    )
    assert r.status_code == 503 and r.json()["error"]["status"] == "UNAVAILABLE"
    assert requests.get(f"{play.base_url}/_sim/replies", timeout=5).json()["data"] == []
    assert (
        requests.get(f"{play.base_url}/_sim/state", timeout=5).json()["faults"]["injected"]["503"]
        == 1
    )


def test_429_says_when_to_come_back(play, twitter):
    configure(play, faults={"share": 1.0, "kinds": ["429"], "retry_after": 7})
    r = requests.get(f"{play.base_url}{REVIEWS}", headers=PLAY_AUTH, timeout=5)
    assert r.status_code == 429 and r.headers["Retry-After"] == "7"
    configure(twitter, faults={"share": 1.0, "kinds": ["429"]})
    r = requests.get(
        f"{twitter.base_url}/2/users/me",
        headers={"Authorization": "Bearer sim-token-firefoxsupport"},
        timeout=5,
    )
    assert (
        r.status_code == 429
        and int(r.headers["x-rate-limit-reset"]) > 0
        and r.headers["x-rate-limit-remaining"] == "0"
    )


def test_a_dropped_answer_after_the_platform_acted_is_counted(play, twitter):
    review = play.state.add_review(author_name="A", text="Crashes", star_rating=1)
    configure(play, faults={"share": 1.0, "kinds": ["drop_after_commit"]})
    with pytest.raises(requests.ConnectionError):
        requests.post(
            f"{play.base_url}{REVIEWS}/{review.review_id}:reply",
            json={"replyText": "Hi"},
            headers=PLAY_AUTH,
            timeout=5,
        )
    assert [
        r["text"] for r in requests.get(f"{play.base_url}/_sim/replies", timeout=5).json()["data"]
    ] == ["Hi"]

    configure(twitter, faults={"share": 1.0, "kinds": ["drop_after_commit"]})
    with pytest.raises(requests.ConnectionError):
        requests.post(
            f"{twitter.base_url}/2/tweets",
            json={"text": "hello"},
            headers={"Authorization": "Bearer sim-token-firefoxsupport"},
            timeout=5,
        )
    assert [
        t["text"]
        for t in requests.get(
            f"{twitter.base_url}/_sim/tweets", params={"author": "FirefoxSupport"}, timeout=5
        ).json()["data"]
    ] == ["hello"]


def test_a_malformed_answer_is_not_json(twitter):
    configure(twitter, faults={"share": 1.0, "kinds": ["malformed"]})
    r = requests.get(
        f"{twitter.base_url}/2/users/me",
        headers={"Authorization": "Bearer sim-token-firefoxsupport"},
        timeout=5,
    )
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    # The older scheduled faults still work beside the fault mode.
    configure(twitter, faults={"share": 0.0, "error_next": 1})
    assert (
        requests.get(
            f"{twitter.base_url}/2/users/me",
            headers={"Authorization": "Bearer sim-token-firefoxsupport"},
            timeout=5,
        ).status_code
        == 503
    )


def test_a_time_out_holds_the_answer_back_past_the_client(play):
    configure(play, faults={"share": 1.0, "kinds": ["timeout"], "timeout_seconds": 1.0})
    with pytest.raises(requests.Timeout):
        requests.get(f"{play.base_url}{REVIEWS}", headers=PLAY_AUTH, timeout=0.3)


def test_mastodon_honours_idempotency_keys_under_faults():
    sim = MastodonSimulator(seed=2)
    server = sim.serve()
    try:
        customer = sim.state.upsert_customer("alex")
        toot, _ = sim.state.post(customer, "@firefox_support hi", via="customer")
        auth = {"Authorization": "Bearer sim-token-mastodon-firefox_support"}
        requests.post(
            f"{server.base_url}/_sim/config",
            json={"faults": {"share": 0.5, "kinds": ["drop_after_commit", "503"]}, "seed": 4},
            timeout=5,
        )
        for _ in range(10):
            try:
                requests.post(
                    f"{server.base_url}/api/v1/statuses",
                    data={"status": "@alex hello", "in_reply_to_id": toot["id"]},
                    headers={**auth, "Idempotency-Key": "one-intent"},
                    timeout=5,
                )
            except requests.ConnectionError:
                pass
        state = requests.get(f"{server.base_url}/_sim/state", timeout=5).json()
        assert state["statuses_created_per_idempotency_key"] == {"one-intent": 1}
    finally:
        sim.close()
