"""Google Play Developer API simulator (androidpublisher v3 reviews), for the demo and the tests.

    from simulators.google_play import GooglePlaySimulator
    sim = GooglePlaySimulator(seed=1)
    server = sim.serve(host="127.0.0.1", port=0)   # daemon thread; server.base_url
    sim.traffic.generate(20)                       # 20 reviews (and edits) right now
    sim.traffic.start(6)                           # or 6 a minute in the background
    sim.close()

Point google-api-python-client at ``server.base_url`` (client_options api_endpoint). The app is
``org.mozilla.firefox``, the access token ``sim-token-google-play``; endpoints in :mod:`.server`.
"""

from __future__ import annotations

from ..faults import FaultInjector
from ..http import RunningServer, serve_in_thread
from .server import Api
from .state import DEFAULT_PACKAGE, DEFAULT_TOKEN, PlayState
from .traffic import PlayTrafficGenerator

__all__ = ["GooglePlaySimulator", "DEFAULT_PACKAGE", "DEFAULT_TOKEN"]


class GooglePlaySimulator:
    def __init__(self, seed: int = 1, *, faults: FaultInjector | None = None, rate_limit: int | None = None):
        self.state = PlayState(seed=seed) if rate_limit is None else PlayState(seed=seed, rate_limit=rate_limit)
        self.faults = faults or FaultInjector(seed=seed)
        self.traffic = PlayTrafficGenerator(self.state, seed=seed)
        self.servers: list[RunningServer] = []

    def serve(self, host: str = "127.0.0.1", port: int = 0, quiet: bool = True) -> RunningServer:
        server = serve_in_thread(Api(self), host, port, quiet=quiet, name="google-play-sim-http", server_header="ESF")
        self.servers.append(server)
        return server

    def reset(self) -> None:
        """Forget every review and reply; faults and rate limit back to the start configuration."""
        self.traffic.stop()
        self.state.reset()
        self.traffic.reset()
        self.faults.reset()

    def close(self) -> None:
        self.traffic.stop()
        for server in self.servers:
            server.shutdown()
        self.servers.clear()
