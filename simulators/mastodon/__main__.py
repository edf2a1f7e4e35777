"""Run the Mastodon simulator: ``python -m simulators.mastodon --port 8703 --rate 3``."""

from __future__ import annotations

import sys

from ..base import main as run
from . import BRAND_ACCOUNTS, MastodonSimulator


def main(argv: list[str] | None = None) -> int:
    return run(
        argv,
        module="simulators.mastodon",
        description="Mastodon instance simulator with a traffic generator.",
        port=8703,
        rate=3.0,
        events="toots",
        make=lambda args, faults: MastodonSimulator(seed=args.seed, faults=faults),
        banner=lambda sim, server: [
            f"Mastodon simulator at {server.base_url}",
            *(f"  @{u} (id {aid}): {token}" for u, aid, _, token in BRAND_ACCOUNTS),
        ],
    )


if __name__ == "__main__":
    sys.exit(main())
