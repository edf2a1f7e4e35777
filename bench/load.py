"""HTTP load test: N agents play (next, then reply + close) through the API against a real server.

    createdb sd_bench_load                 # a scratch database: the script empties its conversations
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_bench_load .venv/bin/python bench/load.py
    DATABASE_URL=... .venv/bin/python bench/load.py --sizes 10000,100000 --server gunicorn-gthread --workers 4
    DATABASE_URL=sqlite:////tmp/bench/db.sqlite3 .venv/bin/python bench/load.py --sizes 500 --agents 4 --window 3

For each table size the conversations table is filled with N open, moderated conversations from
Twitter/X awaiting a reply (one customer tweet each), A contributors get an API token, and a
server is started on `--port` (or `--url` names one already running with
DJANGO_SETTINGS_MODULE=load_floor_settings and bench/ on its PYTHONPATH, against the same
database). Then, in alternating windows of `--window` seconds:

* product: each agent (a thread with its own keep-alive HTTP session) calls
  `POST /api/v1/play/next {"queue": ...}` and then `POST /api/v1/conversations/<id>/reply`
  with `then=close`;
* floor: the same two calls on `/_floor/next` and `/_floor/reply/<id>` (bench/load_floor_urls.py):
  the same server and Django stack, the database work as plain SQL.

Both run unpaced (each agent starts its next deal as soon as the last one is closed) and paced
(`--rate` deals per second in total, spread evenly over the agents). Every window starts from the
same state (the rows the last one touched are put back). Per window: completed deals/s, p50/p95/
p99 of each call, errors (any answer but 200/201, or no answer), and double deals, counted after
the window from the ids the agents got and from the `dealt` entries of the activity log.
`--strict` exits 1 on an error, a double deal or a window without a deal.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

QUEUE = "twitter-conversations-moderated"
SERVERS = ("waitress", "gunicorn-sync", "gunicorn-gthread", "granian")


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--sizes",
        default="10000,100000",
        help="comma-separated table sizes (default 10000,100000)",
    )
    p.add_argument("--agents", type=int, default=50, help="agents playing at once (default 50)")
    p.add_argument(
        "--window", type=float, default=10.0, help="seconds per unpaced window (default 10)"
    )
    p.add_argument(
        "--paced-window",
        type=float,
        default=0,
        help="seconds per paced window (default: twice --window)",
    )
    p.add_argument(
        "--rounds", type=int, default=2, help="product/floor window pairs per mode (default 2)"
    )
    p.add_argument(
        "--rate", type=float, default=10.0, help="paced: deals per second in total (default 10)"
    )
    p.add_argument("--modes", default="unpaced,paced", help="unpaced, paced or both (default)")
    p.add_argument(
        "--server",
        choices=SERVERS,
        default="gunicorn-gthread",
        help="server to start (default gunicorn-gthread, the production choice)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=0,
        help="server processes (default: as deploy/gunicorn.conf.py: CPUs + 1)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=8,
        help="threads per process (waitress, gthread, granian; default 8, as deploy/gunicorn.conf.py)",
    )
    p.add_argument(
        "--compare",
        help="several servers measured in turn, window by window, e.g. "
        "waitress:1x4,gunicorn-sync:5,gunicorn-gthread:5x4,granian:5x4 (replaces --server)",
    )
    p.add_argument(
        "--warmup",
        type=float,
        default=3.0,
        help="seconds of uncounted play on a freshly started server (default 3)",
    )
    p.add_argument(
        "--port",
        type=int,
        default=0,
        help="port for the (first) server (default: a free one; the next ones follow)",
    )
    p.add_argument("--url", help="use this running server instead of starting one")
    p.add_argument("--json", help="write the results to this file")
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 on an error, a double deal or a window without a deal",
    )
    p.add_argument(
        "--force", action="store_true", help="allow a database whose name does not contain 'bench'"
    )
    return p.parse_args(argv)


def ints(text):
    return [int(x.replace("_", "")) for x in text.split(",") if x.strip()]


# --- database -------------------------------------------------------------------------------


def setup_django(args):
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        sys.exit(
            "bench/load.py needs DATABASE_URL (a scratch PostgreSQL database, or sqlite:////path/to/file)"
        )
    if "bench" not in url.rsplit("/", 1)[-1] and not args.force:
        sys.exit(
            "bench/load.py empties the conversations of its database; use one whose name contains 'bench' or pass --force"
        )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from socialdesk.demo.seed import load_demo_configuration

    load_demo_configuration()
    return url


def make_agents(n):
    """n contributors, each with a fresh API token; returns [(user id, token)]."""
    from django.contrib.auth import get_user_model

    from socialdesk.people.models import ApiToken, Profile, Role

    User = get_user_model()
    agents = []
    for i in range(n):
        user, _ = User.objects.get_or_create(username=f"bench-agent-{i:03d}")
        Profile.objects.update_or_create(user=user, defaults={"role": Role.CONTRIBUTOR})
        ApiToken.objects.filter(user=user).delete()
        agents.append((user.pk, ApiToken.issue(user, "load test")[1]))
    return agents


def _execute(sql, params=()):
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, params)


def _generated(n: int) -> str:
    """A row source g = 1..n that PostgreSQL and SQLite both understand."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return f"generate_series(1, {int(n)}) AS s(g)"
    return f"(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {int(n)}) SELECT g FROM s) AS s"


