"""Twitter/X API v2 simulator: the endpoints and JSON shapes tweepy's v2 ``Client`` uses.

    from simulators.twitter import TwitterSimulator
    sim = TwitterSimulator(seed=1, rate_limit=10000)
    server = sim.serve(host="127.0.0.1", port=0)   # daemon thread; server.base_url
    sim.start_traffic(rate_per_minute=6)           # background customer tweets
    sim.traffic.generate(20)                       # or 20 right now
    ...
    sim.stop_traffic(); server.shutdown()

Point a client at ``server.base_url`` instead of https://api.twitter.com. Tokens are in
:mod:`.accounts`; endpoint details in :mod:`.server`; search syntax in :mod:`.query`.
"""

from __future__ import annotations

from ..faults import FaultInjector
from .accounts import APP_ONLY_TOKEN, BRAND_ACCOUNTS, token_for
from .media import MediaStore
from .oauth import OAuthServer
from .server import RunningServer, serve_in_thread
from .state import DEFAULT_RATE_LIMIT, PlatformState
from .traffic import TrafficGenerator

__all__ = [
    "TwitterSimulator",
    "APP_ONLY_TOKEN",
    "BRAND_ACCOUNTS",
    "token_for",
    "PlatformState",
    "TrafficGenerator",
    "RunningServer",
]


class TwitterSimulator:
    """The in-memory platform, its traffic generator and (once served) its HTTP server."""

    def __init__(
        self,
        seed: int = 1,
        rate_limit: int = DEFAULT_RATE_LIMIT,
        rate_limits: dict[str, int] | None = None,
        faults: FaultInjector | None = None,
    ):
        self.seed = seed
        # The shared fault mode (a share of /2/ requests fails; see simulators.faults), beside
        # the scheduled error_next / lose_response_next faults of PlatformState.
        self.faults = faults or FaultInjector(seed=seed)
        self.state = PlatformState(rate_limit=rate_limit, rate_limits=rate_limits)
        self.traffic = TrafficGenerator(self.state, seed=seed)
        self.media = MediaStore()
        # OAuth 2.0 (PKCE, expiring tokens, single-use refresh tokens) and OAuth 1.0a: see .oauth.
        self.oauth = OAuthServer()
        self.servers: list[RunningServer] = []

    def serve(self, host: str = "127.0.0.1", port: int = 0, quiet: bool = True) -> RunningServer:
        """Start the HTTP server in a daemon thread; returns it (``.base_url``, ``.shutdown()``)."""
        server = serve_in_thread(self, host, port, quiet=quiet)
        self.servers.append(server)
        return server

    def start_traffic(self, rate_per_minute: float = 6) -> None:
        self.traffic.start(rate_per_minute)

    def stop_traffic(self) -> None:
        self.traffic.stop()

    def generate(self, n: int) -> list[dict]:
        """Make ``n`` customer tweets right now."""
        return self.traffic.generate(n)

    def reset(self) -> None:
        """Forget every tweet, user action and upload; faults back to the start configuration."""
        self.stop_traffic()
        self.state.reset()
        self.oauth.reset()
        self.media.reset()
        self.traffic.reset()
        self.faults.reset()

    def close(self) -> None:
        self.stop_traffic()
        for server in self.servers:
            server.shutdown()
        self.servers.clear()
