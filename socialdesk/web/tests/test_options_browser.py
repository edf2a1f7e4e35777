"""The workspace options in a real Chromium, as a contributor, a moderator and a community manager."""

import pytest
import requests
from django.core.management import call_command

from socialdesk.conversations.models import Activity, Conversation, Message, UserTag
from socialdesk.ingestion.tests.worker import poll_all
from socialdesk.outbox.models import OutboundAction

from .browser import sign_in

pytestmark = pytest.mark.browser
QUEUE = "button[aria-label='Play Twitter conversations - Moderated']"


def _leave(*pages):
    """Close what the pages poll (presence, delivery state) before the worker runs in the test's
    thread: the test database is shared with the live server."""
    for p in pages:
        p.goto("about:blank")


def _sim(path, **params):
    from django.conf import settings

    return requests.get(
        f"{settings.SOCIALDESK_TWITTER_API_BASE}{path}", params=params, timeout=5
    ).json()["data"]


def test_options_from_the_keyboard_and_the_panel(desk, page, customer_tweet):
    customer_tweet("@FirefoxSupport sync keeps failing on my phone", username="ines")
    poll_all()
    sign_in(page, desk)
    page.wait_for_load_state("load")
    page.keyboard.press("p")  # Play the first queue
    page.wait_for_url(f"{desk}/play/")
    page.wait_for_load_state("load")
    page.keyboard.press("?")
    assert page.locator("#shortcut-help").is_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("3")  # negative
    page.wait_for_selector("button[name=sentiment][value=negative].chosen")
    page.keyboard.press("t")
    page.keyboard.type("Sync")
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash.success")
    page.click("button.user-tag-btn:has-text('Trouble maker')")
    page.wait_for_selector("button.user-tag-btn.chosen:has-text('Trouble maker')")
    page.fill("input[name=due_at]", "2099-01-01T09:00")
    page.fill("input[name=note]:near(input[name=due_at])", "check the bug")
    page.click("button:has-text('Remind me')")
    page.wait_for_selector("text=⏰")
    c = Conversation.objects.get()
    assert c.sentiment == "negative"
    assert list(c.tags.values_list("name", flat=True)) == ["Sync"]
    assert UserTag.objects.filter(author=c.author, kind="trouble_maker").exists()
    assert c.reminders.get().note == "check the bug"

    # An unknown tag and a reminder in the past get clear messages.
    page.fill("#tag-input", "Nope")
    page.click("#tag-input ~ button")
    assert "There is no tag “Nope”" in page.locator(".flash.error").inner_text()
    page.fill("input[name=due_at]", "2001-01-01T09:00")
    page.click("button:has-text('Remind me')")
    assert "future" in page.locator(".flash.error").inner_text()

    # Reply from the keyboard: clipping, personalised, Ctrl+Enter.
    page.keyboard.press("r")
    page.select_option("#clipping-picker", label="Sync not working")
    text = page.locator("#composer textarea").input_value()
    assert text.startswith("Hi ines,") or text.startswith("Hi ")
    page.keyboard.press("Control+Enter")
    assert "would go out unchanged" in page.locator(".errorlist").first.inner_text()
    page.check("input[name=confirm]")
    page.click("#composer button[name=then][value=none]")
    page.wait_for_url(f"{desk}/play/")
    assert OutboundAction.objects.filter(kind="reply").count() == 1


def test_escalation_and_a_retweet_a_cm_executes(desk, browser, customer_tweet):
    customer_tweet(
        "@FirefoxSupport Firefox is the best browser, switched my whole team!",
        username="bigfan",
        followers=900_000,
        verified=True,
    )
    poll_all()
    contributor = browser.new_page()
    sign_in(contributor, desk)
    contributor.click(QUEUE)
    contributor.wait_for_url(f"{desk}/play/")
    contributor.wait_for_load_state("load")
    contributor.keyboard.press("e")
    contributor.fill("#escalate-note", "Huge praise from a verified account: retweet?")
    contributor.check("input[name=recommend_retweet]")
    contributor.click("#escalate button:has-text('Escalate')")
    contributor.wait_for_selector(".flash.success")
    c = Conversation.objects.get()
    assert (c.assigned_queue.slug, c.retweet_recommended) == ("escalation", True)
    assert c.notes.get().text.startswith("Huge praise")
    assert OutboundAction.objects.get(kind="reply").text.startswith("Hi ")  # the holding reply
    assert not contributor.locator(
        "button:has-text('Retweet from')"
    ).count()  # contributors cannot retweet

    cm = browser.new_page()
    sign_in(cm, desk, "cm", "escalations-welcome")
    cm.goto(f"{desk}/queues/escalation/")
    cm.click("table.list a")
    cm.click("button:has-text('Retweet from @FirefoxSupport')")
    cm.wait_for_selector(".flash.success")
    _leave(contributor, cm)
    call_command("db_worker", "--batch", "--interval", "0")
    retweets = _sim("/_sim/retweets")
    assert [(r["username"], r["tweet_id"]) for r in retweets] == [
        ("FirefoxSupport", c.messages.get(direction="in").platform_id)
    ]
    assert Activity.objects.filter(
        conversation=c, kind="retweet_executed", actor__username="cm"
    ).exists()


