"""Mastodon instance simulator (notifications, statuses, favourites, boosts), for the demo and the tests.

    from simulators.mastodon import MastodonSimulator
    sim = MastodonSimulator(seed=1)
    server = sim.serve(host="127.0.0.1", port=0)   # daemon thread; server.base_url
    sim.traffic.generate(10)                       # 10 toots mentioning @firefox_support now
    sim.close()

Point Mastodon.py at ``server.base_url`` (api_base_url). Accounts and tokens in :mod:`.state`;
endpoints in :mod:`.server`.
"""

from __future__ import annotations

from ..faults import FaultInjector
from ..http import RunningServer, serve_in_thread
from .server import Api
from .state import BRAND_ACCOUNTS, MastodonState
from .traffic import MastodonTrafficGenerator

__all__ = ["MastodonSimulator", "BRAND_ACCOUNTS"]


class MastodonSimulator:
    def __init__(self, seed: int = 1, *, faults: FaultInjector | None = None, rate_limit: int | None = None):
        self.state = MastodonState() if rate_limit is None else MastodonState(rate_limit=rate_limit)
        self.faults = faults or FaultInjector(seed=seed)
        self.traffic = MastodonTrafficGenerator(self.state, seed=seed)
        self.servers: list[RunningServer] = []

    def serve(self, host: str = "127.0.0.1", port: int = 0, quiet: bool = True) -> RunningServer:
        server = serve_in_thread(Api(self), host, port, quiet=quiet, name="mastodon-sim-http", server_header="Mastodon")
        self.servers.append(server)
        return server

    def reset(self) -> None:
        """Forget everything but the brand accounts; faults and rate limit back to the start configuration."""
        self.traffic.stop()
        self.state.reset()
        self.traffic.reset()
        self.faults.reset()

    def close(self) -> None:
        self.traffic.stop()
        for server in self.servers:
            server.shutdown()
        self.servers.clear()
