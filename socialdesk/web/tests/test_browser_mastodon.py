"""End to end in a real Chromium: a toot answered with the customer's @ in front, counted as sent."""

import pytest
import requests
from django.core.management import call_command

from socialdesk.conversations.models import Conversation
from socialdesk.ingestion.tests.worker import poll_all

from .browser import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(live_server, transactional_db, mastodon_sim):
    from tests.factories import demo_configuration

    demo_configuration()
    return live_server.url


def test_a_mastodon_reply_keeps_the_customers_mention_and_counts_it(
    desk, page, mastodon_sim, customer_toot
):
    toot = customer_toot("@firefox_support my container tabs are gone", username="lucia42")
    poll_all()
    c = Conversation.objects.get()
    sign_in(page, desk)
    page.goto(f"{desk}/c/{c.pk}/")
    area = page.locator("#composer textarea[name=text]")
    assert area.input_value() == "@lucia42 "
    # A clipping keeps the @ in front; the count includes what will be sent.
    page.select_option("#clipping-picker", label="Thanks for the love")
    assert area.input_value().startswith("@lucia42 Thank you Alex")
    # Removing the @ changes nothing the customer gets: the server puts it back, the count says so.
    page.fill("#composer textarea[name=text]", "Try Settings > Tabs.")
    shown = int(page.locator("#char-count").inner_text().split(" / ")[0])
    assert shown == len("@lucia42 Try Settings > Tabs. ^CO")
    with page.expect_navigation():
        page.click("button[name=then][value=none]")
    # Leave the conversation page (its delivery state polls the server) before the worker runs:
    # the test database is shared with the live server.
    page.goto("about:blank")
    call_command("db_worker", "--batch", "--interval", "0")
    ours = requests.get(
        f"{mastodon_sim.base_url}/_sim/statuses", params={"in_reply_to_id": toot["id"]}, timeout=5
    ).json()["data"]
    assert [s["text"] for s in ours] == ["@lucia42 Try Settings > Tabs. ^CO"]
    assert [m["username"] for m in ours[0]["mentions"]] == ["lucia42"]
