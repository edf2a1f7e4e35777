"""A queue longer than a page, in a real Chromium: "Next" walks it without a row twice, and the
page says where its counts stopped, on a laptop and on a phone."""

import pytest

from socialdesk.web.tests.browser import sign_in
from socialdesk.web.tests.test_responsive import SHOTS, _problems

from .test_queue_pages import _make

pytestmark = pytest.mark.browser
QUEUE = "twitter-conversations-moderated"


def test_a_long_queue_pages_with_next_and_says_its_counts_stopped(desk, browser, settings):
    from axe_playwright_python.sync_playwright import Axe

    settings.SOCIALDESK_COUNT_CAP = 100
    settings.SOCIALDESK_FACET_COUNT_CAP = 20
    _make(
        130,
        priority=lambda i: 10 if i % 5 == 0 else 0,
        language=lambda i: ("en", "en", "de", "fr")[i % 4],
    )
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    sign_in(tab, desk)
    axe, problems, seen = Axe(), [], []
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in {1366: 768, 390: 844}.items():
        tab.set_viewport_size({"width": width, "height": height})
        tab.goto(f"{desk}/queues/{QUEUE}/")
        # The totals and the panel arrive after the list, each in its own request.
        hint = tab.locator("#queue-summary", has_text="match").inner_text()
        assert "100+ conversations match" in hint and "Counts stop at 100" in hint
        assert tab.locator("button.primary", has_text="Play").inner_text().endswith("(100+)")
        if width < 768:
            tab.locator("aside summary").click()  # folded on a phone
        # The panel is its own request: wait for it rather than read it as the list arrives.
        tab.locator("aside .count", has_text="20+").first.wait_for(state="visible")
        assert "each stops at 20" in tab.locator("aside .counts-as-of").inner_text()
        problems += _problems(tab, axe, "queue-long", width)
        tab.screenshot(path=str(SHOTS / f"queue-long-{width}.png"), full_page=True)
    seen = []
    while True:
        seen += tab.locator("#bulk input[name=ids]").evaluate_all(
            "boxes => boxes.map(b => Number(b.value))"
        )
        following = tab.locator("a[rel=next]")
        if not following.count():
            break
        following.click()
        tab.wait_for_load_state("load")
        assert tab.locator("nav.pager a", has_text="First page").is_visible()
    assert len(seen) == 130 and len(set(seen)) == 130
    context.close()
    assert not problems, "\n".join(problems)
