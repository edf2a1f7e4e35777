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

from ..base import Simulator
from ..faults import FaultInjector
from .oauth import MastodonOAuth
from .server import Api
from .state import BRAND_ACCOUNTS, MastodonState
from .traffic import MastodonTrafficGenerator

__all__ = ["MastodonSimulator", "BRAND_ACCOUNTS"]


class MastodonSimulator(Simulator):
    thread_name, server_header = "mastodon-sim-http", "Mastodon"

    def __init__(
        self, seed: int = 1, *, faults: FaultInjector | None = None, rate_limit: int | None = None
    ):
        state = MastodonState() if rate_limit is None else MastodonState(rate_limit=rate_limit)
        super().__init__(
            state=state,
            traffic=MastodonTrafficGenerator(state, seed=seed),
            faults=faults or FaultInjector(seed=seed),
        )
        # Apps, the authorize page and scoped tokens: see .oauth.
        self.oauth = MastodonOAuth()

    def reset(self) -> None:
        super().reset()
        self.oauth.reset()

    def api(self) -> Api:
        return Api(self)
