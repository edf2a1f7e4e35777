"""Play Mode dealing under load: the product path against a raw SQL claim loop.

Run from the repository root, against a scratch PostgreSQL database (its conversations,
activity log and play sessions are emptied):

    createdb socialdesk_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/socialdesk_bench .venv/bin/python bench/dealing.py
    DATABASE_URL=... .venv/bin/python bench/dealing.py --sizes 10000 --agents 1,10 --seconds 5

For each table size N the conversations table is filled with N open, moderated conversations
awaiting a reply, then for each agent count A two runs of --seconds each:

* product:  A threads, each with its own Django connection and its own contributor, calling
            socialdesk.play.services.deal_next(agent=..., queue=<moderated queue>) and then
            closing the dealt conversation with one cheap UPDATE ("deal + close");
* baseline: A threads, each with its own psycopg connection, running one
            UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING id
            per deal, then the same cheap close.

deals/s counts completed deal + close cycles over the wall time of the run; p50/p99 time the
deal call alone. Between runs the touched rows are put back and the table vacuumed, so every
run starts from the same state. Each run ends by checking that no conversation was dealt twice.
"""

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASELINE_CLAIM = """
UPDATE conversations_conversation SET dealt_to_id = %s, lease_expires_at = now() + interval '5 minutes'
WHERE id = (
    SELECT id FROM conversations_conversation
    WHERE status = 'open' AND awaiting_reply AND moderated AND (dealt_to_id IS NULL OR lease_expires_at < now())
    ORDER BY priority DESC, last_inbound_at, id
    LIMIT 1 FOR UPDATE SKIP LOCKED
) RETURNING id
"""
BASELINE_CLOSE = "UPDATE conversations_conversation SET status = 'closed', dealt_to_id = NULL, lease_expires_at = NULL WHERE id = %s"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="100000,1000000", help="comma-separated table sizes (default 100000,1000000)")
    p.add_argument("--agents", default="1,10,50", help="comma-separated agent counts (default 1,10,50)")
    p.add_argument("--seconds", type=float, default=10.0, help="length of each run (default 10)")
    p.add_argument("--count", type=int, default=0, help="stop each run after this many deals in total instead")
    p.add_argument("--only", choices=["product", "baseline"], help="run one side only")
    p.add_argument("--force", action="store_true", help="allow a database whose name does not contain 'bench'")
    return p.parse_args()


def ints(text):
    return [int(x.replace("_", "")) for x in text.split(",") if x.strip()]


def setup_django(args):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "bench/dealing.py needs PostgreSQL: set DATABASE_URL, e.g.\n"
            "  createdb socialdesk_bench\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/socialdesk_bench .venv/bin/python bench/dealing.py"
        )
    dbname = url.rsplit("/", 1)[-1].split("?")[0]
    if "bench" not in dbname and not args.force:
        sys.exit(f"bench/dealing.py empties the conversations of database {dbname!r}; use a database named *bench* or pass --force")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        connection.ensure_connection()
    except Exception as exc:  # noqa: BLE001
        sys.exit(f"Cannot reach PostgreSQL at DATABASE_URL: {exc}")
    call_command("migrate", verbosity=0)
    from socialdesk.demo.seed import load_demo_configuration

    load_demo_configuration()
    return url


def make_agents(n):
    from django.contrib.auth import get_user_model

    from socialdesk.people.models import Profile, Role

    User = get_user_model()
    users = []
    for i in range(n):
        user, _ = User.objects.get_or_create(username=f"bench-agent-{i:03d}")
        Profile.objects.update_or_create(user=user, defaults={"role": Role.CONTRIBUTOR})
        users.append(user.pk)
    return users


def admin_conn(url):
    import psycopg

    return psycopg.connect(url, autocommit=True)


