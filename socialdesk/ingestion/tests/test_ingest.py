from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import (
    Activity,
    Author,
    CloseReason,
    Conversation,
    Message,
    Status,
)


def test_the_same_page_ingested_twice_stores_each_message_once(demo, inbound):
    page = [inbound(), inbound(), inbound()]
    first = ingest(page)
    second = ingest(page)
    assert (first.stored, second.stored, second.duplicates) == (3, 0, 3)
    assert Message.objects.count() == 3
    assert Conversation.objects.count() == 3


def test_raw_payload_is_kept(demo, inbound):
    msg = inbound()
    ingest([msg])
    assert Message.objects.get(platform_id=msg.platform_id).raw == {
        "tweet": {"id": msg.platform_id}
    }


def test_a_reply_in_the_same_thread_joins_the_conversation(demo, inbound):
    first = inbound(author_id="42", handle="ana")
    follow_up = inbound(
        "still broken",
        author_id="42",
        handle="ana",
        in_reply_to=first.platform_id,
        thread_id=first.thread_id,
    )
    ingest([follow_up, first])  # order within a page does not matter
    assert Conversation.objects.count() == 1
    assert Conversation.objects.get().messages.count() == 2


def test_another_customer_in_the_same_thread_gets_their_own_conversation(demo, inbound):
    first = inbound(author_id="42")
    other = inbound(
        "me too", author_id="43", in_reply_to=first.platform_id, thread_id=first.thread_id
    )
    ingest([first, other])
    assert Conversation.objects.count() == 2


def test_the_author_profile_is_kept_current(demo, inbound):
    ingest([inbound(author_id="42", handle="ana", followers=10)])
    ingest([inbound(author_id="42", handle="ana_new", followers=5000, verified=True)])
    author = Author.objects.get(external_id="42")
    assert (author.handle, author.followers, author.verified) == ("ana_new", 5000, True)


def test_a_closed_conversation_reopens_when_the_customer_writes_again(demo, inbound):
    first = inbound(author_id="42")
    ingest([first])
    c = Conversation.objects.get()
    Conversation.objects.filter(pk=c.pk).update(
        status=Status.CLOSED, close_reason=CloseReason.RESOLVED, awaiting_reply=False
    )
    ingest(
        [
            inbound(
                "it broke again",
                author_id="42",
                in_reply_to=first.platform_id,
                thread_id=first.thread_id,
            )
        ]
    )
    c.refresh_from_db()
    assert (c.status, c.close_reason, c.awaiting_reply) == (Status.OPEN, "", True)
    assert Activity.objects.filter(conversation=c, kind="reopened").exists()


def test_routing_answers_firefox_mentions_from_firefoxsupport(demo, inbound):
    ingest(
        [
            inbound(mention="Firefox"),
            inbound(mention="mozilla_germany", lang="de"),
            inbound(mention=None),
        ]
    )
    routed = {str(c.account or "none"): str(c.respond_from) for c in Conversation.objects.all()}
    assert routed == {
        "@Firefox": "@FirefoxSupport",
        "@mozilla_germany": "@mozilla_germany",
        "none": "@FirefoxSupport",
    }


def test_mentions_of_the_main_brand_and_search_finds_wait_for_a_moderator(demo, inbound):
    ingest([inbound(mention="Firefox"), inbound(mention=None), inbound(mention="FirefoxSupport")])
    moderated = {str(c.account or "none"): c.moderated for c in Conversation.objects.all()}
    assert moderated == {"@Firefox": False, "none": False, "@FirefoxSupport": True}


def test_verified_or_famous_authors_are_tagged_and_prioritised(demo, inbound):
    ingest([inbound(verified=True), inbound(followers=2_000_000), inbound(followers=10)])
    flags = sorted(
        (c.priority, c.tags.filter(slug="internet-celebrity").exists())
        for c in Conversation.objects.all()
    )
    assert flags == [(0, False), (50, True), (50, True)]


def test_our_own_tweets_and_retweets_are_not_stored(demo, inbound):
    from dataclasses import replace

    from socialdesk.connectors.base import InboundAuthor

    own = replace(inbound(), author=InboundAuthor(external_id="2142732", handle="FirefoxSupport"))
    rt = replace(inbound(), is_repost=True)
    result = ingest([own, rt])
    assert (result.stored, result.skipped, result.filtered) == (
        0,
        1,
        1,
    )  # the retweet is kept aside (CH8)


def test_a_message_stored_by_another_process_meanwhile_is_not_stored_twice(
    demo, inbound, monkeypatch
):
    from socialdesk.actions import inbound as services

    raced = inbound()
    ingest([raced])  # "the other process"
    real_load = services._Context.load
    calls = []

    def stale_load(messages, **kw):
        # The first look misses what the other process just stored, as in a real race.
        context = real_load(messages, **kw)
        if not calls:
            context.known = set()
        calls.append(1)
        return context

    monkeypatch.setattr(services._Context, "load", staticmethod(stale_load))
    fresh = inbound()
    result = ingest([raced, fresh])
    assert (result.stored, result.duplicates, result.set_aside) == (1, 1, 0)
    assert len(calls) == 1  # each message has its own savepoint: the page is not stored again
    assert Message.objects.filter(platform_id=raced.platform_id).count() == 1
    assert Message.objects.filter(platform_id=fresh.platform_id).count() == 1
