"""Recorded pages of the platforms' APIs (shapes from their published documentation, cited in
each fixture's `_source`) replayed through each connector's normaliser and into ingestion."""

import json
from pathlib import Path

from socialdesk.actions.inbound import ingest
from socialdesk.connectors.google_play import normalise_review, review_id_of
from socialdesk.connectors.mastodon import normalise_notification
from socialdesk.conversations.models import Conversation

FIXTURES = Path(__file__).parent / "fixtures"


def load(name):
    return json.loads((FIXTURES / name).read_text())


def test_a_documented_google_play_page_normalises_and_ingests(demo):
    page = load("google_play_reviews_list.json")
    assert page["_source"]
    first, second = (normalise_review(r, package="org.mozilla.firefox") for r in page["reviews"])
    assert (
        first.platform_id == "12345678:1718000000"
        and review_id_of(first.platform_id) == "12345678"
    )
    assert first.text == "Tabs vanish\nAll my open tabs were gone after the update to 126."
    assert first.language == "en" and first.thread_id == "12345678"
    assert first.metadata["rating"] == 2 and first.metadata["device"] == "hammerhead (Nexus 5)"
    assert first.metadata["android_version"] == "6.0" and first.metadata["app_version"] == "126.0"
    assert first.metadata["our_reply"]["platform_id"] == "12345678:reply:1718003600"
    assert (
        second.text,
        second.metadata["rating"],
        second.metadata["device"],
        second.language,
    ) == ("Se cierra solo.", 1, "", "")

    ingest([first, second])
    c = Conversation.objects.get(thread_key__startswith="12345678:")
    assert (
        c.rating == 2
        and c.account.handle == "org.mozilla.firefox"
        and str(c.account) == "Firefox for Android"
    )
    assert [m.direction for m in c.messages.all()] == ["in", "out"]
    assert not c.awaiting_reply  # the developer reply came after the review


def test_a_documented_mastodon_page_normalises_and_ingests(demo):
    page = load("mastodon_notifications.json")
    assert page["_source"]
    first, second = (normalise_notification(n) for n in page["page"])
    assert (
        first.platform_id == "112592203838465823" and first.in_reply_to_id == "112592190000000001"
    )
    assert first.text == "@firefox_support that fixed it, thanks!"
    assert first.author.handle == "zsc@example.net" and first.author.followers == 312
    assert first.mentioned_account_ids == ("110000000000000001",)
    assert second.text == "@firefox_support Firefox & YouTube: sound but no picture.\nAny idea?"
    assert second.language == "" and second.thread_id == "112592137000000000"
    assert normalise_notification({"id": "1", "type": "favourite", "account": {}}) is None

    assert ingest([first, second]).stored == 2
    assert {str(c.respond_from) for c in Conversation.objects.all()} == {"@firefox_support"}
