"""The left panel's filters (AG2): the list, the counts and Play share one definition."""

from django.http import QueryDict
from django.utils.functional import Promise

from socialdesk.actions import conversation as actions
from socialdesk.actions import deal as play
from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import Conversation, Message
from socialdesk.queues.models import Queue
from socialdesk.queues.selectors import (
    NONE,
    ConversationFilter,
    dealable,
    facet_counts,
    queue_conversations,
)


def _setup(contributor, inbound):
    ingest(
        [
            inbound("sync broke", lang="en"),
            inbound("marque-pages perdus", mention="mozilla_france", lang="fr"),
            inbound("crash", lang="en"),
        ]
    )
    sync = Conversation.objects.get(messages__text__contains="sync")
    actions.add_tag(actor=contributor, conversation=sync, tag="Sync")
    actions.set_sentiment(actor=contributor, conversation=sync, sentiment="negative")
    return Queue.objects.get(slug="twitter-conversations-moderated"), sync


def test_filters_parse_from_the_query_and_narrow(contributor, inbound):
    queue, sync = _setup(contributor, inbound)
    f = ConversationFilter.from_query(QueryDict("tag=sync&sentiment=negative"))
    assert list(queue_conversations(queue=queue, filter=f)) == [sync]
    assert (
        ConversationFilter.from_query(QueryDict("language=fr"))
        .apply(Conversation.objects.all())
        .get()
        .language
        == "fr"
    )
    assert not ConversationFilter.from_query(QueryDict(""))


def test_counts_follow_the_other_filters(contributor, inbound):
    queue, _ = _setup(contributor, inbound)
    facets = facet_counts(queue=queue, filter=ConversationFilter(languages=("en",)))
    assert dict((v, n) for v, _, n in facets["language"]) == {
        "en": 2,
        "fr": 1,
    }  # a facet ignores its own selection
    # "crash" comes from the demo's tag rules (triage, TR2), which tag it on arrival.
    assert dict((v, n) for v, _, n in facets["tag"]) == {"sync": 1, "crash": 1}
    assert dict((v, n) for v, _, n in facets["account"]) == {"FirefoxSupport": 2}


def test_play_deals_only_within_the_chosen_filter(contributor, inbound):
    queue, sync = _setup(contributor, inbound)
    dealt = play.deal_next(
        agent=contributor, queue=queue, filter=ConversationFilter(tags=("sync",))
    )
    assert dealt == sync
    actions.close(actor=contributor, conversation=dealt, reason="resolved")
    assert play.deal_next(agent=contributor) is None  # nothing else has the tag


def test_containing_private_message_is_a_type_option(contributor, inbound, demo):
    ingest([inbound("dm me")])
    c = Conversation.objects.get()
    Message.objects.filter(conversation=c).update(private=True)
    queue = Queue.objects.get(slug="twitter-conversations-moderated")
    assert list(dealable(queue=queue, filter=ConversationFilter(types=("private_message",)))) == [
        c
    ]
    assert not dealable(queue=queue, filter=ConversationFilter(types=("compliment",))).exists()


def test_saved_filters_and_the_queue_page(client, contributor, inbound):
    _setup(contributor, inbound)
    client.force_login(contributor)
    page = client.get("/queues/twitter-conversations-moderated/summary?tag=sync").content.decode()
    assert "1 conversation matches" in page
    client.post(
        "/queues/twitter-conversations-moderated/filters", {"name": "My sync", "tag": "sync"}
    )
    page = client.get("/queues/twitter-conversations-moderated/panel").content.decode()
    assert 'href="/queues/twitter-conversations-moderated/?tag=sync"' in page and "My sync" in page
    r = client.post(
        "/queues/twitter-conversations-moderated/filters", {"name": "", "tag": "sync"}, follow=True
    )
    assert "Give the filter a name" in r.content.decode()


def test_bulk_tag_on_everything_a_filter_matches(client, contributor, inbound):
    _setup(contributor, inbound)
    client.force_login(contributor)
    r = client.post(
        "/queues/twitter-conversations-moderated/bulk",
        {"action": "tag", "value": "crash", "scope": "all", "language": "en"},
        follow=True,
    )
    assert "Done for 2 conversations" in r.content.decode()
    assert Conversation.objects.filter(tags__slug="crash").count() == 2
    r = client.post(
        "/queues/twitter-conversations-moderated/bulk",
        {"action": "close", "value": "resolved"},
        follow=True,
    )
    assert "Select conversations first" in r.content.decode()


def test_a_search_find_beside_a_mention_does_not_break_the_counts(client, agents, inbound):
    """A search find has no brand account: the counts used to sort None beside handles (500)."""
    ingest([inbound("firefox keeps freezing", mention=None), inbound("crash", mention="Firefox")])
    queue = Queue.objects.get(slug="twitter-all")
    facets = facet_counts(queue=queue, filter=ConversationFilter())
    accounts = {v: (label, n) for v, label, n in facets["account"]}
    assert accounts == {"Firefox": ("@Firefox", 1), NONE: ("No account (search)", 1)}
    client.force_login(agents["moderator"])
    for slug in ("twitter-all", "priority-moderation"):
        assert client.get(f"/queues/{slug}/").status_code == 200


def test_every_facet_survives_empty_values_and_the_none_bucket_filters(agents, inbound):
    ingest(
        [
            inbound("firefox keeps freezing", mention=None),
            inbound("hello", mention="Firefox", lang="de"),
        ]
    )
    search_find = Conversation.objects.get(account__isnull=True)
    # Empty or missing in every field a facet counts (as old rows or a bad import might leave them).
    Conversation.objects.filter(pk=search_find.pk).update(
        language="", type="", sentiment="", status="", platform=""
    )
    search_find.tags.clear()
    mention = Conversation.objects.get(account__isnull=False)
    Conversation.objects.filter(pk=mention.pk).update(type="feedback", sentiment="positive")
    actions.add_tag(actor=agents["moderator"], conversation=mention, tag="Sync")
    queue = Queue.objects.get(slug="twitter-all")
    everything = Queue(name="x", slug="x", rules={})
    for q in (queue, everything):
        facets = facet_counts(queue=q, filter=ConversationFilter())
        assert set(facets) == {
            "status",
            "tag",
            "type",
            "platform",
            "account",
            "language",
            "sentiment",
        }
        for values in facets.values():
            # A label is text, or text translated when shown (a choice's label, kept lazy so
            # the cached panel reads in each person's language).
            assert all(
                isinstance(v, str) and v and isinstance(label, (str, Promise)) and str(label)
                for v, label, _ in values
            )
    facets = facet_counts(queue=everything, filter=ConversationFilter())
    assert (NONE, "No account (search)", 1) in facets["account"]
    assert (NONE, "Not detected", 1) in facets["language"]
    assert (NONE, "Not marked", 1) in facets["sentiment"]
    assert (NONE, "Not classified", 1) in facets["type"]
    assert (NONE, "No tag", 1) in facets["tag"]
    # The none bucket is a filter like any other value, in the list and in Play.
    for field in ("accounts", "languages", "sentiments", "types", "tags"):
        assert list(
            queue_conversations(queue=everything, filter=ConversationFilter(**{field: (NONE,)}))
        ) == [search_find], field
    both = ConversationFilter.from_query(QueryDict("account=(none)&account=Firefox"))
    assert set(queue_conversations(queue=everything, filter=both)) == set(
        Conversation.objects.all()
    )
