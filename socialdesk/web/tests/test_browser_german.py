"""PE6 in a real Chromium: a German-speaking contributor (a browser asking for German, in
Berlin) sees the desk in German — sign-in, the queues, Play, a conversation, settings — and a
reminder typed as 09:00 fires at 09:00 Berlin, not 09:00 UTC. The German pages are screenshot on
a phone and a desktop, and long German words must not widen the phone's page."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from freezegun import freeze_time

from socialdesk.conversations.models import Conversation, Reminder
from socialdesk.ingestion.tests.worker import poll_all
from socialdesk.operations.schedule import JOBS, Scheduler
from socialdesk.people.models import Notification, Profile

from .browser import ARTIFACTS

pytestmark = pytest.mark.browser

BERLIN = ZoneInfo("Europe/Berlin")
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1366, "height": 900}


def _german_page(browser, viewport):
    context = browser.new_context(viewport=viewport, locale="de-DE", timezone_id="Europe/Berlin")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def _sign_in_in_german(page, base):
    page.goto(f"{base}/login/")
    assert page.get_attribute("html", "lang") == "de"
    assert page.inner_text("h1") == "Anmelden"
    page.fill("input[name=username]", "contributor")
    page.fill("input[name=password]", "fxhelp-volunteer-2026")
    page.click("button:has-text('Anmelden')")
    page.wait_for_url(f"{base}/")
    page.wait_for_load_state("load")


def _no_sideways_scroll(page, what):
    overflow = page.evaluate(
        "() => document.scrollingElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"{what}: the page is {overflow}px wider than the phone"


def _run_reminder_job():
    return Scheduler(name="test", jobs=[j for j in JOBS if j.name == "reminders"]).tick()


def test_a_german_contributor_sees_the_desk_in_german_and_a_reminder_fires_at_nine_in_berlin(
    desk, browser, customer_tweet
):
    customer_tweet("@FirefoxSupport Lesezeichen nach dem Update verschwunden", username="jonas")
    poll_all()
    Conversation.objects.update(moderated=True)
    contributor = get_user_model().objects.get(username="contributor")
    ARTIFACTS.mkdir(exist_ok=True)

    context, page = _german_page(browser, DESKTOP)
    _sign_in_in_german(page, desk)
    # The queues, with the counts' plural in German.
    assert page.inner_text("main h1") == "Queues"
    assert "Wartet auf Antwort" in page.inner_text("main table thead")
    assert page.get_attribute("header .me a[href='/settings/']", "title") == "Meine Einstellungen"
    page.screenshot(path=str(ARTIFACTS / "de-home-1366.png"), full_page=True)

    # Play deals the conversation; its page is German around the customer's own words.
    page.goto(f"{desk}/queues/twitter-conversations-moderated/")
    # The totals arrive after the list, as the page's summary fragment.
    summary = page.locator("#queue-summary", has_text="Unterhaltung passt")
    assert "1 Unterhaltung passt; 1 wartet auf eine Antwort." in summary.inner_text()
    page.click("#queue-title ~ form button:has-text('Play')")
    page.wait_for_url(f"{desk}/play/")
    conversation = Conversation.objects.get()
    assert page.inner_text("h1#conversation-title") == "Unterhaltung mit @jonas"
    assert "Du spielst" in page.inner_text(".playbar")
    assert page.inner_text("button.primary[name=then][value=none]") == "Antworten"
    # The composer's JavaScript speaks German too (its sentences come from the page).
    page.fill("#composer textarea[name=text]", "Hallo Jonas")
    assert page.locator("#char-count-said").text_content().endswith(" von 280 Zeichen")
    page.fill("#composer textarea[name=text]", "")
    assert page.locator("h3:has-text('Erinnerung')").count() == 1
    page.screenshot(path=str(ARTIFACTS / "de-conversation-1366.png"), full_page=True)

    # A reminder for 09:00 tomorrow, typed in Berlin's time as the field says.
    tomorrow = (datetime.now(BERLIN) + timedelta(days=1)).date()
    nine = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, tzinfo=BERLIN)
    field = page.locator("input[name=due_at]")
    assert field.get_attribute("aria-label") == "Erinnere mich um (Zeit in Europe/Berlin)"
    field.fill(f"{tomorrow:%Y-%m-%d}T09:00")
    page.fill("input[name=note][placeholder='Warum?']", "Nachfragen, ob es geklappt hat")
    page.click("button:has-text('Erinnere mich')")
    page.wait_for_load_state("load")
    reminder = Reminder.objects.get()
    assert reminder.due_at == nine and reminder.user == contributor
    assert f"⏰ {tomorrow.day}. " in page.inner_text("#options")

    # It fires at 09:00 Berlin: nothing a minute before, the bell at nine. (The page is left
    # first: its timers' requests under the frozen clock would end the session as idle.)
    page.goto("about:blank")
    with freeze_time(nine - timedelta(minutes=1)):
        _run_reminder_job()
    assert not Notification.objects.exists()
    with freeze_time(nine):
        _run_reminder_job()
    assert Notification.objects.get().user == contributor
    page.goto(f"{desk}/")
    assert page.inner_text("header .bell").strip() == "1"
    assert page.get_attribute("header .bell", "aria-label") == "Benachrichtigungen: 1 ungelesen"

    # Settings: German, and the language can be pinned whatever the browser asks for.
    page.goto(f"{desk}/settings/")
    assert page.inner_text("main h1") == "Meine Einstellungen"
    page.screenshot(path=str(ARTIFACTS / "de-settings-1366.png"), full_page=True)
    page.select_option("#id_language", "de")
    page.click("form[action='/settings/language'] button")
    page.wait_for_load_state("load")
    assert Profile.objects.get(user=contributor).language == "de"
    assert "Der Desk wird jetzt in deiner Sprache angezeigt." in page.inner_text("main")
    context.close()

    # On a phone, in German, no page is wider than the screen.
    context, page = _german_page(browser, PHONE)
    _sign_in_in_german(page, desk)
    for path, name in [
        ("/", "home"),
        (f"/c/{conversation.pk}/", "conversation"),
        ("/queues/twitter-conversations-moderated/", "queue"),
        ("/settings/", "settings"),
    ]:
        page.goto(f"{desk}{path}")
        page.wait_for_load_state("load")
        assert page.get_attribute("html", "lang") == "de"
        page.screenshot(path=str(ARTIFACTS / f"de-{name}-390.png"), full_page=True)
        _no_sideways_scroll(page, path)
    context.close()
