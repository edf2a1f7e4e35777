"""CH7 end to end at CI size, on each platform's simulator: platform faults of every kind and a
worker killed with SIGKILL three times; every customer message stored once, every reply performed
once, counted by the simulator. The full size (10,000 in, 1,000 out) is `bench/faults.py`; its
figures are in docs/reliability.md."""

import importlib.util
import os
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location(
    "bench_faults", Path(__file__).resolve().parents[1] / "bench" / "faults.py"
)
bench_faults = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_faults)


@pytest.mark.slow
@pytest.mark.parametrize("platform", ["twitter", "google_play", "mastodon"])
def test_exactly_once_under_faults_and_sigkill(platform):
    result = bench_faults.run(
        inbound=300,
        outbound=60,
        kills=3,
        share=0.1,
        seed=3,
        platform=platform,
        database_url=os.environ.get("DATABASE_URL"),
        deadline_seconds=600,
        log=lambda *_: None,
    )
    assert result["kills"] == 3
    assert sum(result["faults_injected"].values()) > 0, result
    assert result["inbound_stored"] == result["inbound_distinct"] == 300, result
    assert result["replies_asked"] == 60 and result["actions"] == {"sent": 60}, result
    assert result["replies_on_platform"] == 60 and result["targets_answered_twice"] == 0, result
    assert bench_faults.exactly_once(result)
