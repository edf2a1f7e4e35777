"""Property tests (issue 9): whatever a platform sends, in its own JSON shape, through its
connector's normaliser and into `ingest`, nothing raises, and every message is either stored
once, kept out by a filter once, or set aside once, never two of these and never none. Sending
the same page again stores nothing new.

The payloads carry arbitrary Unicode (NULs, lone surrogates, right-to-left text, emoji,
combining marks), arbitrary lengths, and optional fields missing, null or of another type.
They run on the database the suite runs on (SQLite, or PostgreSQL with DATABASE_URL); each
example is rolled back, so they can share one test's database.
"""

import re
import string
from contextlib import contextmanager
from datetime import UTC

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from socialdesk.actions.inbound import ingest
from socialdesk.brands.models import BrandAccount
from socialdesk.connectors import google_play, mastodon, twitter
from socialdesk.conversations.models import Author, Conversation, Message
from socialdesk.demo.seed import ACCOUNTS, MASTODON_ACCOUNT, PLAY_PACKAGE
from socialdesk.ingestion import boundary
from socialdesk.ingestion.models import FilteredMessage, SetAsideMessage

EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

SPECIAL = [
    "\x00",
    "\ud800",
    "\udfff",
    "\ud83d",
    "\ude00",
    "\u202e",
    "\u200f",
    "مرحبا بكم",
    "שלום",
    "👩\u200d👩\u200d👧",
    "🇩🇪🇫🇷",
    "e\u0301",
    "\u0301\u0301",
    "\u200d",
    "\ufe0f",
    "👍\U0001f3fd",
    "\t",
    "\r\n",
    "<script>alert(1)</script>",
    "&amp;",
    "\uffff",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
]
char = st.one_of(st.characters(), st.characters(categories=["Cs"]), st.sampled_from(SPECIAL))


def mostly(strategy, odd, *, one_in: int):
    """`strategy`, and one time in `one_in` `odd` instead (`st.one_of` would flatten `odd`'s own
    choices into its own and pick the odd value most of the time). Shrinks towards `strategy`."""
    return st.integers(min_value=1, max_value=one_in).flatmap(
        lambda i: odd if i == one_in else strategy
    )


def words(max_size: int):
    return st.lists(char, max_size=max_size).map("".join)


# Names around and past the columns' 200 characters.
name = mostly(words(20), st.lists(char, min_size=190, max_size=260).map("".join), one_in=3)
# What an optional field may be instead of its type.
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(),
    words(8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def maybe(strategy):
    return mostly(strategy, junk, one_in=5)


snowflake = st.integers(min_value=10**17, max_value=2**63 - 1).map(str)
# Ids: mostly real ones; sometimes none, too long, or with characters no column takes.
message_id = mostly(
    snowflake, st.one_of(st.sampled_from(["", "9" * 250, "12\x0034", "\ud800"]), junk), one_in=8
)
# Customers from a small pool (so pages hold several messages of one author), never our accounts.
customer_id = mostly(
    st.one_of(
        st.sampled_from(["501", "502", "503"]),
        st.integers(min_value=10**6, max_value=10**12).map(str),
    ),
    junk,
    one_in=8,
)
iso_time = mostly(
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat().replace("+00:00", "Z")),
    st.one_of(st.datetimes().map(lambda d: d.isoformat()), words(12), junk),  # no zone, or no time
    one_in=5,
)
language = mostly(
    st.sampled_from(["en", "de", "pt-BR", "und", "zxx"]),
    st.one_of(st.just("x" * 40), words(12), junk),
    one_in=4,
)
url = st.one_of(
    st.just("https://pbs.example/a.png"),
    st.just("javascript:alert(1)"),
    st.just("https://x/" + "a" * 600),
    words(30),
)
counter = maybe(st.integers(min_value=-5, max_value=10**15))


def items(strategy, max_size: int):
    """A list of items, a few of which are not even objects."""
    return st.lists(mostly(strategy, junk, one_in=10), max_size=max_size)


# --- X API v2 pages (socialdesk.connectors.twitter, simulators/twitter) ----------------------

