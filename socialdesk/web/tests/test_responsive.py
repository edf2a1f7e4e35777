"""The main pages at a phone's, a tablet's and a laptop's width, as each role sees them: no page
scrolls sideways, and axe-core finds no serious or critical accessibility violation.

One browser; each role signs in once and each page is loaded once per width. Screenshots go to
test-artifacts/screens/, or to the folder SOCIALDESK_SCREENSHOTS names (scripts/screenshots.py
points it at docs/screenshots/), as `<page>-<width>.png`.
"""

import os
from pathlib import Path

import pytest

from socialdesk.actions import conversation as actions
from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import Conversation
from socialdesk.ingestion.tests.worker import poll_all

from .browser import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser

WIDTHS = {390: 844, 768: 1024, 1366: 768}
SHOTS = Path(os.environ.get("SOCIALDESK_SCREENSHOTS") or ARTIFACTS / "screens")
ARABIC = "لا يمكنني مزامنة الإشارات المرجعية بعد التحديث، هل من حل؟"


@pytest.fixture
def desk(live_server, transactional_db, play_sim, customer_review):
    """The demo configuration with a little of everything the pages show: a long English tweet on
    two lines, an Arabic one, a two-star Google Play review, a reply waiting for approval, and
    the connectors' poll states."""
    from conftest import make_inbound
    from socialdesk.people.models import Profile
    from tests.factories import demo_configuration

    demo_configuration()
    ingest(
        [
            make_inbound(
                "Since the update my bookmarks toolbar is gone and every pinned tab opened twice\nsecond line",
                handle="lena_k",
            ),
            make_inbound(ARABIC, handle="samir", lang="ar"),
            make_inbound("sync keeps failing on my phone", handle="ines"),
        ]
    )
    customer_review(
        "Keeps crashing every time I open a new tab.",
        stars=2,
        author_name="Jessica Miller",
        device="oriole",
        android_os_version=34,
        app_version_name="126.0",
    )
    poll_all()
    Conversation.objects.update(moderated=True)
    from django.contrib.auth import get_user_model

    contributor = get_user_model().objects.get(username="contributor")
    Profile.objects.filter(user=contributor).update(replies_need_approval=True)
    waiting = Conversation.objects.get(author__handle="ines")
    actions.reply(
        actor=contributor,
        conversation=waiting,
        text="Could you try signing out of sync and in again?",
    )
    Profile.objects.filter(user=contributor).update(replies_need_approval=False)
    return live_server.url


def _pages(base):
    """(name, role, how to get there) for every main page."""
    review = Conversation.objects.get(platform="google_play")
    from socialdesk.queues.models import Queue

    first_queue = Queue.objects.order_by("pk").first()
    return [
        ("login", None, f"{base}/login/"),
        ("home", "contributor", f"{base}/"),
        ("queue", "contributor", f"{base}/queues/twitter-conversations-moderated/"),
        ("play", "contributor", "play"),
        ("settings", "contributor", f"{base}/settings/"),
        ("conversation-review", "moderator", f"{base}/c/{review.pk}/"),
        ("approvals", "moderator", f"{base}/approvals/"),
        ("queue-editor", "cm", f"{base}/manage/queues/{first_queue.pk}/"),
        ("health", "admin", f"{base}/manage/health/"),
    ]


PASSWORDS = {
    "contributor": "fxhelp-volunteer-2026",
    "moderator": "triage-every-mention",
    "cm": "escalations-welcome",
    "admin": "connect-the-accounts",
}


def _problems(page, axe, name, width):
    problems = []
    overflow = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if overflow[0] > overflow[1]:
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + [...e.classList].join('.'))""")
        problems.append(
            f"{name} at {width}px scrolls sideways ({overflow[0]} > {overflow[1]}): {wide}"
        )
    results = axe.run(page)
    for v in results.response["violations"]:
        if v["impact"] in ("serious", "critical"):
            targets = [n["target"] for n in v["nodes"][:3]]
            problems.append(
                f"{name} at {width}px: {v['impact']} {v['id']} ({v['help']}) on {targets}"
            )
    return problems


def test_main_pages_fit_a_phone_a_tablet_and_a_laptop_and_pass_axe(desk, browser):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    SHOTS.mkdir(parents=True, exist_ok=True)
    pages = _pages(desk)
    tabs = {}
    for role in dict.fromkeys(role for _, role, _ in pages):
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        if role:
            sign_in(tab, desk, role, PASSWORDS[role])
        tabs[role] = tab
    play_url = None
    problems = []
    for width, height in WIDTHS.items():
        for name, role, url in pages:
            tab = tabs[role]
            tab.set_viewport_size({"width": width, "height": height})
            if url == "play":
                if play_url is None:  # Play deals once; a reload shows the same conversation
                    tab.goto(f"{desk}/")
                    tab.click("button[aria-label='Play Twitter conversations - Moderated']")
                    tab.wait_for_selector("#composer")
                    play_url = tab.url
                else:
                    tab.goto(play_url)
            else:
                tab.goto(url)
            tab.wait_for_load_state("load")
            problems += _problems(tab, axe, name, width)
            tab.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    for tab in tabs.values():
        tab.context.close()
    assert not problems, "\n".join(problems)
