"""In a real Chromium: a community manager keeps the desk's settings on its own pages and each
change takes effect — a clipping offered in the composer and a respond-from rule whose account
sends the reply on X; a renamed tag and an engagement policy that takes the Like away."""

import pytest
import requests
from django.conf import settings
from django.core.management import call_command

from socialdesk.conversations.models import Conversation
from socialdesk.ingestion.tests.worker import poll_all
from socialdesk.people.tests.browser import look_at

from .browser import sign_in

pytestmark = pytest.mark.browser


def _replies_to(tweet_id):
    return requests.get(
        f"{settings.SOCIALDESK_TWITTER_API_BASE}/_sim/tweets",
        params={"in_reply_to": tweet_id},
        timeout=5,
    ).json()["data"]


def test_a_clipping_and_a_respond_from_rule_added_in_the_ui_answer_the_next_customer(
    desk, page, customer_tweet
):
    sign_in(page, desk, "cm", "escalations-welcome")
    page.click("a:text-is('Desk settings')")
    page.wait_for_url(f"{desk}/manage/")
    problems = look_at(page, "settings-index")
    page.click("a:text-is('Clippings')")
    page.fill("#id_title", "Neu anmelden")
    page.fill("#id_text", "Hallo {name}, bitte melde dich bei Sync neu an.")
    page.fill("#id_language", "de")
    page.click("button:has-text('Save clipping')")
    assert "Clipping “Neu anmelden” saved." in page.inner_text("main")

    page.goto(f"{desk}/manage/accounts/respond-from/")
    page.fill("#id_position", "1")
    page.select_option("#id_mentioned", label="@Firefox")
    page.select_option("#id_respond_from", label="@mozilla_germany")
    page.click("button:has-text('Add rule')")
    assert "Rule added: @Firefox → @mozilla_germany." in page.inner_text("main")

    customer_tweet("@firefox Sync meldet mich ständig ab", username="jonas_b", name="Jonas Becker")
    poll_all()
    conversation = Conversation.objects.get()
    page.goto(f"{desk}/c/{conversation.pk}/")
    assert page.locator(".respond-from").inner_text() == "@mozilla_germany"
    page.select_option("#clipping-picker", label="Neu anmelden")
    assert page.input_value("#id_text").startswith(
        "Hallo Jonas, bitte melde dich bei Sync neu an."
    )
    # A clipping sent unchanged reads like a bot: the agent makes it theirs.
    page.fill("#id_text", page.input_value("#id_text") + " Sag Bescheid, ob es klappt!")
    if page.locator("#id_signature").count():
        page.select_option("#id_signature", value="none")
    with page.expect_navigation():
        page.click("button[name=then][value=none]")
    page.goto("about:blank")  # the page polls its delivery state; leave before the worker runs
    call_command("db_worker", "--batch", "--interval", "0")
    replies = _replies_to(conversation.messages.get(direction="in").platform_id)
    # 2142733 is @mozilla_germany, the rule's account; unsigned, as chosen for this reply.
    assert [r["author_id"] for r in replies] == ["2142733"]
    assert "Hallo Jonas, bitte melde dich bei Sync neu an. Sag Bescheid" in replies[0]["text"]
    assert not problems, "\n".join(problems)


def test_a_renamed_tag_and_an_engagement_policy_take_effect_on_the_conversation_page(
    desk, page, customer_tweet
):
    customer_tweet("@FirefoxSupport my bookmarks are gone", username="lena_k", name="Lena K")
    poll_all()
    conversation = Conversation.objects.get()
    sign_in(page, desk, "cm", "escalations-welcome")

    page.goto(f"{desk}/manage/tags/")
    page.click("a[aria-label='Edit Sync']")
    page.fill("#id_name", "Bookmarks")  # another tag's name
    page.fill("#id_slug", "")
    page.click("button:has-text('Save')")
    assert "There is a tag “Bookmarks” already." in page.inner_text("main")
    assert page.input_value("#id_name") == "Bookmarks"  # what was typed is kept
    page.fill("#id_name", "Firefox Sync")
    page.fill("#id_slug", "firefox-sync")
    problems = look_at(page, "tags-edit")
    page.click("button:has-text('Save')")
    assert "Saved the tag “Firefox Sync”." in page.inner_text("main")
    problems += look_at(page, "tags")

    page.goto(f"{desk}/c/{conversation.pk}/")
    options = page.locator("#tag-list option").evaluate_all("os => os.map(o => o.value)")
    assert "Firefox Sync" in options and "Sync" not in options
    page.fill("#tag-input", "Firefox Sync")
    with page.expect_navigation():
        page.click("#tag-input ~ button:has-text('Add')")
    assert "Firefox Sync" in page.locator(".tag-list").inner_text()
    assert page.locator("button:has-text('Like')").count() == 1

    page.goto(f"{desk}/manage/accounts/engagement/")
    problems += look_at(page, "engagement-policy")
    page.click("a[aria-label='Edit @FirefoxSupport']")
    page.uncheck("#id_can_like")
    page.select_option("#id_retweet_policy", value="never")
    problems += look_at(page, "engagement-policy-edit")
    page.click("button:has-text('Save')")
    assert "Saved the account's policy “@FirefoxSupport”." in page.inner_text("main")

    page.goto(f"{desk}/c/{conversation.pk}/")
    assert page.locator("button:has-text('Like')").count() == 0
    # The server refuses it too, whatever the page shows.
    message = conversation.messages.get(direction="in")
    status = page.evaluate(
        """async (url) => (await fetch(url, {method: "POST",
             headers: JSON.parse(document.body.getAttribute("hx-headers"))})).status""",
        f"/c/{conversation.pk}/like/{message.pk}",
    )
    assert status == 403
    assert not problems, "\n".join(problems)
