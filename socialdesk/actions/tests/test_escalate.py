"""One escalation path: a conversation or a cluster lands in the same queue, the same way."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from socialdesk.actions import conversation as actions
from socialdesk.actions import deal
from socialdesk.actions.escalate import escalate, escalate_cluster, escalation_queue
from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import Activity, Conversation, Direction, Message
from socialdesk.errors import ActionError, ActionRefused
from socialdesk.outbox.models import OutboundAction
from socialdesk.queues.models import Queue


@pytest.fixture
def three(demo, inbound):
    ingest([inbound(f"sync lost my tabs {i}", platform_id=str(900 + i)) for i in range(3)])
    Conversation.objects.update(moderated=True)
    return list(Conversation.objects.order_by("pk"))


def _hold(conversation, agent):
    Conversation.objects.filter(pk=conversation.pk).update(
        dealt_to=agent, lease_expires_at=timezone.now() + timedelta(minutes=5)
    )


def test_a_cluster_and_a_single_escalation_end_the_same_way(agents, three):
    one, *cluster = three
    escalate(actor=agents["contributor"], conversation=one, note="billing")
    escalate_cluster(
        actor=agents["contributor"], conversation_ids=[c.pk for c in cluster], reason="same bug"
    )
    queue = escalation_queue()
    for c in Conversation.objects.all():
        assert (c.assigned_queue, c.awaiting_reply, c.dealt_to) == (queue, True, None)
        entry = Activity.objects.get(conversation=c, kind="escalated")
        assert entry.detail["queue"] == queue.name
        assert c.notes.count() == 1


def test_escalating_a_cluster_ends_the_deal_of_the_agent_who_escalates(agents, three):
    me = agents["contributor"]
    _hold(three[0], me)
    assert escalate_cluster(actor=me, conversation_ids=[c.pk for c in three], reason="same") == 3
    held = Conversation.objects.get(pk=three[0].pk)
    assert (held.dealt_to, held.lease_expires_at) == (None, None)


def test_a_cluster_leaves_what_another_agent_holds(agents, three):
    _hold(three[0], agents["moderator"])
    assert (
        escalate_cluster(
            actor=agents["contributor"], conversation_ids=[c.pk for c in three], reason="x"
        )
        == 2
    )
    assert Conversation.objects.get(pk=three[0].pk).assigned_queue is None


def test_a_cluster_is_nothing_to_someone_without_a_role(three, django_user_model):
    nobody = django_user_model.objects.create_user("reader", password="x")
    with pytest.raises(ActionError):
        escalate_cluster(actor=nobody, conversation_ids=[c.pk for c in three], reason="x")
    assert not Conversation.objects.filter(assigned_queue__isnull=False).exists()


def test_both_paths_use_the_first_escalation_queue_whatever_its_slug(agents, three):
    Queue.objects.filter(is_escalation=True).update(slug="to-the-cms")
    escalate_cluster(
        actor=agents["contributor"], conversation_ids=[c.pk for c in three[:2]], reason="x"
    )
    escalate(actor=agents["contributor"], conversation=three[2], note="x")
    assert {c.assigned_queue.slug for c in Conversation.objects.all()} == {"to-the-cms"}


def test_without_an_escalation_queue_both_paths_say_so(agents, three):
    Queue.objects.filter(is_escalation=True).update(is_escalation=False)
    with pytest.raises(ActionError, match="No escalation queue"):
        escalate(actor=agents["contributor"], conversation=three[0], note="x")
    with pytest.raises(ActionError, match="No escalation queue"):
        escalate_cluster(
            actor=agents["contributor"], conversation_ids=[c.pk for c in three], reason="x"
        )


def test_a_holding_reply_and_its_escalation_are_one_transaction(agents, conversation):
    """The holding reply fails under the lock (nothing to reply to): nothing of the escalation is
    kept either, no message, no outbox action, no note."""
    Message.objects.filter(conversation=conversation).update(platform_id=None)
    with pytest.raises(ActionError, match="no customer message"):
        escalate(
            actor=agents["contributor"], conversation=conversation, note="x", holding_reply="On it"
        )
    conversation.refresh_from_db()
    assert conversation.assigned_queue is None
    assert not conversation.notes.exists()
    assert not OutboundAction.objects.exists()
    assert not Activity.objects.filter(kind__in=["escalated", "replied"]).exists()


def test_the_holding_reply_is_marked_as_it_is_written(agents, conversation):
    escalate(
        actor=agents["contributor"], conversation=conversation, note="x", holding_reply="On it"
    )
    reply = Message.objects.get(conversation=conversation, direction=Direction.OUTBOUND)
    assert reply.metadata == {"holding_reply": True}


def test_an_action_is_the_outer_transaction(agents, conversation):
    """`durable=True`: an action never runs inside someone else's transaction, where its writes
    and its outbox work would wait on (or roll back with) work that is not its own."""
    with pytest.raises(RuntimeError, match="durable"):
        with transaction.atomic():
            escalate(actor=agents["contributor"], conversation=conversation, note="x")


# What is escalated goes to the community managers (AG10): those below see it, and may add a
# note, but are neither dealt it nor answer it, on every path (action, Play, page, API).


def test_the_escalation_queue_is_played_by_community_managers_only(agents, three):
    escalate(actor=agents["contributor"], conversation=three[0], note="billing twice")
    queue = escalation_queue()
    for role in ("contributor", "moderator"):
        with pytest.raises(ActionRefused, match="community managers"):
            deal.start(agent=agents[role], queue=queue)
    session = deal.start(agent=agents["cm"], queue=queue)
    dealt = deal.deal_next(agent=agents["cm"], session=session)
    assert dealt.pk == three[0].pk


def test_below_a_cm_an_escalated_conversation_takes_notes_but_no_answer(agents, three):
    c = escalate(actor=agents["contributor"], conversation=three[0], note="billing twice")
    for role in ("contributor", "moderator"):
        with pytest.raises(ActionRefused, match="escalated"):
            actions.reply(actor=agents[role], conversation=c, text="Sorry about that!")
        with pytest.raises(ActionRefused, match="escalated"):
            actions.close(actor=agents[role], conversation=c, reason="resolved")
    actions.add_note(actor=agents["contributor"], conversation=c, text="they wrote to me in a DM")
    assert Activity.objects.filter(conversation=c, kind="refused").count() == 4
    actions.reply(actor=agents["cm"], conversation=c, text="We refunded the second charge.")
    assert OutboundAction.objects.filter(conversation=c, kind="reply").count() == 1


def test_a_contributor_sees_an_escalation_without_a_play_button_or_a_composer(
    client, agents, three
):
    c = escalate(actor=agents["contributor"], conversation=three[0], note="billing twice")
    client.force_login(agents["contributor"])
    home = client.get("/").content.decode()
    assert "Play Escalation" not in home
    assert "Play Twitter conversations - Moderated" in home
    page = client.get(f"/c/{c.pk}/").content.decode()
    assert 'id="composer"' not in page and "the community managers answer it" in page
    assert 'class="note-form"' in page
    client.force_login(agents["cm"])
    assert "Play Escalation" in client.get("/").content.decode()
    assert 'id="composer"' in client.get(f"/c/{c.pk}/").content.decode()


def test_playing_the_escalation_queue_below_a_cm_is_refused_with_the_reason(client, agents, three):
    client.force_login(agents["contributor"])
    response = client.post("/play/escalation/start")
    assert response.status_code == 403
    assert "played by the community managers" in response.content.decode()
    assert not deal.current_session(agent=agents["contributor"])
