"""Run the Twitter/X API v2 simulator: ``python -m simulators.twitter --port 8701 --rate 6``."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from ..faults import add_cli_arguments, injector_from_args
from . import TwitterSimulator
from .accounts import APP_ONLY_TOKEN, BRAND_ACCOUNTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulators.twitter",
                                     description="Twitter/X API v2 simulator with a traffic generator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8701)
    parser.add_argument("--rate", type=float, default=6.0,
                        help="generated customer tweets per minute (0: none)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate-limit", type=int, default=10_000,
                        help="requests per token and endpoint per 15 minutes")
    parser.add_argument("--initial", type=int, default=0, help="customer tweets to generate at start")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    add_cli_arguments(parser)
    args = parser.parse_args(argv)

    done = threading.Event()  # set by SIGINT/SIGTERM, installed before anything starts

    def stop(signum, frame):
        done.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    sim = TwitterSimulator(seed=args.seed, rate_limit=args.rate_limit, faults=injector_from_args(args))
    if args.initial:
        sim.generate(args.initial)
    server = sim.serve(args.host, args.port, quiet=not args.verbose)
    if args.rate > 0:
        sim.start_traffic(args.rate)

    print(f"Twitter/X API v2 simulator at {server.base_url}", flush=True)
    print(f"  app-only token: {APP_ONLY_TOKEN}", flush=True)
    for acc in BRAND_ACCOUNTS:
        print(f"  @{acc.username} (id {acc.id}, {acc.language}): {acc.token}", flush=True)
    print(f"  traffic: {args.rate:g}/minute, seed {args.seed}; state at {server.base_url}/_sim/state",
          flush=True)

    while not done.wait(0.5):
        pass
    sim.close()
    print("simulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