def insert_select(model, exprs: dict, source: str) -> None:
    """INSERT INTO model (...) SELECT <exprs, defaults for the rest> FROM source.

    As in bench/dealing.py, one statement fills the table. `exprs` maps a column to
    (SQL expression, its parameters); every other column takes the model field's default, so a
    column added later does not break the fill.
    """
    from column_defaults import stand_in
    from django.db import connection
    from django.utils import timezone

    cols, values, params = [], [], []
    now = timezone.now()
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        cols.append(connection.ops.quote_name(f.column))
        if f.column in exprs:
            sql, expr_params = exprs[f.column]
            values.append(sql)
            params.extend(expr_params)
            continue
        value = stand_in(f, now)
        values.append("%s")
        params.append(f.get_db_prep_save(value, connection))
    _execute(
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(cols)}) SELECT {', '.join(values)} FROM {source}",
        params,
    )


def fill(n: int) -> float:
    """N open, moderated Twitter/X conversations awaiting a reply, with one customer tweet each."""
    from django.db import connection

    from socialdesk.brands.models import BrandAccount
    from socialdesk.conversations.models import Author, Conversation, Message

    support = BrandAccount.objects.get(platform="twitter", handle="FirefoxSupport").pk
    t0 = time.perf_counter()
    empty_played()
    _execute("DELETE FROM conversations_message")
    for table in ("conversations_conversation_tags", "conversations_presence"):
        if table in connection.introspection.table_names():
            _execute(f"DELETE FROM {table}")
    _execute("DELETE FROM conversations_conversation")
    _execute("DELETE FROM conversations_author WHERE external_id = 'bench-author'")
    author = Author.objects.create(
        platform="twitter",
        external_id="bench-author",
        handle="bench_author",
        name="Bench Author",
        followers=10,
    )
    base = datetime.now(UTC)
    pg = connection.vendor == "postgresql"
    # Priorities: most 0, some 10, a few 50; last_inbound_at spread over 30 days.
    # Widened first: g * 7919 passes the 32-bit integer range from about 271,000 rows.
    spread = "(CAST(g AS BIGINT) * 7919) %% 2592000"
    inbound = (
        f"%s::timestamptz - ({spread}) * interval '1 second'"
        if pg
        else f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', %s, '-' || ({spread}) || ' seconds')"
    )
    base_param = base if pg else base.strftime("%Y-%m-%d %H:%M:%S.%f")

    def lit(sql):
        return (sql, [])

    insert_select(
        Conversation,
        {
            "platform": lit("'twitter'"),
            "thread_key": lit("'bench-' || g || ':bench-author'"),
            "status": lit("'open'"),
            "language": lit("'en'"),
            "priority": lit("CASE WHEN g %% 100 = 0 THEN 50 WHEN g %% 10 = 0 THEN 10 ELSE 0 END"),
            "moderated": ("%s", [True]),
            "awaiting_reply": ("%s", [True]),
            "last_inbound_at": (inbound, [base_param]),
            "account_id": ("%s", [support]),
            "author_id": ("%s", [author.pk]),
            "respond_from_id": ("%s", [support]),
        },
        _generated(n),
    )
    insert_select(
        Message,
        {
            "conversation_id": lit("c.id"),
            "direction": lit("'in'"),
            "platform": lit("'twitter'"),
            "platform_id": lit("'bench-tweet-' || c.id"),
            "author_id": ("%s", [author.pk]),
            "account_id": ("%s", [support]),
            "text": lit(
                "'@FirefoxSupport my tabs disappeared after the update, how do I get them back?'"
            ),
            "language": lit("'en'"),
            "created_at": lit("c.last_inbound_at"),
        },
        "conversations_conversation c",
    )
    analyse()
    return time.perf_counter() - t0


