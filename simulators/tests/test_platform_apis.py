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
    assert (
        requests.get(f"{play.base_url}{REVIEWS}", timeout=5).json()["error"]["status"]
        == "UNAUTHENTICATED"
    )
    r = requests.get(
        f"{play.base_url}/androidpublisher/v3/applications/com.example/reviews",
        headers=PLAY,
        timeout=5,
    )
    assert r.status_code == 403
    r = requests.post(
        f"{play.base_url}{REVIEWS}/{review.review_id}:reply",
        json={"replyText": "x" * 351},
        headers=PLAY,
        timeout=5,
    )
    assert r.status_code == 400 and "at most 350" in r.json()["error"]["message"]
    r = requests.post(
        f"{play.base_url}{REVIEWS}/nope:reply", json={"replyText": "hi"}, headers=PLAY, timeout=5
    )
    assert r.status_code == 404


def test_play_pages_newest_change_first_and_a_second_reply_replaces_the_first(play):
    reviews = [
        play.state.add_review(
            author_name=f"R{i}", text=f"review {i}", star_rating=1, at=time.time() - 100 + i
        )
        for i in range(5)
    ]
    play.state.edit_review(reviews[0].review_id, text="edited")
    seen, token = [], None
    while True:
        params = {"maxResults": 2, **({"token": token} if token else {})}
        body = requests.get(
            f"{play.base_url}{REVIEWS}", params=params, headers=PLAY, timeout=5
        ).json()
        seen += [r["reviewId"] for r in body.get("reviews", [])]
        token = (body.get("tokenPagination") or {}).get("nextPageToken")
        if not token:
            break
    assert seen[0] == reviews[0].review_id and len(seen) == 5
    rid = reviews[1].review_id
    for text in ("first", "second"):
        requests.post(
            f"{play.base_url}{REVIEWS}/{rid}:reply",
            json={"replyText": text},
            headers=PLAY,
            timeout=5,
        ).raise_for_status()
    shown = requests.get(f"{play.base_url}{REVIEWS}/{rid}", headers=PLAY, timeout=5).json()
    assert shown["comments"][-1]["developerComment"]["text"] == "second"
    assert requests.get(f"{play.base_url}/_sim/state", timeout=5).json()[
        "api_replies_per_review"
    ] == {rid: 2}


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
    page1 = requests.get(
        f"{masto.base_url}/api/v1/notifications",
        params={"types[]": "mention", "limit": 4},
        headers=MASTO,
        timeout=5,
    )
    ids1 = [n["id"] for n in page1.json()]
    assert len(ids1) == 4 and ids1 == sorted(ids1, key=int, reverse=True)
    assert page1.headers["X-RateLimit-Remaining"]
    page2 = requests.get(
        f"{masto.base_url}/api/v1/notifications",
        params={"types[]": "mention", "limit": 4, "max_id": ids1[-1]},
        headers=MASTO,
        timeout=5,
    ).json()
    assert len(page2) == 3 and all(int(n["id"]) < int(ids1[-1]) for n in page2)
    newer = requests.get(
        f"{masto.base_url}/api/v1/notifications",
        params={"since_id": ids1[0]},
        headers=MASTO,
        timeout=5,
    ).json()
    assert newer == []
    r = requests.post(
        f"{masto.base_url}/api/v1/statuses", data={"status": "x" * 501}, headers=MASTO, timeout=5
    )
    assert r.status_code == 422 and "500" in r.json()["error"]
    assert requests.get(f"{masto.base_url}/api/v1/notifications", timeout=5).status_code == 401


def test_mastodon_content_is_html_and_mentions_are_linked(masto):
    customer = masto.state.upsert_customer("alex")
    status, _ = masto.state.post(customer, "@firefox_support <b>hi</b> & bye", via="customer")
    assert status["content"].startswith('<p><span class="h-card"')
    assert "&lt;b&gt;hi&lt;/b&gt; &amp; bye" in status["content"]
    assert [m["username"] for m in status["mentions"]] == ["firefox_support"]


def test_mastodon_notification_ids_are_a_serial_and_pages_carry_link_headers(masto):
    """A real server numbers notifications 1, 2, 3…; only statuses get time-based ids."""
    customer = masto.state.upsert_customer("alex")
    statuses = [
        masto.state.post(customer, f"@firefox_support q{i}", via="customer")[0] for i in range(5)
    ]
    page = requests.get(
        f"{masto.base_url}/api/v1/notifications",
        params={"types[]": "mention", "limit": 2},
        headers=MASTO,
        timeout=5,
    )
    assert [n["id"] for n in page.json()] == ["5", "4"]
    assert all(int(s["id"]) > 1 << 40 for s in statuses)  # statuses keep their snowflakes
    links = requests.utils.parse_header_links(page.headers["Link"])
    assert {link["rel"]: link["url"].split("?", 1)[1] for link in links} == {
        "next": "max_id=4&limit=2&types%5B%5D=mention",
        "prev": "min_id=5&limit=2&types%5B%5D=mention",
    }
    older = requests.get(
        next(link["url"] for link in links if link["rel"] == "next"), headers=MASTO, timeout=5
    )
    assert [n["id"] for n in older.json()] == ["3", "2"]
    newer = requests.get(
        f"{masto.base_url}/api/v1/notifications", params={"min_id": "5"}, headers=MASTO, timeout=5
    )
    assert newer.json() == [] and "Link" not in newer.headers


