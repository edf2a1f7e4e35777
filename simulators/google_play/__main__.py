"""Run the Google Play Developer API simulator: ``python -m simulators.google_play --port 8702 --rate 4``."""

from __future__ import annotations

import sys

from ..base import main as run
from . import DEFAULT_PACKAGE, DEFAULT_TOKEN, GooglePlaySimulator


def main(argv: list[str] | None = None) -> int:
    return run(
        argv,
        module="simulators.google_play",
        description="Google Play Developer API (reviews) simulator with a traffic generator.",
        port=8702,
        rate=4.0,
        events="reviews (and edits)",
        make=lambda args, faults: GooglePlaySimulator(seed=args.seed, faults=faults),
        banner=lambda sim, server: [
            f"Google Play Developer API simulator at {server.base_url}",
            f"  app {DEFAULT_PACKAGE}, access token {DEFAULT_TOKEN}",
        ],
    )


if __name__ == "__main__":
    sys.exit(main())
