"""What the browser tests share besides their fixtures (those are in the root conftest.py): where
Chromium is, where screenshots go, and signing in."""

import shutil
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def sign_in(page, base, username="contributor", password="fxhelp-volunteer-2026"):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{base}/")
    page.wait_for_load_state("load")
