"""Queue pages at size: the list page and filtered pages with counts, against their SQL alone.

Run from the repository root, against a scratch database (its conversations are emptied):

    createdb sd_queues_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_queues_bench .venv/bin/python bench/queues.py --sizes 10000,100000,1000000
    .venv/bin/python bench/queues.py --sizes 5000 --repeats 10          # SQLite, a temporary database

For each size N the conversations table is filled with N conversations spread the way a desk's
are (platforms, brand accounts, statuses, languages, types, sentiments, tags, priorities, star
ratings; one customer message each), then three kinds of page are timed as a contributor sees
them, through Django's test client (middleware, view, ORM, template):

* list:     the "Twitter conversations - Moderated" queue, first page, with its counts;
* filtered: the same queue narrowed by one of three filters in turn (language; tag + sentiment;
            type + language over two statuses), with its counts;
* deep:     the tenth page of the list, reached by following "Next" nine times;
* summary, panel, panel counted: the page's htmx fragments (its totals; the left panel with its
            counts as kept a while, and counted afresh), for the list's and each filter's query.

The baseline runs, for each page, the very SQL statements the page ran (captured once), sent on
the same database connection through the driver's own cursor, without Django: the floor of the
page's database work. p50/p95 are over --repeats requests per page kind, product and baseline
alternating in the same run.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import desk_fill  # noqa: E402  (the desk the benchmarks share)
from desk_fill import fill  # noqa: E402

QUEUE = "twitter-conversations-moderated"
FILTERS = [
    "?language=de",
    "?tag=crash&sentiment=negative",
    "?type=support_request&language=en&status=open&status=held",
]


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--sizes", default="10000,100000,1000000", help="comma-separated numbers of conversations"
    )
    p.add_argument(
        "--repeats", type=int, default=60, help="requests per page kind and side (default 60)"
    )
    desk_fill.scratch_arguments(
        p, reuse_help="keep the conversations of an earlier run of the same size and seed"
    )
    p.add_argument(
        "--code",
        help="measure the desk in this checkout instead (e.g. a worktree of the commit before a change)",
    )
    return p.parse_args(argv)


def setup_django(args):
    desk_fill.setup_django("bench/queues.py", args)
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    prepare()


def prepare():
    """The demo configuration and a contributor to look at the queue (idempotent)."""
    from django.contrib.auth import get_user_model

    from socialdesk.demo.seed import load_demo_configuration
    from socialdesk.people.models import Profile, Role

    load_demo_configuration()
    user, _ = get_user_model().objects.get_or_create(username="bench-queues")
    Profile.objects.update_or_create(user=user, defaults={"role": Role.CONTRIBUTOR})
    return user


def page_urls(client):
    """The URLs of each page kind; the deep page is found by following "Next" from the list.

    A desk whose queue page fetches its totals and left panel apart (htmx fragments) has those
    timed too, for the list's and the filtered pages' queries: "summary" (the totals), "panel"
    (the panel as an agent paging through the queue gets it, its counts kept a while) and
    "panel counted" (its counts counted afresh on every request, as on the first view).
    """
    import re

    base = f"/queues/{QUEUE}/"
    url = base
    fragments = f"{base}summary" in client.get(base).content.decode()
    for _ in range(9):
        html = client.get(url).content.decode()
        found = re.search(r'href="([^"]*after=[^"]*)" rel="next"', html)
        if not found:
            break
        url = base + found.group(1).replace("&amp;", "&")
    urls = {"list": [base], "filtered": [base + f for f in FILTERS], "deep": [url]}
    if fragments:
        queries = ["", *FILTERS]
        for kind, path in (
            ("summary", "summary"),
            ("panel", "panel"),
            ("panel counted", "panel"),
        ):
            urls[kind] = [base + path + q for q in queries]
    return urls


def _forget_counts(kind):
    """Before each request of "panel counted": the panel's kept counts are dropped."""
    if kind == "panel counted":
        from socialdesk.queues.selectors import forget_facet_counts

        forget_facet_counts()


