"""How long a person-written tag-rule pattern takes on one message, as the text grows.

Run from the repository root:

    .venv/bin/python bench/patterns.py
    .venv/bin/python bench/patterns.py --pattern '(x+x+)+y' --repeat 20

The text is n a's and a b, the worst case of the default `(a+)+$` on a backtracking engine
(about 2ⁿ steps: hours from n ≈ 40). Tag rules run on RE2 (`socialdesk.triage.patterns`), whose
time is at most linear in the text: the time per thousand characters should not grow from a
tweet's length to a megabyte (it falls for `$`-anchored patterns, which RE2 may match from the
end; a run here: 0.003 ms at 280 and 5,000 characters, 0.058 ms at 1,000,000). The tests only check that the pattern is accepted and finishes
(`socialdesk/triage/tests/test_patterns.py`); the time is measured here, not asserted there.
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--pattern", default="(a+)+$")
    p.add_argument("--repeat", type=int, default=5, help="best of this many runs per length")
    args = p.parse_args()
    from socialdesk.triage import patterns

    patterns.compile_pattern(args.pattern)  # compiled once, as a worker keeps it
    print(f"pattern {args.pattern!r}, text 'a' * n + 'b', best of {args.repeat}")
    print(f"{'n':>10} {'ms':>10} {'µs per 1,000 chars':>20}")
    for n in (280, 5_000, 100_000, 1_000_000):
        text = "a" * n + "b"
        best = float("inf")
        for _ in range(args.repeat):
            started = time.perf_counter()
            patterns.search(args.pattern, text)
            best = min(best, time.perf_counter() - started)
        print(f"{n:>10,} {best * 1000:>10.3f} {best * 1e9 / (n + 1):>20.2f}")


if __name__ == "__main__":
    main()
