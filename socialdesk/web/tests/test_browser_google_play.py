"""End to end in a real Chromium: a Google Play review answered from the Low rating queue."""

import pytest
import requests
from django.core.management import call_command

from socialdesk.conversations.models import Conversation
from socialdesk.ingestion.tests.worker import poll_all

from .browser import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(live_server, transactional_db, play_sim):
    from tests.factories import demo_configuration

    demo_configuration()
    return live_server.url


def test_a_contributor_answers_a_one_star_review_and_google_play_shows_the_reply(
    desk, page, play_sim, customer_review
):
    review = customer_review(
        "Keeps crashing every time I open a new tab. <script>x</script>",
        stars=1,
        author_name="Jessica Miller",
        device="oriole",
        android_os_version=34,
        app_version_name="126.0",
    )
    customer_review("Best browser on Android.", stars=5, author_name="Sam")
    poll_all()
    Conversation.objects.update(moderated=True)  # a moderator has been through them

    sign_in(page, desk)
    page.click("button[aria-label='Play Google Play - Low rating']")
    page.wait_for_url(f"{desk}/play/")
    assert (
        page.locator("article.msg.in .text").inner_text()
        == "Keeps crashing every time I open a new tab. <script>x</script>"
    )
    assert page.locator(".rating").get_attribute("aria-label") == "1 of 5 stars"
    assert "Android 14" in page.locator(".review-details").inner_text()
    assert (
        "replaces the first and does not notify the reviewer"
        in page.locator("#channel-notice").inner_text()
    )
    assert page.locator(".respond-from").inner_text() == "Firefox for Android"

    page.fill("#composer textarea[name=text]", "x" * 360)
    assert page.locator("#char-count").inner_text().endswith("/ 350")
    assert page.locator("button[name=then][value=none]").is_disabled()
    # Google Play shows plain text: markup is refused as it is typed, with what to remove.
    page.fill("#composer textarea[name=text]", "<b>Please</b> update to the latest version.")
    assert page.locator("#markup-warning").is_visible()
    assert "remove an HTML tag (“<b>”)" in page.locator("#markup-warning").inner_text()
    assert page.locator("button[name=then][value=none]").is_disabled()
    page.fill("#composer textarea[name=text]", "We <3 feedback: go to Settings > Tabs.")
    assert page.locator("#markup-warning").is_hidden()
    assert page.locator("button[name=then][value=none]").is_enabled()

    text = (
        "Hi Jessica, sorry about the crashes! Could you send us the crash IDs from about:crashes?"
    )
    page.fill("#composer textarea[name=text]", text)
    page.click("button:has-text('Reply + Close')")  # asks for the reason in place
    page.select_option("select[name=close_reason]", label="Resolved")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "play-google-play-review.png"), full_page=True)
    page.click("button:has-text('Reply + Close')")
    page.wait_for_url(f"{desk}/play/")

    conversation = Conversation.objects.get(rating=1)
    assert (conversation.status, conversation.close_reason) == ("closed", "resolved")
    call_command("db_worker", "--batch", "--interval", "0")
    replies = requests.get(
        f"{play_sim.base_url}/_sim/replies", params={"review_id": review["review_id"]}, timeout=5
    ).json()["data"]
    assert len(replies) == 1 and replies[0]["text"].startswith(text)
    shown = requests.get(
        f"{play_sim.base_url}/_sim/reviews/{review['review_id']}", timeout=5
    ).json()["data"]
    assert shown["developer_comment"]["text"] == replies[0]["text"]
    page.goto(f"{desk}/c/{conversation.pk}/")
    assert "Delivered" in page.locator("#outbox").inner_text()