def analyse():
    from django.db import connection

    if connection.vendor == "postgresql":
        for table in (
            "conversations_conversation",
            "conversations_message",
            "conversations_activity",
            "outbox_outboundaction",
        ):
            _execute(f"VACUUM ANALYZE {table}")
    else:
        _execute("ANALYZE")


def empty_played():
    """Put back every row a window touched: replies, actions, log, sessions, send tasks."""
    from django.db import connection

    tables = connection.introspection.table_names()
    for table in (
        "outbox_outboundaction",
        "conversations_activity",
        "play_playsession",
        "django_tasks_database_dbtaskresult",
        "django_tasks_db_dbtaskresult",
    ):
        if table in tables:
            _execute(f"DELETE FROM {table}")
    if "conversations_message" in tables:
        _execute("DELETE FROM conversations_message WHERE direction = 'out'")


def reset():
    empty_played()
    _execute(
        "UPDATE conversations_conversation SET status = 'open', close_reason = '', hold_reason = '', awaiting_reply = %s, "
        "dealt_to_id = NULL, lease_expires_at = NULL, last_agent_id = NULL, reserved_for_id = NULL, reserved_until = NULL "
        "WHERE status <> 'open' OR dealt_to_id IS NOT NULL OR last_agent_id IS NOT NULL OR NOT awaiting_reply",
        [True],
    )
    analyse()
    from django.db import connection

    connection.close()


