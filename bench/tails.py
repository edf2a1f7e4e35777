"""What the slowest calls of a benchmark run coincided with: the tools behind `--trace`.

A p99 over a few hundred calls is decided by a handful of them, so the benchmarks that report
one (`bench/dealing.py`, `bench/load.py`) can record each call with the wall-clock time it began
and set the slowest ones beside what else happened at that moment:

* `GcTimer`: every collection of Python's cyclic garbage collector in this process (start,
  duration, generation), through `gc.callbacks`;
* `PgWatch`: a thread sampling PostgreSQL every few milliseconds on a connection of its own:
  this database's backends waiting on something (a lock, I/O, the WAL), autovacuum workers and
  the checkpointer at work (anything but waiting for its next checkpoint), and the
  checkpoint and background-writer counters before and after;
* `report`: the N slowest calls, each with the collections, waits, autovacuum and checkpoint
  samples that overlapped it, and how often each cause overlapped the slow calls against all
  calls.

Every clock is `time.time()` (wall time), so server logs with wall-clock timestamps line up.
"""

from __future__ import annotations

import gc
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Event:
    """Something that took time while calls were running: [start, end] in wall-clock seconds."""

    start: float
    end: float
    kind: str  # "gc", "wait", "autovacuum", "checkpoint", ...
    what: str = ""
    pid: str = ""  # set: only calls served by this process (Call.extra["pid"]) count it

    @property
    def ms(self) -> float:
        return (self.end - self.start) * 1000


class GcTimer:
    """Times every collection of the cyclic garbage collector in this process (all threads)."""

    def __init__(self, label: str = "gc"):
        self.label = label
        self.events: list[Event] = []
        self._started: dict[int, float] = {}

    def _callback(self, phase, info):
        now = time.time()
        key = threading.get_ident()
        if phase == "start":
            self._started[key] = now
        else:
            began = self._started.pop(key, now)
            self.events.append(
                Event(
                    began,
                    now,
                    self.label,
                    f"gen{info['generation']} collected {info['collected']}",
                )
            )

    def __enter__(self):
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc):
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)

    def summary(self) -> str:
        if not self.events:
            return f"{self.label}: no collection"
        by_gen: dict[str, list[float]] = {}
        for e in self.events:
            by_gen.setdefault(e.what.split()[0], []).append(e.ms)
        return f"{self.label}: " + ", ".join(
            f"{gen} x{len(ms)} (max {max(ms):.1f} ms, total {sum(ms):.0f} ms)"
            for gen, ms in sorted(by_gen.items())
        )


_SAMPLE = """
SELECT pid, backend_type, coalesce(wait_event_type, ''), coalesce(wait_event, ''),
       datname = current_database(), left(coalesce(query, ''), 60)
FROM pg_stat_activity
WHERE pid <> pg_backend_pid()
  AND (
    (datname = current_database() AND state = 'active' AND wait_event_type IS NOT NULL
     AND wait_event_type <> 'Client')
    OR backend_type = 'autovacuum worker'
    OR (backend_type = 'checkpointer' AND coalesce(wait_event, '') <> 'CheckpointerMain')
  )
"""
_COUNTERS = "SELECT checkpoints_timed, checkpoints_req, buffers_checkpoint, buffers_backend, buffers_backend_fsync FROM pg_stat_bgwriter"


