"""The Google Play and Mastodon simulators answer like the platforms: their errors, limits and paging."""

import time

import pytest
import requests

from simulators.google_play import GooglePlaySimulator
from simulators.mastodon import MastodonSimulator

PLAY = {"Authorization": "Bearer sim-token-google-play"}
REVIEWS = "/androidpublisher/v3/applications/org.mozilla.firefox/reviews"
MASTO = {"Authorization": "Bearer sim-token-mastodon-firefox_support"}


@pytest.fixture(scope="module")
def play():
    sim = GooglePlaySimulator(seed=1)
    sim.base_url = sim.serve().base_url
    yield sim
    sim.close()


@pytest.fixture(scope="module")
def masto():
    sim = MastodonSimulator(seed=1)
    sim.base_url = sim.serve().base_url
    yield sim
    sim.close()


@pytest.fixture(autouse=True)
def fresh(play, masto):
    play.reset()
    masto.reset()


def test_play_refuses_bad_tokens_other_apps_and_long_replies(play):
    review = play.state.add_review(author_name="A", text="Crashes", star_rating=1)
    assert requests.get(f"{play.base_url}{REVIEWS}", timeout=5).json()["error"]["status"] == "UNAUTHENTICATED"
    r = requests.get(f"{play.base_url}/androidpublisher/v3/applications/com.example/reviews", headers=PLAY, timeout=5)
    assert r.status_code == 403
    r = requests.post(f"{play.base_url}{REVIEWS}/{review.review_id}:reply", json={"replyText": "x" * 351}, headers=PLAY, timeout=5)
    assert r.status_code == 400 and "at most 350" in r.json()["error"]["message"]
    r = requests.post(f"{play.base_url}{REVIEWS}/nope:reply", json={"replyText": "hi"}, headers=PLAY, timeout=5)
    assert r.status_code == 404


def test_play_pages_newest_change_first_and_a_second_reply_replaces_the_first(play):
    reviews = [play.state.add_review(author_name=f"R{i}", text=f"review {i}", star_rating=1, at=time.time() - 100 + i) for i in range(5)]
    play.state.edit_review(reviews[0].review_id, text="edited")
    seen, token = [], None
    while True:
        params = {"maxResults": 2, **({"token": token} if token else {})}
        body = requests.get(f"{play.base_url}{REVIEWS}", params=params, headers=PLAY, timeout=5).json()
        seen += [r["reviewId"] for r in body.get("reviews", [])]
        token = (body.get("tokenPagination") or {}).get("nextPageToken")
        if not token:
            break
    assert seen[0] == reviews[0].review_id and len(seen) == 5
    rid = reviews[1].review_id
    for text in ("first", "second"):
        requests.post(f"{play.base_url}{REVIEWS}/{rid}:reply", json={"replyText": text}, headers=PLAY, timeout=5).raise_for_status()
    shown = requests.get(f"{play.base_url}{REVIEWS}/{rid}", headers=PLAY, timeout=5).json()
    assert shown["comments"][-1]["developerComment"]["text"] == "second"
    assert requests.get(f"{play.base_url}/_sim/state", timeout=5).json()["api_replies_per_review"] == {rid: 2}


def test_play_traffic_is_mostly_low_ratings_in_six_languages(play):
    play.traffic.generate(300)
    versions = [r.latest for r in play.state.reviews.values()]
    low = sum(v.star_rating <= 2 for v in versions)
    assert low > len(versions) * 0.5
    assert {v.language for v in versions} == {"en", "de", "fr", "es", "pt", "tr"}
    assert any(len(r.versions) > 1 for r in play.state.reviews.values())


def test_mastodon_notifications_page_back_with_max_id_and_refuse_long_posts(masto):
    customer = masto.state.upsert_customer("alex")
    for i in range(7):
        masto.state.post(customer, f"@firefox_support q{i}", via="customer")
    page1 = requests.get(f"{masto.base_url}/api/v1/notifications", params={"types[]": "mention", "limit": 4}, headers=MASTO, timeout=5)
    ids1 = [n["id"] for n in page1.json()]
    assert len(ids1) == 4 and ids1 == sorted(ids1, key=int, reverse=True)
    assert page1.headers["X-RateLimit-Remaining"]
    page2 = requests.get(f"{masto.base_url}/api/v1/notifications", params={"types[]": "mention", "limit": 4, "max_id": ids1[-1]}, headers=MASTO, timeout=5).json()
    assert len(page2) == 3 and all(int(n["id"]) < int(ids1[-1]) for n in page2)
    newer = requests.get(f"{masto.base_url}/api/v1/notifications", params={"since_id": ids1[0]}, headers=MASTO, timeout=5).json()
    assert newer == []
    r = requests.post(f"{masto.base_url}/api/v1/statuses", data={"status": "x" * 501}, headers=MASTO, timeout=5)
    assert r.status_code == 422 and "500" in r.json()["error"]
    assert requests.get(f"{masto.base_url}/api/v1/notifications", timeout=5).status_code == 401


def test_mastodon_content_is_html_and_mentions_are_linked(masto):
    customer = masto.state.upsert_customer("alex")
    status, _ = masto.state.post(customer, "@firefox_support <b>hi</b> & bye", via="customer")
    assert status["content"].startswith('<p><span class="h-card"')
    assert "&lt;b&gt;hi&lt;/b&gt; &amp; bye" in status["content"]
    assert [m["username"] for m in status["mentions"]] == ["firefox_support"]
