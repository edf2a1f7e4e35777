"""A small run of the Play Mode dealing benchmark (`bench/dealing.py`) on the test database.

It fails if the benchmark crashes (e.g. its fill no longer matches the schema), if any
conversation is dealt twice, or if the product path falls below a floor well under the goal
of docs/performance.md (half the raw claims/s): a regression of the deal shows here first.
"""

import importlib.util
from pathlib import Path

import pytest
from django.db import connection

BENCH = Path(__file__).resolve().parent.parent / "bench" / "dealing.py"
# The goal is 0.5 of the raw claim's deals/s; the floor leaves room for a busy CI machine. On
# SQLite the raw claim is a few microseconds of C while the deal also writes its activity entry,
# so a loaded machine (which slows the Python side most) pushes the ratio lower there.
FLOORS = {"postgresql": 0.15, "sqlite": 0.08}


def _bench():
    spec = importlib.util.spec_from_file_location("bench_dealing", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# A benchmark with a timing floor: run alone, by `make test-slow`, not beside other tests.
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_dealing_benchmark_runs_deals_nothing_twice_and_keeps_up_with_the_raw_claim():
    FLOOR = FLOORS.get(connection.vendor, 0.15)
    bench = _bench()
    bench.prepare()
    # SQLite takes one writer at a time (and the test database is in memory): one agent there.
    agents = 8 if connection.vendor == "postgresql" else 1
    agent_ids = bench.make_agents(agents)
    bench.fill(3_000, agent_ids=agent_ids)
    best = 0.0
    for _ in range(2):  # a second try when a busy machine spoiled the first
        runs = bench.run_pair(agents=agents, agent_ids=agent_ids, seconds=1.5)
        product, baseline = runs["product"], runs["baseline"]
        assert product.deals > 0 and baseline.deals > 0
        best = max(best, product.rate / baseline.rate)
        print(
            f"{connection.vendor}: product {product.rate:.0f} deals/s, raw claim {baseline.rate:.0f} deals/s, {product.rate / baseline.rate:.2f}"
        )
        if best >= FLOOR:
            break
    assert best >= FLOOR, (
        f"deal_next runs at {best:.2f} of the raw claim's deals/s (floor {FLOOR}, goal 0.5): "
        f"{product.rate:.0f} against {baseline.rate:.0f} deals/s"
    )