def test_two_agents_see_each_other_and_a_second_reply_needs_confirmation(
    desk, browser, customer_tweet
):
    customer_tweet("@FirefoxSupport where are my passwords?", username="pat")
    poll_all()
    c = Conversation.objects.get()
    one, two = browser.new_page(), browser.new_page()
    sign_in(one, desk)
    sign_in(two, desk, "moderator", "triage-every-mention")
    one.goto(f"{desk}/c/{c.pk}/")
    two.goto(f"{desk}/c/{c.pk}/")
    one.reload()
    one.wait_for_selector("#presence .collision")
    two.wait_for_selector("#presence .collision")
    assert "Also open: moderator" in one.locator("#presence").inner_text()
    assert "Also open: contributor" in two.locator("#presence").inner_text()
    one.fill("#composer textarea", "Check about:logins")
    one.click("#composer button[name=then][value=none]")
    one.wait_for_selector(".flash.success")
    two.fill("#composer textarea", "Passwords are in about:logins")
    two.click("#composer button[name=then][value=none]")
    assert "contributor already replied" in two.locator(".errorlist").first.inner_text()
    assert Message.objects.filter(direction="out").count() == 1
    two.check("input[name=confirm]")
    two.click("#composer button[name=then][value=none]")
    two.wait_for_selector(".flash.success")
    assert Message.objects.filter(direction="out").count() == 2


def test_a_moderator_moves_a_conversation_into_the_contributors_queue(desk, page, customer_tweet):
    customer_tweet("@Firefox why is my download stuck?", username="dee")
    poll_all()
    sign_in(page, desk, "moderator", "triage-every-mention")
    page.click("button[aria-label='Play Twitter - All']")
    page.click("button:has-text('Mark moderated')")
    page.wait_for_selector(".flash.success")
    assert Conversation.objects.get().moderated


def test_a_moderator_approves_an_edited_reply_and_it_reaches_x(desk, browser, customer_tweet):
    from socialdesk.people.models import Profile

    Profile.objects.filter(user__username="contributor").update(replies_need_approval=True)
    customer_tweet("@FirefoxSupport video stutters on youtube", username="kim")
    poll_all()
    contributor = browser.new_page()
    sign_in(contributor, desk)
    contributor.click(QUEUE)
    contributor.fill("#composer textarea", "Turn off hardware acceleration")
    contributor.click("#composer button[name=then][value=none]")
    contributor.wait_for_selector(".flash.success")
    assert OutboundAction.objects.get().state == "approval"

    moderator = browser.new_page()
    sign_in(moderator, desk, "moderator", "triage-every-mention")
    moderator.click("header >> text=Approvals")
    moderator.fill("textarea[name=text]", "Try turning off hardware acceleration in Settings ^CO")
    moderator.click("button:has-text('Approve')")
    moderator.wait_for_selector(".flash.success")
    _leave(contributor, moderator)
    call_command("db_worker", "--batch", "--interval", "0")
    tweet_id = Conversation.objects.get().messages.get(direction="in").platform_id
    assert [r["text"] for r in _sim("/_sim/tweets", in_reply_to=tweet_id)] == [
        "Try turning off hardware acceleration in Settings ^CO"
    ]


def test_filter_panel_and_bulk_close_in_the_browser(desk, page, customer_tweet):
    for i, text in enumerate(["love the new tabs", "great update", "sync broken again"]):
        customer_tweet(f"@FirefoxSupport {text}", username=f"u{i}")
    poll_all()
    sign_in(page, desk)
    page.click("text=Twitter conversations - Moderated")
    page.wait_for_url("**/queues/twitter-conversations-moderated/")
    # The totals arrive just after the list (an htmx fragment).
    page.locator("#queue-summary", has_text="3 conversations match").wait_for()
    page.check("input[name=ids] >> nth=0")
    page.check("input[name=ids] >> nth=1")
    page.select_option("#bulk-close", label="No Need to Reply")
    page.click("#bulk button[name=action][value=close]")
    assert "Done for 2 conversations" in page.locator(".flash.success").inner_text()
    assert (
        Conversation.objects.filter(status="closed", close_reason="no_need_to_reply").count() == 2
    )
    # The panel's counts were counted again after the bulk action: "Closed" is offered.
    page.click("label:has-text('Closed') input")  # submits the filter form
    page.wait_for_url("**status=closed**")
    # Open and closed both ticked now.
    page.locator("#queue-summary", has_text="3 conversations match").wait_for()


def test_a_cm_creates_a_queue_in_the_browser(desk, page):
    sign_in(page, desk, "cm", "escalations-welcome")
    page.click("header >> text=Edit queues")
    page.click("text=New queue")
    page.fill("input[name=name]", "German")
    page.fill("input[name=languages]", "de, 42")
    page.click("button:has-text('Save')")
    assert "Not a language code: 42" in page.locator(".errorlist").inner_text()
    page.fill("input[name=languages]", "de")
    page.click("button:has-text('Save')")
    page.wait_for_selector(".flash.success")
    from socialdesk.queues.models import Queue

    assert Queue.objects.get(slug="german").rules == {"languages": ["de"]}
