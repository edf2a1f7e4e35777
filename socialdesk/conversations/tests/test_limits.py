"""Text limits: one table (conversations.limits), the same on every path, checked before costly work."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from socialdesk.actions import conversation as actions
from socialdesk.actions.escalate import escalate
from socialdesk.conversations.limits import TEXT_LIMITS
from socialdesk.conversations.models import InternalNote, Message, Reminder
from socialdesk.errors import ActionError
from socialdesk.people.models import ApiToken

WRITES = {
    "note": lambda u, c, text: actions.add_note(actor=u, conversation=c, text=text),
    "reply": lambda u, c, text: actions.reply(actor=u, conversation=c, text=text),
    "escalation note": lambda u, c, text: escalate(actor=u, conversation=c, note=text),
    "assignment note": lambda u, c, text: actions.assign(
        actor=u, conversation=c, to_user=u, note=text
    ),
    "tag": lambda u, c, text: actions.add_tag(actor=u, conversation=c, tag=text),
    "reminder note": lambda u, c, text: actions.set_reminder(
        actor=u, conversation=c, due_at=timezone.now() + timedelta(hours=1), note=text
    ),
}


@pytest.mark.parametrize("write", list(WRITES))
@pytest.mark.parametrize(
    "text",
    ["x" * 20_000, "broken \x00 text", "broken \ud800 text"],
    ids=["too long", "NUL", "lone surrogate"],
)
def test_over_long_and_unstorable_texts_get_a_clear_error_and_nothing_is_saved(
    contributor, conversation, write, text
):
    with pytest.raises(ActionError) as refused:
        WRITES[write](contributor, conversation, text)
    assert "limit" in refused.value.message or "cannot be stored" in refused.value.message
    assert not InternalNote.objects.exists() and not Reminder.objects.exists()
    assert not Message.objects.filter(direction="out").exists()


def test_a_reminder_note_is_refused_not_cut(contributor, conversation):
    with pytest.raises(ActionError, match="500 is the limit"):
        actions.set_reminder(
            actor=contributor,
            conversation=conversation,
            due_at=timezone.now() + timedelta(hours=1),
            note="x" * 501,
        )


def test_a_megabyte_reply_is_refused_at_once(contributor, conversation):
    started = time.perf_counter()
    with pytest.raises(ActionError, match="5,000 is the limit"):
        actions.reply(actor=contributor, conversation=conversation, text="word " * 200_000)
    assert time.perf_counter() - started < 0.5  # counting it as X does took seconds


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("notes", {"text": "x" * (TEXT_LIMITS["note"] + 1)}),
        ("notes", {"text": "\ud800"}),
        ("notes", {"text": "a\x00b"}),
        ("reply", {"text": "x" * 1_000_000}),
        ("tags", {"tag": "x" * 101}),
        ("escalate", {"note": "look", "holding_reply": "x" * (TEXT_LIMITS["reply"] + 1)}),
        ("reminders", {"due_at": "2099-01-01T09:00:00Z", "note": "x" * 501}),
    ],
    ids=[
        "long note",
        "surrogate note",
        "NUL note",
        "megabyte reply",
        "long tag",
        "long holding reply",
        "long reminder note",
    ],
)
def test_the_api_refuses_the_same_texts_in_its_schema(
    client, contributor, conversation, path, body
):
    import json

    token = ApiToken.issue(contributor, "t")[1]
    r = client.post(
        f"/api/v1/conversations/{conversation.pk}/{path}",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert r.status_code == 422, r.content[:200]
    assert len(r.content) < 2000  # the error names the field; it does not echo the text back
    assert (
        not InternalNote.objects.exists() and not Message.objects.filter(direction="out").exists()
    )
