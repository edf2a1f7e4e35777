"""Who may see and act on a conversation, in the action layer itself: the worker, the API and the
pages all go through it, so none of them can reach what the agent may not see, or take a
conversation another agent holds."""

from datetime import timedelta

import pytest
from django.utils import timezone

from socialdesk.actions import conversation as actions
from socialdesk.actions.escalate import escalate
from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import Activity, Conversation, InternalNote, Status
from socialdesk.errors import ActionConflict, ActionNotFound
from socialdesk.outbox.models import OutboundAction
from socialdesk.queues.models import Queue, QueueKind
from socialdesk.queues.visibility import visible_conversations


def _unmoderated(inbound):
    ingest(
        [inbound("Firefox ate my tabs", mention="Firefox")]
    )  # @Firefox mentions wait for a moderator
    c = Conversation.objects.get()
    assert not c.moderated
    return c


HEAVY = {
    "reply": lambda u, c: actions.reply(actor=u, conversation=c, text="Try a new profile"),
    "hold": lambda u, c: actions.hold(actor=u, conversation=c, reason="waiting_internal"),
    "close": lambda u, c: actions.close(actor=u, conversation=c, reason="acknowledged"),
    "like": lambda u, c: actions.like(actor=u, conversation=c, message=c.messages.first()),
    "assign to self": lambda u, c: actions.assign(actor=u, conversation=c, to_user=u),
    "assign to Escalation": lambda u, c: actions.assign(
        actor=u, conversation=c, to_queue=Queue.objects.get(slug="escalation")
    ),
    "escalate": lambda u, c: escalate(actor=u, conversation=c, note="Several people report this"),
}
LIGHT = {
    "note": lambda u, c: actions.add_note(actor=u, conversation=c, text="fyi"),
    "tag": lambda u, c: actions.add_tag(actor=u, conversation=c, tag="Sync"),
    "sentiment": lambda u, c: actions.set_sentiment(actor=u, conversation=c, sentiment="negative"),
    "user tag": lambda u, c: actions.set_user_tag(actor=u, conversation=c, kind="influencer"),
    "reminder": lambda u, c: actions.set_reminder(
        actor=u, conversation=c, due_at=timezone.now() + timedelta(hours=1)
    ),
}


@pytest.mark.parametrize("action", [*HEAVY, *LIGHT])
def test_a_contributor_cannot_act_on_a_conversation_still_in_moderation(agents, inbound, action):
    c = _unmoderated(inbound)
    call = {**HEAVY, **LIGHT}[action]

    def state():
        c.refresh_from_db()
        return (
            c.status,
            c.assigned_queue_id,
            c.assignee_id,
            c.sentiment,
            set(c.tags.all()),
            c.reminders.count(),
        )

    before = state()
    with pytest.raises(ActionNotFound, match="No such conversation"):
        call(agents["contributor"], c)
    assert state() == before
    assert not OutboundAction.objects.exists() and not InternalNote.objects.exists()
    assert Activity.objects.filter(kind="refused", actor=agents["contributor"]).exists()  # audited
    call(agents["moderator"], c)  # the moderator sees it


def test_what_a_role_sees_follows_its_queues_and_what_is_dealt_or_assigned_to_it(agents, inbound):
    contributor, moderator = agents["contributor"], agents["moderator"]
    hidden = _unmoderated(inbound)
    ingest([inbound("bookmarks gone", mention="FirefoxSupport")])
    shown = Conversation.objects.exclude(pk=hidden.pk).get()
    assert set(visible_conversations(user=contributor)) == {shown}
    assert set(visible_conversations(user=moderator)) == {shown, hidden}
    assert set(visible_conversations(user=agents["cm"])) == {shown, hidden}

    Conversation.objects.filter(pk=hidden.pk).update(
        assignee=contributor
    )  # assigned to them by a moderator
    assert hidden in visible_conversations(user=contributor)
    Conversation.objects.filter(pk=hidden.pk).update(assignee=None, dealt_to=contributor)
    assert hidden in visible_conversations(user=contributor)

    # Sent to a queue only community managers see: out of the contributors' sight.
    cms_only = Queue.objects.create(
        name="CM review", slug="cm-review", kind=QueueKind.ASSIGNMENT, visible_to="cm"
    )
    Conversation.objects.filter(pk=shown.pk).update(assigned_queue=cms_only)
    assert shown not in visible_conversations(user=contributor)
    assert shown not in visible_conversations(user=moderator)


