"""In a real Chromium: a contributor who replied to a customer stops contributing; their reply
stays, signed "a former contributor", and they cannot sign in any more."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from socialdesk.actions import conversation as actions
from socialdesk.conversations.models import Conversation
from socialdesk.ingestion.tests.worker import poll_all
from socialdesk.web.tests.browser import sign_in

from .browser import look_at

pytestmark = pytest.mark.browser


def test_a_contributor_leaves_and_their_reply_stays(desk, page, browser, customer_tweet):
    customer_tweet("@FirefoxSupport pdf viewer is blank", username="kai")
    poll_all()
    Conversation.objects.update(moderated=True)
    contributor = get_user_model().objects.get(username="contributor")
    conversation = Conversation.objects.get()
    actions.reply(
        actor=contributor, conversation=conversation, text="Hi Kai, does it happen with every PDF?"
    )

    sign_in(page, desk, "contributor", "fxhelp-volunteer-2026")
    page.goto(f"{desk}/settings/")
    page.click("text=Stop contributing…")
    page.wait_for_url(f"{desk}/settings/leave")
    page.fill("input[name=password]", "fxhelp-volunteer-2026")
    page.click("button:has-text('Delete my account')")
    assert "Tick the box" in page.inner_text("main")
    assert page.input_value("input[name=password]") == ""  # a password is never sent back
    problems = look_at(page, "leave")
    page.fill("input[name=password]", "fxhelp-volunteer-2026")
    page.check("input[name=confirm]")
    page.click("button:has-text('Delete my account')")
    page.wait_for_url(f"{desk}/left")
    assert "Your account is deleted" in page.inner_text("main")
    assert mail.outbox[-1].to == ["contributor@example.org"]

    page.goto(f"{desk}/login/")
    page.fill("input[name=username]", "contributor")
    page.fill("input[name=password]", "fxhelp-volunteer-2026")
    page.click("button:has-text('Sign in')")
    assert "didn't match" in page.inner_text("main")

    cm = browser.new_context().new_page()
    sign_in(cm, desk, "cm", "escalations-welcome")
    cm.goto(f"{desk}/c/{conversation.pk}/")
    out = cm.locator("article.msg", has_text="does it happen with every PDF").inner_text()
    assert "a former contributor" in out
    cm.context.close()
    assert not problems, "\n".join(problems)
