"""Fault mode shared by every simulator: a configurable share of platform API requests goes wrong.

    POST /_sim/config {"faults": {"share": 0.1, "kinds": ["429", "500", "503", "timeout",
                                  "drop_after_commit", "malformed"], "timeout_seconds": 35,
                                  "methods": ["POST"]},
                       "seed": 1}

or ``--fault-share 0.1 --fault-kinds 429,503 --fault-seed 1`` on a simulator's command line.
Each platform request (never a ``/_sim/`` one) draws once; with the same seed and the same
sequence of requests the same requests fail. ``methods`` narrows the draw to requests of those
HTTP methods (all by default): ``["POST"]`` fails the writes and lets the reads before them through,
e.g. the look-up a connector makes before it posts. The kinds:

``429``                answered 429 with Retry-After and the platform's rate-limit headers; nothing done
``500`` / ``503``      answered with that status; nothing done
``timeout``            the answer is held back ``timeout_seconds`` (past the client's time-out), then
                       the request is performed and answered as usual, to nobody
``drop_after_commit``  the request is performed, then the connection is closed without an answer
``malformed``          the request is performed and answered 200 with a body that is not JSON

So ``timeout``, ``drop_after_commit`` and ``malformed`` leave the client not knowing whether a
write happened: the case exactly-once delivery must get right. ``counts`` says how many of
each were injected; the simulators' ``/_sim/`` write logs say what was really performed.
"""

from __future__ import annotations

import random
import threading
from typing import Any

KINDS = ("429", "500", "503", "timeout", "drop_after_commit", "malformed")
# Kinds after which the platform has acted although the client saw no answer.
PERFORMED_KINDS = ("timeout", "drop_after_commit", "malformed")
DEFAULT_TIMEOUT_SECONDS = 35.0
RETRY_AFTER_SECONDS = 2


class FaultConfigError(ValueError):
    pass


class FaultInjector:
    """Thread-safe: decides, per platform request, whether and how it fails."""

    def __init__(
        self,
        share: float = 0.0,
        kinds: tuple[str, ...] | list[str] = KINDS,
        seed: int | None = None,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        retry_after: int = RETRY_AFTER_SECONDS,
    ):
        self._lock = threading.Lock()
        self._initial = dict(
            share=share,
            kinds=tuple(kinds),
            seed=seed,
            timeout_seconds=timeout_seconds,
            retry_after=retry_after,
            methods=(),
        )
        self.reset()

    def reset(self) -> None:
        """Back to the start configuration, counts emptied."""
        with self._lock:
            self._apply(**self._initial)
            self.counts: dict[str, int] = {k: 0 for k in KINDS}
            self.requests = 0

    def _apply(self, *, share, kinds, seed, timeout_seconds, retry_after, methods=()) -> None:
        self.methods = tuple(methods)
        self.share = float(share)
        self.kinds = tuple(kinds)
        self.seed = seed
        self.timeout_seconds = float(timeout_seconds)
        self.retry_after = int(retry_after)
        self._random = random.Random(seed)

    def configure(self, faults: dict[str, Any] | None = None, seed: int | None = None) -> None:
        """Validate then apply a ``/_sim/config`` body's ``faults`` (and ``seed``); raises FaultConfigError."""
        faults = dict(faults or {})
        unknown = set(faults) - {"share", "kinds", "timeout_seconds", "retry_after", "methods"}
        if unknown:
            raise FaultConfigError(
                f"Unknown fault setting(s): {', '.join(sorted(unknown))}; "
                "known: share, kinds, timeout_seconds, retry_after, methods."
            )
        share = faults.get("share", self.share)
        if not isinstance(share, (int, float)) or isinstance(share, bool) or not 0 <= share <= 1:
            raise FaultConfigError(
                "`faults.share` must be a number from 0 to 1 (0.1: one request in ten)."
            )
        kinds = faults.get("kinds", list(self.kinds))
        if not isinstance(kinds, list) or not kinds or any(k not in KINDS for k in kinds):
            raise FaultConfigError(
                f"`faults.kinds` must be a non-empty list of: {', '.join(KINDS)}."
            )
        timeout_seconds = faults.get("timeout_seconds", self.timeout_seconds)
        if (
            not isinstance(timeout_seconds, (int, float))
            or isinstance(timeout_seconds, bool)
            or not 0 <= timeout_seconds <= 600
        ):
            raise FaultConfigError(
                "`faults.timeout_seconds` must be a number of seconds from 0 to 600."
            )
        retry_after = faults.get("retry_after", self.retry_after)
        if (
            not isinstance(retry_after, int)
            or isinstance(retry_after, bool)
            or not 0 <= retry_after <= 3600
        ):
            raise FaultConfigError("`faults.retry_after` must be whole seconds from 0 to 3600.")
        methods = faults.get("methods", list(self.methods))
        if not isinstance(methods, list) or any(
            m not in ("GET", "POST", "PUT", "PATCH", "DELETE") for m in methods
        ):
            raise FaultConfigError(
                "`faults.methods` must be a list of HTTP methods (GET, POST, PUT, PATCH, DELETE); empty: all."
            )
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise FaultConfigError("`seed` must be an integer.")
        with self._lock:
            self._apply(
                share=share,
                kinds=tuple(kinds),
                seed=self.seed if seed is None else seed,
                timeout_seconds=timeout_seconds,
                retry_after=retry_after,
                methods=tuple(methods),
            )

    def draw(self, method: str = "") -> str | None:
        """The fault for the next platform request (of this HTTP method), or None."""
        with self._lock:
            self.requests += 1
            if self.methods and method not in self.methods:
                return None
            if self.share <= 0 or self._random.random() >= self.share:
                return None
            kind = self._random.choice(self.kinds)
            self.counts[kind] += 1
            return kind

    def summary(self) -> dict[str, Any]:
        with self._lock:
            return {
                "share": self.share,
                "kinds": list(self.kinds),
                "seed": self.seed,
                "timeout_seconds": self.timeout_seconds,
                "retry_after": self.retry_after,
                "methods": list(self.methods),
                "requests": self.requests,
                "injected": dict(self.counts),
            }


def add_cli_arguments(parser) -> None:
    """The fault mode's command-line flags, the same for every simulator."""
    parser.add_argument(
        "--fault-share",
        type=float,
        default=0.0,
        help="share of platform requests that fail (0 to 1; default 0: none)",
    )
    parser.add_argument(
        "--fault-kinds",
        default=",".join(KINDS),
        help=f"comma-separated fault kinds (default all: {','.join(KINDS)})",
    )
    parser.add_argument("--fault-seed", type=int, default=None, help="seed of the fault draw")
    parser.add_argument(
        "--fault-timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        help="seconds a 'timeout' fault holds the answer back",
    )


def injector_from_args(args) -> FaultInjector:
    injector = FaultInjector()
    injector.configure(
        {
            "share": args.fault_share,
            "kinds": [k.strip() for k in args.fault_kinds.split(",") if k.strip()],
            "timeout_seconds": args.fault_timeout,
        },
        seed=args.fault_seed,
    )
    # What the command line asked for is also what /_sim/reset goes back to.
    injector._initial = dict(
        share=injector.share,
        kinds=injector.kinds,
        seed=injector.seed,
        timeout_seconds=injector.timeout_seconds,
        retry_after=injector.retry_after,
        methods=(),
    )
    return injector