@pytest.mark.parametrize("action", list(HEAVY))
def test_a_conversation_dealt_to_another_agent_is_theirs_until_the_lease_ends(
    agents, conversation, action
):
    other = agents["moderator"]
    Conversation.objects.filter(pk=conversation.pk).update(
        dealt_to=other, lease_expires_at=timezone.now() + timedelta(minutes=5)
    )
    conversation.refresh_from_db()
    for actor in (agents["contributor"], agents["cm"], agents["admin"]):
        with pytest.raises(ActionConflict, match="moderator is handling this conversation"):
            HEAVY[action](actor, conversation)
    conversation.refresh_from_db()
    assert conversation.dealt_to == other  # nobody cleared the deal
    assert (conversation.status, conversation.assigned_queue_id, conversation.assignee_id) == (
        Status.OPEN,
        None,
        None,
    )
    assert not OutboundAction.objects.exists()
    # Once the lease has run out, anyone who sees it may act.
    Conversation.objects.filter(pk=conversation.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    conversation.refresh_from_db()
    HEAVY[action](agents["contributor"], conversation)


@pytest.mark.parametrize("action", list(LIGHT))
def test_notes_tags_and_reminders_help_the_agent_who_holds_it(agents, conversation, action):
    Conversation.objects.filter(pk=conversation.pk).update(
        dealt_to=agents["moderator"], lease_expires_at=timezone.now() + timedelta(minutes=5)
    )
    conversation.refresh_from_db()
    LIGHT[action](agents["contributor"], conversation)
    conversation.refresh_from_db()
    assert conversation.dealt_to == agents["moderator"]


def test_merge_and_split_respect_both_conversations(agents, inbound):
    contributor = agents["contributor"]
    ingest([inbound("first", author_id="42", handle="sam", mention="FirefoxSupport")])
    ingest([inbound("second", author_id="42", handle="sam", mention="FirefoxSupport")])
    ingest([inbound("third, to @Firefox", author_id="42", handle="sam", mention="Firefox")])
    first, second, hidden = Conversation.objects.order_by("pk")
    assert not hidden.moderated
    # Merging a conversation the contributor may not see into one they may: as if it did not exist.
    with pytest.raises(ActionNotFound):
        actions.merge(actor=contributor, conversation=first, other=hidden)
    # Merging one dealt to someone else would close it under them ("Acknowledged").
    Conversation.objects.filter(pk=second.pk).update(
        dealt_to=agents["moderator"], lease_expires_at=timezone.now() + timedelta(minutes=5)
    )
    second.refresh_from_db()
    with pytest.raises(ActionConflict):
        actions.merge(actor=contributor, conversation=first, other=second)
    with pytest.raises(ActionConflict):
        actions.merge(actor=contributor, conversation=second, other=first)
    second.refresh_from_db()
    assert second.status == Status.OPEN and second.dealt_to == agents["moderator"]
    assert first.messages.count() == 1 and second.messages.count() == 1


def test_a_community_manager_takes_over_explicitly_and_it_is_logged(agents, conversation):
    from socialdesk.actions import deal as play
    from socialdesk.errors import ActionError, ActionRefused

    holder = agents["contributor"]
    Conversation.objects.filter(pk=conversation.pk).update(
        dealt_to=holder, lease_expires_at=timezone.now() + timedelta(minutes=5)
    )
    conversation.refresh_from_db()
    with pytest.raises(ActionRefused):
        actions.take_over(actor=agents["moderator"], conversation=conversation)
    actions.take_over(actor=agents["cm"], conversation=conversation)
    conversation.refresh_from_db()
    assert conversation.dealt_to == agents["cm"]
    assert Activity.objects.get(kind="taken_over").detail == {"from": "contributor"}
    assert not play.renew(
        agent=holder, conversation=conversation
    )  # the agent's heartbeat learns it
    actions.close(actor=agents["cm"], conversation=conversation, reason="acknowledged")
    with pytest.raises(ActionError, match="Nobody else"):
        actions.take_over(actor=agents["cm"], conversation=conversation)
