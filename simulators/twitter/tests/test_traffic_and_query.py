"""Traffic generator determinism and realism; search query language; weighted length."""

from __future__ import annotations

from collections import Counter

import pytest

from simulators.twitter import TwitterSimulator
from simulators.twitter.accounts import BRAND_ACCOUNTS
from simulators.twitter.query import QueryError, TweetView, compile_query
from simulators.twitter.state import weighted_length
from simulators.twitter.traffic import AUTHOR_POOL, TEMPLATES

LOCALE = {
    "mozilla_germany": "de",
    "mozilla_france": "fr",
    "firefox_es": "es",
    "FirefoxBrasil": "pt",
    "FirefoxTurkiye": "tr",
}


def _summary(tweets):
    # Not the ids: they carry the time they were made at, as X's do.
    return [(t["author_id"], t["text"], t["lang"], t["kind"]) for t in tweets]


def test_generator_is_deterministic_for_a_seed():
    a, b, c = TwitterSimulator(seed=7), TwitterSimulator(seed=7), TwitterSimulator(seed=8)
    first = a.generate(150)
    assert _summary(first) == _summary(b.generate(150))
    assert _summary(a.generate(10)) != _summary(c.generate(160))[-10:]
    assert [int(t["id"]) for t in first] == sorted({int(t["id"]) for t in first})


def test_generator_language_mix_and_kinds():
    sim = TwitterSimulator(seed=3)
    tweets = sim.generate(600)
    kinds = Counter(t["kind"] for t in tweets)
    assert set(kinds) == {
        "support",
        "compliment",
        "roundup",
        "feedback",
        "feature",
        "followup",
        "spam",
        "search",
        "retweet",
    }
    langs = Counter(t["lang"] for t in tweets)
    assert set(langs) == {"en", "de", "fr", "es", "pt", "tr"}
    assert langs["en"] == max(langs.values())
    for t in tweets:
        mentioned = {m["username"] for m in t.get("entities", {}).get("mentions", [])}
        if t["kind"] in ("support", "compliment", "feedback", "feature", "roundup", "spam"):
            locale = [LOCALE[u] for u in mentioned if u in LOCALE]
            if locale:
                assert t["lang"] == locale[0], t
        if t["kind"] == "search":
            assert not mentioned & {a.username for a in BRAND_ACCOUNTS}
            assert "firefox" in t["text"].lower()
        if t["kind"] == "retweet":
            assert (
                t["text"].startswith("RT @") and t["referenced_tweets"][0]["type"] == "retweeted"
            )
        assert weighted_length(t["text"]) <= 280
    # the same people come back, and some are verified influencers
    authors = Counter(t["author_id"] for t in tweets)
    assert authors.most_common(1)[0][1] >= 3
    influencers = [sim.state.user(uid) for uid in authors if sim.state.user(uid).verified]
    assert influencers and all(u.followers_count >= 250_000 for u in influencers)
    # search terms find tweets that mention no brand account
    found, _ = sim.state.search("firefox crash", max_results=100)
    assert found and any(not t.get("entities", {}).get("mentions") for t in found)


def test_followups_answer_brand_replies():
    sim = TwitterSimulator(seed=5)
    first = [t for t in sim.generate(20) if t["kind"] == "support"]
    for t in first:
        brand = next(m["id"] for m in t["entities"]["mentions"])
        sim.state.create_tweet(
            brand, f"We can help with that ({t['id']})", in_reply_to_tweet_id=t["id"]
        )
    later = [t for t in sim.generate(150) if t["kind"] == "followup"]
    brand_ids = {a.id for a in BRAND_ACCOUNTS}
    to_brand = [t for t in later if t.get("in_reply_to_user_id") in brand_ids]
    assert to_brand
    for t in to_brand:
        assert t["entities"]["mentions"][0]["id"] == t["in_reply_to_user_id"]
        assert t["conversation_id"] in {x["id"] for x in first}


def test_templates_and_author_pool_sizes():
    for lang, kinds in TEMPLATES.items():
        for kind, templates in kinds.items():
            assert len(templates) >= (8 if lang == "en" else 4), (lang, kind)
    assert len(AUTHOR_POOL) >= 300
    assert len({p.username.lower() for p in AUTHOR_POOL}) == len(AUTHOR_POOL)
    assert len({p.id for p in AUTHOR_POOL}) == len(AUTHOR_POOL)


def _view(text, **kw):
    base = dict(
        text=text,
        author_username="alice",
        author_verified=False,
        lang="en",
        mentions=frozenset(),
        hashtags=frozenset(),
        urls=(),
        in_reply_to_username=None,
        conversation_id="1",
        ref_types=frozenset(),
    )
    base.update(kw)
    return TweetView(**base)


@pytest.mark.parametrize(
    "query,text,kw,expected",
    [
        ("firefox crash", "Firefox CRASH again", {}, True),
        ("firefox crash", "Firefox crashes again", {}, False),
        ("firefox crash", "crash", {}, False),
        ('"can\'t find my bookmarks"', "I CAN'T find my bookmarks!", {}, True),
        ("firefox (sync OR bookmarks)", "firefox bookmarks gone", {}, True),
        ("firefox (sync OR bookmarks)", "firefox tabs gone", {}, False),
        ("sync OR crash firefox", "sync broken", {}, True),
        ("firefox -is:retweet", "RT @x: firefox", {"ref_types": frozenset({"retweeted"})}, False),
        ("firefox -from:alice", "firefox", {}, False),
        ("firefox -from:bob", "firefox", {}, True),
        ("firefox lang:de", "firefox", {"lang": "de"}, True),
        ("firefox lang:de", "firefox", {}, False),
        ("@FirefoxSupport", "hi", {"mentions": frozenset({"firefoxsupport"})}, True),
        ("firefox -(sync OR crash)", "firefox sync", {}, False),
        ("#firefox", "love #Firefox", {"hashtags": frozenset({"firefox"})}, True),
    ],
)
def test_query_language(query, text, kw, expected):
    assert compile_query(query)(_view(text, **kw)) is expected


@pytest.mark.parametrize(
    "query", ["", "   ", "(firefox", "firefox)", "firefox OR", "foo:bar", "is:banana", "x" * 513]
)
def test_bad_queries(query):
    with pytest.raises(QueryError):
        compile_query(query)


def test_weighted_length():
    assert weighted_length("hello") == 5
    assert weighted_length("火火") == 4
    assert weighted_length("😀") == 2
    assert weighted_length("see https://example.com/" + "a" * 100) == 4 + 23
