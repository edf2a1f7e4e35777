import pytest

from socialdesk.actions import conversation as actions
from socialdesk.actions import deal as play
from socialdesk.actions.inbound import ingest
from socialdesk.brands.models import BrandAccount
from socialdesk.conversations.models import Activity, Conversation, Direction, Message, Status
from socialdesk.errors import ActionConflict, ActionError, ActionRefused
from socialdesk.outbox.models import OutboundAction
from socialdesk.queues.models import Queue


def test_reply_and_close_queues_one_outbound_action_with_the_signature(contributor, conversation):
    message = actions.reply(
        actor=contributor,
        conversation=conversation,
        text="Hi! Try a restore.",
        then="close",
        close_reason="resolved",
    )
    conversation.refresh_from_db()
    assert message.text == "Hi! Try a restore. ^CO"
    assert str(message.account) == "@FirefoxSupport"
    assert (conversation.status, conversation.close_reason, conversation.awaiting_reply) == (
        Status.CLOSED,
        "resolved",
        False,
    )
    action = OutboundAction.objects.get()
    assert (action.kind, action.state, action.target_platform_id) == (
        "reply",
        "pending",
        conversation.messages.first().platform_id,
    )
    kinds = list(Activity.objects.filter(conversation=conversation).values_list("kind", flat=True))
    assert kinds[-2:] == ["replied", "closed"]


def test_reply_and_hold_needs_a_hold_reason(contributor, conversation):
    with pytest.raises(ActionError, match="hold reason"):
        actions.reply(actor=contributor, conversation=conversation, text="Checking", then="hold")
    actions.reply(
        actor=contributor,
        conversation=conversation,
        text="Checking",
        then="hold",
        hold_reason="waiting_customer",
    )
    conversation.refresh_from_db()
    assert (conversation.status, conversation.hold_reason) == (Status.HELD, "waiting_customer")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "   "}, "empty"),
        ({"text": "x" * 300}, "limit"),
        ({"text": "ok", "then": "close"}, "closing reasons"),
        ({"text": "ok", "then": "close", "close_reason": "bored"}, "closing reasons"),
        ({"text": "ok", "then": "later"}, "choose one of"),
    ],
)
def test_bad_replies_get_a_clear_message_and_nothing_is_saved(
    contributor, conversation, kwargs, message
):
    with pytest.raises(ActionError, match=message):
        actions.reply(actor=contributor, conversation=conversation, **kwargs)
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()
    assert not OutboundAction.objects.exists()
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN


def test_the_limit_counts_twitters_weights_and_the_signature(contributor, conversation):
    # 137 CJK characters weigh 274, plus " ^CO" = 278: allowed; one more is over.
    actions.reply(actor=contributor, conversation=conversation, text="火" * 137)
    conversation.refresh_from_db()
    with pytest.raises(ActionError, match="limit"):
        actions.reply(actor=contributor, conversation=conversation, text="火" * 139)


def test_a_reply_from_an_account_whose_policy_forbids_it_is_refused_and_audited(
    contributor, conversation
):
    conversation.respond_from = BrandAccount.objects.get(handle="Firefox")
    conversation.save()
    with pytest.raises(ActionRefused, match="engagement policy of @Firefox"):
        actions.reply(actor=contributor, conversation=conversation, text="hello")
    assert Activity.objects.filter(
        conversation=conversation, kind="refused", actor=contributor
    ).exists()
    assert not OutboundAction.objects.exists()


def test_someone_without_a_role_cannot_reply(conversation, django_user_model):
    stranger = django_user_model.objects.create(username="stranger")
    with pytest.raises(ActionRefused):
        actions.reply(actor=stranger, conversation=conversation, text="hello")


def test_a_conversation_dealt_to_another_agent_cannot_be_answered_by_someone_else(
    agents, conversation
):
    queue = Queue.objects.get(slug="twitter-conversations-moderated")
    assert play.deal_next(agent=agents["moderator"], queue=queue).pk == conversation.pk
    with pytest.raises(ActionConflict, match="moderator is handling"):
        actions.reply(actor=agents["contributor"], conversation=conversation, text="hello")


def test_like_goes_out_from_the_mentioned_account_once(contributor, demo, inbound):
    ingest([inbound("love it", mention="Firefox")])
    # @Firefox mentions wait for a moderator; once moderated, contributors see and like them.
    Conversation.objects.update(moderated=True)
    c = Conversation.objects.get()
    msg = c.messages.get()
    action = actions.like(actor=contributor, conversation=c, message=msg)
    assert str(action.account) == "@Firefox"  # PO3: not the respond-from account
    with pytest.raises(ActionConflict):
        actions.like(actor=contributor, conversation=c, message=msg)


def test_closing_needs_one_of_the_nine_reasons(contributor, conversation):
    with pytest.raises(ActionError, match="Acknowledged, Bug Filed"):
        actions.close(actor=contributor, conversation=conversation, reason="")
    actions.close(actor=contributor, conversation=conversation, reason="no_need_to_reply")
    conversation.refresh_from_db()
    assert conversation.close_reason == "no_need_to_reply"


def test_only_moderators_mark_conversations_moderated(agents, demo, inbound):
    ingest([inbound(mention="Firefox")])
    c = Conversation.objects.get()
    with pytest.raises(ActionRefused):
        actions.mark_moderated(actor=agents["contributor"], conversation=c)
    actions.mark_moderated(actor=agents["moderator"], conversation=c)
    c.refresh_from_db()
    assert c.moderated


def test_the_activity_log_is_append_only(conversation):
    entry = Activity.objects.filter(conversation=conversation).first()
    entry.kind = "tampered"
    with pytest.raises(Exception, match="append-only"):
        entry.save()
    with pytest.raises(Exception, match="append-only"):
        entry.delete()
