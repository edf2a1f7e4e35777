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

from ..base import Simulator
from ..faults import FaultInjector
from .oauth import ServiceAccounts
from .server import Api
from .state import DEFAULT_PACKAGE, DEFAULT_TOKEN, PlayState
from .traffic import PlayTrafficGenerator

__all__ = ["GooglePlaySimulator", "DEFAULT_PACKAGE", "DEFAULT_TOKEN"]


class GooglePlaySimulator(Simulator):
    thread_name, server_header = "google-play-sim-http", "ESF"

    def __init__(
        self, seed: int = 1, *, faults: FaultInjector | None = None, rate_limit: int | None = None
    ):
        state = (
            PlayState(seed=seed)
            if rate_limit is None
            else PlayState(seed=seed, rate_limit=rate_limit)
        )
        super().__init__(
            state=state,
            traffic=PlayTrafficGenerator(state, seed=seed),
            faults=faults or FaultInjector(seed=seed),
        )
        # Service accounts, their keys and Google's token endpoint: see .oauth.
        self.oauth = ServiceAccounts()

    def reset(self) -> None:
        super().reset()
        self.oauth.reset()

    def api(self) -> Api:
        return Api(self)
