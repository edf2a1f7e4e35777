"""The connector interface: what each platform can do is declared, asked with `can()`, and
nothing above the connectors knows a platform's names, errors or links."""

import ast
import pathlib

import pytest

from socialdesk.brands.models import BrandAccount
from socialdesk.connectors import registry
from socialdesk.connectors.base import (
    AlreadyPosted,
    Capability,
    Connector,
    ConnectorError,
    NotSupported,
)
from socialdesk.connectors.google_play import GooglePlayConnector
from socialdesk.connectors.mastodon import MastodonConnector
from socialdesk.connectors.twitter import TwitterConnector
from socialdesk.conversations.models import Conversation, Message
from socialdesk.ingestion.tests.worker import poll_all
from socialdesk.queues.selectors import ConversationFilter

from .test_mastodon import toot

ROOT = pathlib.Path(__file__).resolve().parents[2]  # the socialdesk package
PLATFORM_MODULES = {
    "socialdesk.connectors.twitter",
    "socialdesk.connectors.mastodon",
    "socialdesk.connectors.google_play",
}


def test_each_platform_declares_what_it_can_do():
    assert registry.connector_class("twitter") is TwitterConnector
    assert registry.connector_class("mastodon") is MastodonConnector
    assert registry.connector_class("google_play") is GooglePlayConnector
    for cls in (TwitterConnector, MastodonConnector, GooglePlayConnector):
        assert issubclass(cls, Connector)
    C = Capability
    assert TwitterConnector.capabilities == {
        C.LIKES,
        C.REPOSTS,
        C.DMS,
        C.DELETION_CHECKS,
        C.MEDIA,
        C.REREADING,
    }
    assert MastodonConnector.capabilities == {C.LIKES, C.REPOSTS, C.DELETION_CHECKS}
    assert GooglePlayConnector.capabilities == {C.DELETION_CHECKS, C.RECONCILIATION}
    assert registry.repost_name("twitter") == "Retweet"
    assert registry.repost_name("mastodon") == "Boost"
    assert registry.repost_name("google_play") == ""
    assert not registry.can("myspace", Capability.LIKES)
    with pytest.raises(ConnectorError, match="No connector for platform 'myspace'"):
        registry.connector_class("myspace")


def test_a_capability_and_its_method_go_together_or_the_class_is_refused():
    with pytest.raises(TypeError, match="`like` is missing but the capability 'likes'"):

        class Boasting(Connector):
            platform = "boasting"
            capabilities = frozenset({Capability.LIKES})

    with pytest.raises(TypeError, match="`deleted` is implemented but the capability"):

        class Modest(Connector):
            platform = "modest"

            def deleted(self, platform_ids):
                return []

    with pytest.raises(TypeError, match="abstract"):

        class Mute(Connector):  # no streams, check or reply
            platform = "mute"

        Mute()


def test_what_a_platform_cannot_do_is_refused_for_good(demo, play_sim):
    connector = registry.connector_for(BrandAccount.objects.get(platform="google_play"))
    assert not connector.can(Capability.LIKES)
    for attempt in (
        lambda: connector.like(target_id="r1"),
        lambda: connector.repost(target_id="r1"),
        lambda: connector.dm_link(recipient_id="1"),
    ):
        with pytest.raises(NotSupported) as refused:
            attempt()
        assert refused.value.retryable is False


def test_dm_links_come_from_the_connector_of_the_conversations_platform():
    link = registry.dm_link("twitter", "1234")
    assert link == "https://twitter.com/messages/compose?recipient_id=1234"
    assert registry.has_dm_link("twitter", f"Write to us: {link}")
    assert not registry.has_dm_link("twitter", "Write to us at support@example.com")
    # Mastodon and Google Play have no such link: nothing to offer, nothing to police.
    assert registry.dm_link("mastodon", "1234") == ""
    assert registry.dm_link("google_play", "1234") == ""
    assert not registry.has_dm_link("mastodon", link)


def test_x_refusing_a_duplicate_is_the_platform_neutral_already_posted(
    demo, twitter_sim, customer_tweet
):
    tweet = customer_tweet("@FirefoxSupport is anyone there?")["data"]
    connector = registry.connector_for(BrandAccount.objects.get(handle="FirefoxSupport"))
    connector.reply(text="We are here!", in_reply_to_id=tweet["id"], idempotency_key="a")
    with pytest.raises(AlreadyPosted, match="duplicate content") as refused:
        connector.reply(text="We are here!", in_reply_to_id=tweet["id"], idempotency_key="b")
    assert refused.value.retryable is False


def _python_files():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if "tests" in rel.parts or "migrations" in rel.parts:
            continue
        yield rel, ast.parse(path.read_text(encoding="utf-8"))


def test_nothing_above_the_connectors_knows_a_platform_module_or_probes_a_connector():
    imports, probes = [], []
    for rel, tree in _python_files():
        in_connectors = rel.parts[0] == "connectors"
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and not in_connectors:
                names = {node.module or ""} | {f"{node.module}.{a.name}" for a in node.names}
                if names & PLATFORM_MODULES:
                    imports.append(f"{rel}:{node.lineno}")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("hasattr", "getattr")
                and node.args
                and isinstance(node.args[0], ast.Name)
                and "connector" in node.args[0].id
            ):
                probes.append(f"{rel}:{node.lineno}")
    assert not imports, f"platform modules imported outside connectors/: {imports}"
    assert not probes, f"connectors probed with hasattr/getattr instead of can(): {probes}"


def test_a_direct_status_is_a_private_message_in_its_own_column_and_the_filter_finds_it(
    demo, mastodon_sim
):
    toot(mastodon_sim, "@firefox_support privately: my account was hacked", username="quiet")
    toot(
        mastodon_sim,
        "@firefox_support privately: my account was hacked",
        username="hushed",
        visibility="direct",
    )
    poll_all()
    hushed = Message.objects.get(author__handle="hushed")
    quiet = Message.objects.get(author__handle="quiet")
    assert hushed.private is True and quiet.private is False
    assert "private" not in hushed.raw  # the column, not the raw payload, says so
    private = ConversationFilter(types=("private_message",)).apply(Conversation.objects.all())
    assert list(private) == [hushed.conversation]
