"""In a real Chromium: a community manager adds a clipping and a respond-from rule in the desk;
the next mention is answered from the rule's account and the clipping fills in the customer."""

import pytest

from socialdesk.conversations.models import Conversation
from socialdesk.ingestion.tests.worker import poll_all
from socialdesk.web.tests.browser import sign_in

from .browser import look_at

pytestmark = pytest.mark.browser


def test_a_cm_adds_a_clipping_and_a_respond_from_rule_that_take_effect(desk, page, customer_tweet):
    sign_in(page, desk, "cm", "escalations-welcome")
    page.goto(f"{desk}/manage/clippings/")
    page.fill("#id_title", "Neu anmelden")
    page.fill("#id_text", "Hallo {vorname}, bitte melde dich neu an.")
    page.fill("#id_language", "de")
    page.click("button:has-text('Save clipping')")
    assert "Unknown placeholder {vorname}" in page.inner_text("main")
    assert page.input_value("#id_title") == "Neu anmelden"  # what was typed is kept
    page.fill("#id_text", "Hallo {name}, bitte melde dich neu an ({handle}).")
    page.click("button:has-text('Save clipping')")
    assert "Clipping “Neu anmelden” saved." in page.inner_text("main")
    problems = look_at(page, "clippings")

    page.goto(f"{desk}/manage/accounts/respond-from/")
    page.fill("#id_position", "1")
    page.select_option("#id_mentioned", label="@Firefox")
    page.select_option("#id_respond_from", label="@mozilla_germany")
    page.fill("#id_note", "Hallo Welt")
    page.click("button:has-text('Add rule')")
    assert "Rule added: @Firefox → @mozilla_germany." in page.inner_text("main")
    problems += look_at(page, "respond-from")

    customer_tweet("@firefox Sync meldet mich ständig ab", username="jonas_b", name="Jonas Becker")
    poll_all()
    conversation = Conversation.objects.get()
    assert conversation.respond_from.handle == "mozilla_germany"
    page.goto(f"{desk}/c/{conversation.pk}/")
    page.select_option("#clipping-picker", label="Neu anmelden")
    assert page.input_value("#id_text").startswith(
        "Hallo Jonas, bitte melde dich neu an (@jonas_b)."
    )
    assert not problems, "\n".join(problems)
