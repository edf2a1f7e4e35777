"""One Play cycle through the HTTP API, in process: statements per call and where Python goes.

    createdb sd_bench_api     # a scratch database: the script empties its conversations
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_bench_api .venv/bin/python bench/api_profile.py
    DATABASE_URL=... .venv/bin/python bench/api_profile.py --cycles 200 --profile 25

Fills the table as bench/load.py does (`--size` open, moderated X conversations), gives one
contributor an API token, and plays `--cycles` cycles with Django's test client:
`POST /api/v1/play/next`, then `POST /api/v1/conversations/<id>/reply` with `then=close` — the
same calls the load test's agents make, through the whole Django stack (middleware, TokenAuth,
django-ninja). It prints the statements of each call (the last cycle's, listed with `--sql`),
and the wall time per call; `--profile N` prints cProfile's top functions by cumulative time.
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import load  # noqa: E402 - bench/load.py: the same fill and agents

QUEUE = load.QUEUE
REPLY = {
    "text": "Thanks for writing in: Firefox keeps your tabs under History > Recently closed tabs.",
    "then": "close",
    "close_reason": "resolved",
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--size", type=int, default=2000, help="conversations (default 2000)")
    p.add_argument("--cycles", type=int, default=100, help="cycles timed (default 100)")
    p.add_argument("--profile", type=int, default=0, help="print the top N functions of cProfile")
    p.add_argument("--sql", action="store_true", help="list the last cycle's statements")
    p.add_argument("--force", action="store_true", help="a database without 'bench' in its name")
    return p.parse_args(argv)


def cycle(client, headers, times=None):
    """next, then reply + close; returns the statements of each call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as nxt:
        t = time.perf_counter()
        r = client.post(
            "/api/v1/play/next", {"queue": QUEUE}, content_type="application/json", **headers
        )
        t_next = time.perf_counter() - t
    if r.status_code != 200:
        sys.exit(f"play/next answered {r.status_code}: {r.content[:300]!r}")
    cid = r.json()["id"]
    with CaptureQueriesContext(connection) as rep:
        t = time.perf_counter()
        r = client.post(
            f"/api/v1/conversations/{cid}/reply", REPLY, content_type="application/json", **headers
        )
        t_reply = time.perf_counter() - t
    if r.status_code != 201:
        sys.exit(f"reply answered {r.status_code}: {r.content[:300]!r}")
    if times is not None:
        times["next"].append(t_next)
        times["reply"].append(t_reply)
    return nxt.captured_queries, rep.captured_queries


def main(argv=None):
    args = parse_args(argv)
    load.setup_django(args)
    from django.conf import settings
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    load.fill(args.size)
    (_, token), *_ = load.make_agents(1)
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    for _ in range(5):  # warm: imports, the deal's statement, the prepared plan
        cycle(client, headers)
    times = {"next": [], "reply": []}
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    for _ in range(args.cycles):
        nxt, rep = cycle(client, headers, times)
    if profiler:
        profiler.disable()
    print(f"{args.cycles} cycles on {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
    for name, queries in (("play/next", nxt), ("reply + close", rep)):
        t = times["next" if name == "play/next" else "reply"]
        print(
            f"{name:14} {len(queries):3d} statements   median {statistics.median(t) * 1000:6.2f} ms"
            f"   mean {statistics.fmean(t) * 1000:6.2f} ms"
        )
        if args.sql:
            for q in queries:
                print("    ", q["sql"][:220])
    print(f"cycle          {len(nxt) + len(rep):3d} statements")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.profile)
        print(out.getvalue())
    load.reset()


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialdesk.settings")
    main()
