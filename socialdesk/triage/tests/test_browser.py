"""In a real Chromium: the agent sees a suggestion with its reason and corrects it; the correction is kept."""

import pytest

from socialdesk.conversations.models import Conversation
from socialdesk.ingestion.tests.worker import poll_all
from socialdesk.triage.models import TriageCorrection
from socialdesk.web.tests.browser import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser


def test_an_agent_sees_why_and_corrects_a_suggestion(desk, page, customer_tweet):
    customer_tweet(
        "@FirefoxSupport please add vertical tabs, I lost all my bookmarks switching browsers",
        username="ines",
    )
    poll_all()
    conversation = Conversation.objects.get()
    sign_in(page, desk)
    page.goto(f"{desk}/c/{conversation.pk}/")
    panel = page.locator("#triage")
    type_row = panel.locator("[data-field=type]")
    assert "Type: feature request — confident" in type_row.inner_text()
    assert "Why: asks for something new: words like “please add”" in type_row.inner_text()
    assert "why: rule “Bookmarks in any language”: mentions “bookmarks”" in panel.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "triage-panel.png"), full_page=True)

    sentiment = panel.locator("[data-field=sentiment]")
    sentiment.locator("select[name=chosen]").select_option("negative")
    sentiment.locator("button:has-text('Change')").click()
    page.wait_for_url(f"{desk}/c/{conversation.pk}/")
    assert "sentiment is negative" in page.locator(".flash").first.inner_text()
    assert "Now: Negative" in page.locator("#triage [data-field=sentiment]").inner_text()

    correction = TriageCorrection.objects.get()
    assert (correction.field, correction.chosen, correction.actor.username) == (
        "sentiment",
        "negative",
        "contributor",
    )
    conversation.refresh_from_db()
    assert conversation.sentiment == "negative"
