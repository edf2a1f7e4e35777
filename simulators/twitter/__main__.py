"""Run the Twitter/X API v2 simulator: ``python -m simulators.twitter --port 8701 --rate 6``."""

from __future__ import annotations

import sys

from ..base import main as run
from . import TwitterSimulator
from .accounts import APP_ONLY_TOKEN, BRAND_ACCOUNTS


def banner(sim, server) -> list[str]:
    return [
        f"Twitter/X API v2 simulator at {server.base_url}",
        f"  app-only token: {APP_ONLY_TOKEN}",
        *(
            f"  @{acc.username} (id {acc.id}, {acc.language}): {acc.token}"
            for acc in BRAND_ACCOUNTS
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    return run(
        argv,
        module="simulators.twitter",
        description="Twitter/X API v2 simulator with a traffic generator.",
        port=8701,
        rate=6.0,
        events="customer tweets",
        banner=banner,
        make=lambda args, faults: TwitterSimulator(
            seed=args.seed, rate_limit=args.rate_limit, faults=faults
        ),
        extra_arguments=lambda p: p.add_argument(
            "--rate-limit",
            type=int,
            default=10_000,
            help="requests per token and endpoint per 15 minutes",
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
