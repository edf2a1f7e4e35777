"""Search, on whichever database the run uses (SQLite by default; DATABASE_URL for PostgreSQL):
words in German and English, our replies, notes, @handles, numbers, visibility, the filters,
pages, and input that cannot be searched for."""

import dataclasses
import html
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from socialdesk.actions import conversation as actions
from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import Conversation, Message
from socialdesk.queues.selectors import ConversationFilter
from socialdesk.search.selectors import BadQuery, SearchCursor, search


def _found(user, text, **kw) -> list[int]:
    rows, _ = search(user=user, text=text, **kw)
    return [c.pk for c in rows]


@pytest.fixture
def world(agents, inbound):
    ingest(
        [
            inbound(
                "Seit dem Update sind alle meine Passwörter verschwunden",
                handle="anna_de",
                lang="de",
            ),
            inbound("My bookmarks keep disappearing after restarting", handle="bob_en"),
            inbound("Le navigateur plante au démarrage", handle="claire", lang="fr"),
        ]
    )
    by = {c.author.handle: c for c in Conversation.objects.select_related("author")}
    return by


def test_a_german_word_finds_the_german_message(world, agents):
    cm = agents["cm"]
    assert _found(cm, "Passwörter") == [world["anna_de"].pk]
    assert _found(cm, "verschwunden") == [world["anna_de"].pk]
    assert _found(cm, "passworter") == [world["anna_de"].pk]  # without the umlaut


def test_an_english_word_finds_the_english_message_stemmed(world, agents):
    cm = agents["cm"]
    assert _found(cm, "bookmarks") == [world["bob_en"].pk]
    assert _found(cm, "bookmark") == [world["bob_en"].pk]  # the stem
    assert _found(cm, "restarted") == [world["bob_en"].pk]
    assert _found(cm, "bookmarks disappearing") == [world["bob_en"].pk]  # every word
    assert _found(cm, "bookmarks passwörter") == []


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="German stemming is PostgreSQL's (FTS5 has Porter)"
)
def test_postgresql_stems_german_in_the_messages_language(world, agents):
    # "Passwort" (singular) finds "Passwörter" because the message is German.
    assert _found(agents["cm"], "Passwort") == [world["anna_de"].pk]
    assert _found(agents["cm"], "verschwinden") == []  # another verb form: not the same stem
    # Small tables may be read whole; what matters is that the index is usable at all.
    cursor = connection.cursor()
    cursor.execute("SET enable_seqscan = off")
    cursor.execute(
        "EXPLAIN SELECT conversation_id FROM search_conversation_text "
        "WHERE vector @@ socialdesk_tsquery('x')"
    )
    plan = " ".join(r[0] for r in cursor.fetchall())
    cursor.execute("SET enable_seqscan = on")
    assert "search_conversation_days_vector" in plan


def test_our_replies_and_notes_are_found(world, agents):
    cm = agents["cm"]
    c = world["claire"]
    actions.reply(actor=cm, conversation=c, text="Essayez un nouveau profil s'il vous plaît")
    actions.add_note(actor=cm, conversation=world["bob_en"], text="Sync server incident 4711")
    assert _found(cm, "profil") == [c.pk]
    rows, _ = search(user=cm, text="profil")
    assert rows[0].hit.direction == "out"
    assert _found(cm, "incident") == [world["bob_en"].pk]


def test_an_edited_or_deleted_message_leaves_the_index(world, agents):
    cm = agents["cm"]
    m = Message.objects.get(conversation=world["bob_en"])
    m.text = "Tabs crash on startup"
    m.save()
    assert _found(cm, "bookmarks") == []
    assert _found(cm, "crash") == [world["bob_en"].pk]
    m.delete()
    assert _found(cm, "crash") == []


def test_handles_and_numbers(world, agents):
    cm = agents["cm"]
    assert _found(cm, "@Bob_EN") == [world["bob_en"].pk]
    assert _found(cm, "bob_en") == [world["bob_en"].pk]
    assert _found(cm, f"#{world['claire'].pk}") == [world["claire"].pk]
    assert _found(cm, str(world["claire"].pk)) == [world["claire"].pk]


def test_a_person_finds_only_what_they_may_see(agents, inbound):
    # @Firefox mentions wait for a moderator: a contributor may not see them yet.
    ingest([inbound("Firefox ate my tabs again", mention="Firefox", handle="hidden")])
    hidden = Conversation.objects.get(author__handle="hidden")
    assert not hidden.moderated
    assert _found(agents["moderator"], "tabs") == [hidden.pk]
    assert _found(agents["contributor"], "tabs") == []
    assert _found(agents["contributor"], "@hidden") == []
    assert _found(agents["contributor"], f"#{hidden.pk}") == []
    client = Client()
    client.force_login(agents["contributor"])
    r = client.get("/search/", {"q": "tabs"})
    assert r.status_code == 200
    assert f"/c/{hidden.pk}/" not in r.content.decode()


