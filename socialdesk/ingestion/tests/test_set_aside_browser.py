"""In a real Chromium: an admin finds set-aside messages from the health page, retries one into
its conversation and dismisses another with a reason."""

from dataclasses import replace

import pytest

from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import Message
from socialdesk.ingestion.models import SetAsideMessage
from socialdesk.ingestion.tests.test_set_aside import break_on
from socialdesk.ingestion.tests.worker import poll_all
from socialdesk.web.tests.browser import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser


def test_an_admin_retries_one_set_aside_message_and_dismisses_another(
    desk, page, customer_tweet, inbound, monkeypatch
):
    break_on(monkeypatch, "boom")
    customer_tweet("@FirefoxSupport boom: the <b>toolbar</b> is gone", username="ben")
    customer_tweet("@FirefoxSupport sync keeps failing", username="ana")
    poll_all()
    # The second one cannot be stored now either: an id no column can hold, as a platform might send.
    ingest([replace(inbound("an odd one"), platform_id="7" * 300)])
    monkeypatch.undo()  # the bug behind the first one is fixed

    sign_in(page, desk, username="admin", password="connect-the-accounts")
    page.goto(f"{desk}/manage/health/")
    assert "2 messages could not be stored" in page.locator("main").inner_text()
    page.click("text=retry or dismiss")
    page.wait_for_url(f"{desk}/manage/set-aside/")
    rows = page.locator("table.set-aside tbody tr")
    assert rows.count() == 2
    # Customer text is shown as text, never as markup.
    assert "boom: the <b>toolbar</b> is gone" in page.locator("table.set-aside").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "set-aside.png"), full_page=True)

    boom = SetAsideMessage.objects.get(text__contains="boom")
    page.locator(f"#set-aside-{boom.pk} button:has-text('Retry')").click()
    page.wait_for_url(f"{desk}/manage/set-aside/")
    stored = Message.objects.get(text__contains="boom")
    assert f"conversation #{stored.conversation_id}" in page.locator(".flash").inner_text()

    odd = SetAsideMessage.objects.get(resolved_at__isnull=True)
    page.locator(f"#set-aside-{odd.pk} input[name=reason]").fill(
        "A test message from the platform"
    )
    page.locator(f"#set-aside-{odd.pk} button:has-text('Dismiss')").click()
    page.wait_for_url(f"{desk}/manage/set-aside/")
    assert "Nothing set aside." in page.locator("main").inner_text()
    page.click(f"a:has-text('conversation #{stored.conversation_id}')")
    page.wait_for_url(f"{desk}/c/{stored.conversation_id}/")
    assert "boom: the <b>toolbar</b> is gone" in page.locator("article.msg.in .text").inner_text()
