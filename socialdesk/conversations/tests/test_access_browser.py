"""Who may see and act on a conversation, in a real Chromium (issue: contributors reached
conversations still in moderation by URL, and took over conversations dealt to someone else)."""

import pytest

from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import Conversation, Message
from socialdesk.outbox.models import OutboundAction
from socialdesk.web.tests.test_browser import browser, desk, page, sign_in  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.browser


def test_a_contributor_cannot_open_a_conversation_still_in_moderation_until_a_moderator_lets_it_through(
    desk, browser
):  # noqa: F811
    from conftest import make_inbound

    ingest(
        [
            make_inbound(
                "@Firefox the new tab page is broken", mention="Firefox", handle="raw_mention"
            )
        ]
    )
    c = Conversation.objects.get()
    assert not c.moderated  # @Firefox mentions wait for a moderator

    contributor = browser.new_page()
    sign_in(contributor, desk)
    response = contributor.goto(f"{desk}/c/{c.pk}/")
    assert response.status == 404 and contributor.locator("h1").inner_text() == "Not found"
    assert "the new tab page is broken" not in contributor.content()
    contributor.goto(f"{desk}/queues/twitter-conversations-moderated/")
    assert "raw_mention" not in contributor.content()

    moderator = browser.new_page()
    sign_in(moderator, desk, "moderator", "triage-every-mention")
    moderator.goto(f"{desk}/c/{c.pk}/")
    assert "the new tab page is broken" in moderator.locator("article.msg.in").inner_text()
    moderator.click("button:has-text('Mark moderated')")
    moderator.wait_for_selector(".flash.success")

    response = contributor.goto(f"{desk}/c/{c.pk}/")
    assert (
        response.status == 200
        and "the new tab page is broken" in contributor.locator("article.msg.in").inner_text()
    )


def test_a_conversation_dealt_to_someone_else_is_theirs_until_they_let_go(desk, browser):  # noqa: F811
    from conftest import make_inbound

    ingest([make_inbound("sync keeps failing on my phone", handle="sync_sam")])
    c = Conversation.objects.get()

    moderator = browser.new_page()
    sign_in(moderator, desk, "moderator", "triage-every-mention")
    moderator.click("button[aria-label='Play Twitter conversations - Moderated']")
    moderator.wait_for_url(f"{desk}/play/")
    assert Conversation.objects.get(pk=c.pk).dealt_to.username == "moderator"

    contributor = browser.new_page()
    sign_in(contributor, desk)
    contributor.goto(f"{desk}/c/{c.pk}/")
    assert (
        "moderator is handling this conversation in Play Mode"
        in contributor.locator(".work").inner_text()
    )
    contributor.fill("#composer textarea[name=text]", "Try signing out and in again")
    contributor.click("#composer button[name=then][value=none]")
    assert "handling this conversation in Play Mode right now" in contributor.content()
    # Escalating it away from them is refused too (it used to clear their deal).
    contributor.goto(f"{desk}/c/{c.pk}/")
    contributor.click("#escalate summary")
    contributor.fill("#escalate-note", "Several people report this")
    contributor.click("#escalate button:has-text('Escalate')")
    assert "handling this conversation in Play Mode right now" in contributor.content()
    assert (
        not Message.objects.filter(direction="out").exists()
        and not OutboundAction.objects.exists()
    )
    held = Conversation.objects.get(pk=c.pk)
    assert held.dealt_to.username == "moderator" and held.assigned_queue is None
