"""What the desk's pages say and do, in a real Chromium: the queue list's columns, right-to-left
text, whole emoji, the reason asked in place, the options in reach, and the shortcuts switch."""

import pytest

from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import Conversation, Message

from .browser import sign_in

pytestmark = pytest.mark.browser
QUEUE = "button[aria-label='Play Twitter conversations - Moderated']"
ARABIC = "لا يمكنني مزامنة الإشارات المرجعية بعد التحديث"
HEBREW = "הלקוח כתב בעברית, לבדוק שוב מחר"


def _tweets(*texts, **kwargs):
    from conftest import make_inbound

    ingest([make_inbound(text, handle=f"customer{i}", **kwargs) for i, text in enumerate(texts)])
    return list(Conversation.objects.order_by("pk"))


def test_the_queue_list_shows_what_the_customer_wrote_who_when_and_the_stars(desk, page):
    first, review = _tweets(
        "my bookmarks toolbar is gone\nand more on a second line", "the app crashes on start"
    )
    Message.objects.filter(conversation=first).update(author=first.author)
    first.author.__class__.objects.filter(pk=first.author.pk).update(name="Lena K")
    Conversation.objects.filter(pk=review.pk).update(rating=2)
    sign_in(page, desk)
    page.goto(f"{desk}/queues/twitter-conversations-moderated/")
    row = page.locator("table.conversations tbody tr", has_text="customer0")
    assert "my bookmarks toolbar is gone" in row.locator(".first-line").inner_text()
    assert "second line" not in row.inner_text()  # the first line only
    assert "Lena K" in row.locator("td.customer").inner_text() and "@customer0" in row.inner_text()
    assert "ago" in row.locator("td.age").inner_text()
    stars = page.locator("table.conversations tbody tr", has_text="customer1").locator(".stars")
    assert stars.get_attribute("aria-label") == "2 of 5 stars" and stars.inner_text() == "★★☆☆☆"
    row.locator(".first-line").click()  # the customer's words open the conversation
    page.wait_for_url(f"{desk}/c/{first.pk}/")


def test_right_to_left_text_runs_right_to_left_wherever_it_is_shown(desk, page):
    (c,) = _tweets(ARABIC, lang="ar")
    sign_in(page, desk)
    page.goto(f"{desk}/queues/twitter-conversations-moderated/")
    snippet = page.locator("table.conversations .first-line").first
    # The leading @mention must not turn the customer's Arabic into a left-to-right paragraph.
    assert snippet.get_attribute("dir") == "rtl"
    assert snippet.evaluate("e => getComputedStyle(e).direction") == "rtl"
    page.goto(f"{desk}/c/{c.pk}/")
    text = page.locator("article.msg.in .text")
    assert (
        text.get_attribute("dir") == "rtl"
        and text.evaluate("e => getComputedStyle(e).direction") == "rtl"
    )
    assert (
        page.locator("article.msg.in header [dir=auto]").count() == 2
    )  # the author's name and handle
    for field in (
        "#composer textarea[name=text]",
        ".note-form textarea",
        "#escalate-note",
        "#tag-input",
    ):
        assert page.locator(field).get_attribute("dir") == "auto", field
    page.fill(".note-form textarea", HEBREW)
    page.click(".note-form button")
    page.wait_for_selector(".flash.success")
    note = page.locator("article.note .text")
    assert note.get_attribute("dir") == "rtl" and note.inner_text() == HEBREW
    # An agent typing Hebrew sees it right to left (dir=auto resolves on the value).
    assert page.locator("#composer textarea").evaluate(
        "e => { e.value = 'שלום'; return e.matches(':dir(rtl)') }"
    )


def test_every_emoji_button_is_one_whole_grapheme_and_inserts_it(desk, page):
    (c,) = _tweets("thanks for the fix!")
    sign_in(page, desk)
    page.goto(f"{desk}/c/{c.pk}/")
    buttons = page.locator(".emoji-btn")
    assert buttons.count() == 8
    shapes = page.evaluate("""() => [...document.querySelectorAll('.emoji-btn')].map(b => [
        b.dataset.emoji, b.textContent, [...new Intl.Segmenter().segment(b.dataset.emoji)].length])""")
    for emoji, shown, graphemes in shapes:
        assert emoji and emoji.strip() and shown == emoji and graphemes == 1, (
            emoji,
            shown,
            graphemes,
        )
    page.fill("#composer textarea[name=text]", "")
    page.click(".emoji-btn[title='red heart']")
    assert page.locator("#composer textarea[name=text]").input_value() == "\u2764\ufe0f"