BRAND_X_IDS = [account_id for _, account_id, *_ in ACCOUNTS]
x_user = st.fixed_dictionaries(
    {"id": customer_id},
    optional={
        "username": maybe(name),
        "name": maybe(name),
        "verified": maybe(st.booleans()),
        "profile_image_url": maybe(url),
        "public_metrics": maybe(st.fixed_dictionaries({}, optional={"followers_count": counter})),
    },
)
# Real answers leave out what was not asked for or could not be expanded: a tweet without
# `author_id`, `created_at` or `entities`, a page without `includes`, and `errors` beside `data`.
tweet = st.fixed_dictionaries(
    {"id": message_id},
    optional={
        "author_id": mostly(customer_id, st.just(""), one_in=10),
        "text": maybe(words(300)),
        "conversation_id": maybe(message_id),
        "created_at": iso_time,
        "lang": language,
        "referenced_tweets": maybe(
            items(
                st.fixed_dictionaries(
                    {
                        "type": st.sampled_from(["replied_to", "quoted", "retweeted"]),
                        "id": message_id,
                    }
                ),
                2,
            )
        ),
        "entities": maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "mentions": maybe(
                        items(
                            st.fixed_dictionaries(
                                {"id": st.one_of(st.sampled_from(BRAND_X_IDS), customer_id)},
                                optional={"username": maybe(words(15))},
                            ),
                            3,
                        )
                    )
                },
            )
        ),
        "public_metrics": maybe(
            st.fixed_dictionaries({}, optional={"like_count": counter, "retweet_count": counter})
        ),
    },
)
x_error = st.fixed_dictionaries(
    {
        "resource_type": st.sampled_from(["tweet", "user", "media"]),
        "resource_id": st.one_of(message_id, customer_id),
    },
    optional={
        "detail": maybe(words(60)),
        "title": st.just("Not Found Error"),
        "parameter": maybe(words(20)),
    },
)
x_page = st.fixed_dictionaries(
    {"data": items(tweet, 6)},
    optional={
        "includes": mostly(
            st.fixed_dictionaries({"users": items(x_user, 6)}),
            st.one_of(st.just({}), junk),
            one_in=4,
        ),
        "errors": maybe(items(x_error, 3)),
    },
)

# --- Google Play reviews.list pages (socialdesk.connectors.google_play, simulators/google_play) ----

timestamp = mostly(
    st.fixed_dictionaries(
        {"seconds": st.integers(min_value=1, max_value=4 * 10**9).map(str)},
        optional={"nanos": counter},
    ),
    st.one_of(
        st.fixed_dictionaries({"seconds": st.integers(min_value=10**12, max_value=10**18)}), junk
    ),  # beyond any calendar
    one_in=6,
)
user_comment = st.fixed_dictionaries(
    {"lastModified": timestamp},
    optional={
        "text": maybe(words(300).map(lambda t: "\t" + t)),
        "starRating": maybe(st.integers(min_value=-1, max_value=7)),
        "reviewerLanguage": language,
        "device": maybe(name),
        "androidOsVersion": maybe(st.integers(min_value=0, max_value=99)),
        "appVersionName": maybe(words(80)),
        "deviceMetadata": maybe(st.fixed_dictionaries({}, optional={"productName": maybe(name)})),
    },
)
developer_comment = st.fixed_dictionaries(
    {}, optional={"text": maybe(words(400)), "lastModified": timestamp}
)
review_id = mostly(
    st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=10, max_size=40).map(
        lambda t: "gp:" + t
    ),
    st.one_of(st.sampled_from(["", "r" * 250, "gp:\x00", "gp:\ud800"]), junk),
    one_in=8,
)
comments = st.tuples(
    st.fixed_dictionaries({"userComment": mostly(user_comment, junk, one_in=10)}),
    st.lists(
        mostly(st.fixed_dictionaries({"developerComment": developer_comment}), junk, one_in=4),
        max_size=1,
    ),
).map(lambda pair: [pair[0], *pair[1]])
review = st.fixed_dictionaries(
    {"reviewId": review_id, "comments": mostly(comments, junk, one_in=10)},
    optional={"authorName": maybe(name)},
)
play_page = st.fixed_dictionaries({"reviews": items(review, 6)})

