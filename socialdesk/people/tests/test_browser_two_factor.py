"""In a real Chromium: a community manager must turn on two-factor sign-in, reads the key off the
page into an authenticator (here, the same TOTP computation), and signs in with a code."""

import base64

import pytest
from django_otp.oath import TOTP

from .browser import look_at

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(live_server, transactional_db, settings):
    from tests.factories import demo_configuration

    settings.SOCIALDESK_TWO_FACTOR_ROLES = ["cm", "admin"]
    demo_configuration()
    return live_server.url


def _code(secret: str, drift: int = 0) -> str:
    key = secret.replace(" ", "")
    key += "=" * (-len(key) % 8)
    totp = TOTP(base64.b32decode(key))
    totp.drift = drift
    return f"{totp.token():06d}"


def _password(page, desk):
    page.goto(f"{desk}/login/")
    page.fill("input[name=username]", "cm")
    page.fill("input[name=password]", "escalations-welcome")
    page.click("button:has-text('Sign in')")


def test_a_community_manager_turns_on_two_factor_and_signs_in_with_a_code(desk, page, browser):
    _password(page, desk)
    page.wait_for_url(f"{desk}/settings/two-factor/?next=%2F")
    assert "Community managers and admins sign in with a second factor" in page.inner_text("main")
    assert page.locator("figure.qr svg").count() == 1
    problems = look_at(page, "two-factor-setup")
    secret = page.inner_text("code.secret")
    page.fill("input[name=code]", _code(secret))
    page.click("button:has-text('Turn on')")
    assert "Two-factor sign-in is on" in page.inner_text("main")
    assert page.locator(".recovery-codes li").count() == 10
    page.click("text=Go on")
    page.wait_for_url(f"{desk}/")

    second = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    _password(second, desk)
    second.wait_for_url(f"{desk}/login/code?next=%2F")
    problems += look_at(second, "two-factor-code")
    second.fill("input[name=code]", _code(secret, drift=1))
    second.click("button:has-text('Go on')")
    second.wait_for_url(f"{desk}/")
    second.goto(f"{desk}/manage/applications/")
    assert "Applications" in second.inner_text("h1")
    second.context.close()
    assert not problems, "\n".join(problems)
