"""In a real Chromium, under the Content Security Policy: the main pages load without a single
violation, the behaviour moved out of inline handlers still works (filters that apply on a tick,
"select all", the time zone the browser reports), and the bell shows what is unread."""

from urllib.parse import unquote

import pytest
from django.contrib.auth import get_user_model

from socialdesk.actions import conversation as actions
from socialdesk.conversations.models import Conversation
from socialdesk.ingestion.tests.worker import poll_all
from socialdesk.people.models import Notification, Profile
from socialdesk.web.tests.browser import sign_in

pytestmark = pytest.mark.browser

PAGES = [
    "/",
    "/settings/",
    "/notifications/",
    "/approvals/",
    "/manage/agents/",
    "/manage/queues/",
    "/manage/filters/",
    "/manage/health/",
    "/manage/set-aside/",
    "/manage/accounts/",
    "/manage/applications/",
    "/manage/people/",
    "/manage/audit/",
    "/triage/clusters/",
    "/triage/rules/",
    "/reports/",
    "/reports/dashboard/",
    "/reports/volumes/",
    "/admin/",
]

# Recorded in every page before its own scripts run (an init script is not subject to the CSP).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


def test_the_desk_works_under_its_content_security_policy(desk, browser, customer_tweet):
    customer_tweet("@FirefoxSupport tabs crash on start", username="ana")
    customer_tweet("@FirefoxSupport sync lost my passwords", username="bo")
    poll_all()
    Conversation.objects.update(moderated=True)
    admin = get_user_model().objects.get(username="admin")
    first = Conversation.objects.order_by("pk").first()
    actions.assign(
        actor=get_user_model().objects.get(username="cm"), conversation=first, to_user=admin
    )
    assert Notification.objects.filter(user=admin).count() == 1

    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, timezone_id="Europe/Berlin"
    )
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(15_000)
    console = []
    page.on(
        "console",
        lambda m: console.append(m.text) if m.type == "error" else None,
    )
    sign_in(page, desk, "admin", "connect-the-accounts")
    problems = []
    pages = [*PAGES, f"/c/{first.pk}/", "/queues/twitter-conversations-moderated/"]
    for path in pages:
        response = page.goto(f"{desk}{path}")
        assert response.status < 400, (path, response.status)
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        page.wait_for_load_state("load")
        problems += [f"{path}: {v}" for v in page.evaluate("window.__violations")]
    problems += [m for m in console if "Content Security Policy" in m]
    assert not problems, "\n".join(problems)

    # The browser's zone became the admin's on the first page.
    assert Profile.objects.get(user=admin).time_zone == "Europe/Berlin"

    # The bell: one unread, then read from its page.
    page.goto(f"{desk}/")
    assert page.inner_text("header .bell").strip() == "1"
    assert page.locator("header .bell svg").count() == 1
    page.click("header .bell")
    page.wait_for_url(f"{desk}/notifications/")
    page.click("li.notification button:has-text('Open')")
    page.wait_for_url(f"{desk}/c/{first.pk}/")
    assert page.locator("header .bell.unread").count() == 0

    # A filter applies as soon as it is ticked; "select all" ticks every row.
    page.goto(f"{desk}/queues/twitter-conversations-moderated/")
    page.check("#bulk thead input[data-select-all]")
    boxes = page.locator("#bulk input[name=ids]")
    assert boxes.count() == 2
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    first = page.locator("#filter-form input[type=checkbox]:not(:checked)").first
    field, value = first.get_attribute("name"), first.get_attribute("value")
    # The box itself, not "the first unticked one": once ticked, that would be the next box, and
    # checking it again would start a second navigation.
    tick = page.locator(f"#filter-form input[name='{field}'][value='{value}']")
    with page.expect_navigation():
        tick.check()
    assert f"{field}={value}" in unquote(page.url)
    page.wait_for_load_state("load")
    # Read from the console, which outlives the page: Chromium reports every refusal there, and
    # a page's own record could be cut short by a navigation still under way.
    assert not [m for m in console if "Content Security Policy" in m]

    # And the watch works: an inline handler slipped into the page is refused, and recorded
    # (on a page loaded for it, so no navigation still under way can reset the record).
    page.goto(f"{desk}/")
    page.wait_for_load_state("load")
    page.evaluate(
        "() => { const d = document.createElement('div'); d.setAttribute('onclick', 'window.__ran = 1');"
        " document.body.append(d); d.click(); }"
    )
    page.wait_for_function("() => window.__violations.length > 0")
    assert page.evaluate("window.__ran") is None
    assert page.evaluate("window.__violations")[0].startswith("script-src-attr")
    context.close()