# --- Mastodon notifications (socialdesk.connectors.mastodon, simulators/mastodon) -------------

BRAND_MASTODON_ID = MASTODON_ACCOUNT[1]
mastodon_account = st.fixed_dictionaries(
    {"id": customer_id},
    optional={
        "acct": maybe(name),
        "username": maybe(name),
        "display_name": maybe(name),
        "followers_count": counter,
        "avatar": maybe(url),
    },
)
status = st.fixed_dictionaries(
    {"id": message_id, "account": mostly(mastodon_account, junk, one_in=10)},
    optional={
        "content": maybe(words(300).map(lambda t: f"<p>{t}</p>")),
        "in_reply_to_id": maybe(message_id),
        "language": language,
        "created_at": iso_time,
        "visibility": maybe(words(10)),
        "mentions": maybe(
            items(
                st.fixed_dictionaries({"id": st.one_of(st.just(BRAND_MASTODON_ID), customer_id)}),
                3,
            )
        ),
        "reblog": mostly(st.none(), st.one_of(st.just({"id": "1"}), junk), one_in=5),
    },
)
notification = st.fixed_dictionaries(
    {
        "id": mostly(snowflake, junk, one_in=8),
        "type": mostly(st.just("mention"), st.just("favourite"), one_in=5),
        "status": mostly(status, junk, one_in=8),
    }
)
mastodon_page = items(notification, 6)


# --- The property ------------------------------------------------------------------------------


@contextmanager
def rolled_back():
    """Each example's writes, rolled back after it. Marked as Django's TestCase marks its own
    transactions, so the page's `durable=True` transaction runs inside it as inside a test's."""
    atomic = transaction.atomic()
    atomic._from_testcase = True
    with atomic:
        yield
        transaction.set_rollback(True)


def places(platform: str, platform_id, raw) -> list[str]:
    """Where a message went: stored, kept out by a filter, set aside (and not yet handled)."""
    found = []
    if boundary.is_storable_id(platform_id):
        found += ["stored"] * Message.objects.filter(
            platform=platform, platform_id=platform_id
        ).count()
        found += ["filtered"] * FilteredMessage.objects.filter(
            platform=platform, platform_id=platform_id
        ).count()
    key = boundary.set_aside_key(platform_id, boundary.exact_json(raw))
    found += ["set aside"] * SetAsideMessage.objects.filter(
        platform=platform, key=key, resolved_at__isnull=True
    ).count()
    return found


def snapshot() -> tuple:
    return (
        Message.objects.count(),
        Conversation.objects.count(),
        FilteredMessage.objects.count(),
        SetAsideMessage.objects.count(),
        sorted(SetAsideMessage.objects.values_list("attempts", flat=True)),
    )


# A bug of ours reads "SomethingError: ..."; a message we know we cannot store says why in words.
OUR_BUG = re.compile(r"^\w+(Error|Exception)\b")


def assert_everything_fits():
    """What SQLite would take and PostgreSQL refuse: a value longer than its column, a NUL."""
    for model in (Author, Conversation, Message, FilteredMessage, SetAsideMessage):
        bounded = [
            f
            for f in model._meta.concrete_fields
            if getattr(f, "max_length", None) and not f.is_relation
        ]
        texts = [
            f.attname
            for f in model._meta.concrete_fields
            if f.get_internal_type() in ("TextField", "CharField")
        ]
        for row in model.objects.values(*texts):
            for f in bounded:
                assert len(row[f.attname] or "") <= f.max_length, (
                    model.__name__,
                    f.attname,
                    row[f.attname],
                )
            for name in texts:
                assert "\x00" not in (row[name] or "") and not boundary.SURROGATE.search(
                    row[name] or ""
                ), (model.__name__, name)


