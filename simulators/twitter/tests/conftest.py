"""Fixtures: a simulator served on a free local port, plus a tweepy client redirected to it."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
import tweepy

from simulators.twitter import TwitterSimulator


class RedirectAdapter(requests.adapters.HTTPAdapter):
    """Sends requests meant for https://api.twitter.com/ to the simulator instead."""

    def __init__(self, base_url: str, **kwargs):
        self.base_url = base_url.rstrip("/")
        super().__init__(**kwargs)

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        request.url = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().send(request, **kwargs)


@pytest.fixture
def sim():
    simulator = TwitterSimulator(seed=1)
    yield simulator
    simulator.close()


@pytest.fixture
def base_url(sim):
    return sim.serve().base_url


@pytest.fixture
def make_client(base_url):
    def make(token: str = "sim-token-firefoxsupport") -> tweepy.Client:
        client = tweepy.Client(bearer_token=token, return_type=requests.Response)
        client.session.mount("https://api.twitter.com/", RedirectAdapter(base_url))
        return client

    return make


@pytest.fixture
def auth():
    def headers(token: str = "sim-token-firefoxsupport") -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def customer_tweet(base_url):
    def post(text, username="jane_doe", **extra):
        author = {"username": username, "name": extra.pop("name", "Jane Doe")}
        author.update(extra.pop("author", {}))
        r = requests.post(
            f"{base_url}/_sim/customer_tweets", json={"text": text, "author": author, **extra}
        )
        assert r.status_code == 201, r.text
        return r.json()["data"]

    return post
