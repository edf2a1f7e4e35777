"""Play Mode dealing under load: the product path against a raw SQL claim loop.

Run from the repository root, against a scratch PostgreSQL database (its conversations,
activity log and play sessions are emptied):

    createdb socialdesk_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/socialdesk_bench .venv/bin/python bench/dealing.py
    DATABASE_URL=... .venv/bin/python bench/dealing.py --sizes 10000 --agents 1,10 --seconds 5
    DATABASE_URL=... .venv/bin/python bench/dealing.py --processes 2    # as a deployment with 2 web processes

For each table size N the conversations table is filled with N conversations spread as a desk's
are (see `fill`), then for each agent count A two runs of --seconds each:

* product:  A agents, each with its own Django connection and its own contributor, in a play
            session on "Twitter conversations - Moderated", calling
            socialdesk.actions.deal.deal_next(agent=..., session=...) and then closing the dealt
            conversation with one UPDATE ("deal + close");
* baseline: A agents, each with its own plain connection, running one
            UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING id
            per deal (the queue's rules and "free", nothing else), then the same close.

With --processes P the agents of each side are spread over P processes (threads within each),
as a deployment spreads agents' requests over its web processes; both sides run the same way.

deals/s counts completed deal + close cycles over the wall time of the run; p50/p99 time the
deal call alone. Between runs the touched rows are put back (and on PostgreSQL the table
vacuumed), so every run starts from the same state. Each run ends by checking that no
conversation was dealt twice. `run_pair` is what the smoke test in `make test` calls.
"""

import argparse
import multiprocessing
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))  # tails.py (--trace)

QUEUE = "twitter-conversations-moderated"
AGENT_NAME = "bench-agent-{:03d}"
TAGS = {
    "bench-common": 20,
    "bench-rare": 10_000,
}  # slug -> one conversation in this many is tagged
AUTHORS = 1_000
SPAMMER_EVERY = 100  # one author in this many is tagged Spammer
RESERVED_EVERY = 1_000  # one conversation in this many is a follow-up kept for one of the agents

# The queue's rules (platform, moderated, not assigned elsewhere) and "free", nothing else: the
# simplest statement that hands one row to one agent.
BASELINE_CLAIM = """
UPDATE conversations_conversation SET dealt_to_id = {p}, lease_expires_at = {p}
WHERE id = (
    SELECT id FROM conversations_conversation
    WHERE status = 'open' AND awaiting_reply AND platform = 'twitter' AND moderated AND assigned_queue_id IS NULL
      AND (dealt_to_id IS NULL OR lease_expires_at < {p})
    ORDER BY priority DESC, last_inbound_at, id
    LIMIT 1{lock}
) RETURNING id
"""
CLOSE = "UPDATE conversations_conversation SET status = 'closed', dealt_to_id = NULL, lease_expires_at = NULL WHERE id = {p}"


def parse_args():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--sizes",
        default="100000,1000000",
        help="comma-separated table sizes (default 100000,1000000)",
    )
    p.add_argument(
        "--agents", default="1,10,50", help="comma-separated agent counts (default 1,10,50)"
    )
    p.add_argument("--seconds", type=float, default=10.0, help="length of each run (default 10)")
    p.add_argument(
        "--count", type=int, default=0, help="stop each run after this many deals in total instead"
    )
    p.add_argument(
        "--processes",
        type=int,
        default=1,
        help="spread each side's agents over this many processes (default 1)",
    )
    p.add_argument(
        "--rate",
        type=float,
        default=50.0,
        help="after each unpaced pair, a paced pair at this many deals/s over all agents, for latency (default 50; 0: none)",
    )
    p.add_argument("--only", choices=["product", "baseline"], help="run one side only")
    p.add_argument(
        "--no-checkpoint",
        action="store_true",
        help="do not CHECKPOINT after each reset (see `checkpoint`: to measure what it changes)",
    )
    p.add_argument(
        "--trace",
        action="store_true",
        help="after each run, the slowest deals and what overlapped them: this process's garbage "
        "collections, PostgreSQL waits, autovacuum and checkpoints (bench/tails.py)",
    )
    p.add_argument(
        "--force", action="store_true", help="allow a database whose name does not contain 'bench'"
    )
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
        sys.exit(
            f"bench/dealing.py empties the conversations of database {dbname!r}; use a database named *bench* or pass --force"
        )
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
    prepare()


