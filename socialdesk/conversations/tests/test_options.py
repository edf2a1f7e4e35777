"""The Play Mode options of the seed (AG5), escalation (AG10), collision (AG7) and automation (AG9)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from socialdesk.actions import conversation as actions
from socialdesk.actions import deal as play
from socialdesk.actions.automation import close_unresponsive, flag_old
from socialdesk.actions.escalate import escalate
from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import (
    Activity,
    Conversation,
    Message,
    Reminder,
    Status,
    UserTag,
)
from socialdesk.errors import ActionConflict, ActionError, ActionRefused
from socialdesk.outbox.models import OutboundAction
from socialdesk.queues.models import Queue


def test_sentiment_is_the_agents_choice_and_logged(contributor, conversation):
    actions.set_sentiment(actor=contributor, conversation=conversation, sentiment="negative")
    conversation.refresh_from_db()
    assert conversation.sentiment == "negative"
    with pytest.raises(ActionError, match="positive, neutral or negative"):
        actions.set_sentiment(actor=contributor, conversation=conversation, sentiment="angry")


def test_several_tags_can_be_added_and_removed_and_unknown_tags_are_refused(
    contributor, conversation
):
    actions.add_tag(actor=contributor, conversation=conversation, tag="Bookmarks")
    actions.add_tag(actor=contributor, conversation=conversation, tag="sync")
    assert set(conversation.tags.values_list("name", flat=True)) == {"Bookmarks", "Sync"}
    actions.remove_tag(actor=contributor, conversation=conversation, tag="bookmarks")
    assert set(conversation.tags.values_list("name", flat=True)) == {"Sync"}
    with pytest.raises(ActionError, match="There is no tag “Nonsense”"):
        actions.add_tag(actor=contributor, conversation=conversation, tag="Nonsense")


def test_a_reminder_in_the_past_is_refused(contributor, conversation):
    with pytest.raises(ActionError, match="future"):
        actions.set_reminder(
            actor=contributor,
            conversation=conversation,
            due_at=timezone.now() - timedelta(minutes=1),
        )
    r = actions.set_reminder(
        actor=contributor,
        conversation=conversation,
        due_at=timezone.now() + timedelta(hours=1),
        note="check the bug",
    )
    assert Reminder.objects.get() == r and r.note == "check the bug"


def test_a_spammer_user_tag_follows_the_author_and_keeps_them_out_of_play(
    contributor, demo, inbound
):
    ingest([inbound(author_id="77")])
    c = Conversation.objects.get()
    actions.set_user_tag(actor=contributor, conversation=c, kind="spammer")
    ingest(
        [inbound("buy followers", author_id="77", thread_id="other-thread")]
    )  # a new conversation of theirs
    assert UserTag.objects.filter(author__external_id="77", kind="spammer").exists()
    queue = Queue.objects.get(slug="twitter-conversations-moderated")
    assert play.deal_next(agent=contributor, queue=queue) is None
    with pytest.raises(ActionError, match="Choose a user tag"):
        actions.set_user_tag(actor=contributor, conversation=c, kind="villain")


def test_assign_to_self_queue_and_others(agents, conversation):
    escalation = Queue.objects.get(slug="escalation")
    actions.assign(
        actor=agents["contributor"], conversation=conversation, to_user=agents["contributor"]
    )
    with pytest.raises(ActionRefused):
        actions.assign(
            actor=agents["contributor"], conversation=conversation, to_user=agents["moderator"]
        )
    actions.assign(actor=agents["moderator"], conversation=conversation, to_user=agents["cm"])
    actions.assign(
        actor=agents["contributor"],
        conversation=conversation,
        to_queue=escalation,
        note="needs a CM",
    )
    conversation.refresh_from_db()
    assert (conversation.assignee, conversation.assigned_queue) == (agents["cm"], escalation)
    assert conversation.notes.get().text == "needs a CM"
    # Assigned to the escalation queue, it is escalated, and the log says so (with the queue,
    # which the reports read); the agents assigned before were logged as assigned.
    log = list(conversation.activity.order_by("pk").values_list("kind", "detail"))
    assert [kind for kind, _ in log if kind in ("assigned", "escalated")] == [
        "assigned",
        "assigned",
        "escalated",
    ]
    assert log[-1][1]["queue"] == escalation.name
    with pytest.raises(ActionError, match="saved search"):
        actions.assign(
            actor=agents["cm"],
            conversation=conversation,
            to_queue=Queue.objects.get(slug="twitter-conversations-moderated"),
        )


def test_escalation_is_one_step_note_holding_reply_and_queue(contributor, conversation):
    holding = "Your issue seems more complicated, we're looking into it"
    with pytest.raises(ActionError, match="Describe the problem"):
        escalate(actor=contributor, conversation=conversation, note=" ")
    escalate(
        actor=contributor,
        conversation=conversation,
        note="Paid product, Mozilla VPN billing",
        holding_reply=holding,
    )
    conversation.refresh_from_db()
    assert conversation.assigned_queue.slug == "escalation"
    assert conversation.notes.get().text == "Paid product, Mozilla VPN billing"
    assert OutboundAction.objects.get().text.startswith(holding)
    assert Activity.objects.filter(conversation=conversation, kind="escalated").exists()


def test_a_retweet_is_recommended_by_a_contributor_and_executed_only_by_a_cm(agents, conversation):
    escalate(
        actor=agents["contributor"],
        conversation=conversation,
        note="Huge praise from a big account",
        recommend_retweet=True,
    )
    with pytest.raises(ActionRefused):
        actions.decide_retweet(
            actor=agents["contributor"], conversation=conversation, approve=True
        )
    with pytest.raises(ActionRefused):
        actions.decide_retweet(actor=agents["moderator"], conversation=conversation, approve=True)
    action = actions.decide_retweet(actor=agents["cm"], conversation=conversation, approve=True)
    assert (action.kind, str(action.account)) == ("retweet", "@FirefoxSupport")


def test_a_retweet_from_a_main_brand_account_is_refused_even_for_a_cm(agents, demo, inbound):
    from socialdesk.brands.models import BrandAccount

    ingest([inbound("so good", mention="Firefox")])
    c = Conversation.objects.get()
    # Moderated, so the contributor may see it; answered from the main brand account.
    Conversation.objects.filter(pk=c.pk).update(
        respond_from=BrandAccount.objects.get(handle="Firefox"), moderated=True
    )
    c.refresh_from_db()
    escalate(actor=agents["contributor"], conversation=c, note="retweet?", recommend_retweet=True)
    with pytest.raises(ActionRefused, match="@Firefox"):
        actions.decide_retweet(actor=agents["cm"], conversation=c, approve=True)
    actions.decide_retweet(
        actor=agents["cm"], conversation=c, approve=False, note="Marketing only"
    )
    assert not OutboundAction.objects.exists()


def test_a_second_reply_to_the_same_message_needs_confirmation(agents, conversation):
    actions.reply(actor=agents["contributor"], conversation=conversation, text="First answer")
    with pytest.raises(ActionConflict, match="contributor already replied"):
        actions.reply(actor=agents["moderator"], conversation=conversation, text="Second answer")
    actions.reply(
        actor=agents["moderator"], conversation=conversation, text="Second answer", confirm=True
    )
    assert Message.objects.filter(direction="out").count() == 2


def test_a_reply_by_someone_who_left_is_named_as_the_sentences_subject(agents, conversation):
    """German puts "a former contributor" after "von" elsewhere (dative); here it is the subject."""
    from django.utils import translation

    from socialdesk.actions.leaving import stop_contributing

    actions.reply(actor=agents["contributor"], conversation=conversation, text="First answer")
    stop_contributing(actor=agents["admin"], user=agents["contributor"])
    with pytest.raises(ActionConflict, match="^A former contributor already replied"):
        actions.reply(actor=agents["moderator"], conversation=conversation, text="Second")
    with translation.override("de"):
        with pytest.raises(ActionConflict, match="^Ein ehemaliges Teammitglied hat schon"):
            actions.reply(actor=agents["moderator"], conversation=conversation, text="Zweite")


def _held_with_reply(contributor, conversation, *, days_ago):
    actions.reply(
        actor=contributor,
        conversation=conversation,
        text="Does this help?",
        then="hold",
        hold_reason="waiting_customer",
    )
    Message.objects.filter(direction="out").update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )


def test_waiting_on_customer_for_three_days_is_closed_user_didnt_respond(
    contributor, conversation
):
    _held_with_reply(contributor, conversation, days_ago=3.1)
    assert close_unresponsive() == 1
    conversation.refresh_from_db()
    assert (conversation.status, conversation.close_reason) == (
        Status.CLOSED,
        "user_didnt_respond",
    )
    entry = Activity.objects.get(conversation=conversation, kind="auto_closed")
    assert entry.actor is None  # done by the system


def test_automation_leaves_recent_and_escalated_conversations_alone(
    contributor, conversation, demo, inbound
):
    _held_with_reply(contributor, conversation, days_ago=2)
    assert close_unresponsive() == 0
    Message.objects.filter(direction="out").update(created_at=timezone.now() - timedelta(days=10))
    Conversation.objects.filter(pk=conversation.pk).update(
        assigned_queue=Queue.objects.get(slug="escalation")
    )
    assert close_unresponsive() == 0
    Conversation.objects.filter(pk=conversation.pk).update(
        last_inbound_at=timezone.now() - timedelta(days=30)
    )
    assert flag_old() == 0


def test_old_open_conversations_are_flagged_for_closing(contributor, demo, inbound):
    ingest([inbound(created_at=timezone.now() - timedelta(days=20)), inbound()])
    assert flag_old() == 1
    assert flag_old() == 0  # once
    assert Conversation.objects.filter(flagged_for_closing=True).count() == 1


def test_bulk_close_records_each_conversation_and_reports_refusals(agents, demo, inbound):
    ingest([inbound(), inbound(), inbound()])
    convs = list(Conversation.objects.all())
    queue = Queue.objects.get(slug="twitter-conversations-moderated")
    play.deal_next(agent=agents["moderator"], queue=queue)  # one is in someone's hands
    done, problems = actions.bulk(
        actor=agents["contributor"], conversations=convs, action="close", value="no_need_to_reply"
    )
    assert done == 2 and len(problems) == 1 and "handling" in problems[0]
    assert Activity.objects.filter(kind="closed").count() == 2
    with pytest.raises(ActionError, match="Choose one of the closing reasons"):
        actions.bulk(
            actor=agents["contributor"], conversations=convs, action="close", value="whatever"
        )


def test_merge_and_split_keep_every_message(contributor, demo, inbound):
    first = inbound("first question", author_id="5")
    second = inbound("second question", author_id="5", thread_id="other")
    ingest([first, second])
    a, b = Conversation.objects.order_by("pk")
    actions.add_tag(actor=contributor, conversation=b, tag="Sync")
    actions.merge(actor=contributor, conversation=a, other=b)
    b.refresh_from_db()
    assert (
        a.messages.count() == 2
        and b.messages.count() == 0
        and b.merged_into == a
        and b.status == "closed"
    )
    assert list(a.tags.values_list("name", flat=True)) == ["Sync"]
    later = a.messages.order_by("created_at").last()
    new = actions.split(actor=contributor, conversation=a, message=later)
    assert [m.text.split(" ", 1)[1] for m in new.messages.all()] == ["second question"]
    assert a.messages.count() == 1
    with pytest.raises(ActionError, match="first one stays"):
        actions.split(actor=contributor, conversation=a, message=a.messages.get())
    ingest([inbound("someone else", author_id="6")])
    with pytest.raises(ActionError, match="same customer"):
        actions.merge(
            actor=contributor,
            conversation=a,
            other=Conversation.objects.get(author__external_id="6"),
        )


def test_a_contributors_reply_waits_for_approval_and_can_be_edited_or_sent_back(
    agents, demo, inbound
):
    contributor, moderator = agents["contributor"], agents["moderator"]
    with pytest.raises(ActionRefused):
        actions.set_requires_approval(actor=contributor, agent=contributor, on=True)
    actions.set_requires_approval(actor=moderator, agent=contributor, on=True)
    contributor.profile.refresh_from_db()
    ingest([inbound(), inbound()])
    first, second = Conversation.objects.order_by("pk")
    m1 = actions.reply(
        actor=contributor,
        conversation=first,
        text="Try a refresh",
        then="close",
        close_reason="resolved",
    )
    m2 = actions.reply(actor=contributor, conversation=second, text="Dunno")
    assert {a.state for a in OutboundAction.objects.all()} == {"approval"}
    with pytest.raises(ActionRefused):
        actions.approve_reply(actor=contributor, action=m1.outbound_action)
    actions.approve_reply(
        actor=moderator, action=m1.outbound_action, text="Try a refresh of your profile ^CO"
    )
    m1.refresh_from_db()
    assert m1.text == "Try a refresh of your profile ^CO" and m1.outbound_action.state == "pending"
    with pytest.raises(ActionError, match="Say what to change"):
        actions.return_reply(actor=moderator, action=m2.outbound_action, note="")
    actions.return_reply(actor=moderator, action=m2.outbound_action, note="Please offer a KB link")
    second.refresh_from_db()
    assert (second.status, second.awaiting_reply) == ("open", True)
    assert "KB link" in second.notes.get().text
    assert Activity.objects.filter(kind="reply_approved", detail__edited=True).exists()