def dealt_log():
    """(entries, distinct conversations) of the activity log's 'dealt' kind."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*), count(DISTINCT conversation_id) FROM conversations_activity WHERE kind = 'dealt'"
        )
        return cur.fetchone()


# --- server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Spec:
    """A server to measure: "gunicorn-gthread:5x4" is 5 processes of 4 threads."""

    def __init__(self, text: str, default_workers: int = 0, default_threads: int = 8):
        kind, _, shape = text.partition(":")
        if kind not in SERVERS:
            raise SystemExit(f"unknown server {kind!r}: one of {', '.join(SERVERS)}")
        workers, _, threads = shape.partition("x")
        self.kind = kind
        self.workers = (
            1
            if kind == "waitress"
            else int(workers or default_workers or (os.cpu_count() or 1) + 1)
        )
        self.threads = 1 if kind == "gunicorn-sync" else int(threads or default_threads)

    def __str__(self):
        return f"{self.kind} {self.workers}x{self.threads}"


def server_command(spec: Spec, port: int) -> list[str]:
    bin_dir = Path(sys.executable).parent
    bind = f"127.0.0.1:{port}"
    if spec.kind == "waitress":
        return [
            str(bin_dir / "waitress-serve"),
            f"--listen={bind}",
            f"--threads={spec.threads}",
            "socialdesk.wsgi:application",
        ]
    if spec.kind.startswith("gunicorn"):
        kind = "sync" if spec.kind == "gunicorn-sync" else "gthread"
        return [
            str(bin_dir / "gunicorn"),
            "-c",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "--bind",
            bind,
            "--workers",
            str(spec.workers),
            "--worker-class",
            kind,
            "--threads",
            str(spec.threads),
            "socialdesk.wsgi:application",
        ]
    return [
        str(bin_dir / "granian"),
        "--interface",
        "wsgi",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(spec.workers),
        "--blocking-threads",
        str(spec.threads),
        "--no-ws",
        "socialdesk.wsgi:application",
    ]


class Server:
    def __init__(self, spec: Spec, port: int, log_dir: Path):
        self.spec = spec
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="load_floor_settings",
            PYTHONPATH=os.pathsep.join([str(BENCH), str(ROOT), os.environ.get("PYTHONPATH", "")]),
            ALLOWED_HOSTS="127.0.0.1,localhost",
        )
        self.log = open(log_dir / f"server-{self.port}.log", "w")
        self.cmd = server_command(spec, self.port)
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 180
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"the server exited ({self.proc.returncode}); see {self.log.name}:\n"
                    + Path(self.log.name).read_text()[-3000:]
                )
            try:
                if requests.get(self.url + "/_floor/ping", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the server did not answer within 180 s")
            time.sleep(0.2)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


# --- the agents -----------------------------------------------------------------------------


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))]


def run_window(url, agents, side, seconds, rate):
    """Every agent plays for `seconds`; returns the window's figures."""
    n = len(agents)
    start = threading.Barrier(n + 1)
    stop = threading.Event()
    lat = {"next": [], "reply": []}
    ids, errors = [], []
    lock = threading.Lock()
    completed = [0]
    empty = [0]
    if side == "product":
        next_url, reply_url = url + "/api/v1/play/next", url + "/api/v1/conversations/{}/reply"
        next_body = {"queue": QUEUE}
    else:
        next_url, reply_url = url + "/_floor/next", url + "/_floor/reply/{}"
        next_body = {}
    reply_body = {
        "text": "Thanks for writing in: Firefox keeps your tabs under History > Recently closed tabs.",
        "then": "close",
        "close_reason": "resolved",
    }
    interval = n / rate if rate else 0.0

    def error(what):
        with lock:
            errors.append(what)

    def agent(i):
        token = agents[i][1]
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        my_lat = {"next": [], "reply": []}
        my_ids = []
        rng = random.Random(i)
        try:
            start.wait()
        except threading.BrokenBarrierError:
            return
        due = time.perf_counter() + (rng.uniform(0, interval) if interval else 0)
        while not stop.is_set():
            if interval:
                wait = due - time.perf_counter()
                if wait > 0 and stop.wait(wait):
                    break
                due += interval
            t = time.perf_counter()
            try:
                r = session.post(next_url, json=next_body, timeout=60)
            except requests.RequestException as exc:
                error(f"next: {type(exc).__name__}")
                continue
            my_lat["next"].append(time.perf_counter() - t)
            if r.status_code == 204:
                with lock:
                    empty[0] += 1
                stop.wait(0.2)
                continue
            if r.status_code != 200:
                error(f"next: {r.status_code} {r.text[:200]}")
                continue
            cid = r.json()["id"]
            my_ids.append(cid)
            t = time.perf_counter()
            try:
                r = session.post(reply_url.format(cid), json=reply_body, timeout=60)
            except requests.RequestException as exc:
                error(f"reply: {type(exc).__name__}")
                continue
            my_lat["reply"].append(time.perf_counter() - t)
            if r.status_code != 201:
                error(f"reply: {r.status_code} {r.text[:200]}")
                continue
            if not stop.is_set():
                with lock:
                    completed[0] += 1
        session.close()
        with lock:
            for k in lat:
                lat[k].extend(my_lat[k])
            ids.extend(my_ids)

    threads = [threading.Thread(target=agent, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    stop.wait(seconds)
    elapsed = time.perf_counter() - t0
    stop.set()
    for t in threads:
        t.join(90)
    logged, distinct = dealt_log()
    doubles = (len(ids) - len(set(ids))) + (logged - distinct)
    return {
        "side": side,
        "seconds": round(elapsed, 2),
        "deals": completed[0],
        "deals_per_s": completed[0] / elapsed,
        "next_ms": [pct(lat["next"], p) * 1000 for p in (50, 95, 99)],
        "reply_ms": [pct(lat["reply"], p) * 1000 for p in (50, 95, 99)],
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:5],
        "double_deals": doubles,
        "dealt_logged": logged,
        "queue_empty": empty[0],
    }


def fmt_ms(v):
    return "-" if v != v else f"{v:.0f}" if v >= 100 else f"{v:.1f}"


def _stop_on_sigterm(*_):
    raise SystemExit(143)  # so the servers this run started are stopped too


def main(argv=None):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    setup_django(args)
    agents = make_agents(args.agents)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    paced_window = args.paced_window or 2 * args.window
    if args.compare:
        specs = [Spec(t.strip()) for t in args.compare.split(",") if t.strip()]
    else:
        specs = [Spec(f"{args.server}:{args.workers or ''}x{args.threads}")]
    results = []
    failed = False
    log_dir = Path(tempfile.mkdtemp(prefix="socialdesk-load-"))
    what = args.url or ", ".join(str(sp) for sp in specs) + " (processes x threads)"
    print(
        f"HTTP load test: {args.agents} agents, {what}; windows {args.window:g}s unpaced, {paced_window:g}s paced at {args.rate:g} deals/s; server logs in {log_dir}",
        flush=True,
    )
    for size in ints(args.sizes):
        took = fill(size)
        print(f"filled {size:,} conversations in {took:.1f}s", flush=True)
        # With several servers each one runs only for its own windows: idle servers would hold
        # their database connections (CONN_MAX_AGE) and could exhaust PostgreSQL's.
        targets = [(None, "given")] if args.url else [(spec, str(spec)) for spec in specs]
        for mode in modes:
            rate = args.rate if mode == "paced" else 0
            for rnd in range(args.rounds):
                for i, (spec, name) in enumerate(targets):
                    server = None
                    try:
                        if spec is not None:
                            server = Server(spec, args.port + i if args.port else 0, log_dir)
                        url = server.url if server else args.url
                        if server and args.warmup:
                            # Uncounted: each process imports, connects and fills its caches on
                            # its first requests; the product window, which comes first, would
                            # otherwise carry that alone.
                            reset()
                            for side in ("product", "floor"):
                                run_window(url, agents, side, args.warmup / 2, 0)
                        for side in ("product", "floor"):
                            reset()
                            w = run_window(
                                url, agents, side, paced_window if rate else args.window, rate
                            )
                            w.update(size=size, mode=mode, round=rnd + 1, server=name)
                            results.append(w)
                            bad = w["errors"] or w["double_deals"] or not w["deals"]
                            failed = failed or bool(bad)
                            print(
                                f"  {size:>9,} {name:<22} {mode:<8} {side:<8} round {rnd + 1}: {w['deals']:>6} deals {w['deals_per_s']:7.1f}/s  "
                                f"next p50/95/99 {'/'.join(fmt_ms(x) for x in w['next_ms'])} ms  reply {'/'.join(fmt_ms(x) for x in w['reply_ms'])} ms  "
                                f"errors {w['errors']}  double deals {w['double_deals']}"
                                + (f"  e.g. {w['error_examples']}" if w["errors"] else ""),
                                flush=True,
                            )
                    finally:
                        if server:
                            server.stop()
        reset()
    summary = summarise(results)
    print_table(summary)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"servers": what, "agents": args.agents, "windows": results, "summary": summary},
                indent=1,
            )
        )
    if args.strict and failed:
        print(
            "FAILED: an error, a double deal or a window without a deal (see above)",
            file=sys.stderr,
        )
        return 1
    return 0