def captured_sql(client, url, kind=""):
    """The statements the page runs, as sent to the database."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _forget_counts(kind)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return [
        q["sql"]
        for q in ctx.captured_queries
        if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN", "COMMIT"))
    ]


def measure(client, urls, *, repeats):
    """p50/p95 in ms of each page kind, product and baseline alternating; and statements per page."""
    from django.db import connection

    statements = {
        (kind, url): captured_sql(client, url, kind) for kind in urls for url in urls[kind]
    }
    raw = (
        connection.connection
    )  # the driver's own connection: no Django between the SQL and the database
    out = {}
    for kind, kind_urls in urls.items():
        product, baseline, cpu = [], [], []
        for url in kind_urls:  # the counts kept as a desk in use has them (none, if counted)
            _forget_counts(kind)
            client.get(url)
        for i in range(repeats):
            url = kind_urls[i % len(kind_urls)]
            _forget_counts(kind)
            t, c = time.perf_counter(), time.process_time()
            response = client.get(url)
            product.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            assert response.status_code == 200, (url, response.status_code)
            t = time.perf_counter()
            replay(raw, statements[(kind, url)])
            baseline.append(time.perf_counter() - t)
        out[kind] = {
            "product_p50": _pct(product, 50),
            "product_p95": _pct(product, 95),
            "baseline_p50": _pct(baseline, 50),
            "baseline_p95": _pct(baseline, 95),
            "statements": statistics.mean(len(statements[(kind, u)]) for u in kind_urls),
            # The bench process's own CPU per page (Django, the ORM, the template): on a shared
            # machine wall times include waiting for a core; this does not.
            "product_cpu_p50": _pct(cpu, 50),
        }
        out[kind]["ratio"] = out[kind]["baseline_p50"] / out[kind]["product_p50"]
    return out


def replay(raw, statements):
    """Run the statements through the driver, in one transaction on PostgreSQL (a SET LOCAL among
    them holds until its end, as in the page)."""
    if hasattr(raw, "transaction"):  # psycopg
        with raw.transaction(), raw.cursor() as cur:
            for sql in statements:
                cur.execute(sql)
                if cur.description is not None:
                    cur.fetchall()
    else:
        cur = raw.cursor()
        for sql in statements:
            cur.execute(sql)
            cur.fetchall()
        cur.close()


def _pct(values, p):
    values = sorted(values)
    return 1000 * values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def bench(n, *, repeats, seed=11, reuse=False):
    """Fill, then measure every page kind; returns (fill seconds, results)."""
    from django.test import Client

    from socialdesk.conversations.models import Conversation

    user = prepare()
    filled = (
        reuse
        and Conversation.objects.count() == n
        and Conversation.objects.filter(thread_key=f"bench-{n}").exists()
    )
    seconds = 0.0 if filled else fill(n, seed=seed)
    client = Client()
    client.force_login(user)
    urls = page_urls(client)
    for kind_urls in urls.values():  # warm the caches once, as a desk in use has them
        for url in kind_urls:
            client.get(url)
    return seconds, measure(client, urls, repeats=repeats)


def main(argv=None):
    args = parse_args(argv)
    if args.code:
        sys.path.insert(0, str(Path(args.code).resolve()))
    setup_django(args)
    import socialdesk

    print(f"code: {Path(socialdesk.__file__).resolve().parent.parent}", file=sys.stderr)
    from django.db import connection

    print(f"database: {connection.vendor}; {args.repeats} requests per page kind and side")
    print(
        f"load average at start: {' / '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores"
    )
    print(
        "| conversations | page | product p50 ms | product p95 ms | product CPU p50 ms | baseline p50 ms | baseline p95 ms | baseline / product (p50) | statements |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for n in [int(x.replace("_", "")) for x in args.sizes.split(",") if x.strip()]:
        seconds, results = bench(n, repeats=args.repeats, seed=args.seed, reuse=args.reuse)
        for kind, r in results.items():
            print(
                f"| {n:,} | {kind} | {r['product_p50']:.1f} | {r['product_p95']:.1f} | {r['product_cpu_p50']:.1f} | {r['baseline_p50']:.1f} | "
                f"{r['baseline_p95']:.1f} | {r['ratio']:.2f} | {r['statements']:.0f} |",
                flush=True,
            )
        print(
            f"(filled {n:,} conversations in {seconds:.0f} s; load average now {os.getloadavg()[0]:.1f})",
            file=sys.stderr,
            flush=True,
        )


if __name__ == "__main__":
    main()
