"""A fixed activity history over two days, made by the real actions under a frozen clock, with
the figures the reports must compute from it worked out by hand in `EXPECTED`.

Day 1 (2026-03-02, UTC):
  09:00 customer 501 writes: conversation A.
  09:10 the contributor plays "Twitter conversations - Moderated" and is dealt A.
  09:20 the contributor replies to A and holds it (waiting on the customer)   -> A first response 1200 s
  09:25 customer 502 writes: conversation F.
  09:26 the contributor is dealt F; 09:30 stops Play mid-way (F goes back)   -> play 1200 s, 2 dealt
  09:40 customer 501 writes again: A reopens.
  10:00 the moderator replies to F from its page                               -> F first response 2100 s (dealt from Moderated)
  10:05 the contributor escalates F.
  10:10 the contributor replies to A and closes it "Resolved"                  -> A response 1800 s, not dealt
  10:20 customer 503 writes: conversation B1; 10:25 the moderator answers      -> B1 first response 300 s
  10:30 customer 503 writes in a new thread: conversation B2.
  10:45 the community manager merges B2 into B1 (B2's wait moves to B1).
  11:00 the community manager replies on B1                                    -> B1 response 1800 s (waited since 10:30)
  11:10 customer 504 writes: D; 11:30 they delete it: closed "Deleted" by the system (no response).
  11:15 customer 505 writes: E; 11:20 the contributor closes it "No Need to Reply" (no response).
  12:00 the moderator plays; last sign of life 12:05; 12:20 the idle sweep ends it at 12:05 -> play 300 s, idle
Day 2 (2026-03-03):
  09:00 customer 505 writes again: E reopens (the wait starts now, not on day 1).
  09:01 the moderator makes the contributor's replies wait for approval.
  09:30 the contributor replies to E (waits for approval); 09:50 the moderator approves it
                                                                               -> E first response 3000 s, the contributor's
"""

from datetime import UTC, date, datetime

from freezegun import freeze_time

from socialdesk.actions import conversation as actions
from socialdesk.actions import deal as play
from socialdesk.actions.automation import mark_deleted
from socialdesk.actions.escalate import escalate
from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import Conversation, Message
from socialdesk.outbox.models import OutboundAction
from socialdesk.queues.models import Queue

DAY1, DAY2 = date(2026, 3, 2), date(2026, 3, 3)
MODERATED = "Twitter conversations - Moderated"


def at(day: date, hh: int, mm: int) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=UTC)


def build(agents, make_inbound) -> dict:
    """Play the history; returns the conversations by letter."""
    contributor, moderator, cm = agents["contributor"], agents["moderator"], agents["cm"]
    queue = Queue.objects.get(slug="twitter-conversations-moderated")
    # Nothing else waits in the queue: the deals below are these conversations.
    Conversation.objects.update(status="closed")
    c = {}

    def customer(when, author, text, *, after=None):
        msg = make_inbound(
            text,
            author_id=author,
            handle=f"customer{author}",
            created_at=when,
            in_reply_to=after.platform_id if after else "",
            thread_id=after.thread_id if after else None,
        )
        ingest([msg])
        return msg, Message.objects.get(platform_id=msg.platform_id).conversation

    with freeze_time(at(DAY1, 9, 0)) as clock:
        a1, c["A"] = customer(at(DAY1, 9, 0), "501", "Sync lost my bookmarks")
        clock.move_to(at(DAY1, 9, 10))
        assert play.deal_next(agent=contributor, queue=queue).pk == c["A"].pk
        clock.move_to(at(DAY1, 9, 20))
        actions.reply(
            actor=contributor,
            conversation=c["A"],
            text="Try signing in again",
            then="hold",
            hold_reason="waiting_customer",
        )
        clock.move_to(at(DAY1, 9, 25))
        _f, c["F"] = customer(at(DAY1, 9, 25), "502", "Firefox crashes on start")
        clock.move_to(at(DAY1, 9, 26))
        assert play.deal_next(agent=contributor).pk == c["F"].pk
        clock.move_to(at(DAY1, 9, 30))
        play.stop(agent=contributor)
        clock.move_to(at(DAY1, 9, 40))
        customer(at(DAY1, 9, 40), "501", "Still no bookmarks", after=a1)
        clock.move_to(at(DAY1, 10, 0))
        actions.reply(actor=moderator, conversation=c["F"], text="Which version do you use?")
        clock.move_to(at(DAY1, 10, 5))
        escalate(actor=contributor, conversation=c["F"], note="Crash on start, several reports")
        clock.move_to(at(DAY1, 10, 10))
        actions.reply(
            actor=contributor,
            conversation=c["A"],
            text="Restore them from a backup",
            then="close",
            close_reason="resolved",
        )
        clock.move_to(at(DAY1, 10, 20))
        _b1, c["B1"] = customer(at(DAY1, 10, 20), "503", "Where are my passwords?")
        clock.move_to(at(DAY1, 10, 25))
        actions.reply(actor=moderator, conversation=c["B1"], text="In Settings, Passwords")
        clock.move_to(at(DAY1, 10, 30))
        _b2, c["B2"] = customer(at(DAY1, 10, 30), "503", "Also, how do I export them?")
        clock.move_to(at(DAY1, 10, 45))
        actions.merge(actor=cm, conversation=c["B1"], other=c["B2"])
        clock.move_to(at(DAY1, 11, 0))
        actions.reply(actor=cm, conversation=c["B1"], text="Use Export in the menu")
        clock.move_to(at(DAY1, 11, 10))
        d1, c["D"] = customer(at(DAY1, 11, 10), "504", "This browser is awful")
        clock.move_to(at(DAY1, 11, 15))
        e1, c["E"] = customer(at(DAY1, 11, 15), "505", "Thanks Firefox!")
        clock.move_to(at(DAY1, 11, 20))
        actions.close(actor=contributor, conversation=c["E"], reason="no_need_to_reply")
        clock.move_to(at(DAY1, 11, 30))
        assert mark_deleted(message_pk=Message.objects.get(platform_id=d1.platform_id).pk)
        clock.move_to(at(DAY1, 12, 0))
        play.start(agent=moderator, queue=queue)
        clock.move_to(at(DAY1, 12, 5))
        play.renew(agent=moderator)
        clock.move_to(at(DAY1, 12, 20))
        assert play.end_idle_sessions() == 1

        clock.move_to(at(DAY2, 9, 0))
        customer(at(DAY2, 9, 0), "505", "Actually, one question: dark mode?", after=e1)
        clock.move_to(at(DAY2, 9, 1))
        actions.set_requires_approval(actor=moderator, agent=contributor, on=True)
        contributor.profile.refresh_from_db()  # as the contributor's next request would read it
        clock.move_to(at(DAY2, 9, 30))
        actions.reply(actor=contributor, conversation=c["E"], text="Settings, General, Appearance")
        clock.move_to(at(DAY2, 9, 50))
        actions.approve_reply(
            actor=moderator,
            action=OutboundAction.objects.get(conversation=c["E"], state="approval"),
        )
    return c