def summarise(results):
    rows = []
    order = list(dict.fromkeys(w["server"] for w in results))
    keys = sorted(
        {(w["size"], w["mode"], w["server"]) for w in results},
        key=lambda k: (k[0], k[1] != "unpaced", order.index(k[2])),
    )
    for size, mode, server in keys:
        row = {"size": size, "mode": mode, "server": server}
        for side in ("product", "floor"):
            ws = [
                w
                for w in results
                if w["size"] == size
                and w["mode"] == mode
                and w["side"] == side
                and w["server"] == server
            ]
            if not ws:
                continue
            row[side] = {
                "deals_per_s": [round(w["deals_per_s"], 1) for w in ws],
                "median_deals_per_s": statistics.median(w["deals_per_s"] for w in ws),
                "next_p99_ms": max(w["next_ms"][2] for w in ws),
                "next_p95_ms": max(w["next_ms"][1] for w in ws),
                "next_p50_ms": statistics.median(w["next_ms"][0] for w in ws),
                "reply_p99_ms": max(w["reply_ms"][2] for w in ws),
                "reply_p50_ms": statistics.median(w["reply_ms"][0] for w in ws),
                "errors": sum(w["errors"] for w in ws),
                "double_deals": sum(w["double_deals"] for w in ws),
            }
        if "product" in row and "floor" in row and row["floor"]["median_deals_per_s"]:
            row["ratio"] = (
                row["product"]["median_deals_per_s"] / row["floor"]["median_deals_per_s"]
            )
        rows.append(row)
    return rows


def print_table(rows):
    print()
    print(
        "| conversations | server | mode | product deals/s | floor deals/s | product / floor | next p50 / p99 ms (product) | next p50 / p99 ms (floor) | reply p50 / p99 ms (product) | errors | double deals |"
    )
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        p, f = r.get("product"), r.get("floor")
        if not p or not f:
            continue
        print(
            f"| {r['size']:,} | {r['server']} | {r['mode']} | {', '.join(f'{x:g}' for x in p['deals_per_s'])} | {', '.join(f'{x:g}' for x in f['deals_per_s'])} | "
            f"{r.get('ratio', float('nan')):.2f} | {fmt_ms(p['next_p50_ms'])} / {fmt_ms(p['next_p99_ms'])} | {fmt_ms(f['next_p50_ms'])} / {fmt_ms(f['next_p99_ms'])} | "
            f"{fmt_ms(p['reply_p50_ms'])} / {fmt_ms(p['reply_p99_ms'])} | {p['errors'] + f['errors']} | {p['double_deals'] + f['double_deals']} |"
        )


if __name__ == "__main__":
    sys.exit(main())
