"""`bench/queues.py` at a small size, on whichever database the tests use: it must run, its pages
must answer, and the pages must stay within reach of their own SQL (a floor far under what the
full-size runs in docs/performance.md show)."""

import importlib.util
from pathlib import Path

import pytest

# baseline p50 / product p50: the share of a page's time that is its SQL. At this size the SQL is
# cheap and Django's share large (0.01-0.03 for the list and its fragments on SQLite on a busy
# machine, whose statements read a few rows each); the panel counted afresh is mostly SQL. A page
# under this floor would be spending its time outside the database.
RATIO_FLOOR = 0.002
# The bench process's CPU per page (Django, the ORM, the template): 10-31 ms at 3,000
# conversations on SQLite under a load average of 18. A page doing something per row of the
# queue, or rendering a form per row, would pass this.
MAX_CPU_MS = 150
# Statements per page: a count that went back to one statement per value would pass 80.
MAX_STATEMENTS = 40


def _bench():
    path = Path(__file__).resolve().parent.parent / "bench" / "queues.py"
    spec = importlib.util.spec_from_file_location("bench_queues", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# A benchmark with a timing floor: run alone, by `make test-slow`, not beside other tests.
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_queue_pages_benchmark_runs_and_keeps_its_floor():
    bench = _bench()
    seconds, results = bench.bench(1000, repeats=4)
    assert set(results) == {"list", "filtered", "deep", "summary", "panel", "panel counted"}
    for kind, r in results.items():
        assert r["ratio"] >= RATIO_FLOOR, (kind, r)
        assert r["statements"] <= MAX_STATEMENTS, (kind, r)
        assert r["product_cpu_p50"] <= MAX_CPU_MS, (kind, r)
