"""Triage after the page: a poll's page is stored first, triaged by a task enqueued with it, and
Play deals a new conversation only once it is triaged (its type, sentiment, language and
priority are what queues route on)."""

from django.db import connection
from django_tasks_db.models import DBTaskResult

from socialdesk.actions import deal
from socialdesk.actions.inbound import ingest
from socialdesk.actions.triage import (
    follow_ups_older_than,
    pending_older_than,
    run_follow_ups,
    run_pending,
)
from socialdesk.conversations.models import Activity, Conversation
from socialdesk.operations import schedule
from socialdesk.queues.models import Queue
from socialdesk.triage.models import TriageSuggestion
from socialdesk.triage.tasks import triage_conversations

TASK = "socialdesk.triage.tasks.triage_conversations"


def _queue(slug, **rules):
    return Queue.objects.create(
        name=slug, slug=slug, rules={"platforms": ["twitter"], **rules}, visible_to="contributor"
    )


def _run_enqueued() -> int:
    """What a worker does with the page's task: run it with the arguments it was given."""
    done = 0
    for row in DBTaskResult.objects.filter(task_path=TASK, status="READY"):
        args = row.args_kwargs
        done += triage_conversations.call(*args["args"], **args["kwargs"])
        row.delete()
    return done


def test_the_page_is_stored_first_and_its_task_is_in_the_same_transaction(demo, inbound):
    msg = inbound("please add vertical tabs, I would switch tomorrow", lang="en")
    ingest([msg], triage_later=True)
    c = Conversation.objects.get()
    # Stored, with what the platform says for sure; nothing of triage's yet.
    assert c.triage_pending and c.language == "en" and c.type == "" and c.sentiment == ""
    assert not TriageSuggestion.objects.exists()
    assert not Activity.objects.filter(kind="triaged").exists()
    assert [m.platform_id for m in c.messages.all()] == [msg.platform_id]
    # The task was written by the page's own transaction (the test never commits).
    task = DBTaskResult.objects.get(task_path=TASK)
    assert task.args_kwargs["args"][0] == [c.pk]

    assert _run_enqueued() == 1
    c.refresh_from_db()
    assert not c.triage_pending and c.type == "feature_request"
    s = TriageSuggestion.objects.get(conversation=c)
    assert "type" in s.applied
    assert "Feature request" in {t.name for t in c.tags.all()}
    assert Activity.objects.filter(conversation=c, kind="triaged").count() == 1
    # Run again (a sweep after a slow task): nothing is triaged twice.
    assert run_pending([c.pk]) == 0
    assert TriageSuggestion.objects.filter(conversation=c).count() == 1


def test_play_routes_on_triage_only_once_it_ran(demo, inbound, contributor):
    """A queue for feature requests and one for what is not classified: before triage the new
    conversation is neither's to deal (it would look unclassified), after it only the first's."""
    requests = _queue("feature-requests", types=["feature_request"])
    unclassified = _queue("not-classified", types=["(none)"])
    ingest([inbound("please add vertical tabs, I would switch tomorrow")], triage_later=True)
    c = Conversation.objects.get()

    deal.start(agent=contributor, queue=unclassified)
    assert deal.deal_next(agent=contributor) is None
    deal.start(agent=contributor, queue=requests)
    assert deal.deal_next(agent=contributor) is None

    _run_enqueued()
    deal.start(agent=contributor, queue=unclassified)
    assert deal.deal_next(agent=contributor) is None
    deal.start(agent=contributor, queue=requests)
    assert deal.deal_next(agent=contributor).pk == c.pk


def test_the_platforms_language_routes_at_once_and_triage_may_only_confirm_it(
    demo, inbound, contributor
):
    """The language the platform gives is certain: the conversation has it as soon as it is
    stored, and the triage that follows does not take it away."""
    ingest(
        [
            inbound(
                "meine Lesezeichen sind nach dem Update weg", mention="mozilla_germany", lang="de"
            )
        ],
        triage_later=True,
    )
    c = Conversation.objects.get()
    assert c.triage_pending and c.language == "de"
    _run_enqueued()
    c.refresh_from_db()
    assert c.language == "de" and "Bookmarks" in {t.name for t in c.tags.all()}