def ingest_twice(messages, unreadable, *, account, stream):
    first = ingest(messages, unreadable=unreadable, account=account, stream=stream)
    event(
        f"stored {min(first.stored, 2)}+, set aside {min(first.set_aside, 2)}+, filtered {min(first.filtered, 1)}+"
    )
    for m in messages:
        assert places(m.platform, m.platform_id, m.raw) in (
            ["stored"],
            ["filtered"],
            ["set aside"],
        ), m
    for u in unreadable:
        assert places(u.platform, u.platform_id, u.raw) in (["stored"], ["set aside"]), u
    stored = set(Message.objects.values_list("platform", "platform_id"))
    assert not stored & set(
        SetAsideMessage.objects.filter(resolved_at__isnull=True).values_list("platform", "key")
    )
    for error in SetAsideMessage.objects.values_list("error", flat=True):
        assert not OUR_BUG.match(error), error
    assert first.stored == Message.objects.filter(direction="in").count()
    assert_everything_fits()
    before = snapshot()
    second = ingest(messages, unreadable=unreadable, account=account, stream=stream)
    assert second.stored == 0 and snapshot() == before


@pytest.fixture
def accounts(demo):
    return {
        a.platform: a
        for a in BrandAccount.objects.filter(
            handle__in=["FirefoxSupport", PLAY_PACKAGE, MASTODON_ACCOUNT[0]]
        )
    }


@EXAMPLES
@given(body=x_page)
def test_any_x_page_is_stored_or_set_aside_exactly_once(accounts, body):
    with rolled_back():
        messages, unreadable = twitter.read_page(body)
        assert len(messages) + len(unreadable) == len(body["data"])
        # No tweet is given an author X did not name for it, nor one without a handle.
        for m in messages:
            assert (
                m.author.external_id == m.raw["tweet"]["author_id"] == m.raw["author"]["id"]
                and m.author.handle.strip()
            )
        ingest_twice(messages, unreadable, account=accounts["twitter"], stream="mentions")
        assert not Author.objects.filter(platform="twitter", handle="").exists()
        # What waits for X says, in X's terms, what it waits for.
        waiting = SetAsideMessage.objects.filter(retry_at__isnull=False).values_list(
            "error", flat=True
        )
        assert len(waiting) <= sum(u.waiting for u in unreadable)
        assert all(error.startswith("X ") for error in waiting), list(waiting)


@EXAMPLES
@given(body=play_page)
def test_any_google_play_page_is_stored_or_set_aside_exactly_once(accounts, body):
    with rolled_back():
        messages, unreadable = google_play.read_reviews(body["reviews"], package=PLAY_PACKAGE)
        assert len(messages) + len(unreadable) == len(body["reviews"])
        ingest_twice(messages, unreadable, account=accounts["google_play"], stream="reviews")


@EXAMPLES
@given(page=mastodon_page)
def test_any_mastodon_page_is_stored_or_set_aside_exactly_once(accounts, page):
    with rolled_back():
        messages, unreadable = mastodon.read_notifications(page)
        mentions = [
            n
            for n in page
            if not isinstance(n, dict) or (n.get("type") == "mention" and n.get("status"))
        ]
        assert len(messages) + len(unreadable) == len(mentions)
        ingest_twice(messages, unreadable, account=accounts["mastodon"], stream="notifications")


@settings(max_examples=200, deadline=None)
@given(
    text=st.lists(char, max_size=260).map("".join), limit=st.integers(min_value=1, max_value=220)
)
def test_a_cut_keeps_a_storable_prefix_and_never_splits_a_mark_from_its_letter(text, limit):
    clean = boundary.clean(text)
    cut = boundary.cut(clean, limit)
    assert clean.startswith(cut) and len(cut) <= limit
    assert "\x00" not in cut and not boundary.SURROGATE.search(cut)
    cut.encode("utf-8")
    can_cut_cleanly = any(
        not boundary._continues(clean, i) for i in range(1, min(limit, len(clean) - 1) + 1)
    )
    if len(cut) < len(clean) and can_cut_cleanly:
        assert not boundary._continues(clean, len(cut))
