"""End to end in a real Chromium: sign in, press Play, answer, and find the reply on the platform."""

import pytest
import requests
from django.core.management import call_command

from socialdesk.conversations.models import Conversation, Message
from socialdesk.ingestion.tests.worker import poll_all

from .browser import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser


def _sim(path, **params):
    from django.conf import settings

    return requests.get(
        f"{settings.SOCIALDESK_TWITTER_API_BASE}{path}", params=params, timeout=5
    ).json()["data"]


def test_a_contributor_plays_replies_and_closes_and_the_reply_reaches_x(
    desk, page, customer_tweet
):
    customer_tweet(
        "@FirefoxSupport <b>all my bookmarks</b> disappeared after updating :(",
        username="lena_k",
        name="Lena K",
    )
    poll_all()
    sign_in(page, desk)
    page.click("button[aria-label='Play Twitter conversations - Moderated']")
    page.wait_for_url(f"{desk}/play/")
    # Customer text is shown as text, never as markup.
    assert (
        page.locator("article.msg.in .text")
        .inner_text()
        .startswith("@FirefoxSupport <b>all my bookmarks</b>")
    )
    assert page.locator(".respond-from").inner_text() == "@FirefoxSupport"

    page.fill(
        "#composer textarea[name=text]",
        "Hi Lena, you can restore them from a backup: Bookmarks > Manage > Import and Backup.",
    )
    assert page.locator("#char-count").inner_text().endswith("/ 280")
    # Screen readers hear it as a sentence.
    assert page.locator("#char-count-said").text_content().endswith(" of 280 characters")
    page.click("button:has-text('Reply + Close')")  # asks for the reason in place
    page.select_option("select[name=close_reason]", label="Resolved")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "play-conversation.png"), full_page=True)
    page.click("button:has-text('Reply + Close')")
    page.wait_for_url(f"{desk}/play/")
    assert "is empty" in page.locator("h1").inner_text()

    conversation = Conversation.objects.get()
    assert (conversation.status, conversation.close_reason) == ("closed", "resolved")
    call_command("db_worker", "--batch", "--interval", "0")  # the worker process's loop, once
    tweet_id = conversation.messages.get(direction="in").platform_id
    replies = _sim("/_sim/tweets", in_reply_to=tweet_id)
    assert [(r["author_id"], r["text"]) for r in replies] == [
        (
            "2142732",
            "Hi Lena, you can restore them from a backup: Bookmarks > Manage > Import and Backup. ^CO",
        ),  # @FirefoxSupport
    ]
    page.goto(f"{desk}/c/{conversation.pk}/")
    assert "Delivered" in page.locator("#outbox").inner_text()
    page.goto(f"{desk}/")
    page.click("button:has-text('Stop')")
    page.wait_for_url(f"{desk}/")
    assert "Play Mode stopped" in page.locator(".flash").first.inner_text()


def test_bad_replies_get_a_clear_message_in_the_browser(desk, page, customer_tweet):
    customer_tweet("@FirefoxSupport videos do not play", username="tom")
    poll_all()
    sign_in(page, desk)
    page.click("button[aria-label='Play Twitter conversations - Moderated']")
    page.wait_for_url(f"{desk}/play/")

    page.click("button[name=then][value=none]")  # empty text
    assert "empty" in page.locator(".errorlist").first.inner_text()

    page.fill("#composer textarea[name=text]", "Could you tell us which site?")
    page.click("button:has-text('Reply + Close')")  # no close reason: asked for in place
    assert page.locator("#close-ask").is_visible()
    page.click(
        "#close-ask button[name=then][value=close]"
    )  # still none: it stays there, the reasons in focus
    assert (
        page.locator("#close-ask").is_visible()
        and page.evaluate("document.activeElement.name") == "close_reason"
    )
    assert (
        page.locator("#composer textarea[name=text]").input_value()
        == "Could you tell us which site?"
    )  # nothing lost

    page.fill("#composer textarea[name=text]", "Here is how")
    page.set_input_files(
        "input[name=attachments]",
        files=[
            {"name": "notes.png", "mimeType": "image/png", "buffer": b"plain text, not a picture"}
        ],
    )
    page.click("button[name=then][value=none]")
    assert "not an image or video" in page.locator(".errorlist").first.inner_text()

    page.fill("#composer textarea[name=text]", "x" * 300)
    assert "over" in page.locator("#char-count").get_attribute("class")
    assert page.locator("#char-count-said").text_content().endswith(" too many")
    assert page.locator("button[name=then][value=none]").is_disabled()
    assert not Message.objects.filter(direction="out").exists()