def test_a_lost_task_is_found_again_by_the_sweep(demo, inbound, settings):
    ingest([inbound("Firefox keeps crashing, this is awful")], triage_later=True)
    c = Conversation.objects.get()
    DBTaskResult.objects.filter(task_path=TASK).delete()  # the worker died with it
    settings.SOCIALDESK_TRIAGE_SWEEP_SECONDS = 0
    assert pending_older_than(0) == [c.pk]
    schedule.triage(scheduler=None)
    assert _run_enqueued() == 1
    c.refresh_from_db()
    assert not c.triage_pending
    assert TriageSuggestion.objects.filter(conversation=c).exists()
    assert pending_older_than(0) == []


def test_a_lost_follow_up_task_is_found_again_by_the_sweep(demo, inbound, settings):
    first = inbound("Firefox crashes every time I open a PDF, please help", author_id="601")
    ingest([first], triage_later=True)
    _run_enqueued()
    c = Conversation.objects.get()
    assert not c.retriage_pending

    follow_up = inbound("still broken", author_id="601", in_reply_to=first.platform_id)
    ingest([follow_up], triage_later=True)
    c.refresh_from_db()
    assert c.retriage_pending and not c.triage_pending  # dealt meanwhile: it was routed
    DBTaskResult.objects.filter(task_path=TASK).delete()  # the worker died with it
    settings.SOCIALDESK_TRIAGE_SWEEP_SECONDS = 0
    assert follow_ups_older_than(0) == [c.pk]
    assert pending_older_than(0) == []
    schedule.triage(scheduler=None)
    assert _run_enqueued() == 1
    c.refresh_from_db()
    assert not c.retriage_pending
    entry = Activity.objects.filter(conversation=c, kind="triaged").latest("pk")
    assert entry.detail["follow_up"] == c.messages.get(platform_id=follow_up.platform_id).pk
    assert follow_ups_older_than(0) == []
    # The page's task, had it only been slow, reads nothing twice.
    assert run_follow_ups([c.pk]) == 0
    assert Activity.objects.filter(conversation=c, kind="triaged").count() == 2


def test_a_follow_up_triage_fails_on_keeps_its_triage_and_waits_no_more(
    demo, inbound, monkeypatch
):
    from socialdesk.triage import services

    first = inbound("Firefox crashes every time I open a PDF, please help", author_id="602")
    ingest([first], triage_later=True)
    _run_enqueued()
    ingest(
        [inbound("still broken", author_id="602", in_reply_to=first.platform_id)],
        triage_later=True,
    )
    c = Conversation.objects.get()
    before = (c.type, c.sentiment)

    def broken(items, context=None):
        raise RuntimeError("model file missing")

    monkeypatch.setattr(services, "classify_stored", broken)
    assert _run_enqueued() == 0
    c.refresh_from_db()
    assert (c.type, c.sentiment) == before and not c.retriage_pending
    assert Activity.objects.filter(conversation=c, kind="triaged").count() == 1


def test_a_conversation_triage_fails_on_is_released_without_suggestions(
    demo, inbound, monkeypatch
):
    from socialdesk.triage import services

    ingest([inbound("sync is broken")], triage_later=True)
    c = Conversation.objects.get()

    def broken(items):
        raise RuntimeError("model file missing")

    monkeypatch.setattr(services, "classify_stored", broken)
    assert run_pending([c.pk]) == 1
    c.refresh_from_db()
    assert not c.triage_pending  # dealt like any other, without suggestions
    assert not TriageSuggestion.objects.exists()


def test_storing_a_page_without_triage_costs_fewer_statements(demo, inbound):
    from django.test.utils import CaptureQueriesContext

    ingest([inbound("warm up")], triage_later=True)
    page = [inbound(f"sync is broken on device {i}") for i in range(20)]
    with CaptureQueriesContext(connection) as later:
        ingest(page, triage_later=True)
    assert not any("triage_triagesuggestion" in q["sql"] for q in later.captured_queries)
    assert Conversation.objects.filter(triage_pending=True).count() == 21
    assert _run_enqueued() == 21
    assert TriageSuggestion.objects.count() == 21
