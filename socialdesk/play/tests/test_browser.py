"""Play Mode in a real Chromium: skipping through a queue, moderating, Escalation Play, signing out."""

import pytest

from socialdesk.conversations.models import Conversation
from socialdesk.ingestion.tests.worker import poll_all
from socialdesk.outbox.models import OutboundAction
from socialdesk.play.models import EndedBy, PlaySession
from socialdesk.web.tests.browser import sign_in

pytestmark = pytest.mark.browser


def _dealt(page) -> int:
    """The conversation on the Play page (the Skip form names it)."""
    return int(page.locator(".playbar input[name=conversation]").get_attribute("value"))


def test_a_moderator_skips_through_the_whole_queue_and_starts_over(desk, page, customer_tweet):
    for i in range(4):
        customer_tweet(f"@Firefox question number {i}", username=f"asker{i}")
    poll_all()
    sign_in(page, desk, "moderator", "triage-every-mention")
    page.click("button[aria-label='Play Twitter - All']")
    page.wait_for_url(f"{desk}/play/")
    seen = [_dealt(page)]
    for _ in range(3):
        page.keyboard.press("s")  # Skip
        # A function, not an expression: Playwright evals an expression, which the CSP forbids.
        page.wait_for_function(
            f"() => !document.querySelector('.playbar input[value=\"{seen[-1]}\"]')"
        )
        seen.append(_dealt(page))
    assert len(set(seen)) == 4
    page.click(".playbar button:has-text('Skip')")
    page.wait_for_selector("h1:has-text('You skipped everything left')")
    page.reload()  # a reload deals nothing
    assert "You skipped everything left" in page.locator("h1").inner_text()
    assert not Conversation.objects.filter(dealt_to__username="moderator").exists()
    page.click("button:has-text('Start over')")
    page.wait_for_selector(".playbar")
    assert _dealt(page) == seen[0]


def test_mark_moderated_in_play_deals_the_next(desk, page, customer_tweet):
    customer_tweet("@Firefox my tabs vanished", username="one")
    customer_tweet("@Firefox bookmarks gone", username="two")
    poll_all()
    sign_in(page, desk, "moderator", "triage-every-mention")
    page.click("button[aria-label='Play Twitter - All']")
    page.wait_for_url(f"{desk}/play/")
    first = _dealt(page)
    page.click("button:has-text('Mark moderated')")
    page.wait_for_url(f"{desk}/play/")
    page.wait_for_selector(".flash.success")
    assert _dealt(page) != first
    moderated = Conversation.objects.get(pk=first)
    assert moderated.moderated and moderated.dealt_to is None


def test_escalation_play_deals_what_was_escalated_with_a_holding_reply(
    desk, browser, customer_tweet
):
    customer_tweet("@FirefoxSupport I was charged twice for Mozilla VPN", username="payer")
    poll_all()
    contributor = browser.new_page()
    sign_in(contributor, desk)
    contributor.click("button[aria-label='Play Twitter conversations - Moderated']")
    contributor.wait_for_url(f"{desk}/play/")
    contributor.wait_for_load_state("load")
    contributor.keyboard.press("e")
    contributor.fill("#escalate-note", "Paid product: billing twice")
    assert contributor.locator(
        "textarea[name=holding_reply]"
    ).input_value()  # the holding reply clipping
    contributor.click("#escalate button:has-text('Escalate')")
    contributor.wait_for_selector(".flash.success")
    assert OutboundAction.objects.filter(kind="reply").count() == 1
    contributor.goto("about:blank")

    cm = browser.new_page()
    sign_in(cm, desk, "cm", "escalations-welcome")
    cm.click("button[aria-label='Play Escalation']")
    cm.wait_for_url(f"{desk}/play/")
    assert _dealt(cm) == Conversation.objects.get().pk
    assert "Paid product: billing twice" in cm.locator(".thread").inner_text()
    cm.fill("#composer textarea[name=text]", "We refunded the second charge, sorry about that.")
    cm.click("#composer button[name=then][value=none]")
    cm.wait_for_url(f"{desk}/play/")
    assert "is empty" in cm.locator("h1").inner_text()
    assert OutboundAction.objects.filter(kind="reply").count() == 2


def test_signing_out_ends_play_mode(desk, page, customer_tweet):
    customer_tweet("@FirefoxSupport videos stutter", username="viewer")
    poll_all()
    sign_in(page, desk)
    page.click("button[aria-label='Play Twitter conversations - Moderated']")
    page.wait_for_url(f"{desk}/play/")
    dealt = _dealt(page)
    page.click("button:has-text('Sign out')")
    page.wait_for_load_state("load")
    session = PlaySession.objects.get()
    assert session.ended_by == EndedBy.SIGN_OUT and session.ended_at is not None
    assert Conversation.objects.get(pk=dealt).dealt_to is None
    sign_in(page, desk)
    page.goto(f"{desk}/play/")
    page.wait_for_url(f"{desk}/")
    assert "you signed out" in page.locator(".flash").first.inner_text()
