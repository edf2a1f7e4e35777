"""What the people pages' browser tests share: the phone and desktop widths, axe, screenshots."""

import os
from pathlib import Path

from socialdesk.web.tests.browser import ARTIFACTS

WIDTHS = {390: 844, 1366: 768}
SHOTS = Path(os.environ.get("SOCIALDESK_SCREENSHOTS") or ARTIFACTS / "screens")


def look_at(page, name: str) -> list[str]:
    """Screenshot the page at a phone's and a laptop's width; return what is wrong with it there
    (sideways scrolling, serious or critical axe violations)."""
    from axe_playwright_python.sync_playwright import Axe

    SHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        scroll = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if scroll[0] > scroll[1]:
            problems.append(f"{name} at {width}px scrolls sideways ({scroll[0]} > {scroll[1]})")
        for v in Axe().run(page).response["violations"]:
            if v["impact"] in ("serious", "critical"):
                problems.append(
                    f"{name} at {width}px: {v['impact']} {v['id']} ({v['help']}) on {[n['target'] for n in v['nodes'][:3]]}"
                )
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    return problems
