"""In a real Chromium: a community manager promotes a contributor to moderator on the people page."""

import pytest

from socialdesk.people.models import Profile
from socialdesk.web.tests.browser import sign_in

from .browser import look_at

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(live_server, transactional_db):
    from tests.factories import demo_configuration

    demo_configuration()
    return live_server.url


def test_a_community_manager_promotes_a_contributor(desk, page):
    sign_in(page, desk, "cm", "escalations-welcome")
    page.click("text=People")
    page.wait_for_url(f"{desk}/manage/people/")
    problems = look_at(page, "people")
    page.select_option("select[aria-label='Role of contributor']", "moderator")
    page.locator("form", has=page.locator("select[aria-label='Role of contributor']")).locator(
        "button"
    ).click()
    page.wait_for_load_state("load")
    assert "contributor is now moderator" in page.inner_text("main")
    assert Profile.objects.get(user__username="contributor").role == "moderator"
    assert not problems, "\n".join(problems)