def test_mastodon_hides_deleted_and_direct_statuses_and_lists_several(masto):
    customer = masto.state.upsert_customer("alex")
    public = masto.state.post(customer, "@firefox_support hello", via="customer")[0]
    direct = masto.state.post(customer, "@mozilla privately", via="customer", visibility="direct")[
        0
    ]
    gone = masto.state.post(customer, "@firefox_support oops", via="customer")[0]
    r = requests.post(f"{masto.base_url}/_sim/statuses/{gone['id']}/delete", timeout=5)
    assert r.status_code == 200
    assert (
        requests.get(
            f"{masto.base_url}/api/v1/statuses/{gone['id']}", headers=MASTO, timeout=5
        ).status_code
        == 404
    )
    # Only the accounts a direct status mentions may see it.
    assert (
        requests.get(
            f"{masto.base_url}/api/v1/statuses/{direct['id']}", headers=MASTO, timeout=5
        ).status_code
        == 404
    )
    mozilla = {"Authorization": "Bearer sim-token-mastodon-mozilla"}
    assert (
        requests.get(
            f"{masto.base_url}/api/v1/statuses/{direct['id']}", headers=mozilla, timeout=5
        ).json()["visibility"]
        == "direct"
    )
    listed = requests.get(
        f"{masto.base_url}/api/v1/statuses",
        params=[("id[]", s["id"]) for s in (public, direct, gone)],
        headers=MASTO,
        timeout=5,
    )
    assert [s["id"] for s in listed.json()] == [public["id"]]
    assert (
        requests.get(
            f"{masto.base_url}/api/v1/statuses",
            params=[("id[]", str(i)) for i in range(21)],
            headers=MASTO,
            timeout=5,
        ).status_code
        == 422
    )
    # The deleted status's mention is gone from the notifications too.
    assert [
        n["status"]["id"]
        for n in requests.get(
            f"{masto.base_url}/api/v1/notifications", headers=MASTO, timeout=5
        ).json()
    ] == [public["id"]]


def test_mastodon_customer_statuses_carry_warnings_media_visibility_and_their_age(masto):
    body = {
        "text": "@firefox_support see the screenshot",
        "author": {"username": "alex"},
        "visibility": "private",
        "spoiler_text": "crash details",
        "media": [{"type": "image", "description": "the error dialog"}],
        "sensitive": True,
        "seconds_ago": 3 * 86400,
    }
    status = requests.post(
        f"{masto.base_url}/_sim/customer_statuses", json=body, timeout=5
    ).json()["data"]
    shown = requests.get(
        f"{masto.base_url}/api/v1/statuses/{status['id']}", headers=MASTO, timeout=5
    ).json()
    assert (shown["visibility"], shown["spoiler_text"], shown["sensitive"]) == (
        "private",
        "crash details",
        True,
    )
    [media] = shown["media_attachments"]
    assert (
        media["type"] == "image"
        and media["description"] == "the error dialog"
        and media["url"].startswith("https://")
    )
    assert shown["created_at"][:10] == time.strftime(
        "%Y-%m-%d", time.gmtime(time.time() - 3 * 86400)
    )
    bad = dict(body, visibility="everyone")
    assert (
        requests.post(f"{masto.base_url}/_sim/customer_statuses", json=bad, timeout=5).status_code
        == 400
    )


def test_faults_can_be_limited_to_writes(masto):
    r = requests.post(
        f"{masto.base_url}/_sim/config",
        json={"faults": {"share": 1.0, "kinds": ["500"], "methods": ["POST"]}},
        timeout=5,
    )
    assert r.status_code == 200
    assert (
        requests.get(
            f"{masto.base_url}/api/v1/notifications", headers=MASTO, timeout=5
        ).status_code
        == 200
    )
    assert (
        requests.post(
            f"{masto.base_url}/api/v1/statuses", data={"status": "hi"}, headers=MASTO, timeout=5
        ).status_code
        == 500
    )
    r = requests.post(
        f"{masto.base_url}/_sim/config", json={"faults": {"methods": ["FETCH"]}}, timeout=5
    )
    assert r.status_code == 400 and "methods" in r.text