def test_reply_and_close_asks_for_the_reason_in_place(desk, page):
    (c,) = _tweets("videos do not play")
    sign_in(page, desk)
    page.goto(f"{desk}/c/{c.pk}/")
    buttons = page.locator("#composer .reply-buttons")
    before = buttons.bounding_box()
    page.fill("#composer textarea[name=text]", "Could you tell us which site?")
    assert page.locator("#close-ask").is_hidden()
    page.click("button:has-text('Reply + Close')")
    # The reasons open right under the buttons; nothing was sent, nothing was squeezed.
    assert page.locator("#close-ask").is_visible()
    assert page.evaluate("document.activeElement.id") == "id_close_reason"
    assert (
        page.locator("button:has-text('Reply + Close')").get_attribute("aria-expanded") == "true"
    )
    assert buttons.bounding_box() == before
    assert not Message.objects.filter(direction="out").exists()
    page.select_option("#id_close_reason", label="Resolved")
    page.click("#close-ask button[name=then][value=close]")
    page.wait_for_selector(".flash.success")
    c.refresh_from_db()
    assert (c.status, c.close_reason) == ("closed", "resolved")


def test_reply_and_hold_asks_too_and_cancel_folds_it_away(desk, page):
    (c,) = _tweets("sync is broken")
    sign_in(page, desk)
    page.goto(f"{desk}/c/{c.pk}/")
    page.fill("#composer textarea[name=text]", "We are looking into it")
    page.keyboard.press("Control+Shift+Enter")  # Reply + Close from the keyboard asks as well
    assert page.locator("#close-ask").is_visible()
    page.click("#close-ask button:has-text('Cancel')")
    assert page.locator("#close-ask").is_hidden()
    page.click("button:has-text('Reply + Hold')")
    assert page.locator("#hold-ask").is_visible() and page.locator("#close-ask").is_hidden()
    page.select_option("#id_hold_reason", label="Waiting on Customer")
    page.click("button:has-text('Reply + Hold')")  # a reason is chosen: this one sends
    page.wait_for_selector(".flash.success")
    c.refresh_from_db()
    assert (c.status, c.hold_reason) == ("held", "waiting_customer")


def test_without_javascript_the_server_asks_for_the_reason_in_the_same_place(
    client, contributor, conversation
):
    client.force_login(contributor)
    r = client.post(f"/c/{conversation.pk}/reply", {"text": "Here is how", "then": "close"})
    # Back on the conversation's own URL (a reload does not post again), the form as it was sent.
    assert r.status_code == 302 and r["Location"] == f"/c/{conversation.pk}/"
    html = client.get(r["Location"]).content.decode()
    panel = html[html.index('id="close-ask"') : html.index('id="id_close_reason"')]
    assert "hidden" not in panel.split(">")[0] and "Choose one of the closing reasons" in panel
    assert (
        'aria-invalid="true"'
        in html[
            html.index('id="id_close_reason"') - 200 : html.index('id="id_close_reason"') + 200
        ]
    )
    assert not Message.objects.filter(direction="out").exists()


def test_escalate_reminder_and_assign_are_in_reach_beside_a_long_thread(desk, browser):
    from conftest import make_inbound

    ingest(
        [
            make_inbound(
                f"message number {i} " + "with a long story " * 20,
                handle="long",
                author_id="77",
                thread_id="long-thread",
            )
            for i in range(12)
        ]
    )
    c = Conversation.objects.get()
    tab = browser.new_page(viewport={"width": 1366, "height": 768})
    sign_in(tab, desk)
    tab.goto(f"{desk}/c/{c.pk}/")
    assert tab.locator("article.msg").count() == 12
    for selector in (
        "#composer textarea[name=text]",
        "button:has-text('Reply + Close')",
        "#hold-select",
        "#close-select",
        "#escalate > summary",
        "input[name=due_at]",
        "select[name=to]",
    ):
        box = tab.locator(selector).bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 768, (selector, box)
    # Still there after reading down the thread: the column stays in view.
    tab.mouse.wheel(0, 3000)
    tab.wait_for_timeout(200)
    box = tab.locator("#escalate > summary").bounding_box()
    assert 0 <= box["y"] <= 768

    # A phone: the thread, then the composer, then the options folded; Play's options work.
    tab.set_viewport_size({"width": 390, "height": 844})
    tab.goto(f"{desk}/c/{c.pk}/")
    assert (
        tab.locator("article.msg").last.bounding_box()["y"]
        < tab.locator("#composer").bounding_box()["y"]
    )
    assert tab.locator("#hold-select").is_hidden()
    tab.click(".options-disclosure > summary")
    tab.select_option("#hold-select", label="Waiting Internal")
    tab.click("#hold-select ~ button")
    tab.wait_for_selector(".flash.success")
    c.refresh_from_db()
    assert c.hold_reason == "waiting_internal"
    tab.close()


