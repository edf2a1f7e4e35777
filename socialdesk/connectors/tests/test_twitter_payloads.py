"""Property tests: whatever shape a page of the X API takes, including the sparse ones real
answers have (no `includes.users`, tweets without `author_id`, `created_at` or `entities`),
every tweet that has an id comes out exactly once, as a message whose author and time are X's
own, or as an item that says why it waits; nothing is filled in with an empty or borrowed author
or the time we read it, and nothing crashes on missing or odd optional fields."""

import string
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from socialdesk.connectors.twitter import read_page, snowflake_time

# Real ids are Snowflakes (their time inside); ids of tweets older than Snowflake carry none.
ids = st.one_of(
    st.integers(min_value=10**17, max_value=2**63 - 1),
    st.integers(min_value=1, max_value=3 * 10**10),
).map(str)
user_ids = st.sampled_from(["11", "12", "13", "14"])
text = st.text(max_size=300)
optional = st.none() | st.just("und") | st.sampled_from(["en", "de", "fr", "es", "pt", "tr"])
iso = st.datetimes(min_value=datetime(2006, 3, 21), timezones=st.just(UTC)).map(
    lambda d: d.isoformat().replace("+00:00", "Z")
)

user = st.fixed_dictionaries(
    {"id": user_ids},
    optional={
        "username": st.text(alphabet=string.ascii_letters + "_", max_size=15),
        "name": text,
        "verified": st.booleans(),
        "public_metrics": st.fixed_dictionaries(
            {}, optional={"followers_count": st.integers(0, 10**9) | st.none()}
        ),
        "profile_image_url": st.text(max_size=50),
    },
)
tweet = st.fixed_dictionaries(
    {"id": ids, "text": text},
    optional={
        "author_id": user_ids,
        "conversation_id": ids,
        "created_at": st.one_of(iso, st.just("last Tuesday")),
        "lang": optional,
        "referenced_tweets": st.lists(
            st.fixed_dictionaries(
                {"type": st.sampled_from(["replied_to", "quoted", "retweeted"]), "id": ids}
            ),
            max_size=2,
        ),
        "entities": st.fixed_dictionaries(
            {},
            optional={
                "mentions": st.lists(
                    st.fixed_dictionaries(
                        {"username": st.text(max_size=15)}, optional={"id": ids}
                    ),
                    max_size=3,
                )
            },
        ),
    },
)
page = st.fixed_dictionaries(
    {},
    optional={
        "data": st.lists(tweet, max_size=8, unique_by=lambda t: t["id"]),
        "includes": st.fixed_dictionaries({}, optional={"users": st.lists(user, max_size=5)}),
        "meta": st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3),
    },
)


def time_of(t):
    try:
        return datetime.fromisoformat(t["created_at"].replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return snowflake_time(t["id"])


@settings(max_examples=300, deadline=None)
@given(page)
def test_every_tweet_in_a_page_becomes_one_message_or_says_why_it_waits(body):
    messages, unreadable = read_page(body)
    tweets = body.get("data", [])
    assert sorted(
        [m.platform_id for m in messages] + [u.platform_id for u in unreadable]
    ) == sorted(t["id"] for t in tweets)
    users = {u["id"]: u for u in body.get("includes", {}).get("users", [])}
    by_id = {m.platform_id: m for m in messages}
    for t in tweets:
        author = users.get(t.get("author_id"))
        knowable = author is not None and author.get("username") and time_of(t) is not None
        assert (t["id"] in by_id) == bool(knowable), (t, author)
        if t["id"] not in by_id:
            continue
        m = by_id[t["id"]]
        assert m.text == t["text"]
        assert (m.author.external_id, m.author.handle) == (t["author_id"], author["username"])
        assert m.created_at == time_of(t)
        assert m.thread_id == str(t.get("conversation_id") or t["id"])
        assert m.language in ("", "en", "de", "fr", "es", "pt", "tr")
        assert m.author.followers >= 0
        assert m.is_repost == any(r["type"] == "retweeted" for r in t.get("referenced_tweets", []))
    for u in unreadable:
        # Whatever is missing is named: never a bare exception of ours.
        assert u.error and not u.error.startswith(("KeyError", "TypeError", "AttributeError")), (
            u.error
        )
        assert u.waiting == ("author" in u.error or "who wrote" in u.error)
