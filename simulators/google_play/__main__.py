"""Run the Google Play Developer API simulator: ``python -m simulators.google_play --port 8702 --rate 4``."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from ..faults import add_cli_arguments, injector_from_args
from . import DEFAULT_PACKAGE, DEFAULT_TOKEN, GooglePlaySimulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulators.google_play",
                                     description="Google Play Developer API (reviews) simulator with a traffic generator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8702)
    parser.add_argument("--rate", type=float, default=4.0, help="generated reviews (and edits) per minute (0: none)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--initial", type=int, default=0, help="reviews to generate at start")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    add_cli_arguments(parser)
    args = parser.parse_args(argv)

    done = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: done.set())
    signal.signal(signal.SIGTERM, lambda *_: done.set())

    sim = GooglePlaySimulator(seed=args.seed, faults=injector_from_args(args))
    if args.initial:
        sim.traffic.generate(args.initial)
    server = sim.serve(args.host, args.port, quiet=not args.verbose)
    if args.rate > 0:
        sim.traffic.start(args.rate)
    print(f"Google Play Developer API simulator at {server.base_url}", flush=True)
    print(f"  app {DEFAULT_PACKAGE}, access token {DEFAULT_TOKEN}", flush=True)
    print(f"  traffic: {args.rate:g}/minute, seed {args.seed}; faults: {sim.faults.summary()['share']:g} of requests; "
          f"state at {server.base_url}/_sim/state", flush=True)
    while not done.wait(0.5):
        pass
    sim.close()
    print("simulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
