"""Take the documentation's screenshots from a running demo (`make demo` in another terminal).

    .venv/bin/python scripts/screenshots.py [http://127.0.0.1:8000]

Writes docs/screenshots/*.png: the queue list, a queue with its filters, the Play view and a
conversation, each as the demo's contributor or moderator sees it.
"""

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1366, "height": 900})

        def sign_in(username, password):
            page.goto(f"{BASE}/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", password)
            page.click("button:has-text('Sign in')")
            page.wait_for_load_state("load")

        sign_in("contributor", "demo-contributor")
        page.screenshot(path=str(OUT / "queues.png"), full_page=True)
        page.goto(f"{BASE}/queues/twitter-conversations-moderated/")
        page.screenshot(path=str(OUT / "queue-with-filters.png"), full_page=True)
        page.goto(f"{BASE}/")
        page.click("button[aria-label='Play Twitter conversations - Moderated']")
        page.wait_for_load_state("load")
        page.wait_for_timeout(500)
        page.screenshot(path=str(OUT / "play.png"), full_page=True)
        page.keyboard.press("?")
        page.screenshot(path=str(OUT / "shortcuts.png"))
        page.keyboard.press("Escape")
        page.click(".playbar form[action$='/play/stop'] button")
        page.context.clear_cookies()
        sign_in("moderator", "demo-moderator")
        for queue in ("twitter-all", "google-play-low-rating", "twitter-conversations-moderated"):
            page.goto(f"{BASE}/queues/{queue}/")
            link = page.locator("table.list td a").first
            if link.count():
                link.click()
                page.wait_for_load_state("load")
                page.screenshot(path=str(OUT / "conversation.png"), full_page=True)
                break
        browser.close()
    print(f"Screenshots in {OUT}")


if __name__ == "__main__":
    main()
