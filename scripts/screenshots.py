"""Take the documentation's screenshots: the main pages at a phone's, a tablet's and a laptop's width.

    .venv/bin/python scripts/screenshots.py

Runs the browser test that checks those pages (socialdesk/web/tests/test_responsive.py: no
sideways scrolling, no serious accessibility violation) with its screenshots pointed at
docs/screenshots/, named `<page>-<width>.png` (390, 768 and 1366 px). The pages show the test's
data: a long tweet, an Arabic one, a two-star Google Play review and a reply waiting for approval.
Look at them before committing.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SOCIALDESK_SCREENSHOTS": str(OUT)}
    tests = ["socialdesk/web/tests/test_responsive.py", "socialdesk/people/tests/"]
    status = subprocess.call(
        [sys.executable, "-m", "pytest", *tests, "-m", "browser", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
    )
    print(f"Screenshots in {OUT}")
    return status


if __name__ == "__main__":
    sys.exit(main())
