"""`bench/search.py` at a small size, on whichever database the tests use: it must run, every
query must find what the fill put there, and a search must stay within reach of its own SQL."""

import importlib.util
from pathlib import Path

import pytest

# At this size a search is mostly Python (the ORM, visibility, the snippets); on a busy machine
# far slower than its SQL. A search a hundred times over this would be doing something per row.
MAX_P95_SECONDS = 1.0


def _bench():
    path = Path(__file__).resolve().parent.parent / "bench" / "search.py"
    spec = importlib.util.spec_from_file_location("bench_search", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.django_db(transaction=True)
def test_the_search_benchmark_runs_and_finds():
    bench = _bench()
    seconds, r = bench.bench(2000, repeats=2)
    kinds = r["kinds"]
    assert set(kinds) == {
        "rare",
        "medium",
        "common",
        "two words",
        "german",
        "handle",
        "number",
        "common+open",
        "common+de",
        "medium+mastodon",
        "german+held",
    }
    for kind in ("common", "german", "handle", "number", "common+open", "common+de"):
        assert kinds[kind]["found"]["bench-cm"] >= 1, (kind, kinds[kind])
    # A filter keeps part of what the word alone finds.
    for kind, word in (("common+open", "common"), ("common+de", "common")):
        assert kinds[kind]["found"]["bench-cm"] <= kinds[word]["found"]["bench-cm"]
    # The contributor sees no more than the community manager.
    for k in kinds.values():
        assert k["found"]["bench-contributor"] <= k["found"]["bench-cm"]
    assert 0 < r["baseline_p95"] and r["product_p95"] < MAX_P95_SECONDS
