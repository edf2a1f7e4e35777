"""Shared fixtures: the demo configuration, agents of each role, the platform simulators, a browser."""

import os

import pytest

# Tests must never reach a real platform, whatever the environment says.
os.environ["SOCIALDESK_TWITTER_API_BASE"] = "http://127.0.0.1:9"
os.environ["SOCIALDESK_GOOGLE_PLAY_API_BASE"] = "http://127.0.0.1:9"
os.environ["SOCIALDESK_MASTODON_API_BASE"] = "http://127.0.0.1:9"
os.environ["SOCIALDESK_GOOGLE_TOKEN_URI"] = "http://127.0.0.1:9/token"


def _without_surrogates(value):
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {k: _without_surrogates(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_without_surrogates(v) for v in value)
    return value


def pytest_collection_modifyitems(config, items):
    """The access matrix and the bad-input modules first: they are the suite's longest, and
    `make test` hands whole modules to its workers in this order, so what is left at the end is
    short and the workers finish together."""
    items.sort(key=lambda item: not item.path.name.startswith(("test_access", "test_malformed")))
    # `make test` leaves the browser tests to `make test-slow` by their mark: a test that drives
    # Chromium without it would run in the quick loop.
    unmarked = [
        item.nodeid
        for item in items
        if {"browser", "page", "_chromium"} & set(getattr(item, "fixturenames", ()))
        and not item.get_closest_marker("browser")
    ]
    if unmarked:
        raise pytest.UsageError(
            "Mark these tests `browser` (they drive Chromium): " + ", ".join(unmarked)
        )


@pytest.hookimpl(wrapper=True)
def pytest_report_to_serializable(config, report):
    """A test worker (`make test` runs several) sends its reports as UTF-8; the bad-input and
    property tests' output can hold lone surrogates, which UTF-8 cannot carry: escape them."""
    data = yield
    return _without_surrogates(data)


@pytest.fixture(scope="session", autouse=True)
def _page_templates_only(django_test_environment):
    """Django's test setup makes every template render send a signal, and the test client keep a
    copy of the context for each (response.context, response.templates). A page here renders
    hundreds of included templates, and those copies were about half the CPU of the form tests:
    only the page's own template (the one a view named) is recorded, which is what
    `response.context["form"]` reads."""
    from django.template import Template
    from django.test.utils import instrumented_test_render

    def render(self, context):
        if context.template is self:
            return instrumented_test_render(self, context)
        return self.nodelist.render(context)

    Template._render = render
    yield


@pytest.fixture(autouse=True)
def _no_real_platforms(settings):
    """The environment above can come too late (pytest-django may load the settings first):
    every test starts with the platforms pointed at a closed port; simulator fixtures override."""
    settings.SOCIALDESK_TWITTER_API_BASE = "http://127.0.0.1:9"
    settings.SOCIALDESK_GOOGLE_PLAY_API_BASE = "http://127.0.0.1:9"
    settings.SOCIALDESK_MASTODON_API_BASE = "http://127.0.0.1:9"
    settings.SOCIALDESK_GOOGLE_TOKEN_URI = "http://127.0.0.1:9/token"
    # A deliberately slow hasher protects real passwords; the tests' demo passwords need none of
    # that, and hashing them per test was a large share of the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Community managers and admins sign in with a second factor in production; the tests that
    # are not about it sign them in with force_login, so it is required only where a test says so.
    settings.SOCIALDESK_TWO_FACTOR_ROLES = []
    # WhiteNoise lists every static file when a request handler is built, which the test client
    # does for each new client (about 0.1 s, more than most requests): tests let it find a file
    # when one is asked for, as it does in development.
    settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture(autouse=True)
def _empty_cache():
    """What one test kept in the cache (a queue panel's counts) is not another test's."""
    from django.core.cache import cache

    from socialdesk.actions.webhooks import forget_subscriptions

    cache.clear()
    # Nor the webhook subscriptions one test made (its rollback sends no signal).
    forget_subscriptions()
    yield


@pytest.fixture
def demo(db):
    """The demo configuration (accounts, routing, queues, tags, clippings, agents); written from
    memory after the first test that loads it (tests/factories.py)."""
    from tests.factories import demo_configuration

    demo_configuration()


@pytest.fixture
def agents(demo):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    return {
        u.username: u
        for u in User.objects.filter(username__in=["contributor", "moderator", "cm", "admin"])
    }


@pytest.fixture
def contributor(agents):
    return agents["contributor"]


# Browser tests (marked `browser`): one Chromium per test process, a fresh context per test, and
# the demo desk served live. Their helpers (sign_in, ARTIFACTS) are in socialdesk/web/tests/browser.py.


@pytest.fixture(scope="session")
def _chromium():
    """Chromium, started once per test process (a start costs more than most browser tests)."""
    from socialdesk.web.tests.browser import CHROMIUM

    if not CHROMIUM:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (apt-get install chromium)")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread, which Django's ORM would refuse.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


@pytest.fixture(scope="module")
def browser(_chromium):
    """The process's Chromium for a module's tests; what the module left open (a page a test
    opened with `browser.new_page()`) is closed when it is done, so no page of it keeps talking to
    the live server while the next module runs."""
    yield _chromium
    for context in list(_chromium.contexts):
        context.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def desk(live_server, transactional_db, twitter_sim, customer_tweet):
    """The demo configuration served by a live server; its URL."""
    from tests.factories import demo_configuration

    demo_configuration()
    return live_server.url


def _simulator_fixtures(name: str, make, setting: str, **more_settings):
    """Two fixtures for a platform simulator: `<name>_server`, one server for the whole session, and
    `<name>`, for each test the simulator reset (state, traffic, faults) with `setting` pointing
    the connector at it."""

    @pytest.fixture(scope="session", name=f"{name}_server")
    def served():
        sim = make()
        sim.base_url = sim.serve(host="127.0.0.1", port=0).base_url
        yield sim
        sim.close()

    @pytest.fixture(name=name)
    def fresh(request, settings):
        sim = request.getfixturevalue(f"{name}_server")
        sim.reset()
        setattr(settings, setting, sim.base_url)
        for key, value in more_settings.items():
            setattr(settings, key, value(sim) if callable(value) else value)
        return sim

    return served, fresh


def _twitter():
    from simulators.twitter import TwitterSimulator

    return TwitterSimulator(seed=7)


def _google_play():
    from simulators.google_play import GooglePlaySimulator

    return GooglePlaySimulator(seed=7)


def _mastodon():
    from simulators.mastodon import MastodonSimulator

    return MastodonSimulator(seed=7)


# The desk signs in to each simulator as its OAuth client (X's fixed client, Google's token endpoint).
twitter_sim_server, twitter_sim = _simulator_fixtures(
    "twitter_sim",
    _twitter,
    "SOCIALDESK_TWITTER_API_BASE",
    SOCIALDESK_TWITTER_CLIENT_ID="sim-client-id",
    SOCIALDESK_TWITTER_CLIENT_SECRET="sim-client-secret",
)
# Google Play: no spacing between polls in tests; a time-out is 2 seconds for both platforms.
play_sim_server, play_sim = _simulator_fixtures(
    "play_sim",
    _google_play,
    "SOCIALDESK_GOOGLE_PLAY_API_BASE",
    SOCIALDESK_GOOGLE_PLAY_MIN_POLL_SECONDS=0,
    SOCIALDESK_CONNECTOR_TIMEOUT_SECONDS=2,
    SOCIALDESK_GOOGLE_TOKEN_URI=lambda sim: f"{sim.base_url}/token",
)
mastodon_sim_server, mastodon_sim = _simulator_fixtures(
    "mastodon_sim",
    _mastodon,
    "SOCIALDESK_MASTODON_API_BASE",
    SOCIALDESK_CONNECTOR_TIMEOUT_SECONDS=2,
)


@pytest.fixture
def customer_tweet(twitter_sim):
    """Post a customer's tweet on the simulator over its HTTP control API."""
    import requests

    def post(
        text,
        *,
        username="maria_k",
        name="Maria K",
        followers=120,
        verified=False,
        in_reply_to=None,
        lang="en",
    ):
        body = {
            "text": text,
            "author": {
                "username": username,
                "name": name,
                "followers_count": followers,
                "verified": verified,
            },
            "lang": lang,
        }
        if in_reply_to:
            body["in_reply_to_tweet_id"] = in_reply_to
        r = requests.post(f"{twitter_sim.base_url}/_sim/customer_tweets", json=body, timeout=5)
        r.raise_for_status()
        return r.json()

    return post


_counter = {"n": 1_000}


def make_inbound(
    text="Firefox lost my bookmarks after the update",
    *,
    mention="FirefoxSupport",
    author_id=None,
    handle=None,
    followers=50,
    verified=False,
    in_reply_to="",
    thread_id=None,
    platform_id=None,
    created_at=None,
    lang="en",
):
    """A normalised inbound tweet, as the Twitter/X connector would hand it to ingestion."""
    from datetime import timedelta

    from django.utils import timezone

    from socialdesk.connectors.base import InboundAuthor, InboundMessage
    from socialdesk.demo.seed import ACCOUNTS

    _counter["n"] += 1
    n = _counter["n"]
    ids = {h: i for h, i, *_ in ACCOUNTS}
    pid = platform_id or str(1_900_000_000_000_000_000 + n)
    return InboundMessage(
        platform="twitter",
        platform_id=pid,
        author=InboundAuthor(
            external_id=author_id or f"9{n}",
            handle=handle or f"user{n}",
            name=f"User {n}",
            followers=followers,
            verified=verified,
        ),
        text=f"@{mention} {text}" if mention else text,
        created_at=created_at or timezone.now() - timedelta(minutes=5) + timedelta(milliseconds=n),
        thread_id=thread_id or pid,
        in_reply_to_id=in_reply_to,
        language=lang,
        mentioned_account_ids=(ids[mention],) if mention else (),
        raw={"tweet": {"id": pid}},
    )


@pytest.fixture
def inbound():
    return make_inbound


@pytest.fixture
def conversation(demo):
    """One open, moderated conversation with @FirefoxSupport."""
    from socialdesk.actions.inbound import ingest
    from socialdesk.conversations.models import Conversation

    ingest([make_inbound()])
    return Conversation.objects.latest("pk")


@pytest.fixture
def customer_review(play_sim):
    """A customer writes a Google Play review on the simulator, over its HTTP control API."""
    import requests

    def post(text, *, stars=1, author_name="Jessica Miller", language="en", **extra):
        body = {
            "text": text,
            "star_rating": stars,
            "author_name": author_name,
            "language": language,
            **extra,
        }
        r = requests.post(f"{play_sim.base_url}/_sim/reviews", json=body, timeout=5)
        r.raise_for_status()
        return r.json()["data"]

    return post


@pytest.fixture
def customer_toot(mastodon_sim):
    """A customer posts on the simulated Mastodon instance, over its HTTP control API."""
    import requests

    def post(
        text,
        *,
        username="alex_codes",
        display_name="Alex",
        followers=80,
        in_reply_to_id=None,
        language="en",
    ):
        body = {
            "text": text,
            "author": {
                "username": username,
                "display_name": display_name,
                "followers_count": followers,
            },
            "language": language,
        }
        if in_reply_to_id:
            body["in_reply_to_id"] = in_reply_to_id
        r = requests.post(f"{mastodon_sim.base_url}/_sim/customer_statuses", json=body, timeout=5)
        r.raise_for_status()
        return r.json()["data"]

    return post


# S3-compatible storage for attachments (SOCIALDESK_STORAGE=s3). moto's server is a simulator of
# Amazon S3's HTTP API, like the platform simulators above: the desk talks to it with the real
# client (django-storages on boto3) over HTTP, signed requests and presigned links included.
S3_KEYS = {"access_key": "desk-test-key", "secret_key": "desk-test-secret"}


@pytest.fixture(scope="session")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_storage(s3_server, settings, request):
    """A new, empty bucket on the S3 simulator, and `default_storage` pointed at it as
    `SOCIALDESK_STORAGE=s3` would; returns (boto3 client, bucket, the environment that says so)."""
    import re
    import uuid

    import boto3

    bucket = re.sub(
        r"[^a-z0-9-]", "-", f"desk-{uuid.uuid4().hex[:8]}-{request.node.name.lower()}"
    )[:63].rstrip("-")
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id=S3_KEYS["access_key"],
        aws_secret_access_key=S3_KEYS["secret_key"],
    )
    client.create_bucket(Bucket=bucket)
    env = {
        "SOCIALDESK_STORAGE": "s3",
        "SOCIALDESK_S3_BUCKET": bucket,
        "SOCIALDESK_S3_ENDPOINT_URL": s3_server,
        "SOCIALDESK_S3_REGION": "us-east-1",
        "SOCIALDESK_S3_ACCESS_KEY_ID": S3_KEYS["access_key"],
        "SOCIALDESK_S3_SECRET_ACCESS_KEY": S3_KEYS["secret_key"],
        "SOCIALDESK_S3_ADDRESSING_STYLE": "path",
    }
    from unittest import mock

    from socialdesk.settings import _media_storage

    with mock.patch.dict(os.environ, env):
        settings.STORAGES = {**settings.STORAGES, "default": _media_storage()}
    return client, bucket, env


@pytest.fixture(autouse=True)
def _emails_sent_by_their_task_at_once(settings):
    """Emails leave through a task enqueued on commit (people.mail): in tests that task runs as
    soon as it is enqueued, so a live server's emails are in mail.outbox when its page answers.
    Tests inside one transaction run the commit's callbacks with
    django_capture_on_commit_callbacks(execute=True); test_mail.py runs the real worker."""
    settings.TASKS = {
        **settings.TASKS,
        "email": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    }
    settings.SOCIALDESK_EMAIL_TASKS = "email"
