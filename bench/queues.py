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
* deep:     the tenth page of the list, reached by following "Next" nine times.

The baseline runs, for each page, the very SQL statements the page ran (captured once), sent on
the same database connection through the driver's own cursor, without Django: the floor of the
page's database work. p50/p95 are over --repeats requests per page kind, product and baseline
alternating in the same run.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUEUE = "twitter-conversations-moderated"
FILTERS = [
    "?language=de",
    "?tag=crash&sentiment=negative",
    "?type=support_request&language=en&status=open&status=held",
]

# Shares of each value, as a support desk's table looks after a few years: most conversations
# closed, most in English, most Twitter/X.
PLATFORMS = [("twitter", 80), ("google_play", 12), ("mastodon", 8)]
STATUSES = [("closed", 55), ("open", 35), ("held", 10)]
LANGUAGES = [
    ("en", 55),
    ("de", 10),
    ("fr", 8),
    ("es", 8),
    ("pt", 6),
    ("tr", 4),
    ("", 4),
    ("it", 2),
    ("ja", 1),
    ("ru", 1),
    ("nl", 1),
]
TYPES = [
    ("support_request", 45),
    ("", 15),
    ("feedback", 15),
    ("feature_request", 8),
    ("other", 8),
    ("compliment", 7),
    ("app_roundup", 2),
]
SENTIMENTS = [("", 50), ("negative", 20), ("neutral", 20), ("positive", 10)]
PRIORITIES = [(0, 88), (10, 10), (50, 2)]
WORDS = "firefox sync crashed again after the update my bookmarks are gone tabs keep freezing video playback stutters please help".split()


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
    p.add_argument("--seed", type=int, default=11)
    p.add_argument(
        "--reuse",
        action="store_true",
        help="keep the conversations of an earlier run of the same size and seed",
    )
    p.add_argument(
        "--code",
        help="measure the desk in this checkout instead (e.g. a worktree of the commit before a change)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="allow a PostgreSQL database whose name does not contain 'bench'",
    )
    return p.parse_args(argv)


def setup_django(args):
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        dbname = url.rsplit("/", 1)[-1].split("?")[0]
        if "bench" not in dbname and not args.force:
            sys.exit(
                f"bench/queues.py empties the conversations of database {dbname!r}; use a database named *bench* or pass --force"
            )
    else:
        os.environ["SOCIALDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="sd-queues-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialdesk.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)
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


