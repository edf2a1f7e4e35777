"""A page is stored with a few statements, whatever its size, and threads as message by message
would: duplicates inside a page, a page half stored before, a follow-up beside its parent, one
author twice, a thread opened by another process meanwhile, two pollers storing the same page.
On SQLite and on PostgreSQL alike (the pollers' race on PostgreSQL only)."""

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import OperationalError, connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from socialdesk.actions import inbound as services
from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import (
    Activity,
    Author,
    CloseReason,
    Conversation,
    Direction,
    HoldReason,
    Message,
    Status,
)


def thread(inbound, n, *, author_id="42", handle="ana"):
    """A customer's first message and `n` follow-ups, each replying to the one before."""
    first = inbound("sync is broken", author_id=author_id, handle=handle)
    messages = [first]
    for i in range(n):
        messages.append(
            inbound(
                f"still broken ({i})",
                author_id=author_id,
                handle=handle,
                in_reply_to=messages[-1].platform_id,
                thread_id=first.thread_id,
            )
        )
    return messages


def statements(page) -> int:
    """The statements storing `page` takes; SQLite takes at most 999 values in one statement, so
    Django sends a large INSERT in parts: those count as one."""
    with CaptureQueriesContext(connection) as ran:
        ingest(page)
    sql = [q["sql"] for q in ran]
    return sum(
        1
        for i, s in enumerate(sql)
        if not (i and s.startswith("INSERT") and s.split("(")[0] == sql[i - 1].split("(")[0])
    )


