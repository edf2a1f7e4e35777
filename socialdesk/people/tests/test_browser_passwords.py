"""In a real Chromium: a contributor who forgot their password resets it from the email, changes it
in their settings (a weak one is refused, saying why) and signs out everywhere."""

import re

import pytest
from django.core import mail

from .browser import look_at

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(live_server, transactional_db):
    from tests.factories import demo_configuration

    demo_configuration()
    return live_server.url


def test_a_contributor_resets_changes_and_signs_out_everywhere(desk, page, browser):
    problems = []
    page.goto(f"{desk}/login/")
    page.click("text=Forgot your password?")
    page.wait_for_url(f"{desk}/password-reset/")
    problems += look_at(page, "password-reset")
    page.fill("input[name=email]", "contributor@example.org")
    page.click("button:has-text('Send the link')")
    page.wait_for_url(f"{desk}/password-reset/sent")
    assert "Check your email" in page.inner_text("main")

    link = re.search(r"http://\S+/password-reset/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.fill("input[name=new_password1]", "admin-admin")
    page.fill("input[name=new_password2]", "admin-admin")
    page.click("button:has-text('Save the password')")
    assert "too short" in page.inner_text("main")
    page.fill("input[name=new_password1]", "quiet-harbour-lanterns")
    page.fill("input[name=new_password2]", "quiet-harbour-lanterns")
    page.click("button:has-text('Save the password')")
    page.wait_for_url(f"{desk}/password-reset/complete")

    page.goto(f"{desk}/login/")
    page.fill("input[name=username]", "contributor")
    page.fill("input[name=password]", "quiet-harbour-lanterns")
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{desk}/")

    # A second browser, signed in too.
    other = browser.new_context().new_page()
    other.goto(f"{desk}/login/")
    other.fill("input[name=username]", "contributor")
    other.fill("input[name=password]", "quiet-harbour-lanterns")
    other.click("button:has-text('Sign in')")
    other.wait_for_url(f"{desk}/")

    page.goto(f"{desk}/settings/")
    problems += look_at(page, "settings")
    page.click("text=Change my password")
    page.fill("input[name=old_password]", "quiet-harbour-lanterns")
    page.fill("input[name=new_password1]", "31415926535")
    page.fill("input[name=new_password2]", "31415926535")
    page.click("button:has-text('Change the password')")
    assert "entirely numeric" in page.inner_text("main")
    problems += look_at(page, "password-change")
    page.fill("input[name=old_password]", "quiet-harbour-lanterns")
    page.fill("input[name=new_password1]", "lanterns-over-the-harbour")
    page.fill("input[name=new_password2]", "lanterns-over-the-harbour")
    page.click("button:has-text('Change the password')")
    page.wait_for_url(f"{desk}/settings/")
    assert "Your password is changed" in page.inner_text("main")

    page.click("button:has-text('Sign out everywhere')")
    page.wait_for_url(f"{desk}/login/")
    assert "Signed out everywhere" in page.inner_text("main")
    other.goto(f"{desk}/settings/")
    assert "/login/" in other.url
    other.context.close()
    assert not problems, "\n".join(problems)


def test_wrong_passwords_in_a_row_show_the_pause_page(desk, page, settings):
    # The limit is 30 (test_security.py); the page is the same at any limit, and 3 wrong
    # passwords are 60 page loads fewer than 30.
    settings.AXES_FAILURE_LIMIT = 3
    for n in range(3):
        page.goto(f"{desk}/login/")
        page.fill("input[name=username]", "cm")
        page.fill("input[name=password]", f"wrong-{n}")
        page.click("button:has-text('Sign in')")
        page.wait_for_load_state("load")
    assert "Too many wrong passwords for “cm” (3 in a row)" in page.inner_text("main")
    problems = look_at(page, "locked-out")
    assert not problems, "\n".join(problems)