def _pick(rng, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


def rows(n, *, seed, accounts, authors, tags, escalation):
    """The conversations, messages and tag links of a desk with `n` conversations."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    tag_weights = [1 / (i + 1) for i in range(len(tags))]
    conversations, messages, links = [], [], []
    for pk in range(1, n + 1):
        platform = _pick(rng, PLATFORMS)
        status = _pick(rng, STATUSES)
        account = rng.choice(accounts[platform])
        when = now - timedelta(seconds=rng.randrange(0, 365 * 86400))
        language = _pick(rng, LANGUAGES)
        rating = rng.choice([1, 1, 2, 3, 4, 5, 5, 5]) if platform == "google_play" else None
        conversations.append(
            (
                pk,
                platform,
                f"bench-{pk}",
                status,
                "waiting_customer" if status == "held" else "",
                "resolved" if status == "closed" else "",
                _pick(rng, SENTIMENTS),
                _pick(rng, TYPES),
                language,
                _pick(rng, PRIORITIES),
                rng.random() < 0.85,
                status == "open" and rng.random() < 0.8,
                when,
                when,
                when,
                rng.choice(authors),
                False,
                False,
                "",
                "",
                "",
                account,
                account,
                escalation if rng.random() < 0.005 else None,
                rating,
            )
        )
        text = " ".join(rng.choices(WORDS, k=rng.randrange(4, 14)))
        messages.append(
            (
                pk,
                "in",
                platform,
                f"bench-m-{pk}",
                "",
                text,
                language,
                when,
                when,
                "{}",
                pk,
                "{}",
                conversations[-1][15],
            )
        )
        if rng.random() < 0.4:
            for tag in set(rng.choices(tags, weights=tag_weights, k=rng.choice([1, 1, 2]))):
                links.append((pk, tag))
    return conversations, messages, links


CONVERSATION_COLUMNS = (
    "id",
    "platform",
    "thread_key",
    "status",
    "hold_reason",
    "close_reason",
    "sentiment",
    "type",
    "language",
    "priority",
    "moderated",
    "awaiting_reply",
    "created_at",
    "last_inbound_at",
    "updated_at",
    "author_id",
    "flagged_for_closing",
    "retweet_recommended",
    "android_version",
    "app_version",
    "device",
    "account_id",
    "respond_from_id",
    "assigned_queue_id",
    "rating",
)
MESSAGE_COLUMNS = (
    "id",
    "direction",
    "platform",
    "platform_id",
    "in_reply_to_platform_id",
    "text",
    "language",
    "created_at",
    "received_at",
    "raw",
    "conversation_id",
    "metadata",
    "author_id",
)


def fill(n, *, seed=11):
    """Empty the conversations and write `n` new ones; returns the seconds it took."""
    from django.db import connection, transaction

    from socialdesk.actions.tagging import refresh_all_tag_slugs
    from socialdesk.brands.models import BrandAccount
    from socialdesk.conversations.models import Author, Conversation, Message, Tag
    from socialdesk.queues.models import Queue

    t0 = time.perf_counter()
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        if postgres:
            with connection.cursor() as cur:
                cur.execute(
                    "TRUNCATE conversations_conversation, conversations_activity, conversations_author RESTART IDENTITY CASCADE"
                )
        else:
            Conversation.tags.through.objects.all().delete()
            Message.objects.all().delete()
            Conversation.objects.all().delete()
            Author.objects.filter(external_id__startswith="bench-").delete()
        accounts = {}
        for a in BrandAccount.objects.all():
            accounts.setdefault(a.platform, []).append(a.pk)
        authors = [
            a.pk
            for a in Author.objects.bulk_create(
                Author(
                    platform="twitter",
                    external_id=f"bench-{i}",
                    handle=f"bench_{i}",
                    name=f"Bench {i}",
                    followers=i % 5000,
                )
                for i in range(max(50, min(20_000, n // 20)))
            )
        ]
        tags = list(Tag.objects.order_by("pk").values_list("pk", flat=True))
        escalation = Queue.objects.filter(kind="assignment").values_list("pk", flat=True).first()
        conversations, messages, links = rows(
            n, seed=seed, accounts=accounts, authors=authors, tags=tags, escalation=escalation
        )
        _write("conversations_conversation", CONVERSATION_COLUMNS, conversations)
        _write("conversations_message", MESSAGE_COLUMNS, messages)
        _write("conversations_conversation_tags", ("conversation_id", "tag_id"), links)
        refresh_all_tag_slugs()  # the links' copy on the rows, as tagging keeps it
        if postgres:
            with connection.cursor() as cur:
                for table in (
                    "conversations_conversation",
                    "conversations_message",
                    "conversations_conversation_tags",
                ):
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
                    )
    if postgres:
        with connection.cursor() as cur:
            cur.execute(
                "VACUUM ANALYZE conversations_conversation, conversations_message, conversations_conversation_tags"
            )
    else:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    return time.perf_counter() - t0


def _write(table, columns, data):
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            with cur.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
    else:
        marks = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cur:
            for i in range(0, len(data), 5000):
                cur.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                    data[i : i + 5000],
                )


def page_urls(client):
    """The URLs of each page kind; the deep page is found by following "Next" from the list."""
    import re

    base = f"/queues/{QUEUE}/"
    url = base
    for _ in range(9):
        html = client.get(url).content.decode()
        found = re.search(r'href="([^"]*after=[^"]*)" rel="next"', html)
        if not found:
            break
        url = base + found.group(1).replace("&amp;", "&")
    return {"list": [base], "filtered": [base + f for f in FILTERS], "deep": [url]}


def captured_sql(client, url):
    """The statements the page runs, as sent to the database."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

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

    statements = {url: captured_sql(client, url) for kind in urls for url in urls[kind]}
    raw = (
        connection.connection
    )  # the driver's own connection: no Django between the SQL and the database
    out = {}
    for kind, kind_urls in urls.items():
        product, baseline, cpu = [], [], []
        for i in range(repeats):
            url = kind_urls[i % len(kind_urls)]
            t, c = time.perf_counter(), time.process_time()
            response = client.get(url)
            product.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            assert response.status_code == 200, (url, response.status_code)
            t = time.perf_counter()
            replay(raw, statements[url])
            baseline.append(time.perf_counter() - t)
        out[kind] = {
            "product_p50": _pct(product, 50),
            "product_p95": _pct(product, 95),
            "baseline_p50": _pct(baseline, 50),
            "baseline_p95": _pct(baseline, 95),
            "statements": statistics.mean(len(statements[u]) for u in kind_urls),
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