def test_statements_per_page_do_not_grow_with_the_page(demo, inbound):
    def page(n, prefix):
        """n messages: half of them new conversations, half follow-ups of conversations stored before."""
        earlier = [inbound(f"sync is broken {i}", author_id=f"{prefix}{i}") for i in range(n // 2)]
        ingest(earlier)
        return [
            inbound(f"sync is broken {i}", author_id=f"{prefix}n{i}") for i in range(n // 2)
        ] + [
            inbound(
                "still broken",
                author_id=f"{prefix}{i}",
                in_reply_to=m.platform_id,
                thread_id=m.thread_id,
            )
            for i, m in enumerate(earlier)
        ]

    ingest(
        [inbound("sync is broken")]
    )  # the tags triage adds: created by the first page that needs them
    assert statements(page(100, "l")) <= statements(page(10, "s"))


def test_the_same_message_twice_in_one_page_is_stored_once(demo, inbound):
    msg = inbound()
    result = ingest([msg, inbound("other"), msg])
    assert (result.stored, result.duplicates) == (2, 1)
    assert Message.objects.filter(platform_id=msg.platform_id).count() == 1
    assert Activity.objects.filter(kind="message_received").count() == 2


def test_a_page_half_stored_before_stores_the_other_half_in_the_right_conversations(demo, inbound):
    ana, ben = thread(inbound, 3), thread(inbound, 3, author_id="43", handle="ben")
    page = ana + ben
    ingest(ana[:2] + ben[:1])  # the earlier poll got this far
    result = ingest(page)
    assert (result.stored, result.duplicates, result.conversations_opened) == (5, 3, 0)
    assert Conversation.objects.count() == 2
    for messages in (ana, ben):
        conversation = Conversation.objects.get(author__external_id=messages[0].author.external_id)
        assert [m.platform_id for m in conversation.messages.all()] == [
            m.platform_id for m in messages
        ]
        assert conversation.last_inbound_at == messages[-1].created_at
    assert Message.objects.count() == 8 and ingest(page).stored == 0
    # A reply found through its parent alone (its thread id is not the parent's): the parent
    # being in the page but stored before, it still joins the parent's conversation.
    late = inbound(
        "any news?",
        author_id="42",
        handle="ana",
        in_reply_to=ana[-1].platform_id,
        thread_id="another thread id",
    )
    assert ingest([ana[-1], late]).stored == 1
    assert (
        Message.objects.get(platform_id=late.platform_id).conversation.author.external_id == "42"
    )
    assert Conversation.objects.count() == 2


def test_a_parent_and_its_follow_ups_in_one_page_make_one_conversation_in_any_order(demo, inbound):
    messages = thread(inbound, 3)
    other = inbound(
        "me too",
        author_id="43",
        in_reply_to=messages[1].platform_id,
        thread_id=messages[0].thread_id,
    )
    result = ingest([*reversed(messages), other])
    assert (result.stored, result.conversations_opened) == (5, 2)
    ana = Conversation.objects.get(author__external_id="42")
    assert ana.messages.count() == 4 and ana.last_inbound_at == messages[-1].created_at
    # Another customer joining the thread has a conversation of their own.
    assert (
        Conversation.objects.get(author__external_id="43").messages.get().platform_id
        == other.platform_id
    )
    kinds = list(Activity.objects.filter(conversation=ana).values_list("kind", flat=True))
    assert kinds == [
        "opened",
        "message_received",
        "message_received",
        "message_received",
        "message_received",
        "triaged",
    ]


def test_a_reply_to_a_brand_reply_joins_the_conversation_the_reply_is_in(demo, inbound):
    first = inbound("sync is broken", author_id="42", handle="ana")
    ingest([first])
    conversation = Conversation.objects.get()
    # Our reply went out from the outbox: on the platform it has an id, and another thread id.
    Message.objects.create(
        conversation=conversation,
        direction=Direction.OUTBOUND,
        platform="twitter",
        platform_id="555",
        in_reply_to_platform_id=first.platform_id,
        text="Try signing in again",
        created_at=timezone.now(),
    )
    answer = inbound(
        "did not help",
        author_id="42",
        handle="ana",
        in_reply_to="555",
        thread_id="a thread X gave another id",
    )
    stranger = inbound(
        "same here", author_id="43", in_reply_to="555", thread_id="a thread X gave another id"
    )
    result = ingest([answer, stranger])
    assert (result.stored, result.conversations_opened) == (2, 1)
    assert Message.objects.get(platform_id=answer.platform_id).conversation_id == conversation.pk
    assert (
        Message.objects.get(platform_id=stranger.platform_id).conversation.author.external_id
        == "43"
    )


def test_the_same_new_author_twice_in_a_page_is_one_author_with_the_newest_profile(demo, inbound):
    def ana(text, **profile):
        msg = inbound(text, author_id="42")
        return replace(msg, author=replace(msg.author, name="Ana", **profile))

    older, newer = (
        ana("tabs gone", handle="ana_old", followers=10),
        ana("and the bookmarks", handle="ana", followers=20),
    )
    result = ingest([newer, older])
    assert (result.stored, result.conversations_opened) == (2, 2)  # two threads of hers
    author = Author.objects.get(external_id="42")
    assert (author.handle, author.followers) == ("ana", 20)
    assert set(Conversation.objects.values_list("author", flat=True)) == {author.pk}
    # Known now: a later page with the same profile writes nothing to her row, a changed one updates it.
    ingest([ana("again", handle="ana", followers=20)])
    assert Author.objects.get(external_id="42").updated_at == author.updated_at
    ingest([ana("again", handle="ana", followers=2_000_000)])
    assert Author.objects.get(external_id="42").followers == 2_000_000
    assert Author.objects.count() == 1


def test_closed_and_waiting_conversations_reopen_once_for_several_messages_in_a_page(
    demo, inbound
):
    ana, ben = thread(inbound, 0), thread(inbound, 0, author_id="43", handle="ben")
    ingest(ana + ben)
    Conversation.objects.filter(author__external_id="42").update(
        status=Status.CLOSED, close_reason=CloseReason.RESOLVED, awaiting_reply=False
    )
    Conversation.objects.filter(author__external_id="43").update(
        status=Status.HELD, hold_reason=HoldReason.WAITING_ON_CUSTOMER, awaiting_reply=False
    )
    page = [
        inbound("again", author_id=a, in_reply_to=m[0].platform_id, thread_id=m[0].thread_id)
        for a, m in (("42", ana), ("43", ben))
    ]
    page.append(
        inbound(
            "and again",
            author_id="42",
            in_reply_to=page[0].platform_id,
            thread_id=ana[0].thread_id,
        )
    )
    result = ingest(page)
    assert (result.stored, result.conversations_reopened) == (3, 2)
    for c in Conversation.objects.all():
        assert (c.status, c.close_reason, c.hold_reason, c.awaiting_reply) == (
            Status.OPEN,
            "",
            "",
            True,
        )
        assert Activity.objects.filter(conversation=c, kind="reopened").count() == 1
    assert Activity.objects.get(
        conversation__author__external_id="42", kind="reopened"
    ).detail == {"was": "closed", "reason": "resolved"}


def test_a_thread_another_process_opened_meanwhile_is_joined_not_opened_twice(
    demo, inbound, monkeypatch
):
    first = inbound("sync is broken", author_id="42")
    ingest([first])  # "the other process"
    real = services._conversations
    # The page's look-up misses the conversation the other process just opened, as in a real race.
    monkeypatch.setattr(
        services, "_conversations", lambda new, context: ({}, {}) if new else real(new, context)
    )
    follow_up = inbound("still broken", author_id="42", thread_id=first.thread_id)
    result = ingest([follow_up, inbound("other customer")])
    assert (result.stored, result.conversations_opened, result.set_aside) == (2, 1, 0)
    assert Conversation.objects.get(author__external_id="42").messages.count() == 2


def test_a_page_that_fails_on_the_database_stores_nothing_and_is_stored_whole_when_read_again(
    demo, inbound, monkeypatch
):
    from socialdesk.ingestion import bulk

    page = thread(inbound, 2) + [inbound("tabs gone")]
    real = bulk.insert

    def crash(objs):
        if objs and isinstance(objs[0], Activity):
            raise OperationalError("server closed the connection unexpectedly")
        real(objs)

    monkeypatch.setattr(bulk, "insert", crash)
    with pytest.raises(OperationalError):
        ingest(page)
    assert (
        not Message.objects.exists()
        and not Conversation.objects.exists()
        and not Author.objects.exists()
    )
    monkeypatch.setattr(bulk, "insert", real)
    assert ingest(page).stored == 4
    assert Conversation.objects.count() == 2 and Message.objects.count() == 4


def test_a_follow_up_in_a_page_is_kept_for_the_agent_who_answered_while_they_play(
    demo, agents, inbound
):
    from socialdesk.actions import deal as play
    from socialdesk.queues.models import Queue

    first = inbound("sync broken", author_id="41")
    ingest([first])
    contributor = agents["contributor"]
    answered = play.deal_next(
        agent=contributor, queue=Queue.objects.get(slug="twitter-conversations-moderated")
    )
    from socialdesk.actions import conversation as actions

    actions.reply(actor=contributor, conversation=answered, text="Try signing in again")
    ingest(
        [
            inbound(
                "still broken",
                author_id="41",
                in_reply_to=first.platform_id,
                thread_id=first.thread_id,
            ),
            inbound("someone else", author_id="99"),
        ]
    )
    answered.refresh_from_db()
    assert (
        answered.reserved_for == contributor
        and answered.reserved_until > timezone.now() + timedelta(minutes=1)
    )
    assert Conversation.objects.get(author__external_id="99").reserved_for is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_pollers_storing_the_same_pages_at_once_store_each_message_once(inbound):
    if connection.vendor != "postgresql":
        pytest.skip("runs on PostgreSQL (set DATABASE_URL); SQLite serialises writers anyway")
    from socialdesk.demo.seed import load_demo_configuration

    make_inbound = inbound

    load_demo_configuration(with_users=False)
    # Pages that overlap: threads with follow-ups, authors seen on several pages.
    messages = []
    for t in range(40):
        first = make_inbound(f"sync broken {t}", author_id=str(500 + t % 15))
        messages += [first] + [
            make_inbound(
                "still",
                author_id=first.author.external_id,
                in_reply_to=first.platform_id,
                thread_id=first.thread_id,
            )
            for _ in range(t % 3)
        ]
    pages = [messages[i : i + 30] for i in range(0, len(messages), 20)]
    start = threading.Barrier(2)
    results, errors = [], []

    def poller(order):
        try:
            start.wait()
            for page in order:
                for attempt in range(5):
                    try:
                        results.append(ingest(page))
                        break
                    except OperationalError:
                        # A deadlock PostgreSQL broke: the page failed whole, and the next poll reads it again.
                        continue
                else:
                    raise AssertionError("a page failed five times")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=poller, args=(pages,)),
        threading.Thread(target=poller, args=(list(reversed(pages)),)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(r.stored for r in results) == len(messages) == Message.objects.count()
    assert sum(r.set_aside for r in results) == 0
    assert Conversation.objects.count() == 40
    assert Activity.objects.filter(kind="message_received").count() == len(messages)
    assert Activity.objects.filter(kind="opened").count() == 40


def test_rows_written_in_bulk_read_back_as_written(demo, inbound):
    msg = replace(
        inbound("ça plante 🦊 \u202e"),
        raw={"tweet": {"id": "1", "text": "ça plante 🦊", "nested": [1, None, {"a": "ü"}]}},
    )
    before = timezone.now()
    ingest([msg])
    message = Message.objects.get(platform_id=msg.platform_id)
    conversation = message.conversation
    assert (
        message.raw == msg.raw
        and message.text == msg.text
        and message.created_at == msg.created_at
    )
    assert before <= message.received_at <= timezone.now()
    assert before <= conversation.created_at <= conversation.updated_at <= timezone.now()
    received = Activity.objects.get(conversation=conversation, kind="message_received")
    assert (
        received.detail == {"message": message.pk, "at": msg.created_at.isoformat()}
        and before <= received.at
    )
