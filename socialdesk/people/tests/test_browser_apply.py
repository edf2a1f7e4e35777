"""In a real Chromium, the way in: someone applies (a forgotten criterion is pointed out and what
was typed stays), a community manager approves them as a contributor, they set a password from the
email, sign in and press Play."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from socialdesk.ingestion.tests.worker import poll_all
from socialdesk.web.tests.browser import sign_in

from .browser import look_at

pytestmark = pytest.mark.browser


def test_apply_approve_set_a_password_sign_in_and_play(desk, page, browser, customer_tweet):
    customer_tweet("@FirefoxSupport my tabs vanish after restart", username="kai")
    poll_all()
    problems = []
    page.goto(f"{desk}/login/")
    page.click("text=Apply for access")
    page.wait_for_url(f"{desk}/apply/")
    page.fill("input[name=name]", "Lena Kraus")
    page.fill("input[name=email]", "lena@example.org")
    page.fill("input[name=handle]", "@lena_k")
    page.fill("input[name=started_on]", (timezone.localdate() - timedelta(days=21)).isoformat())
    for box in page.locator("input[type=checkbox][name^=criterion_]").all()[
        :-1
    ]:  # the NDA forgotten
        box.check()
    page.check("input[name=privacy]")
    page.check("input[name=contact]")
    page.click("button:has-text('Send my application')")
    assert "Confirm this criterion to apply." in page.inner_text("main")
    assert page.input_value("input[name=name]") == "Lena Kraus" and page.is_checked(
        "input[name=criterion_respect]"
    )
    problems += look_at(page, "apply")
    page.check("input[name=criterion_nda]")
    page.click("button:has-text('Send my application')")
    page.wait_for_url(f"{desk}/apply/sent")
    assert "within 2 business days" in mail.outbox[-1].body

    cm = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    sign_in(cm, desk, "cm", "escalations-welcome")
    cm.click("text=Applications")
    cm.wait_for_url(f"{desk}/manage/applications/")
    assert "21 days (two weeks or more)" in cm.inner_text("main")
    problems += look_at(cm, "applications")
    cm.click("button:has-text('Approve')")
    assert "Approved: lena_k" in cm.inner_text("main")
    cm.context.close()

    link = re.search(r"http://\S+/password-reset/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.fill("input[name=new_password1]", "quiet-harbour-lanterns")
    page.fill("input[name=new_password2]", "quiet-harbour-lanterns")
    page.click("button:has-text('Save the password')")
    page.wait_for_url(f"{desk}/password-reset/complete")
    sign_in(page, desk, "lena_k", "quiet-harbour-lanterns")
    page.click("button[aria-label='Play Twitter conversations - Moderated']")
    page.wait_for_url(f"{desk}/play/")
    assert "my tabs vanish" in page.locator("article.msg.in .text").inner_text()
    assert not problems, "\n".join(problems)