def fill(conn, n):
    """N open, moderated conversations awaiting a reply, in one INSERT ... SELECT generate_series."""
    from socialdesk.brands.models import BrandAccount

    support = BrandAccount.objects.get(platform="twitter", handle="FirefoxSupport").pk
    with conn.cursor() as cur:
        cur.execute(
            "TRUNCATE conversations_conversation, conversations_activity, conversations_author, "
            "play_playsession RESTART IDENTITY CASCADE"
        )
        cur.execute(
            "INSERT INTO conversations_author (platform, external_id, handle, name, followers, verified, profile_image_url, updated_at) "
            "VALUES ('twitter', 'bench-author', 'bench_author', 'Bench Author', 10, false, '', now()) RETURNING id"
        )
        author = cur.fetchone()[0]
        t0 = time.perf_counter()
        # Priorities: most 0, some 10, a few 50 (celebrities); last_inbound_at spread over 30 days.
        cur.execute(
            """
            INSERT INTO conversations_conversation (
                platform, thread_key, status, hold_reason, close_reason, sentiment, type, language,
                priority, moderated, awaiting_reply, lease_expires_at, created_at, last_inbound_at, updated_at,
                account_id, assigned_queue_id, assignee_id, author_id, dealt_to_id, respond_from_id)
            SELECT 'twitter', 'bench-' || g || ':bench-author', 'open', '', '', '', '', 'en',
                   CASE WHEN g %% 100 = 0 THEN 50 WHEN g %% 10 = 0 THEN 10 ELSE 0 END,
                   true, true, NULL, now(), now() - ((g::bigint * 7919) %% 2592000) * interval '1 second', now(),
                   %s, NULL, NULL, %s, NULL, %s
            FROM generate_series(1, %s) AS g
            """,
            (support, author, support, n),
        )
        cur.execute("VACUUM ANALYZE conversations_conversation")
        return time.perf_counter() - t0


def reset(conn):
    """Put back every row a run touched, empty the log and the play sessions, vacuum."""
    with conn.cursor() as cur:
        cur.execute(
            "UPDATE conversations_conversation SET status = 'open', dealt_to_id = NULL, lease_expires_at = NULL "
            "WHERE status <> 'open' OR dealt_to_id IS NOT NULL"
        )
        cur.execute("TRUNCATE conversations_activity, play_playsession")
        cur.execute("VACUUM ANALYZE conversations_conversation")


