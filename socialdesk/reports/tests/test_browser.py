"""The reports in a real Chromium: open each one, change the range, download the CSV, look at the
charts at a laptop's and a phone's width (screenshots), and let axe-core check the pages."""

import csv
import io
import os
from pathlib import Path

import pytest

from conftest import make_inbound
from socialdesk.web.tests.browser import ARTIFACTS, sign_in
from socialdesk.web.tests.test_responsive import _problems

from .history import build

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("SOCIALDESK_SCREENSHOTS") or ARTIFACTS / "screens")


@pytest.fixture
def desk(live_server, transactional_db, agents):
    build(agents, make_inbound)
    return live_server.url


def _show(page, start: str, end: str):
    page.fill("input[name=start]", start)
    page.fill("input[name=end]", end)
    page.click("form.report-range button:has-text('Show')")
    page.wait_for_load_state("load")


def _download(page, selector: str) -> list[list[str]]:
    with page.expect_download() as info:
        page.click(selector)
    path = info.value.path()
    return list(csv.reader(io.StringIO(Path(path).read_text(encoding="utf-8"))))


def test_a_community_manager_reads_each_report_changes_the_range_and_downloads_csv(desk, browser):
    from axe_playwright_python.sync_playwright import Axe

    axe, problems = Axe(), []
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, desk, "cm", "escalations-welcome")
    page.click("nav[aria-label=Main] a:has-text('Reports')")
    page.click("main a:has-text('Response times and time in Play Mode')")

    # The default range (the last 7 days) holds none of the 2026-03 history; the chosen one does.
    _show(page, "2026-03-02", "2026-03-03")
    table = page.locator("table.report").first.inner_text()
    assert (
        "27 min 30 s" in table and "Twitter conversations - Moderated" in table
    )  # first response mean 1650 s
    assert "Sessions left open" in page.locator(".play-note").inner_text()
    rows = _download(page, "form.report-range a:has-text('Download CSV')")
    assert rows[1][:6] == ["all", "All", "4", "1650.0", "1650.0", "3000.0"]
    problems += _problems(page, axe, "reports-response-times", 1366)
    page.screenshot(path=str(SHOTS / "reports-response-times-1366.png"), full_page=True)
    _show(page, "2026-03-03", "2026-03-03")
    assert _download(page, "form.report-range a:has-text('Download CSV')")[1][:3] == [
        "all",
        "All",
        "1",
    ]

    page.click("nav[aria-label=Reports] a:has-text('Volumes')")
    _show(page, "2026-03-02", "2026-03-03")
    assert "6 conversations opened and 3 closed" in page.locator("main").inner_text()
    assert page.locator("svg#chart-per-day rect").count() >= 4
    rows = _download(page, "form.report-range a:has-text('Download CSV')")
    assert ["Close reason", "Resolved", "1"] in rows
    # Narrowing to a queue keeps the range.
    page.select_option("select[name=queue]", "escalation")
    page.click("form.report-filter button:has-text('Narrow')")
    page.wait_for_load_state("load")
    assert "1 conversation opened and 0 closed in Escalation" in page.locator("main").inner_text()
    page.select_option("select[name=queue]", "")
    page.click("form.report-filter button:has-text('Narrow')")
    page.wait_for_load_state("load")
    for width, height in ((1366, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        problems += _problems(page, axe, "reports-volumes", width)
        page.screenshot(path=str(SHOTS / f"reports-volumes-{width}.png"), full_page=True)
        page.locator("#by-close-reason").screenshot(
            path=str(SHOTS / f"reports-chart-close-reason-{width}.png")
        )
    page.set_viewport_size({"width": 1366, "height": 768})

    page.click("nav[aria-label=Reports] a:has-text('Recognition')")
    _show(page, "2026-03-02", "2026-03-03")
    assert ["contributor", "3", "1", "1", "0"] in _download(
        page, "form.report-range a:has-text('Download CSV')"
    )
    problems += _problems(page, axe, "reports-recognition", 1366)
    page.screenshot(path=str(SHOTS / "reports-recognition-1366.png"), full_page=True)

    page.click("nav[aria-label=Reports] a:has-text('Today')")
    assert page.locator("#backlog").inner_text().isdigit()
    problems += _problems(page, axe, "reports-dashboard", 1366)
    page.screenshot(path=str(SHOTS / "reports-dashboard-1366.png"), full_page=True)
    context.close()
    assert not problems, "\n".join(problems)


def test_a_contributor_reads_only_their_own_figures_on_a_phone(desk, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, desk)
    page.goto(f"{desk}/reports/response-times/")
    _show(page, "2026-03-02", "2026-03-03")
    text = page.locator("main").inner_text()
    assert "Response times: yours" in text and "moderator" not in text
    assert "Volumes" not in page.locator("nav[aria-label=Reports]").inner_text()
    page.screenshot(path=str(SHOTS / "reports-response-times-390.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()
