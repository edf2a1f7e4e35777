"""One Play cycle through the HTTP API, in process: statements per call and where Python goes.

    createdb sd_bench_api     # a scratch database: the script empties its conversations
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_bench_api .venv/bin/python bench/api_profile.py
    DATABASE_URL=... .venv/bin/python bench/api_profile.py --cycles 200 --profile 25

Fills the table as bench/load.py does (`--size` open, moderated X conversations), gives one
contributor an API token, and plays `--cycles` cycles with Django's test client:
`POST /api/v1/play/next`, then `POST /api/v1/conversations/<id>/reply` with `then=close` — the
same calls the load test's agents make, through the whole Django stack (middleware, TokenAuth,
django-ninja). The HTTP floor's two views (bench/load_floor_urls.py: the same database work as
plain SQL) and a view that only answers "ok" (the Django stack and its middleware alone) take
turns with it, cycle by cycle. It prints the statements of each call (the last cycle's, listed
with `--sql`), and the median wall and CPU time of this process per call (the database's own
CPU is not in it); `--profile N` prints cProfile's top functions of the product's calls, by
cumulative and by own time.
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
    p.add_argument(
        "--product-only",
        action="store_true",
        help="skip the floor's cycle (bench/load_floor_urls.py)",
    )
    p.add_argument("--force", action="store_true", help="a database without 'bench' in its name")
    return p.parse_args(argv)


URLS = {
    "product": ("/api/v1/play/next", {"queue": QUEUE}, "/api/v1/conversations/{}/reply"),
    "floor": ("/_floor/next", {}, "/_floor/reply/{}"),
}


def _timed(call):
    """(answer, wall seconds, this process's CPU seconds) of one call."""
    w, c = time.perf_counter(), time.process_time()
    r = call()
    return r, time.perf_counter() - w, time.process_time() - c


def cycle(client, headers, times=None, side="product"):
    """next, then reply + close; returns the statements of each call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    next_url, next_body, reply_url = URLS[side]
    with CaptureQueriesContext(connection) as nxt:
        r, w_next, c_next = _timed(
            lambda: client.post(next_url, next_body, content_type="application/json", **headers)
        )
    if r.status_code != 200:
        sys.exit(f"{side} next answered {r.status_code}: {r.content[:300]!r}")
    cid = r.json()["id"]
    with CaptureQueriesContext(connection) as rep:
        r, w_reply, c_reply = _timed(
            lambda: client.post(
                reply_url.format(cid), REPLY, content_type="application/json", **headers
            )
        )
    if r.status_code != 201:
        sys.exit(f"{side} reply answered {r.status_code}: {r.content[:300]!r}")
    if times is not None:
        times["next"].append((w_next, c_next))
        times["reply"].append((w_reply, c_reply))
    return nxt.captured_queries, rep.captured_queries


def ping(client, headers, times):
    """The Django stack alone: every middleware, URL resolution, a view that answers "ok"."""
    r, w, c = _timed(lambda: client.get("/_floor/ping", **headers))
    assert r.status_code == 200
    times["ping"].append((w, c))


def median_ms(pairs, i):
    return statistics.median(p[i] for p in pairs) * 1000


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
    sides = ["product"] if args.product_only else ["product", "floor"]
    for side in sides:
        for _ in range(5):  # warm: imports, the deal's statement, the prepared plan
            cycle(client, headers, side=side)
    times = {side: {"next": [], "reply": [], "ping": []} for side in sides}
    queries = {}
    profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU, not wall
    # The sides take turns, cycle by cycle, so a change in the machine's load hits both alike.
    for _ in range(args.cycles):
        for side in sides:
            if profiler and side == "product":
                profiler.enable()
            queries[side] = cycle(client, headers, times[side], side=side)
            if profiler and side == "product":
                profiler.disable()
            ping(client, headers, times[side])
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"{args.cycles} cycles on {engine}; ms per call, median (wall / this process's CPU)")
    for side in sides:
        nxt, rep = queries[side]
        t = times[side]
        for name, key, q in (("next", "next", nxt), ("reply + close", "reply", rep)):
            print(
                f"{side:8} {name:14} {len(q):3d} statements   wall {median_ms(t[key], 0):6.2f}"
                f"   cpu {median_ms(t[key], 1):6.2f}"
            )
            if args.sql:
                for query in q:
                    print("        ", query["sql"][:220])
        cpu = median_ms(t["next"], 1) + median_ms(t["reply"], 1)
        print(f"{side:8} {'cycle':14} {len(nxt) + len(rep):3d} statements   cpu {cpu:6.2f}")
    print(
        f"{'':8} {'ping (stack)':14} {0:3d} statements   wall {median_ms(times['product']['ping'], 0):6.2f}"
        f"   cpu {median_ms(times['product']['ping'], 1):6.2f}"
    )
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(args.profile)
        stats.sort_stats("tottime").print_stats(args.profile)
        print(out.getvalue())
    load.reset()


if __name__ == "__main__":
    # The product's settings plus the floor's two views (bench/load_floor_settings.py).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "load_floor_settings")
    main()