def prepare():
    """The demo configuration, and the tags the fill uses."""
    from socialdesk.conversations.models import Tag
    from socialdesk.demo.seed import load_demo_configuration

    load_demo_configuration()
    for slug in TAGS:
        Tag.objects.get_or_create(
            slug=slug, defaults={"name": slug.replace("-", " ").capitalize()}
        )


def make_agents(n):
    from django.contrib.auth import get_user_model

    from socialdesk.people.models import Profile, Role

    User = get_user_model()
    users = []
    for i in range(n):
        user, _ = User.objects.get_or_create(username=AGENT_NAME.format(i))
        Profile.objects.update_or_create(user=user, defaults={"role": Role.CONTRIBUTOR})
        users.append(user.pk)
    return users


def _empty_tables(cursor, vendor):
    if vendor == "postgresql":
        cursor.execute(
            "TRUNCATE conversations_conversation, conversations_activity, conversations_author, "
            "play_playsession RESTART IDENTITY CASCADE"
        )
        return
    # What references conversations or authors goes first (SQLite: no TRUNCATE ... CASCADE).
    from django.apps import apps

    from socialdesk.conversations.models import Author, Conversation

    targets = {Conversation, Author}
    referencing = [
        m
        for m in apps.get_models()
        if m not in targets
        and any(
            f.is_relation and f.many_to_one and f.related_model in targets
            for f in m._meta.concrete_fields
        )
    ]
    tables = [m._meta.db_table for m in referencing]
    tables += [
        Conversation.tags.through._meta.db_table,
        "play_playsession",
        Conversation._meta.db_table,
        Author._meta.db_table,
    ]
    for table in tables:
        cursor.execute(f"DELETE FROM {table}")


