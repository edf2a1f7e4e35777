"""The copy of a conversation's tag slugs on its row follows its tag links, whatever changes them."""

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection

from socialdesk.actions import conversation as actions
from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import Conversation, Tag
from socialdesk.queues.models import Queue
from socialdesk.queues.selectors import NONE, ConversationFilter, queue_conversations


def _links(c) -> list[str]:
    return sorted(c.tags.values_list("slug", flat=True))


def _row(c) -> list[str]:
    return Conversation.objects.values_list("tag_slugs", flat=True).get(pk=c.pk)


def _check(*conversations):
    for c in conversations:
        assert _row(c) == _links(c), c


@pytest.fixture
def two(demo, inbound):
    ingest([inbound("one", author_id="7"), inbound("two", author_id="8")])
    return list(Conversation.objects.order_by("pk"))


def test_the_action_layer_keeps_it_through_tag_untag_and_merge(agents, inbound):
    ingest([inbound("first", author_id="5"), inbound("second", author_id="5")])
    a, b = Conversation.objects.order_by("pk")
    moderator = agents["moderator"]
    actions.add_tag(actor=moderator, conversation=a, tag="Sync")
    actions.add_tag(actor=moderator, conversation=a, tag="crash")
    assert _row(a) == ["crash", "sync"]
    actions.remove_tag(actor=moderator, conversation=a, tag="sync")
    assert _row(a) == ["crash"]
    actions.add_tag(actor=moderator, conversation=b, tag="Sync")
    actions.merge(actor=moderator, conversation=a, other=b)
    assert _row(a) == ["crash", "sync"]
    _check(a, b)


def test_links_changed_through_the_relation_either_way(two):
    a, b = two
    sync, crash = Tag.objects.get(slug="sync"), Tag.objects.get(slug="crash")
    a.tags.set([sync, crash])  # the admin's form
    assert _row(a) == ["crash", "sync"]
    crash.conversations.add(b)
    assert _row(b) == ["crash"]
    crash.conversations.remove(a)
    assert _row(a) == ["sync"]
    crash.conversations.clear()
    a.tags.clear()
    assert _row(a) == _row(b) == []
    _check(a, b)


def test_a_tag_renamed_or_deleted_leaves_no_stale_slug(two):
    a, b = two
    sync = Tag.objects.get(slug="sync")
    a.tags.add(sync)
    b.tags.add(sync)
    sync.slug = "synchronisation"
    sync.save()
    assert _row(a) == _row(b) == ["synchronisation"]
    sync.delete()
    assert _row(a) == _row(b) == []


def test_saving_an_instance_read_before_a_tag_does_not_put_the_old_slugs_back(two):
    a, _ = two
    stale = Conversation.objects.get(pk=a.pk)
    Conversation.objects.get(pk=a.pk).tags.add(Tag.objects.get(slug="sync"))
    stale.priority = 7
    stale.save()
    a.refresh_from_db()
    assert (a.priority, a.tag_slugs) == (7, ["sync"])


def test_ingestion_and_triage_tags_are_on_the_row(demo, inbound):
    # A page stored in bulk: the celebrity tag and triage's confident tags.
    ingest([inbound("Mozilla VPN will not connect", followers=2_000_000), inbound("hello")])
    tagged, plain = Conversation.objects.order_by("pk")
    assert {"internet-celebrity", "paid-product"} <= set(_row(tagged))
    assert _row(plain) == []
    _check(tagged, plain)


def test_the_filters_read_the_row(two):
    a, b = two
    a.tags.add(Tag.objects.get(slug="sync"))
    queue = Queue.objects.get(slug="twitter-conversations-moderated")

    def ids(**kw):
        return set(
            queue_conversations(queue=queue, filter=ConversationFilter(**kw)).values_list(
                "pk", flat=True
            )
        )

    assert ids(tags=("sync",)) == {a.pk}
    assert ids(tags=("sync", "crash")) == {a.pk}
    assert ids(tags=("crash",)) == set()
    assert ids(tags=(NONE,)) == {b.pk}
    assert ids(tags=("sync", NONE)) == {a.pk, b.pk}


def test_the_data_migration_fills_existing_rows(two):
    a, b = two
    a.tags.add(Tag.objects.get(slug="sync"), Tag.objects.get(slug="crash"))
    Conversation.objects.update(tag_slugs=[])  # as the rows were before the column
    migration = importlib.import_module("socialdesk.conversations.migrations.0012_tag_slugs")
    # The schema editor's part it uses (SQLite opens no schema editor inside a test's transaction).
    editor = SimpleNamespace(connection=connection, execute=connection.cursor().execute)
    migration.fill(None, editor)
    assert (_row(a), _row(b)) == (["crash", "sync"], [])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN index is PostgreSQL's")
def test_a_tag_filter_can_be_answered_from_the_partial_gin_index(two):
    """The lookup's SQL must repeat the index's condition, or the planner cannot use it."""
    from django.db import transaction

    qs = ConversationFilter(tags=("crash",)).apply(Conversation.objects.all())
    sql, params = qs.values("pk").query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        # A handful of rows: told not to read the table, the planner shows whether it can.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "conversation_tag_slugs_gin" in plan, plan
