"""Triage throughput on one core: `socialdesk triage`-style classification of JSON lines.

Run from the repository root:

    .venv/bin/python bench/triage.py                 # 10,000 lines
    .venv/bin/python bench/triage.py --lines 50000
    .venv/bin/python bench/triage.py --follow-ups 0     # no line carries earlier messages

The lines are built from the project's seed set (socialdesk/triage/training/seed_types.csv),
each made unique; authors vary (about 1% celebrities); --follow-ups of them (20% by default)
carry two earlier messages of their conversation as "context", which triage reads with them
(a second model run for those whose own words leave it unsure). The timed part is the command's own
loop (`socialdesk.triage.management.commands.triage.run`): parse each line, classify in batches
of 500 with the built-in configuration, write one JSON line per input. Models are loaded
before timing (a process loads them once). The process is pinned to one core where the OS allows.
"""

import argparse
import io
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--lines", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--follow-ups", type=float, default=0.2)
    args = p.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from socialdesk.triage.classify import TriageConfig, TriageInput, classify_batch
    from socialdesk.triage.management.commands.triage import run
    from socialdesk.triage.training.datasets import seed_types

    rng = random.Random(args.seed)
    texts = [r["text"] for r in seed_types()]
    lines = []
    for i in range(args.lines):
        author = {
            "followers": rng.randint(150_000, 900_000)
            if rng.random() < 0.01
            else rng.randint(0, 5_000),
            "verified": rng.random() < 0.005,
        }
        line = {"id": i, "text": f"@FirefoxSupport {rng.choice(texts)} ({i})", "author": author}
        if rng.random() < args.follow_ups:
            line["context"] = [rng.choice(texts), rng.choice(texts)]
        lines.append(json.dumps(line) + "\n")
    classify_batch([TriageInput("warm up the models")])
    out = io.StringIO()
    t, cpu = time.perf_counter(), time.process_time()
    ok, errors = run(lines, out, TriageConfig())
    busy, cpu = time.perf_counter() - t, time.process_time() - cpu
    assert ok == args.lines and errors == 0, (ok, errors)
    print(
        f"socialdesk triage, one core: {ok:,} lines in {busy:.2f}s = {ok / busy:,.0f} messages/s; "
        f"{cpu / ok * 1000:.3f} ms of CPU per message ({args.follow_ups:.0%} follow-ups)"
    )


if __name__ == "__main__":
    main()