def test_the_queue_filters_narrow(world, agents):
    cm = agents["cm"]
    actions.close(actor=cm, conversation=world["bob_en"], reason="resolved")
    assert _found(cm, "bookmarks", filter=ConversationFilter(statuses=("open",))) == []
    assert _found(cm, "bookmarks", filter=ConversationFilter(statuses=("closed",))) == [
        world["bob_en"].pk
    ]


def test_pages_follow_one_another(agents, inbound):
    ingest([inbound(f"Sync stopped working, attempt {i}", handle=f"s{i}") for i in range(7)])
    cm = agents["cm"]
    seen, after = [], None
    for _ in range(4):
        rows, after = search(user=cm, text="sync", after=after, size=3)
        seen += [c.pk for c in rows]
        if after is None:
            break
    assert sorted(seen) == sorted(Conversation.objects.values_list("pk", flat=True))
    assert len(seen) == len(set(seen)) == 7
    assert SearchCursor.decode(SearchCursor(rows[-1].last_inbound_at, 5).encode()).id == 5


@pytest.mark.parametrize(
    "text", ["x" * 201, "a\x00b", "\ud800", '"', "AND OR NOT", "col:word", "*", "NEAR(a b)"]
)
def test_awkward_queries(world, agents, text):
    try:
        _found(agents["cm"], text)
    except BadQuery as e:
        assert str(e)


def test_the_page_from_the_header(world, agents):
    client = Client()
    client.force_login(agents["contributor"])
    home = client.get("/").content.decode()
    assert 'action="/search/"' in home
    r = client.get("/search/", {"q": "Passwörter", "status": "open"})
    page = r.content.decode()
    assert r.status_code == 200
    assert f'href="/c/{world["anna_de"].pk}/"' in page
    assert "Passwörter verschwunden" in page
    assert 'name="status" value="open" checked' in page
    r = client.get("/search/", {"q": "<script>alert(1)</script>"})
    assert "<script>alert(1)" not in r.content.decode()
    r = client.get("/search/", {"q": "x" * 500})
    assert r.status_code == 400 and "at most 200" in r.content.decode()
    r = client.get("/search/", {"q": "sync", "after": "nonsense"})
    assert r.status_code == 200 and "not one this desk made" in r.content.decode()


def test_customer_text_is_escaped(agents, inbound):
    ingest([inbound("<img src=x onerror=alert(1)> broken sync", handle="evil")])
    client = Client()
    client.force_login(agents["cm"])
    page = client.get("/search/", {"q": "sync"}).content.decode()
    assert "<img src=x" not in page and "&lt;img src=x" in page


def test_the_index_comes_back_after_a_migration_dropped_it(world, agents):
    """SQLite rebuilds a table to alter it, dropping its triggers; after migrate they are back,
    and what was written meanwhile is found."""
    from socialdesk.search import index

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's triggers")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER search_message_fts_ai")
    ingest([])
    Message.objects.create(
        conversation=world["claire"],
        direction="in",
        platform="twitter",
        text="Quokka sightings in the address bar",
        created_at=world["claire"].last_inbound_at,
    )
    assert _found(agents["cm"], "quokka") == []
    index.ensure_after_migrate()
    assert _found(agents["cm"], "quokka") == [world["claire"].pk]


def test_the_language_filter_and_the_count(world, agents, inbound):
    ingest([inbound(f"Sync stopped working, attempt {i}", handle=f"s{i}") for i in range(30)])
    ingest([inbound("Sync geht nicht mehr", handle="sync_de", lang="de")])
    client = Client()
    client.force_login(agents["cm"])
    page = client.get("/search/", {"q": "sync"}).content.decode()
    assert "31 conversations found" in page
    assert 'name="language" value="de"' in page and "German" in page
    r = client.get("/search/", {"q": "sync", "language": "de"})
    page = r.content.decode()
    assert "1 conversation found" in page
    assert f'href="/c/{Conversation.objects.get(author__handle="sync_de").pk}/"' in page
    assert 'name="language" value="de" checked' in page
    assert (
        "Nothing found" in client.get("/search/", {"q": "sync", "language": "fr"}).content.decode()
    )


