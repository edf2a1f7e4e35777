"""In a real Chromium: an admin finds a paused sign-in in the audit log by searching the username."""

import pytest
from django.test import Client

from socialdesk.web.tests.browser import sign_in

from .browser import look_at

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(live_server, transactional_db, settings):
    from tests.factories import demo_configuration

    settings.AXES_FAILURE_LIMIT = 3
    demo_configuration()
    return live_server.url


def test_an_admin_searches_the_audit_log(desk, page):
    for n in range(3):
        Client().post("/login/", {"username": "moderator", "password": f"wrong-{n}"})
    sign_in(page, desk, "admin", "connect-the-accounts")
    page.click("text=Audit")
    page.wait_for_url(f"{desk}/manage/audit/")
    page.fill("main input[name=q]", "moderator")  # not the header's search box
    page.click("button:has-text('Search')")
    page.wait_for_url(f"{desk}/manage/audit/?q=moderator&kind=")
    rows = page.locator("tbody tr").all_inner_texts()
    assert any("Sign-in paused after too many wrong passwords" in r for r in rows)
    assert sum("Wrong password" in r for r in rows) == 3
    assert not any("Signed in" in r and "admin" in r for r in rows)
    problems = look_at(page, "audit")
    assert not problems, "\n".join(problems)
