"""Property tests: whatever shape a page of the X API takes, normalising it never loses a tweet
that has an id and never crashes on missing or odd optional fields."""

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from socialdesk.connectors.twitter import normalise_page

ids = st.integers(min_value=1, max_value=2**63 - 1).map(str)
text = st.text(max_size=300)
optional = st.none() | st.just("und") | st.sampled_from(["en", "de", "fr", "es", "pt", "tr"])

user = st.fixed_dictionaries(
    {"id": ids},
    optional={
        "username": st.text(alphabet=string.ascii_letters + "_", max_size=15),
        "name": text,
        "verified": st.booleans(),
        "public_metrics": st.fixed_dictionaries({}, optional={"followers_count": st.integers(0, 10**9) | st.none()}),
        "profile_image_url": st.text(max_size=50),
    },
)
tweet = st.fixed_dictionaries(
    {"id": ids, "text": text},
    optional={
        "author_id": ids,
        "conversation_id": ids,
        "created_at": st.datetimes(timezones=st.just(__import__("datetime").timezone.utc)).map(lambda d: d.isoformat().replace("+00:00", "Z")),
        "lang": optional,
        "referenced_tweets": st.lists(st.fixed_dictionaries({"type": st.sampled_from(["replied_to", "quoted", "retweeted"]), "id": ids}), max_size=2),
        "entities": st.fixed_dictionaries({}, optional={"mentions": st.lists(st.fixed_dictionaries({"username": st.text(max_size=15)}, optional={"id": ids}), max_size=3)}),
    },
)
page = st.fixed_dictionaries(
    {},
    optional={"data": st.lists(tweet, max_size=8), "includes": st.fixed_dictionaries({}, optional={"users": st.lists(user, max_size=5)}), "meta": st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3)},
)


@settings(max_examples=300, deadline=None)
@given(page)
def test_every_tweet_in_a_page_becomes_exactly_one_message(body):
    messages = normalise_page(body)
    assert [m.platform_id for m in messages] == [t["id"] for t in body.get("data", [])]
    for m, t in zip(messages, body.get("data", [])):
        assert m.text == t["text"]
        assert m.thread_id == str(t.get("conversation_id") or t["id"])
        assert m.language in ("", "en", "de", "fr", "es", "pt", "tr")
        assert m.author.followers >= 0
        assert m.is_repost == any(r["type"] == "retweeted" for r in t.get("referenced_tweets", []))
