"""Triage inside ingestion: once per new conversation, its suggestion kept, its tags applied with reasons."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import Activity, Conversation
from socialdesk.triage.models import TriageSuggestion


def test_a_new_conversation_is_triaged_and_keeps_the_suggestion(demo, inbound):
    ingest([inbound("please add vertical tabs, I would switch tomorrow")])
    c = Conversation.objects.get()
    s = TriageSuggestion.objects.get(conversation=c)
    assert (s.type, c.type) == (
        "feature_request",
        "feature_request",
    )  # confident: set on the conversation
    assert "type" in s.applied and "please add" in s.type_reason
    # The demo's "Feature requests" rule tags it, and says why.
    assert "Feature request" in {t.name for t in c.tags.all()}
    assert {
        "tag": "Feature request",
        "reason": "rule “Feature requests”: type is feature request",
        "band": "confident",
    } in s.tags
    assert Activity.objects.filter(conversation=c, kind="triaged").exists()


def test_keyword_rules_tag_in_every_language(demo, inbound):
    ingest(
        [
            inbound(
                "meine Lesezeichen sind nach dem Update weg", mention="mozilla_germany", lang="de"
            )
        ]
    )
    c = Conversation.objects.get()
    assert "Bookmarks" in {t.name for t in c.tags.all()}
    assert c.language == "de"


def test_a_follow_up_does_not_triage_again(demo, inbound):
    first = inbound("Firefox crashes all the time, help", author_id="77", handle="ana")
    ingest([first])
    ingest(
        [
            inbound(
                "still crashing",
                author_id="77",
                handle="ana",
                in_reply_to=first.platform_id,
                thread_id=first.platform_id,
            )
        ]
    )
    assert Conversation.objects.count() == 1 and TriageSuggestion.objects.count() == 1


def test_an_unsupported_language_suggests_closing_as_language_not_supported(demo, inbound):
    ingest(
        [
            inbound(
                "Firefox continua a bloccarsi quando apro troppe schede, aiutatemi per favore",
                mention="mozilla_germany",
                lang="it",
            )
        ]
    )
    s = TriageSuggestion.objects.get()
    assert s.suggested_close_reason == "language_not_supported"
    assert any(
        x["kind"] == "language_not_supported"
        and "written in Italian" in x["reason"]
        and "supports German" in x["reason"]
        for x in s.signals
    )


def test_a_paid_product_raises_priority_and_is_tagged(demo, inbound):
    ingest([inbound("Mozilla VPN will not connect on my laptop")])
    c = Conversation.objects.get()
    tags = {t.name for t in c.tags.all()}
    assert c.priority > 0 and "Paid product" in tags
    assert "Internet celebrity" not in tags  # a priority bump is not fame


def test_triage_costs_a_few_queries_per_page_not_per_message(demo, inbound):
    ingest([inbound("warm up")])

    def triage_statements(ctx):
        return [
            q["sql"]
            for q in ctx.captured_queries
            # triage's tables (not the conversation's own `triage_pending` column)
            if '"triage_' in q["sql"].replace('"triage_pending"', "")
            or "conversation_tags" in q["sql"]
            or "_activity" in q["sql"]
            and "triaged" in q["sql"]
        ]

    with CaptureQueriesContext(connection) as one:
        ingest([inbound("sync is broken")])
    with CaptureQueriesContext(connection) as many:
        ingest([inbound(f"sync is broken on device {i}") for i in range(20)])
    assert len(triage_statements(many)) == len(triage_statements(one)) <= 6


def test_an_author_tagged_spammer_by_an_agent_is_flagged_on_the_next_conversation(demo, inbound):
    from socialdesk.conversations.models import Author, UserTag

    ingest([inbound("first", author_id="555", handle="spammy")])
    UserTag.objects.create(author=Author.objects.get(external_id="555"), kind="spammer")
    ingest([inbound("buy followers now", author_id="555", handle="spammy")])
    s = TriageSuggestion.objects.order_by("-pk").first()
    assert any(
        x["kind"] == "spam" and "tagged the author Spammer" in x["reason"] for x in s.signals
    )


def test_a_page_stored_again_after_a_race_is_triaged_once(demo, inbound, monkeypatch):
    from socialdesk.actions import inbound as services

    raced = inbound("sync is broken")
    ingest([raced])  # "the other process"
    real_load, calls = services._Context.load, []

    def stale_load(messages, **kw):
        context = real_load(messages, **kw)
        if not calls:
            context.known = set()  # the first look misses what the other process stored
        calls.append(1)
        return context

    monkeypatch.setattr(services._Context, "load", staticmethod(stale_load))
    ingest([raced, inbound("please add vertical tabs")])
    assert len(calls) == 1  # each message has its own savepoint: the page is not stored again
    assert Conversation.objects.count() == TriageSuggestion.objects.count() == 2
    assert Conversation.objects.filter(type="feature_request").count() == 1


def test_a_review_gets_the_google_play_priority_from_its_stars(demo, inbound):
    from dataclasses import replace

    ingest(
        [
            replace(
                inbound("The app crashes every time I open a new tab, please help"),
                metadata={"rating": 1},
            ),
            replace(inbound("Great browser, love it"), metadata={"rating": 5}),
        ]
    )
    by_text = {c.messages.get().text: c.priority for c in Conversation.objects.all()}
    low, high = (by_text[t] for t in sorted(by_text, key=lambda t: "Great" in t))
    assert low == 40 and 0 < high < low