def test_the_count_stops_at_its_cap(agents, inbound, monkeypatch):
    from socialdesk.search import selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 6)
    monkeypatch.setattr(selectors, "DENSE_AT", 6)  # PostgreSQL: "sync" takes the common-word walk
    ingest([inbound(f"Sync broke again {i}", handle=f"s{i}") for i in range(8)])
    ingest([inbound(f"Tabs gone {i}", handle=f"t{i}") for i in range(4)])
    # Waiting for a moderator: a contributor may not see these, nor count them.
    ingest([inbound(f"Tabs hidden {i}", handle=f"h{i}", mention="Firefox") for i in range(2)])
    cm = agents["cm"]
    r = selectors.results(user=cm, text="sync", size=3)
    assert str(r.count) == "6+" and len(r.rows) == 3
    seen, after = [], None
    while True:
        r = selectors.results(user=cm, text="sync", size=3, after=after, with_count=False)
        seen += [c.pk for c in r.rows]
        after = r.next
        if after is None:
            break
    assert len(seen) == len(set(seen)) == 8
    assert str(selectors.results(user=cm, text="tabs", size=3).count) == "6"
    assert str(selectors.results(user=agents["contributor"], text="tabs", size=3).count) == "4"
    r = selectors.results(user=agents["contributor"], text="hidden", size=3)
    assert r.rows == [] and not r.count


def test_merged_and_split_conversations_are_found_where_their_messages_went(agents, inbound):
    ingest([inbound("Quokka in the toolbar", handle="same", author_id="77", thread_id="t1")])
    ingest([inbound("Wombat on the tab strip", handle="same", author_id="77", thread_id="t2")])
    first, second = Conversation.objects.order_by("pk")
    cm = agents["cm"]
    actions.merge(actor=cm, conversation=first, other=second)
    assert _found(cm, "wombat") == [first.pk]
    if connection.vendor == "postgresql":  # every word in the conversation (SQLite: in a message)
        assert _found(cm, "quokka wombat") == [first.pk]
    moved = Message.objects.get(text__contains="Wombat")
    new = actions.split(actor=cm, conversation=first, message=moved)
    assert _found(cm, "wombat") == [new.pk]
    assert _found(cm, "quokka") == [first.pk]
    assert _found(cm, "quokka wombat") == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's triggers")
@pytest.mark.django_db(transaction=True)
def test_two_writers_adding_to_one_conversation_at_once_both_count(agents, inbound):
    """The second writer's trigger waits for the first one's row and adds to what it committed."""
    import threading

    import psycopg

    ingest([inbound("Where did my toolbar go", handle="both")])
    c = Conversation.objects.get()
    s = connection.settings_dict
    conninfo = dict(
        host=s["HOST"] or "localhost",
        port=s["PORT"] or 5432,
        user=s["USER"],
        password=s["PASSWORD"] or None,
        dbname=s["NAME"],
    )
    insert = (
        "INSERT INTO conversations_message (direction, platform, platform_id, text, language, "
        "created_at, received_at, raw, conversation_id, metadata, private, in_reply_to_platform_id) "
        "VALUES ('in', 'twitter', %s, %s, 'en', now(), now(), '{}', %s, '{}', false, '')"
    )
    with psycopg.connect(**conninfo) as first, psycopg.connect(**conninfo) as second:
        first.execute(insert, ["w1", "platypus", c.pk])
        t = threading.Thread(target=lambda: second.execute(insert, ["w2", "echidna", c.pk]))
        t.start()
        t.join(0.5)
        assert t.is_alive()  # waiting for the first writer's row
        first.commit()
        t.join(10)
        second.commit()
    assert _found(agents["cm"], "platypus") == _found(agents["cm"], "echidna") == [c.pk]
    assert _found(agents["cm"], "toolbar") == [c.pk]


