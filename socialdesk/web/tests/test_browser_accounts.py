"""End to end in a real Chromium: a community manager connects accounts through the simulators'
own sign-in pages, replies go out, and a connection that stops working is renewed (X) or
reconnected (Mastodon) without losing a reply."""

import pytest
import requests
from django.core.management import call_command

from socialdesk.conversations.models import Conversation
from socialdesk.ingestion.tests.worker import poll_all

from .browser import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(live_server, transactional_db, settings):
    from tests.factories import demo_configuration

    demo_configuration()
    # The callback URL the platforms send the browser back to: this live server.
    settings.SOCIALDESK_PUBLIC_URL = live_server.url
    return live_server.url


def open_account(page, desk, label):
    page.goto(f"{desk}/manage/accounts/")
    page.click(f"table.accounts a:text-is('{label}')")
    page.wait_for_load_state("load")


def sign_in_on_platform(page, account):
    """On the simulator's consent page: who we are, then Authorize."""
    page.wait_for_selector("#allow")
    assert "Authorize" in page.locator("h1").inner_text()
    page.select_option("#account", account)
    with page.expect_navigation():
        page.click("#allow")
    page.wait_for_load_state("load")


def reply_in_conversation(page, desk, conversation, text):
    page.goto(f"{desk}/c/{conversation.pk}/")
    area = page.locator("#composer textarea[name=text]")
    area.fill(area.input_value() + text)
    with page.expect_navigation():
        page.click("button[name=then][value=none]")
    # Leave the page (its delivery state polls the server) before the worker runs.
    page.goto("about:blank")


def run_worker():
    call_command("db_worker", "--batch", "--interval", "0")


def test_an_x_account_connected_with_pkce_keeps_replying_after_its_token_expires(
    desk, page, twitter_sim, customer_tweet
):
    sign_in(page, desk, "cm", "escalations-welcome")
    open_account(page, desk, "@FirefoxSupport")
    page.click("#method-oauth2 button")
    sign_in_on_platform(page, "FirefoxSupport")
    assert (
        page.url.rstrip("/").split("/manage/accounts/")[1].isdigit()
    )  # back on the account's page
    assert "is connected (X user sign-in (OAuth 2.0))" in page.locator(".flash").first.inner_text()
    assert page.locator("#method").inner_text() == "X user sign-in (OAuth 2.0)"
    assert "renewed automatically" in page.locator("#expires").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "account-connected.png"), full_page=True)

    first = customer_tweet("@FirefoxSupport my bookmarks are gone", username="lena_k")["data"]
    second = customer_tweet("@FirefoxSupport sync stopped", username="tom_b")["data"]
    poll_all()
    c1 = Conversation.objects.get(messages__platform_id=first["id"])
    c2 = Conversation.objects.get(messages__platform_id=second["id"])
    reply_in_conversation(page, desk, c1, "Restore them from a backup: Bookmarks > Manage.")
    run_worker()
    requests.post(
        f"{twitter_sim.base_url}/_sim/oauth/expire", timeout=5
    ).raise_for_status()  # two hours later
    reply_in_conversation(page, desk, c2, "Sign out of Sync and back in.")
    run_worker()

    for tweet in (first, second):
        replies = requests.get(
            f"{twitter_sim.base_url}/_sim/tweets", params={"in_reply_to": tweet["id"]}, timeout=5
        ).json()["data"]
        assert [r["author_id"] for r in replies] == ["2142732"]
    counts = requests.get(f"{twitter_sim.base_url}/_sim/oauth", timeout=5).json()["data"]
    assert (counts["refreshes"], counts["refused_refreshes"]) == (1, 0)
    page.goto(f"{desk}/c/{c2.pk}/")
    assert "Delivered" in page.locator("#outbox").inner_text()
    open_account(page, desk, "@FirefoxSupport")
    assert "Last renewed" in page.locator("#connection").inner_text()


def test_a_mastodon_account_connected_on_its_instance_and_reconnected_after_a_revoke(
    desk, page, mastodon_sim, customer_toot
):
    sign_in(page, desk, "cm", "escalations-welcome")
    open_account(page, desk, "@firefox_support")
    assert (
        page.locator("#method-oauth input[name=instance]").input_value() == mastodon_sim.base_url
    )
    page.click("#method-oauth button")
    sign_in_on_platform(page, "firefox_support")
    assert "is connected (Mastodon sign-in (OAuth))" in page.locator(".flash").first.inner_text()

    first = customer_toot("@firefox_support my container tabs are gone", username="lucia42")
    second = customer_toot("@firefox_support the sidebar is empty", username="omar")
    poll_all()
    c1 = Conversation.objects.get(messages__platform_id=first["id"])
    c2 = Conversation.objects.get(messages__platform_id=second["id"])
    reply_in_conversation(page, desk, c1, "Try Settings > Tabs.")
    run_worker()

    requests.post(
        f"{mastodon_sim.base_url}/_sim/oauth/revoke_all", timeout=5
    ).raise_for_status()  # the app was removed on the instance
    reply_in_conversation(page, desk, c2, "Open View > Sidebar.")
    run_worker()
    page.goto(f"{desk}/c/{c2.pk}/")
    assert "Waiting for the account to be reconnected" in page.locator("#outbox").inner_text()
    page.goto(f"{desk}/manage/accounts/")
    assert "Sending paused" in page.locator("table.accounts").inner_text()

    open_account(page, desk, "@firefox_support")
    assert "Sending is paused for this account" in page.locator("#paused").inner_text()
    page.click("#method-oauth button")
    sign_in_on_platform(page, "firefox_support")
    page.goto("about:blank")
    run_worker()

    def ours(toot):
        return requests.get(
            f"{mastodon_sim.base_url}/_sim/statuses",
            params={"in_reply_to_id": toot["id"]},
            timeout=5,
        ).json()["data"]

    assert [s["text"] for s in ours(first)] == ["@lucia42 Try Settings > Tabs. ^CM"]
    assert [s["text"] for s in ours(second)] == ["@omar Open View > Sidebar. ^CM"]
    page.goto(f"{desk}/c/{c2.pk}/")
    assert "Delivered" in page.locator("#outbox").inner_text()
