"""What the Google Play and Mastodon simulators share: the simulator object, the background
traffic thread, the ``/_sim/`` control endpoints every simulator has, and the command line.

A platform brings its state (with ``reset()``, ``summary()``, ``lock`` and ``rate_limit``), its
traffic (``generate(n)``), its ``Api`` (routes and the platform's error shapes) and a banner.
"""

from __future__ import annotations

import argparse
import random
import signal
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from .faults import FaultConfigError, FaultInjector, add_cli_arguments, injector_from_args
from .http import ApiError, Route, RunningServer, serve_in_thread


def _bad(message: str) -> ApiError:
    return ApiError(400, {"error": message})


class Simulator(ABC):
    """The in-memory platform, its traffic generator, its fault mode and (once served) its HTTP servers."""

    thread_name = "sim-http"
    server_header = "sim"

    def __init__(self, *, state, traffic, faults: FaultInjector):
        self.state, self.traffic, self.faults = state, traffic, faults
        self.servers: list[RunningServer] = []

    @abstractmethod
    def api(self):
        """The platform's ``Api`` for this simulator (see simulators.http)."""

    def serve(self, host: str = "127.0.0.1", port: int = 0, quiet: bool = True) -> RunningServer:
        """Start the HTTP server in a daemon thread; returns it (``.base_url``, ``.shutdown()``)."""
        server = serve_in_thread(
            self.api(),
            host,
            port,
            quiet=quiet,
            name=self.thread_name,
            server_header=self.server_header,
        )
        self.servers.append(server)
        return server

    def reset(self) -> None:
        """Forget what customers and clients did; faults and rate limit back to the start configuration."""
        self.traffic.stop()
        self.state.reset()
        self.traffic.reset()
        self.faults.reset()

    def close(self) -> None:
        self.traffic.stop()
        for server in self.servers:
            server.shutdown()
        self.servers.clear()


class BackgroundTraffic(ABC):
    """Customer events at random moments (a Poisson process of ``rate`` a minute) in a daemon thread.

    Subclasses make the events: ``generate(n)`` makes ``n`` right now, from ``self.random``.
    """

    thread_name = "traffic"

    def __init__(self, *, seed: int = 1):
        self._seed = seed
        self.rate = 0.0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.reset()

    def reset(self) -> None:
        self.random = random.Random(self._seed)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @abstractmethod
    def generate(self, n: int) -> list[dict[str, Any]]:
        """Make ``n`` customer events right now; returns them."""

    def start(self, rate_per_minute: float) -> None:
        self.stop()
        self.rate = float(rate_per_minute)
        self._stop = threading.Event()
        stop = self._stop

        def run():
            while not stop.wait(self.random.expovariate(self.rate / 60.0)):
                try:
                    self.generate(1)
                except Exception:  # noqa: BLE001 - the generator must not die in the demo
                    time.sleep(1)

        self._thread = threading.Thread(target=run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._thread = None
        self.rate = 0.0


class SimControl:
    """The control endpoints every simulator's ``Api`` has under ``/_sim/``; needs ``sim``, ``state``
    and ``faults``. ``rate_limit_unit`` says what the platform's ``rate_limit`` counts."""

    rate_limit_unit = "requests per token"

    def control_routes(self) -> list[Route]:
        return [
            Route("POST", "/_sim/generate", self.sim_generate),
            Route("POST", "/_sim/traffic", self.sim_traffic),
            Route("POST", "/_sim/config", self.sim_config),
            Route("POST", "/_sim/reset", self.sim_reset),
        ]

    def sim_generate(self, req):
        n = req.form().get("n", 1)
        if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= 10_000:
            raise _bad("`n` must be an integer between 0 and 10000.")
        return 201, {"data": self.sim.traffic.generate(n)}

    def sim_traffic(self, req):
        rate = req.form().get("rate_per_minute")
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate <= 6000:
            raise _bad(
                "`rate_per_minute` must be a number between 0 and 6000 (0 stops the generator)."
            )
        if rate == 0:
            self.sim.traffic.stop()
        else:
            self.sim.traffic.start(rate)
        return 200, {"data": {"rate_per_minute": rate, "running": rate > 0}}

    def sim_config(self, req):
        body = req.form()
        unknown = set(body) - {"faults", "seed", "rate_limit"}
        if unknown:
            raise _bad(
                f"Unknown setting(s): {', '.join(sorted(unknown))}; known: faults, seed, rate_limit."
            )
        rate_limit = body.get("rate_limit")
        if rate_limit is not None and (
            not isinstance(rate_limit, int) or isinstance(rate_limit, bool) or rate_limit < 0
        ):
            raise _bad(f"`rate_limit` must be a non-negative integer ({self.rate_limit_unit}).")
        if body.get("faults") is not None and not isinstance(body["faults"], dict):
            raise _bad('`faults` must be an object, e.g. {"share": 0.1, "kinds": ["503"]}.')
        try:
            self.faults.configure(body.get("faults"), seed=body.get("seed"))
        except FaultConfigError as exc:
            raise _bad(str(exc)) from None
        if rate_limit is not None:
            with self.state.lock:
                self.state.rate_limit = rate_limit
        return 200, {**self.state.summary(), "faults": self.faults.summary()}

    def sim_reset(self, req):
        self.sim.reset()
        return 200, {"data": {"reset": True}}


def main(
    argv: list[str] | None,
    *,
    module: str,
    description: str,
    port: int,
    rate: float,
    events: str,
    make: Callable[[argparse.Namespace, FaultInjector], Any],
    banner: Callable[[Any, RunningServer], list[str]],
    extra_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
) -> int:
    """A simulator's command line: serve until SIGINT or SIGTERM, with generated traffic."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument(
        "--rate", type=float, default=rate, help=f"generated {events} per minute (0: none)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--initial", type=int, default=0, help=f"{events} to generate at start")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    if extra_arguments:
        extra_arguments(parser)
    add_cli_arguments(parser)
    args = parser.parse_args(argv)

    done = threading.Event()  # set by SIGINT/SIGTERM, installed before anything starts
    signal.signal(signal.SIGINT, lambda *_: done.set())
    signal.signal(signal.SIGTERM, lambda *_: done.set())

    sim = make(args, injector_from_args(args))
    if args.initial:
        sim.traffic.generate(args.initial)
    server = sim.serve(args.host, args.port, quiet=not args.verbose)
    if args.rate > 0:
        sim.traffic.start(args.rate)
    for line in banner(sim, server):
        print(line, flush=True)
    print(
        f"  traffic: {args.rate:g}/minute, seed {args.seed}; faults: {sim.faults.summary()['share']:g} of requests; "
        f"state at {server.base_url}/_sim/state",
        flush=True,
    )
    while not done.wait(0.5):
        pass
    sim.close()
    print("simulator stopped", flush=True)
    return 0