def _api_ids(user, query: dict, limit: int) -> list[int]:
    """`GET /api/v1/conversations` for `query`, page after page (following `next`)."""
    from socialdesk.people.models import ApiToken

    key = ApiToken.issue(user, "search test", scope="read")[1]
    client, ids, after = Client(), [], ""
    while True:
        r = client.get(
            "/api/v1/conversations",
            {**query, "limit": limit, "after": after},
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        assert r.status_code == 200, r.content
        page = [c["id"] for c in r.json()["items"]]
        assert len(page) <= limit
        ids += page
        after = r.json()["next"]
        if not after:
            return ids


def _page_ids(user, query: dict) -> list[int]:
    """The search page for `query`, page after page (following "Older results")."""
    client = Client()
    client.force_login(user)
    ids, url = [], "/search/?" + urlencode(query)
    while url:
        r = client.get(url)
        assert r.status_code == 200
        text = r.content.decode()
        ids += [int(pk) for pk in re.findall(r'href="/c/(\d+)/"', text)]
        older = re.search(r'<a href="(\?[^"]*)">Older results</a>', text)
        url = "/search/" + html.unescape(older.group(1)) if older else ""
    return ids


def test_the_api_searches_as_the_page_does(agents, inbound, monkeypatch):
    """`GET /api/v1/conversations?q=` is the search page's search: the same conversations in the
    same order, page after page, with the same filters, a queue, and what each person may see;
    on PostgreSQL through both of its ways (a few matches looked up, a common word's walk)."""
    from socialdesk.actions.escalate import escalate
    from socialdesk.search import selectors

    ingest([inbound(f"Sync broke again {i}", handle=f"s{i}") for i in range(9)])
    ingest([inbound(f"Sync geht nicht {i}", handle=f"d{i}", lang="de") for i in range(3)])
    # Waiting for a moderator: found by the community manager, not by the contributor.
    ingest([inbound(f"Sync hidden {i}", handle=f"h{i}", mention="Firefox") for i in range(3)])
    by = {c.author.handle: c for c in Conversation.objects.select_related("author")}
    cm, contributor = agents["cm"], agents["contributor"]
    actions.close(actor=cm, conversation=by["s2"], reason="resolved")
    escalate(actor=cm, conversation=by["s5"], note="Several report this")
    newest_first = list(
        Conversation.objects.order_by("-last_inbound_at", "-id").values_list("pk", flat=True)
    )

    def expected(handles) -> list[int]:
        pks = {by[h].pk for h in handles}
        return [pk for pk in newest_first if pk in pks]

    english, german, hidden = (
        [f"s{i}" for i in range(9)],
        [f"d{i}" for i in range(3)],
        [f"h{i}" for i in range(3)],
    )
    cases = [
        (cm, {"q": "sync"}, english + german + hidden),
        (contributor, {"q": "sync"}, english + german),
        (cm, {"q": "sync", "status": "open"}, [h for h in english if h != "s2"] + german + hidden),
        (contributor, {"q": "sync", "language": "de"}, german),
        (cm, {"q": "@s3"}, ["s3"]),
        (contributor, {"q": "hidden"}, []),
    ]
    # PostgreSQL: at DENSE_AT 4, "sync" is a common word, walked newest first (in windows of 3
    # conversations, and after 6 of them the rest of the matches read from the index), or read
    # by ranges of days, as the estimates say.
    real_plan = selectors._plan
    configurations = (
        (1000, 2500, 10_000, None),
        (4, 2500, 10_000, True),
        (4, 3, 6, True),
        (4, 2500, 10_000, False),
        (4, 2500, 10_000, None),
    )
    for dense_at, window, limit, walk in configurations:
        monkeypatch.setattr(selectors, "DENSE_AT", dense_at)
        monkeypatch.setattr(selectors, "WALK_WINDOW", window)
        monkeypatch.setattr(selectors, "WALK_LIMIT", limit)
        monkeypatch.setattr(selectors, "READ_BATCH", 2)
        if walk is not None:
            monkeypatch.setattr(
                selectors,
                "_plan",
                lambda *a, walk=walk: dataclasses.replace(real_plan(*a), walk=walk),
            )
        else:
            monkeypatch.undo()
            monkeypatch.setattr(selectors, "DENSE_AT", dense_at)
        for user, query, handles in cases:
            want = expected(handles)
            assert _api_ids(user, query, 4) == want, (dense_at, window, user, query)
            assert _page_ids(user, query) == want, (dense_at, window, user, query)
        # A queue: only its conversations (the escalated one left the rule-based queues).
        assert _api_ids(cm, {"q": "sync", "queue": "escalation"}, 4) == [by["s5"].pk]
        assert by["s5"].pk not in _api_ids(
            cm, {"q": "sync", "queue": "twitter-conversations-moderated"}, 4
        )


def test_a_polls_page_is_found_once_its_triage_has_run(agents, inbound):
    """A poll's page leaves its new conversations' words to their triage task (PostgreSQL; the
    SQLite triggers index each message as it is stored): once the task has run, the opening
    message, a follow-up in the same page and one from a later page are all found."""
    from socialdesk.actions.triage import run_pending

    cm = agents["cm"]
    first = inbound("Quokka sync stopped", handle="poll_a", author_id="501", platform_id="9001")
    same_page = inbound("Wombat update too", handle="poll_a", author_id="501", in_reply_to="9001")
    ingest([first, same_page], triage_later=True)
    opened = Conversation.objects.get(author__handle="poll_a")
    assert opened.triage_pending
    if connection.vendor == "postgresql":
        assert _found(cm, "quokka") == []  # not yet: its words come with its triage
    later = inbound("Platypus as well", handle="poll_a", author_id="501", in_reply_to="9001")
    ingest([later], triage_later=True)  # before the first page's task runs
    assert run_pending([opened.pk]) == 1
    for word in ("quokka", "wombat", "platypus"):
        assert _found(cm, word) == [opened.pk], word
    if connection.vendor == "postgresql":  # every word in the conversation (SQLite: in a message)
        assert _found(cm, "quokka wombat platypus") == [opened.pk]
    # A page whose triage runs inside it (a retried or let-through message) is found at once.
    ingest([inbound("Echidna in the sidebar", handle="inline")])
    assert len(_found(cm, "echidna")) == 1


def _all_pages(user, text, size=3, **kw) -> list[int]:
    from socialdesk.search import selectors

    ids, after = [], None
    while True:
        r = selectors.results(user=user, text=text, size=size, after=after, **kw)
        ids += [c.pk for c in r.rows]
        after = r.next
        if after is None:
            return ids


def test_a_common_words_matches_are_read_by_days_newest_first(agents, inbound, monkeypatch):
    """PostgreSQL: a common word's matches read a range of days at a time, newest first (the
    day of each conversation's last activity kept beside its words), give the same pages as
    sorting every match, whatever the ranges; a conversation a customer writes to again moves to
    its new day (and a merged one to the newer of the two)."""
    from socialdesk.search import selectors

    now = timezone.now()
    for i in range(12):
        at = now - timedelta(days=3 * i, hours=1 + i % 3)
        ingest(
            [
                inbound(
                    f"Sync broke {i}",
                    handle=f"s{i}",
                    author_id=f"60{i}",
                    platform_id=f"{8000 + i}",
                    created_at=at,
                )
            ]
        )
    ingest([inbound("Sync twice today", handle="t", created_at=now - timedelta(minutes=5))])
    ingest([inbound("Nothing to see", handle="x", created_at=now - timedelta(days=2))])
    by = {c.author.handle: c for c in Conversation.objects.select_related("author")}
    ingest(
        [
            inbound(
                "Sync was fine before",
                handle="s2",
                author_id="602",
                thread_id="m1",
                created_at=now - timedelta(days=40),
            )
        ]
    )
    old = Conversation.objects.get(author__handle="s2", thread_key__startswith="m1:")
    # The oldest writes again today; an older conversation takes in a newer one of its customer.
    ingest(
        [
            inbound(
                "Still broken",
                handle="s11",
                author_id="6011",
                in_reply_to="8011",
                created_at=now - timedelta(minutes=1),
            )
        ]
    )
    cm, contributor = agents["cm"], agents["contributor"]
    actions.merge(actor=cm, conversation=old, other=by["s2"])
    actions.close(actor=cm, conversation=by["s4"], reason="resolved")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), count(*) FILTER (WHERE t.days = "
                "ARRAY[socialdesk_day(c.last_inbound_at)]) FROM search_conversation_text t "
                "JOIN conversations_conversation c ON c.id = t.conversation_id"
            )
            rows, right = cursor.fetchone()
        assert rows == right == Conversation.objects.exclude(pk=by["s2"].pk).count()

    def expected(**filters) -> list[int]:
        qs = Conversation.objects.filter(messages__text__icontains="sync", **filters).distinct()
        return list(qs.order_by("-last_inbound_at", "-id").values_list("pk", flat=True))

    everything, still_open = expected(), expected(status="open")
    assert everything[0] == by["s11"].pk and by["s2"].pk not in everything
    assert everything.index(old.pk) == everything.index(by["s1"].pk) + 1
    real_plan = selectors._plan
    # (span of the first range, MAX_DAYS, READ_BATCH): one day first, growing; every match
    # older than a day read whole; two matches a statement.
    for span, max_days, batch in ((1, 400, 1000), (1, 1, 1000), (2, 400, 2), (40, 400, 1000)):
        monkeypatch.setattr(selectors, "DENSE_AT", 4)
        monkeypatch.setattr(selectors, "MAX_DAYS", max_days)
        monkeypatch.setattr(selectors, "READ_BATCH", batch)
        monkeypatch.setattr(
            selectors,
            "_plan",
            lambda *a, span=span: dataclasses.replace(real_plan(*a), walk=False, span=span),
        )
        for user in (cm, contributor):
            assert _all_pages(user, "sync") == everything, (span, max_days, batch, user)
            f = ConversationFilter(statuses=("open",))
            assert _all_pages(user, "sync", filter=f) == still_open, (span, max_days, batch)