def fill(n, *, agent_ids):
    """N conversations spread as a desk's are, written in one COPY (PostgreSQL) or executemany.

    70% X (four in five moderated), 20% Google Play reviews (stars 1-5, seven in ten moderated),
    10% Mastodon (moderated); all open and waiting for an answer. Priorities: most 0, 9% 10, 1%
    50; `last_inbound_at` spread over 30 days; six languages; 1,000 authors, 1% of them tagged
    Spammer; two tags (1 in 20 and 1 in 10,000 conversations); 1 in 1,000 a follow-up kept for one
    of the agents (AG3). Every column the model has is written: those not set here get the model's
    default, so a new NOT NULL column cannot break the fill.
    """
    from django.db import connection, transaction
    from django.utils import timezone

    from socialdesk.actions.tagging import refresh_all_tag_slugs
    from socialdesk.brands.models import BrandAccount
    from socialdesk.conversations.models import Author, Conversation, Tag, UserTag, UserTagKind

    vendor = connection.vendor
    now = timezone.now()
    accounts = {
        platform: BrandAccount.objects.filter(platform=platform)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
        for platform in ("twitter", "google_play", "mastodon")
    }
    accounts["twitter"] = BrandAccount.objects.get(platform="twitter", handle="FirefoxSupport").pk
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        _empty_tables(cur, vendor)
        Author.objects.bulk_create(
            Author(
                id=k + 1,
                platform="twitter",
                external_id=f"bench-{k}",
                handle=f"bench_{k}",
                name=f"Bench {k}",
                followers=10,
            )
            for k in range(AUTHORS)
        )
        UserTag.objects.bulk_create(
            UserTag(author_id=k + 1, kind=UserTagKind.SPAMMER)
            for k in range(7, AUTHORS, SPAMMER_EVERY)
        )

        template = Conversation(
            platform="twitter", thread_key="", author_id=1, last_inbound_at=now
        )
        columns, constant = [], []
        for f in Conversation._meta.concrete_fields:
            value = f.pre_save(template, add=True)  # defaults, and auto_now(_add) set to now
            columns.append(f.column)
            constant.append(f.get_db_prep_save(value, connection))
        index = {c: i for i, c in enumerate(columns)}
        dt = connection.ops.adapt_datetimefield_value
        languages = ("en", "en", "en", "de", "fr", "es", "pt", "tr")
        reserved_until = dt(now + timedelta(days=1))

        def rows():
            for i in range(1, n + 1):
                row = list(constant)
                kind = i % 10
                platform = "twitter" if kind < 7 else "google_play" if kind < 9 else "mastodon"
                row[index["id"]] = i
                row[index["platform"]] = platform
                row[index["thread_key"]] = f"bench-{i}"
                row[index["author_id"]] = (i * 7) % AUTHORS + 1
                row[index["account_id"]] = row[index["respond_from_id"]] = accounts[platform]
                row[index["moderated"]] = (
                    (i // 10) % 5 != 0
                    if platform == "twitter"
                    else (i // 10) % 10 < 7
                    if platform == "google_play"
                    else True
                )
                row[index["priority"]] = 50 if i % 100 == 0 else 10 if i % 10 == 5 else 0
                row[index["language"]] = languages[(i // 3) % len(languages)]
                row[index["last_inbound_at"]] = dt(now - timedelta(seconds=(i * 7919) % 2_592_000))
                if platform == "google_play":
                    row[index["rating"]] = (i // 100) % 5 + 1
                if i % RESERVED_EVERY == 511 and agent_ids:  # an X conversation, moderated
                    row[index["reserved_for_id"]] = row[index["last_agent_id"]] = agent_ids[
                        (i // RESERVED_EVERY) % len(agent_ids)
                    ]
                    row[index["reserved_until"]] = reserved_until
                yield row

        table = connection.ops.quote_name(Conversation._meta.db_table)
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        through = Conversation.tags.through._meta.db_table
        tag_ids = dict(Tag.objects.filter(slug__in=TAGS).values_list("slug", "pk"))
        tagged = [
            (i, tag_ids[slug])
            for slug, every in TAGS.items()
            for i in range(every // 2, n + 1, every)
        ]
        if vendor == "postgresql":
            with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows():
                    copy.write_row(row)
            with cur.copy(f"COPY {through} (conversation_id, tag_id) FROM STDIN") as copy:
                for row in tagged:
                    copy.write_row(row)
            for model in (Conversation, Author):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{model._meta.db_table}', 'id'), (SELECT max(id) FROM {model._meta.db_table}))"
                )
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            batch = []
            for row in rows():
                batch.append(row)
                if len(batch) == 10_000:
                    cur.executemany(
                        f"INSERT INTO {table} ({names}) VALUES ({placeholders})", batch
                    )
                    batch = []
            if batch:
                cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", batch)
            cur.executemany(
                f"INSERT INTO {through} (conversation_id, tag_id) VALUES (%s, %s)", tagged
            )
        # The links were written directly: their copy on the conversation rows, as tagging keeps it.
        refresh_all_tag_slugs()
    analyze(everything=True)
    return time.perf_counter() - t0


def analyze(*, everything=False):
    """Statistics as autovacuum would keep them: the planner's choices depend on them (after
    the fill: every table, tags and user tags included)."""
    from django.db import connection

    with connection.cursor():  # opens the connection the raw statements below use
        if connection.vendor == "postgresql":
            # VACUUM cannot run in a transaction: on the raw connection, in autocommit.
            raw = connection.connection
            autocommit = raw.autocommit
            raw.autocommit = True
            try:
                raw.execute("VACUUM ANALYZE conversations_conversation")
                if everything:
                    raw.execute("ANALYZE")
            finally:
                raw.autocommit = autocommit
        # SQLite: no ANALYZE, as in a deployment (nothing runs it); its statistics count the
        # NULLs of dealt_to_id as one value and would turn the index on it away.


# main() turns it on (--no-checkpoint: off): see `checkpoint`.
CHECKPOINT_BEFORE_RUN = False


def checkpoint():
    """PostgreSQL: write out now what the fill and the last reset changed, so that the run does
    not measure a checkpoint they caused. A million-row fill, or putting back the rows of an
    unpaced run, writes far more WAL than max_wal_size allows between checkpoints: PostgreSQL
    then checkpoints back to back through the next runs, and a commit that meets a checkpoint's
    fsyncs waits tens of milliseconds (docs/performance.md, "Latency tails"). A desk's own
    writes spread out its checkpoints; a benchmark's bulk writes should not be charged to the
    deals after them. Skipped without the right to CHECKPOINT."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    import psycopg

    raw = connection.connection
    autocommit = raw.autocommit
    raw.autocommit = True
    try:
        raw.execute("CHECKPOINT")
    except psycopg.errors.InsufficientPrivilege:
        pass
    finally:
        raw.autocommit = autocommit


def reset():
    """Put back every row a run touched, empty the log and the play sessions."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE conversations_conversation SET status = 'open', dealt_to_id = NULL, lease_expires_at = NULL "
            "WHERE status <> 'open' OR dealt_to_id IS NOT NULL"
        )
        for table in ("play_playskip", "conversations_activity", "play_playsession"):
            cur.execute(f"DELETE FROM {table}")
    analyze()
    if CHECKPOINT_BEFORE_RUN:
        checkpoint()


# --- running the agents ---------------------------------------------------------------------


@dataclass
class Coordination:
    """What the agents of one run share, across threads or processes."""

    parties: int
    processes: int

    def __post_init__(self):
        mp = multiprocessing.get_context("fork") if self.processes > 1 else None
        self.start = (mp or threading).Barrier(self.parties + 1)
        self.stop = (mp or threading).Event()
        self.total = mp.Value("q", 0) if mp else None
        self._count = 0
        self._lock = threading.Lock()

    def add(self, limit):
        if not limit:
            return
        if self.total is not None:
            with self.total.get_lock():
                self.total.value += 1
                n = self.total.value
        else:
            with self._lock:
                self._count += 1
                n = self._count
        if n >= limit:
            self.stop.set()


def _threads(indexes, worker, coord, limit):
    """Run `worker(i, coord, limit)` for each agent index in a thread; (results, errors)."""
    results, errors = {}, []

    def wrap(i):
        try:
            results[i] = worker(i, coord, limit)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            errors.append(f"{type(exc).__name__}: {exc}")
            coord.stop.set()
            try:
                coord.start.abort()
            except Exception:  # noqa: BLE001
                pass

    threads = [threading.Thread(target=wrap, args=(i,)) for i in indexes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [results[i] for i in indexes if i in results], errors


def _child(indexes, worker, coord, limit, out):
    from django.db import connections

    connections.close_all()  # never share the parent's connection after fork
    cpu0 = os.times()
    results, errors = _threads(indexes, worker, coord, limit)
    cpu1 = os.times()
    out.put((results, errors, cpu1.user - cpu0.user + cpu1.system - cpu0.system))


def run_agents(n_agents, worker, *, seconds, count=0, processes=1):
    """Start `n_agents` workers (threads, spread over `processes` processes), release them at
    once, stop them after `seconds` (or `count` deals); returns (results, elapsed, python CPU cores)."""
    processes = max(1, min(processes, n_agents))
    coord = Coordination(parties=n_agents, processes=processes)
    groups = [list(range(p, n_agents, processes)) for p in range(processes)]
    if processes == 1:
        box = {}
        runner = threading.Thread(
            target=lambda: box.update(r=_threads(groups[0], worker, coord, count))
        )
        runner.start()
    else:
        from django.db import connections

        connections.close_all()
        mp = multiprocessing.get_context("fork")
        out = mp.Queue()
        children = [mp.Process(target=_child, args=(g, worker, coord, count, out)) for g in groups]
        for c in children:
            c.start()
    try:
        coord.start.wait(timeout=120)
    except threading.BrokenBarrierError:
        pass
    t0 = time.perf_counter()
    cpu0 = os.times()
    while not coord.stop.is_set():
        if not count and time.perf_counter() - t0 >= seconds:
            break
        coord.stop.wait(0.02)
    coord.stop.set()
    results, errors, child_cpu = [], [], 0.0
    if processes == 1:
        runner.join()
        results, errors = box.get("r", ([], ["the agents did not finish"]))
    else:
        for _ in children:
            got, errs, cpu = out.get(timeout=120)
            results += got
            errors += errs
            child_cpu += cpu
        for c in children:
            c.join()
    elapsed = time.perf_counter() - t0
    cpu1 = os.times()
    # CPU seconds of the Python processes (all their threads) per wall second: near 1.0 per
    # process means the interpreter lock, not the database, was the limit.
    cpu = (cpu1.user - cpu0.user + cpu1.system - cpu0.system + child_cpu) / elapsed
    if errors:
        raise RuntimeError(f"{len(errors)} agent(s) failed, first: {errors[0]}")
    return results, elapsed, cpu


def _pacer(i, n_agents, rate, stop):
    """With `rate` (deals/s over all agents) a function that waits for agent i's next turn;
    turns go round the agents, so each deals every n_agents / rate seconds."""
    if not rate:
        return lambda: None
    start = time.perf_counter()
    turn = iter(range(i, 10**12, n_agents))

    def wait():
        delay = start + next(turn) / rate - time.perf_counter()
        if delay > 0:
            stop.wait(delay)

    return wait


def _connecting(connect, tries=120):
    """Connect, waiting for a free connection slot when the server has none left (a shared
    machine: other work may hold many) rather than failing the run."""
    for attempt in range(tries):
        try:
            return connect()
        except Exception as exc:  # noqa: BLE001 - retried only for "too many clients"
            if "too many clients" not in str(exc) or attempt == tries - 1:
                raise
            time.sleep(0.5)


def product_worker(agent_ids, queue_pk, *, n_agents=0, rate=0.0):
    def worker(i, coord, limit):
        from django.contrib.auth import get_user_model
        from django.db import connection

        from socialdesk.actions.deal import deal_next, start
        from socialdesk.queues.models import Queue

        close = CLOSE.format(p="%s")
        try:
            _connecting(connection.ensure_connection)
            user = get_user_model().objects.select_related("profile").get(pk=agent_ids[i])
            session = start(agent=user, queue=Queue.objects.get(pk=queue_pk))
            latencies, ids, starts = [], [], []
            with connection.cursor() as cur:
                cur.execute("SELECT 1")
                coord.start.wait()
                pace = _pacer(i, n_agents, rate, coord.stop)
                while not coord.stop.is_set():
                    pace()
                    if coord.stop.is_set():
                        break
                    began, t = time.time(), time.perf_counter()
                    c = deal_next(agent=user, session=session)
                    latencies.append(time.perf_counter() - t)
                    starts.append(began)
                    if c is None:
                        coord.stop.set()
                        break
                    ids.append(c.pk)
                    # deal + close: finish it cheaply so it is not dealt again.
                    cur.execute(close, [c.pk])
                    coord.add(limit)
            return latencies, ids, starts
        finally:
            connection.close()

    return worker


def _raw_connection(settings_dict):
    """A plain driver connection in autocommit, outside Django: the floor."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        import sqlite3

        name = str(settings_dict["NAME"])
        if name.startswith("file:"):  # the test runner's shared in-memory database
            conn = sqlite3.connect(
                name, uri=True, isolation_level=None, check_same_thread=False, timeout=30
            )
        else:
            conn = sqlite3.connect(name, isolation_level=None, check_same_thread=False, timeout=30)
        return conn, "?"
    import psycopg

    params = {
        "dbname": settings_dict["NAME"],
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
    }
    return psycopg.connect(autocommit=True, **{k: v for k, v in params.items() if v}), "%s"


def baseline_worker(agent_ids, settings_dict, *, n_agents=0, rate=0.0):
    def worker(i, coord, limit):
        from django.db import connection
        from django.utils import timezone

        conn, p = _connecting(lambda: _raw_connection(settings_dict))
        postgres = not settings_dict["ENGINE"].endswith("sqlite3")
        claim = BASELINE_CLAIM.format(p=p, lock=" FOR UPDATE SKIP LOCKED" if postgres else "")
        close = CLOSE.format(p=p)
        dt = connection.ops.adapt_datetimefield_value
        try:
            cur = conn.cursor()
            latencies, ids, starts = [], [], []
            cur.execute("SELECT 1")
            coord.start.wait()
            pace = _pacer(i, n_agents, rate, coord.stop)
            while not coord.stop.is_set():
                pace()
                if coord.stop.is_set():
                    break
                began, t = time.time(), time.perf_counter()
                now = timezone.now()
                cur.execute(claim, (agent_ids[i], dt(now + timedelta(minutes=5)), dt(now)))
                row = cur.fetchone()
                latencies.append(time.perf_counter() - t)
                starts.append(began)
                if row is None:
                    coord.stop.set()
                    break
                ids.append(row[0])
                cur.execute(close, (row[0],))
                coord.add(limit)
            return latencies, ids, starts
        finally:
            conn.close()

    return worker


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def check_exclusive(results, side):
    """No conversation dealt to two agents: from the collected ids, and for the product from the log."""
    from django.db import connection

    ids = [pk for _, got, _ in results for pk in got]
    dupes = len(ids) - len(set(ids))
    assert dupes == 0, f"{side}: {dupes} conversations were dealt more than once"
    if side == "product":
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*), count(DISTINCT conversation_id) FROM conversations_activity WHERE kind = 'dealt'"
            )
            logged, distinct = cur.fetchone()
        assert logged == distinct, (
            f"product: the activity log has {logged - distinct} repeated 'dealt' entries"
        )
        assert logged == len(ids), f"product: {logged} 'dealt' entries for {len(ids)} deals"
    return len(ids)


@dataclass
class Side:
    deals: int
    elapsed: float
    cpu: float
    latencies: list = field(repr=False)
    calls: list = field(repr=False, default_factory=list)  # tails.Call, one per deal
    trace: list = field(repr=False, default_factory=list)  # lines of --trace

    @property
    def rate(self):
        return self.deals / self.elapsed

    def ms(self, p):
        return pct(self.latencies, p) * 1000


def run_side(side, *, agents, agent_ids, seconds, count=0, processes=1, rate=0.0, trace=False):
    from contextlib import ExitStack

    from django.db import connection

    from socialdesk.queues.models import Queue

    reset()
    if side == "product":
        worker = product_worker(
            agent_ids, Queue.objects.get(slug=QUEUE).pk, n_agents=agents, rate=rate
        )
    else:
        worker = baseline_worker(agent_ids, connection.settings_dict, n_agents=agents, rate=rate)
    with ExitStack() as watching:
        if trace:
            import tails

            gc_timer = watching.enter_context(tails.GcTimer())
            pg = None
            if connection.vendor == "postgresql":
                pg = watching.enter_context(
                    tails.PgWatch(lambda: _raw_connection(connection.settings_dict)[0])
                )
        results, elapsed, cpu = run_agents(
            agents, worker, seconds=seconds, count=count, processes=processes
        )
    deals = check_exclusive(results, side)
    s = Side(
        deals=deals,
        elapsed=elapsed,
        cpu=cpu,
        latencies=[x for got, _, _ in results for x in got],
    )
    if trace:
        s.calls = [
            tails.Call(began, took, who=f"agent {i}", nth=n + 1)
            for i, (got, _, starts) in enumerate(results)
            for n, (took, began) in enumerate(zip(got, starts, strict=True))
        ]
        s.trace = [gc_timer.summary()] + ([pg.summary()] if pg else [])
        s.trace += tails.report(s.calls, gc_timer.events + (pg.events if pg else []))
    return s


def run_pair(
    *, agents, agent_ids, seconds, count=0, processes=1, only=None, rate=0.0, trace=False
):
    """One product run and one baseline run from the same state: {"product": Side, "baseline": Side}."""
    return {
        side: run_side(
            side,
            agents=agents,
            agent_ids=agent_ids,
            seconds=seconds,
            count=count,
            processes=processes,
            rate=rate,
            trace=trace,
        )
        for side in ("product", "baseline")
        if not only or side == only
    }


def main():
    global CHECKPOINT_BEFORE_RUN
    args = parse_args()
    setup_django(args)
    CHECKPOINT_BEFORE_RUN = not args.no_checkpoint
    sizes, agent_counts = ints(args.sizes), ints(args.agents)
    agent_ids = make_agents(max(agent_counts))
    # The deals run in this process as they would in a web worker: its loaded application set
    # aside from the garbage collector, as deploy/gunicorn.conf.py does in each worker
    # (SOCIALDESK_GC_FREEZE=0 SOCIALDESK_GC_THRESHOLD=0: Python's defaults).
    from socialdesk.operations import gc_tuning

    gc_settled = gc_tuning.settle()
    rows = []
    per_run = f"{args.count} deals" if args.count else f"{args.seconds:g}s"
    print(
        f"Play Mode dealing, {per_run} per run, "
        f"{args.processes} process(es) per side; product = deal_next + close, baseline = raw SKIP LOCKED claim + close; "
        f"paced runs at {args.rate:g} deals/s; CHECKPOINT after each reset: {CHECKPOINT_BEFORE_RUN}; "
        f"garbage collector: {gc_settled['frozen']} objects set aside, threshold {gc_settled['threshold']}",
        flush=True,
    )
    sides = [side for side in ("product", "baseline") if not args.only or side == args.only]
    for size in sizes:
        took = fill(size, agent_ids=agent_ids)
        print(f"filled {size:,} conversations in {took:.1f}s", flush=True)
        for agents in agent_counts:
            row = {"size": size, "agents": agents}
            for paced in (0.0, args.rate) if args.rate else (0.0,):
                for side in sides:
                    s = run_side(
                        side,
                        agents=agents,
                        agent_ids=agent_ids,
                        seconds=args.seconds,
                        count=0 if paced else args.count,
                        processes=args.processes,
                        rate=paced,
                        trace=args.trace,
                    )
                    row[side, bool(paced)] = s
                    print(
                        f"  {size:>9,} rows  {agents:>2} agents  {side:<8} {'paced' if paced else 'unpaced':<7}  {s.deals:>7} deals in {s.elapsed:5.1f}s  "
                        f"{s.rate:8.1f} deals/s  p50 {s.ms(50):7.2f} ms  p99 {s.ms(99):7.2f} ms  "
                        f"(mean {statistics.fmean(s.latencies) * 1000 if s.latencies else float('nan'):.2f} ms)  "
                        f"python CPU {s.cpu:.2f} cores - no double deal",
                        flush=True,
                    )
                    for line in s.trace:
                        print(f"      {line}", flush=True)
            rows.append(row)
    reset()
    print()
    print(
        f"| conversations | agents | product deals/s | baseline deals/s | product / baseline | product p50 / p99 ms | baseline p50 / p99 ms "
        f"| product p50 / p99 ms at {args.rate:g}/s | baseline p50 / p99 ms at {args.rate:g}/s | python CPU, cores (product / baseline) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")

    def cell(s, what):
        if s is None:
            return "-"
        return {
            "rate": f"{s.rate:,.0f}",
            "lat": f"{s.ms(50):.2f} / {s.ms(99):.2f}",
            "cpu": f"{s.cpu:.2f}",
        }[what]

    for r in rows:
        p, b = r.get(("product", False)), r.get(("baseline", False))
        pp, bp = r.get(("product", True)), r.get(("baseline", True))
        ratio = f"{p.rate / b.rate:.2f}" if p and b else "-"
        print(
            f"| {r['size']:,} | {r['agents']} | {cell(p, 'rate')} | {cell(b, 'rate')} | {ratio} | {cell(p, 'lat')} | {cell(b, 'lat')} "
            f"| {cell(pp, 'lat')} | {cell(bp, 'lat')} | {cell(p, 'cpu')} / {cell(b, 'cpu')} |"
        )


if __name__ == "__main__":
    main()
