"""Every action × every role: allowed or refused, on the server (PE3, PO2)."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from socialdesk.actions import conversation as actions
from socialdesk.actions import deal as play
from socialdesk.actions.escalate import escalate
from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import Activity, Conversation
from socialdesk.errors import ActionRefused
from socialdesk.queues.models import Queue

ROLES = ["nobody", "contributor", "moderator", "cm", "admin"]


def _recommended(c, agents):
    Conversation.objects.filter(pk=c.pk).update(retweet_recommended=True)
    return c


ACTIONS = {
    # name: (call, lowest role allowed; None = refused for everyone in the demo's policy)
    "reply": (lambda u, c, a: actions.reply(actor=u, conversation=c, text="Hello"), "contributor"),
    "reply with a DM button": (
        lambda u, c, a: actions.reply(
            actor=u,
            conversation=c,
            text="DM us https://twitter.com/messages/compose?recipient_id=1",
        ),
        None,
    ),
    "hold": (
        lambda u, c, a: actions.hold(actor=u, conversation=c, reason="waiting_internal"),
        "contributor",
    ),
    "close": (
        lambda u, c, a: actions.close(actor=u, conversation=c, reason="acknowledged"),
        "contributor",
    ),
    "note": (lambda u, c, a: actions.add_note(actor=u, conversation=c, text="fyi"), "contributor"),
    "like": (
        lambda u, c, a: actions.like(actor=u, conversation=c, message=c.messages.get()),
        "contributor",
    ),
    "sentiment": (
        lambda u, c, a: actions.set_sentiment(actor=u, conversation=c, sentiment="neutral"),
        "contributor",
    ),
    "tag": (lambda u, c, a: actions.add_tag(actor=u, conversation=c, tag="Sync"), "contributor"),
    "user tag": (
        lambda u, c, a: actions.set_user_tag(actor=u, conversation=c, kind="influencer"),
        "contributor",
    ),
    "reminder": (
        lambda u, c, a: actions.set_reminder(
            actor=u, conversation=c, due_at=timezone.now() + timedelta(hours=1)
        ),
        "contributor",
    ),
    "assign to self": (
        lambda u, c, a: actions.assign(actor=u, conversation=c, to_user=u),
        "contributor",
    ),
    "assign to Escalation": (
        lambda u, c, a: actions.assign(
            actor=u, conversation=c, to_queue=Queue.objects.get(slug="escalation")
        ),
        "contributor",
    ),
    "assign to another agent": (
        lambda u, c, a: actions.assign(
            actor=u,
            conversation=c,
            to_user=a["contributor"] if u != a["contributor"] else a["moderator"],
        ),
        "moderator",
    ),
    "escalate": (
        lambda u, c, a: escalate(actor=u, conversation=c, note="please look"),
        "contributor",
    ),
    "mark moderated": (
        lambda u, c, a: actions.mark_moderated(actor=u, conversation=c),
        "moderator",
    ),
    "retweet": (
        lambda u, c, a: actions.decide_retweet(
            actor=u, conversation=_recommended(c, a), approve=True
        ),
        "cm",
    ),
    "play the contributors' queue": (
        lambda u, c, a: play.deal_next(
            agent=u, queue=Queue.objects.get(slug="twitter-conversations-moderated")
        ),
        "contributor",
    ),
    "play a moderators' queue": (
        lambda u, c, a: play.deal_next(agent=u, queue=Queue.objects.get(slug="twitter-all")),
        "moderator",
    ),
}
ORDER = ["nobody", "contributor", "moderator", "cm", "admin"]


@pytest.fixture
def everyone(agents):
    people = dict(agents)
    people["nobody"] = get_user_model().objects.create(username="nobody")  # signed in, no role
    return people


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_action_for_every_role(everyone, inbound, action, role):
    ingest([inbound()])
    conversation = Conversation.objects.get()
    call, lowest = ACTIONS[action]
    allowed = lowest is not None and ORDER.index(role) >= ORDER.index(lowest)
    user = everyone[role]
    if allowed:
        call(user, conversation, everyone)
    else:
        with pytest.raises(ActionRefused):
            call(user, conversation, everyone)
        assert Activity.objects.filter(kind="refused").exists()  # audited