def test_on_a_phone_the_menu_folds_and_sign_out_stays_in_sight(desk, browser):
    tab = browser.new_page(viewport={"width": 390, "height": 844})
    sign_in(tab, desk, "cm", "escalations-welcome")
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390
    assert tab.locator("header.top button:has-text('Sign out')").is_visible()
    assert tab.locator("header.top nav a:has-text('Edit queues')").is_hidden()
    tab.click("header.top .menu > summary")
    tab.click("header.top nav a:has-text('Edit queues')")
    tab.wait_for_url(f"{desk}/manage/queues/")
    tab.close()


def test_single_key_shortcuts_can_be_turned_off_and_on(desk, page):
    from socialdesk.people.models import Profile

    _tweets("where are my passwords?")
    sign_in(page, desk)
    page.keyboard.press("?")
    assert page.locator("#shortcut-help").is_visible()
    page.keyboard.press("Escape")

    page.goto(f"{desk}/settings/")
    page.uncheck("#id_keyboard_shortcuts")
    page.click("button:has-text('Save')")
    page.wait_for_selector(".flash.success")
    assert not Profile.objects.get(user__username="contributor").keyboard_shortcuts
    page.goto(f"{desk}/")
    page.keyboard.press("?")
    page.keyboard.press("p")
    page.wait_for_timeout(300)
    assert (
        page.locator("#shortcut-help").is_hidden() and page.url == f"{desk}/"
    )  # neither key did anything
    page.click(
        "#shortcut-help-button"
    )  # the help is still there for the mouse, and says they are off
    assert "Single-key shortcuts are off" in page.locator("#shortcut-help").inner_text()
    page.click("#shortcut-help [data-close-help]")

    page.goto(f"{desk}/settings/")
    assert not page.locator("#id_keyboard_shortcuts").is_checked()
    page.check("#id_keyboard_shortcuts")
    page.click("button:has-text('Save')")
    page.wait_for_selector(".flash.success")
    page.goto(f"{desk}/")
    page.keyboard.press("p")
    page.wait_for_url(f"{desk}/play/")


def test_filter_labels_fit_and_checkboxes_sit_by_their_labels(desk, browser):
    _tweets("feature request: vertical tabs please", "containing a long account name")
    tab = browser.new_page()
    sign_in(tab, desk)
    measure = """() => [...document.querySelectorAll('.filters label, #bulk label:has(> [name=scope])')].map(l => {
        const box = l.querySelector('input').getBoundingClientRect();
        const text = l.querySelector('.label') || l;
        const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
        const words = [];
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            if (!node.textContent.trim()) continue;
            const range = document.createRange(); range.selectNodeContents(node);
            words.push(...[...range.getClientRects()].filter(r => r.width > 0));
        }
        return {text: l.innerText.trim(), clipped: text.scrollWidth > text.clientWidth + 1,
                gap: words.length ? Math.min(...words.map(r => r.left)) - box.right : 0};
    })"""
    for width in (1024, 1366, 1920):
        tab.set_viewport_size({"width": width, "height": 900})
        tab.goto(f"{desk}/queues/twitter-conversations-moderated/")
        tab.locator(".filters .count").first.wait_for()  # the panel arrives after the list
        labels = tab.evaluate(measure)
        assert len(labels) > 10
        for label in labels:
            assert not label["clipped"], (width, label)
            assert 0 <= label["gap"] <= 16, (width, label)  # the box sits right by its words
    tab.close()