def run_threads(n_agents, worker, seconds, count):
    start = threading.Barrier(n_agents + 1)
    stop = threading.Event()
    results = [None] * n_agents
    errors = []
    total = {"n": 0}
    lock = threading.Lock()

    def wrap(i):
        try:
            results[i] = worker(i, start, stop, total, lock, count)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
            stop.set()
            try:
                start.abort()
            except Exception:  # noqa: BLE001
                pass

    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(n_agents)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    cpu0 = os.times()
    while not stop.is_set():
        if not count and time.perf_counter() - t0 >= seconds:
            break
        stop.wait(0.05)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    cpu1 = os.times()
    # CPU seconds of this Python process (all its threads) per wall second: near 1.0 means the
    # run was bound by the interpreter lock, not by the database.
    cpu = (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / elapsed
    if errors:
        raise errors[0]
    return results, elapsed, cpu


def product_worker(agent_ids, queue_pk):
    def worker(i, start, stop, total, lock, count):
        from django.contrib.auth import get_user_model
        from django.db import connection

        from socialdesk.conversations.models import Conversation
        from socialdesk.play.services import deal_next
        from socialdesk.queues.models import Queue

        try:
            user = get_user_model().objects.select_related("profile").get(pk=agent_ids[i])
            queue = Queue.objects.get(pk=queue_pk)
            latencies, ids = [], []
            start.wait()
            while not stop.is_set():
                t = time.perf_counter()
                c = deal_next(agent=user, queue=queue)
                latencies.append(time.perf_counter() - t)
                if c is None:
                    stop.set()
                    break
                ids.append(c.pk)
                # deal + close: finish it cheaply so it is not dealt again.
                Conversation.objects.filter(pk=c.pk).update(status="closed", dealt_to=None, lease_expires_at=None)
                if count:
                    with lock:
                        total["n"] += 1
                        if total["n"] >= count:
                            stop.set()
            return latencies, ids
        finally:
            connection.close()

    return worker


def baseline_worker(url, agent_ids):
    import psycopg

    def worker(i, start, stop, total, lock, count):
        with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
            latencies, ids = [], []
            cur.execute("SELECT 1")
            start.wait()
            while not stop.is_set():
                t = time.perf_counter()
                cur.execute(BASELINE_CLAIM, (agent_ids[i],))
                row = cur.fetchone()
                latencies.append(time.perf_counter() - t)
                if row is None:
                    stop.set()
                    break
                ids.append(row[0])
                cur.execute(BASELINE_CLOSE, (row[0],))
                if count:
                    with lock:
                        total["n"] += 1
                        if total["n"] >= count:
                            stop.set()
            return latencies, ids

    return worker


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def check_exclusive(conn, results, side):
    """No conversation dealt to two agents: from the collected ids, and for the product from the log."""
    ids = [pk for _, got in results for pk in got]
    dupes = len(ids) - len(set(ids))
    assert dupes == 0, f"{side}: {dupes} conversations were dealt more than once"
    if side == "product":
        with conn.cursor() as cur:
            cur.execute("SELECT count(*), count(DISTINCT conversation_id) FROM conversations_activity WHERE kind = 'dealt'")
            logged, distinct = cur.fetchone()
        assert logged == distinct, f"product: the activity log has {logged - distinct} repeated 'dealt' entries"
        assert logged == len(ids), f"product: {logged} 'dealt' entries for {len(ids)} deals"
    return len(ids)


def main():
    args = parse_args()
    url = setup_django(args)
    from socialdesk.queues.models import Queue

    sizes, agent_counts = ints(args.sizes), ints(args.agents)
    queue = Queue.objects.get(slug="twitter-conversations-moderated")
    agent_ids = make_agents(max(agent_counts))
    conn = admin_conn(url)
    rows = []
    print(f"Play Mode dealing, {'%d deals' % args.count if args.count else '%gs' % args.seconds} per run; "
          f"product = deal_next + close, baseline = raw SKIP LOCKED claim + close", flush=True)
    for size in sizes:
        took = fill(conn, size)
        print(f"filled {size:,} conversations in {took:.1f}s", flush=True)
        for agents in agent_counts:
            row = {"size": size, "agents": agents}
            for side in ("product", "baseline"):
                if args.only and side != args.only:
                    continue
                reset(conn)
                worker = product_worker(agent_ids, queue.pk) if side == "product" else baseline_worker(url, agent_ids)
                results, elapsed, cpu = run_threads(agents, worker, args.seconds, args.count)
                deals = check_exclusive(conn, results, side)
                lat = [x for got, _ in results for x in got]
                row[side] = (deals / elapsed, pct(lat, 50) * 1000, pct(lat, 99) * 1000, cpu)
                print(f"  {size:>9,} rows  {agents:>2} agents  {side:<8}  {deals:>7} deals in {elapsed:5.1f}s  "
                      f"{deals / elapsed:8.1f} deals/s  p50 {pct(lat, 50) * 1000:7.2f} ms  p99 {pct(lat, 99) * 1000:7.2f} ms  "
                      f"(mean {statistics.fmean(lat) * 1000 if lat else float('nan'):.2f} ms)  python CPU {cpu:.2f} cores - no double deal", flush=True)
            rows.append(row)
    reset(conn)
    print()
    print("| size | agents | product deals/s | product p50 ms | product p99 ms | baseline deals/s | baseline p50 ms | baseline p99 ms | product/baseline | python CPU product / baseline (cores) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    nan = (float("nan"),) * 4
    for r in rows:
        p, b = r.get("product", nan), r.get("baseline", nan)
        ratio = p[0] / b[0] if b[0] == b[0] and p[0] == p[0] and b[0] else float("nan")
        print(f"| {r['size']:,} | {r['agents']} | {p[0]:.0f} | {p[1]:.2f} | {p[2]:.2f} | {b[0]:.0f} | {b[1]:.2f} | {b[2]:.2f} | {ratio:.2f} | {p[3]:.2f} / {b[3]:.2f} |")
    conn.close()


if __name__ == "__main__":
    main()