class PgWatch:
    """Samples PostgreSQL every `interval` seconds on its own connection while in use."""

    def __init__(self, connect, interval: float = 0.01):
        self.connect = connect  # () -> a psycopg connection in autocommit
        self.interval = interval
        self.events: list[Event] = []
        self.samples = 0
        self.counters: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self):
        self._conn = self.connect()
        self._before = self._read_counters()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        after = self._read_counters()
        self.counters = {k: after[k] - self._before[k] for k in after}
        self._conn.close()

    def _read_counters(self) -> dict:
        cur = self._conn.execute(_COUNTERS)
        names = [d.name for d in cur.description]
        return dict(zip(names, cur.fetchone(), strict=True))

    def _run(self):
        open_: dict[tuple, Event] = {}
        while not self._stop.is_set():
            t = time.time()
            try:
                rows = self._conn.execute(_SAMPLE).fetchall()
            except Exception:  # noqa: BLE001 - a sampler must not stop the run
                break
            self.samples += 1
            seen = set()
            for pid, backend, wtype, wevent, ours, query in rows:
                if backend == "autovacuum worker":
                    key, kind, what = (pid, "autovacuum"), "autovacuum", query
                elif backend == "checkpointer":
                    key, kind, what = (pid, "checkpoint"), "checkpoint", wevent or "running"
                elif ours:
                    key, kind, what = (pid, wtype, wevent), "wait", f"{wtype}:{wevent} {query}"
                else:
                    continue
                seen.add(key)
                if key in open_:
                    open_[key].end = t + self.interval
                else:
                    open_[key] = Event(t, t + self.interval, kind, what)
                    self.events.append(open_[key])
            for key in list(open_):
                if key not in seen:
                    del open_[key]
            self._stop.wait(self.interval)

    def summary(self) -> str:
        kinds: dict[str, int] = {}
        for e in self.events:
            kinds[e.kind] = kinds.get(e.kind, 0) + 1
        seen = ", ".join(f"{k} x{n}" for k, n in sorted(kinds.items())) or "nothing"
        c = self.counters
        return (
            f"postgres: {self.samples} samples, seen {seen}; checkpoints timed +{c.get('checkpoints_timed', 0)} "
            f"requested +{c.get('checkpoints_req', 0)}, buffers written by backends +{c.get('buffers_backend', 0)} "
            f"(fsync +{c.get('buffers_backend_fsync', 0)})"
        )


@dataclass
class Call:
    """One timed call: began at `start` (wall clock), took `seconds`."""

    start: float
    seconds: float
    who: str = ""  # agent, worker process...
    nth: int = 0  # the how-many-th call of its agent (1: the first on its connection)
    extra: dict = field(default_factory=dict)

    @property
    def end(self) -> float:
        return self.start + self.seconds


def overlapping(call: Call, events: list[Event]) -> list[Event]:
    pid = str(call.extra.get("pid", ""))
    return [
        e
        for e in events
        if e.start < call.end and e.end > call.start and (not e.pid or e.pid == pid)
    ]


def report(calls: list[Call], events: list[Event], *, top: int = 8, over_ms: float = 10.0):
    """Lines describing the slowest calls and what overlapped them."""
    if not calls:
        return ["no call"]
    slow = sorted(calls, key=lambda c: c.seconds, reverse=True)
    over = [c for c in calls if c.seconds * 1000 > over_ms]
    lines = [f"{len(over)} of {len(calls)} calls over {over_ms:g} ms; slowest:"]
    for c in slow[:top]:
        # The longest of each kind first: a checkpoint or a collection says more than the
        # hundredth sampled wait of another agent.
        near, seen = [], set()
        for e in sorted(overlapping(c, events), key=lambda e: e.ms, reverse=True):
            if e.kind not in seen:
                seen.add(e.kind)
                near.append(e)
        what = "; ".join(f"{e.kind} {' '.join(e.what.split())} {e.ms:.1f} ms" for e in near) or "-"
        extra = " ".join(f"{k}={v}" for k, v in c.extra.items())
        lines.append(
            f"  {time.strftime('%H:%M:%S', time.gmtime(c.start))}.{int(c.start % 1 * 1000):03d} "
            f"{c.seconds * 1000:7.1f} ms  {c.who} call #{c.nth} {extra}  overlapping: {what}"
        )
    # How often each kind of event overlapped a slow call, against the calls as a whole.
    kinds = sorted({e.kind for e in events})
    for kind in kinds:
        of_kind = [e for e in events if e.kind == kind]
        hit_slow = sum(1 for c in over if overlapping(c, of_kind))
        hit_all = sum(1 for c in calls if overlapping(c, of_kind))
        lines.append(
            f"  {kind}: overlapped {hit_slow} of {len(over)} calls over {over_ms:g} ms, "
            f"{hit_all} of {len(calls)} calls in all"
        )
    firsts = [c for c in over if c.nth == 1]
    if over:
        lines.append(f"  first call of its agent: {len(firsts)} of {len(over)} slow calls")
    return lines
