"""bench/tails.py: what the slowest calls of a run coincided with (`--trace` of the dealing and
load benchmarks)."""

import gc
import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "tails.py"


def _tails():
    spec = importlib.util.spec_from_file_location("bench_tails", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_the_slowest_calls_are_set_beside_what_overlapped_them():
    tails = _tails()
    calls = [tails.Call(100.0 + i, 0.002, who=f"agent {i}", nth=2) for i in range(50)]
    calls.append(tails.Call(200.0, 0.080, who="agent 7", nth=1, extra={"pid": "11"}))
    events = [
        tails.Event(200.01, 200.05, "gc", "gen2 collected 0"),
        tails.Event(200.02, 200.03, "server gc", "gen2", pid="12"),  # another worker's
        tails.Event(300.0, 301.0, "checkpoint", "running"),  # after every call
    ]
    lines = tails.report(calls, events, over_ms=10)
    assert lines[0] == "1 of 51 calls over 10 ms; slowest:"
    assert "80.0 ms  agent 7 call #1" in lines[1] and "gc gen2 collected 0 40.0 ms" in lines[1]
    assert "server gc" not in lines[1]
    summary = "\n".join(lines)
    assert "gc: overlapped 1 of 1 calls over 10 ms, 1 of 51 calls in all" in summary
    assert "checkpoint: overlapped 0 of 1 calls over 10 ms, 0 of 51 calls in all" in summary
    assert "first call of its agent: 1 of 1 slow calls" in summary


def test_the_collector_timer_sees_a_collection_in_this_process():
    tails = _tails()
    with tails.GcTimer() as timer:
        gc.collect()
    assert any(e.what.startswith("gen2") and e.end >= e.start for e in timer.events)
    assert "gen2 x" in timer.summary()
    assert timer._callback not in gc.callbacks
