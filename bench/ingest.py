"""Ingestion throughput: X API v2 mention pages through normalise_page + ingest, against a raw bulk insert.

Run from the repository root:

    .venv/bin/python bench/ingest.py                      # SQLite, in a fresh temporary database
    .venv/bin/python bench/ingest.py --tweets 2000        # quick run
    .venv/bin/python bench/ingest.py --no-triage          # without triage, to see what it costs
    .venv/bin/python bench/ingest.py --page 500           # bigger pages: the cost per tweet falls
    createdb socialdesk_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/socialdesk_bench .venv/bin/python bench/ingest.py

With DATABASE_URL the named database is migrated and its authors, conversations, messages and
activity log are emptied first: point it at a scratch database.

The pages are built in memory, one at a time (deterministic, --seed): --tweets tweets in pages
of --page (100, the most X returns), newest first like the API, each with includes.users, from a pool of --authors authors
(about 1% with 100k+ followers), mentioning the demo brand accounts (entities.mentions with
their ids); about 20% are replies in existing threads (the customer following up on their own
tweet or on a brand reply, or another customer joining someone's thread).

1. product:  for every page, socialdesk.connectors.twitter.normalise_page(page) then
             socialdesk.actions.inbound.ingest(messages) -> tweets/s, with the python CPU
             time and the statements sent per tweet
2. baseline: on the emptied tables, the same pages turned into rows with plain Python and
             written with executemany (authors and conversations first, then messages), one
             transaction per page -> message rows/s. No duplicate check against the database,
             no routing, no activity log: the floor the product path is measured against.

Page building is outside both timings. Both sides end with the same number of authors,
conversations and messages; the script checks it.
"""

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGE = 100
BASE_ID = 1_950_000_000_000_000_000
BRAND_REPLY_ID = 1_960_000_000_000_000_000
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
PHRASES = [
    "lost all my bookmarks after the update, help?",
    "keeps crashing when I open more than ten tabs",
    "sync stopped working on my phone since yesterday",
    "how do I get my saved passwords back?",
    "videos stutter on youtube, any idea?",
    "love the new version, so fast!",
    "please add vertical tabs, I would switch tomorrow",
    "extension X broke after the last release",
]
LOCALE = {
    "mozilla_germany": "de",
    "mozilla_france": "fr",
    "firefox_es": "es",
    "FirefoxBrasil": "pt",
    "FirefoxTurkiye": "tr",
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--tweets", type=int, default=20_000, help="tweets in total (default 20000)")
    p.add_argument(
        "--authors", type=int, default=3_000, help="size of the author pool (default 3000)"
    )
    p.add_argument(
        "--page",
        type=int,
        default=100,
        help="tweets per page (default 100, the most X's mentions return)",
    )
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--only", choices=["product", "baseline"], help="run one side only")
    p.add_argument(
        "--force",
        action="store_true",
        help="allow a PostgreSQL database whose name does not contain 'bench'",
    )
    p.add_argument(
        "--no-triage",
        action="store_true",
        help="skip triage (classification, suggestions, rule tags) to measure what it costs",
    )
    p.add_argument(
        "--triage-in-page",
        action="store_true",
        help="triage inside the page's transaction (SOCIALDESK_TRIAGE_AFTER_PAGE=false) instead "
        "of in the task enqueued with the page, as polls do by default",
    )
    return p.parse_args(argv)


def setup_django(args):
    tmp = None
    url = os.environ.get("DATABASE_URL", "")
    if url:
        dbname = url.rsplit("/", 1)[-1].split("?")[0]
        if "bench" not in dbname and not args.force:
            sys.exit(
                f"bench/ingest.py empties the conversations of database {dbname!r}; use a database named *bench* or pass --force"
            )
    else:
        # A fresh SQLite database: the data folder is read when the settings are imported.
        tmp = tempfile.mkdtemp(prefix="socialdesk-bench-")
        os.environ["SOCIALDESK_DATA_DIR"] = tmp
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialdesk.settings")
    os.environ.setdefault("SOCIALDESK_TWITTER_API_BASE", "http://127.0.0.1:9")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from socialdesk.demo.seed import load_demo_configuration

    load_demo_configuration()
    return tmp


def empty_tables():
    from django.db import connection, transaction

    tables = [
        "triage_triagesuggestion",
        "triage_triagecorrection",
        "conversations_activity",
        "conversations_message",
        "conversations_conversation_tags",
        "outbox_outboundaction",
        "conversations_usertag",
        "conversations_internalnote",
        "conversations_reminder",
        "conversations_conversation",
        "conversations_author",
    ]
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("TRUNCATE " + ", ".join(tables) + " CASCADE")
        else:
            for t in tables:
                cur.execute(f"DELETE FROM {t}")
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("VACUUM")


class Authors:
    def __init__(self, n, rng):
        self.users = []
        for i in range(n):
            r = rng.random()
            followers = (
                rng.randint(150_000, 3_000_000) if r < 0.01 else int(rng.paretovariate(1.2) * 40)
            )
            self.users.append(
                {
                    "id": str(40_000_000 + i),
                    "username": f"customer_{i}",
                    "name": f"Customer {i}",
                    "verified": rng.random() < 0.005,
                    "profile_image_url": f"https://pbs.twimg.com/profile_images/{40_000_000 + i}/photo_normal.jpg",
                    "public_metrics": {
                        "followers_count": followers,
                        "following_count": rng.randint(0, 900),
                        "tweet_count": rng.randint(1, 20_000),
                        "listed_count": 0,
                    },
                }
            )


def pages(n_tweets, n_authors, seed, page=PAGE):
    """Yield X API v2 mention pages (dicts), oldest page first, tweets newest first in a page."""
    from socialdesk.demo.seed import ACCOUNTS

    rng = random.Random(seed)
    authors = Authors(n_authors, rng)
    brand = {h: i for h, i, *_ in ACCOUNTS}
    handles = list(brand)
    recent = deque(maxlen=5_000)  # (tweet id, author index, conversation id, mention handle)
    k = 0
    while k < n_tweets:
        batch = []
        for _ in range(min(page, n_tweets - k)):
            tid = str(BASE_ID + k)
            r = rng.random()
            refs = None
            if recent and r < 0.20:
                parent_id, parent_author, conv_id, handle = recent[rng.randrange(len(recent))]
                if r < 0.08:  # the customer follows up on their own tweet
                    author, refs = parent_author, [{"type": "replied_to", "id": parent_id}]
                elif r < 0.15:  # the customer answers our reply (not in this feed)
                    author = parent_author
                    refs = [
                        {
                            "type": "replied_to",
                            "id": str(BRAND_REPLY_ID + int(parent_id) % 1_000_000_000),
                        }
                    ]
                else:  # someone else joins the thread
                    author, refs = (
                        rng.randrange(n_authors),
                        [{"type": "replied_to", "id": parent_id}],
                    )
            else:
                author, conv_id = rng.randrange(n_authors), tid
                x = rng.random()
                handle = (
                    "FirefoxSupport"
                    if x < 0.5
                    else "Firefox"
                    if x < 0.75
                    else rng.choice(handles[2:])
                )
            lang = LOCALE.get(handle, "en")
            text = f"@{handle} {rng.choice(PHRASES)}"
            tweet = {
                "id": tid,
                "text": text,
                "author_id": authors.users[author]["id"],
                "conversation_id": conv_id,
                "created_at": (T0 + timedelta(seconds=k * 3)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "lang": lang,
                "entities": {
                    "mentions": [
                        {
                            "start": 0,
                            "end": len(handle) + 1,
                            "username": handle,
                            "id": brand[handle],
                        }
                    ]
                },
                "public_metrics": {
                    "retweet_count": 0,
                    "reply_count": 0,
                    "like_count": rng.randint(0, 5),
                    "quote_count": 0,
                },
                "edit_history_tweet_ids": [tid],
            }
            if refs:
                tweet["referenced_tweets"] = refs
                tweet["in_reply_to_user_id"] = brand[handle]
            recent.append((tid, author, conv_id, handle))
            batch.append((tweet, author))
            k += 1
        users = {}
        for _, a in batch:
            users.setdefault(a, authors.users[a])
        data = [t for t, _ in reversed(batch)]
        yield {
            "data": data,
            "includes": {"users": list(users.values())},
            "meta": {
                "newest_id": data[0]["id"],
                "oldest_id": data[-1]["id"],
                "result_count": len(data),
            },
        }


class QueryCounter:
    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


def run_product(args):
    from django.db import connection

    from socialdesk.actions import triage as triage_actions
    from socialdesk.actions.inbound import IngestResult, ingest
    from socialdesk.connectors.twitter import normalise_page
    from socialdesk.triage import services as triage
    from socialdesk.triage.classify import classify_batch

    in_triage = [0.0]

    def timed(f):
        def call(*a, **kw):
            t0 = time.perf_counter()
            try:
                return f(*a, **kw)
            finally:
                in_triage[0] += time.perf_counter() - t0

        return call

    real = triage.classify_messages, triage_actions.record
    if args.no_triage:
        triage.classify_messages = lambda messages, accounts: {}
    else:
        # Time spent inside triage (one model run and the suggestions' INSERT per page), reported on its own.
        triage.classify_messages, triage_actions.record = (
            timed(triage.classify_messages),
            timed(triage_actions.record),
        )
        # Load the language identifier and the models first, as a running worker has them:
        # loading them is no page's cost.
        classify_batch([triage.input_for(m) for m in normalise_page(next(pages(1, 1, args.seed)))])
    total = IngestResult()
    busy = cpu = 0.0
    after = {"seconds": 0.0, "cpu": 0.0, "statements": 0, "triaged": 0}
    counter, after_counter = QueryCounter(), QueryCounter()
    later = not args.triage_in_page
    try:
        for page in pages(args.tweets, args.authors, args.seed, args.page):
            with connection.execute_wrapper(counter):
                t, c = time.perf_counter(), time.process_time()
                result = ingest(normalise_page(page), triage_later=later)
                busy += time.perf_counter() - t
                cpu += time.process_time() - c
            if later:
                # What the worker then does with the page's task, timed on its own.
                with connection.execute_wrapper(after_counter):
                    t, c = time.perf_counter(), time.process_time()
                    after["triaged"] += run_triage_tasks(run=not args.no_triage)
                    after["seconds"] += time.perf_counter() - t
                    after["cpu"] += time.process_time() - c
            for f in (
                "stored",
                "duplicates",
                "skipped",
                "conversations_opened",
                "conversations_reopened",
            ):
                setattr(total, f, getattr(total, f) + getattr(result, f))
    finally:
        triage.classify_messages, triage_actions.record = real
    after["statements"] = after_counter.n
    return busy, cpu, total, counter.n, in_triage[0], after


def run_triage_tasks(*, run: bool = True) -> int:
    """Run the triage tasks the pages enqueued, as `db_worker` would (without its claim and
    result bookkeeping); with `run` False, only drop them."""
    from django_tasks_db.models import DBTaskResult

    from socialdesk.triage.tasks import triage_conversations

    done = 0
    rows = DBTaskResult.objects.filter(task_path=triage_conversations.module_path)
    for row in rows:
        if run:
            done += triage_conversations.call(
                *row.args_kwargs["args"], **row.args_kwargs["kwargs"]
            )
    rows.delete()
    return done


def run_baseline(args):
    """The same pages as rows, written with executemany, one transaction per page."""
    from django.db import connection, transaction

    ops = connection.ops
    dt = ops.adapt_datetimefield_value
    author_ids, conv_ids = {}, {}
    next_author = next_conv = next_msg = 1
    busy = cpu = 0.0
    counter = QueryCounter()
    a_sql = (
        "INSERT INTO conversations_author (id, platform, external_id, handle, name, followers, verified, profile_image_url, updated_at) "
        "VALUES (%s, 'twitter', %s, %s, %s, %s, %s, %s, %s)"
    )
    c_sql = (
        "INSERT INTO conversations_conversation (id, platform, thread_key, status, hold_reason, close_reason, sentiment, type, "
        "language, priority, moderated, awaiting_reply, app_version, device, android_version, created_at, last_inbound_at, updated_at, "
        "author_id, account_id, respond_from_id) "
        "VALUES (%s, 'twitter', %s, 'open', '', '', '', '', %s, %s, %s, true, '', '', '', %s, %s, %s, %s, %s, %s)"
    )
    m_sql = (
        "INSERT INTO conversations_message (id, direction, platform, platform_id, in_reply_to_platform_id, text, language, "
        "created_at, received_at, raw, metadata, author_id, conversation_id) VALUES (%s, 'in', 'twitter', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    from socialdesk.brands.models import BrandAccount

    accounts = {a.external_id: a for a in BrandAccount.objects.filter(platform="twitter")}
    support = accounts[
        next(a.external_id for a in accounts.values() if a.handle == "FirefoxSupport")
    ].pk
    with connection.execute_wrapper(counter):
        for page in pages(args.tweets, args.authors, args.seed, args.page):
            t, c = time.perf_counter(), time.process_time()
            now = dt(datetime.now(UTC))
            users = {u["id"]: u for u in page["includes"]["users"]}
            a_rows, c_rows, m_rows = [], [], []
            for tweet in sorted(page["data"], key=lambda x: x["id"]):
                u = users[tweet["author_id"]]
                if u["id"] not in author_ids:
                    author_ids[u["id"]] = next_author
                    a_rows.append(
                        (
                            next_author,
                            u["id"],
                            u["username"],
                            u["name"],
                            u["public_metrics"]["followers_count"],
                            u["verified"],
                            u["profile_image_url"],
                            now,
                        )
                    )
                    next_author += 1
                author = author_ids[u["id"]]
                created = datetime.fromisoformat(tweet["created_at"].replace("Z", "+00:00"))
                reply_to = next(
                    (
                        r["id"]
                        for r in tweet.get("referenced_tweets") or []
                        if r["type"] == "replied_to"
                    ),
                    "",
                )
                key = f"{tweet['conversation_id']}:{u['id']}"
                conv = conv_ids.get(key)
                if conv is None:
                    mentioned = [
                        accounts[m["id"]]
                        for m in tweet["entities"]["mentions"]
                        if m["id"] in accounts
                    ]
                    locale = next((a.pk for a in mentioned if a.kind == "locale"), support)
                    celebrity = u["verified"] or u["public_metrics"]["followers_count"] >= 100_000
                    conv = conv_ids[key] = next_conv
                    next_conv += 1
                    c_rows.append(
                        (
                            conv,
                            key,
                            tweet["lang"],
                            50 if celebrity else 0,
                            bool(mentioned) and not any(a.requires_moderation for a in mentioned),
                            now,
                            dt(created),
                            now,
                            author,
                            mentioned[0].pk if mentioned else None,
                            locale,
                        )
                    )
                m_rows.append(
                    (
                        next_msg,
                        tweet["id"],
                        reply_to,
                        tweet["text"],
                        tweet["lang"],
                        dt(created),
                        now,
                        ops.adapt_json_value({"tweet": tweet, "author": u}, None),
                        ops.adapt_json_value({}, None),
                        author,
                        conv,
                    )
                )
                next_msg += 1
            with transaction.atomic(), connection.cursor() as cur:
                if a_rows:
                    cur.executemany(a_sql, a_rows)
                if c_rows:
                    cur.executemany(c_sql, c_rows)
                cur.executemany(m_sql, m_rows)
            busy += time.perf_counter() - t
            cpu += time.process_time() - c
    return busy, cpu, next_msg - 1, next_author - 1, next_conv - 1, counter.n


def counts():
    from socialdesk.conversations.models import Author, Conversation, Message

    return Author.objects.count(), Conversation.objects.count(), Message.objects.count()


def measure(args, *, say=print) -> dict:
    """Run the product and the baseline on the configured database; the figures, also said as they come."""
    from django.db import connection

    figures = {"database": connection.vendor}
    say(
        f"Ingestion, {connection.vendor}: {args.tweets:,} tweets in pages of {args.page}, {args.authors:,} authors"
        f"{', triage skipped' if args.no_triage else ', with triage'}"
    )
    if args.only != "baseline":
        empty_tables()
        busy, cpu, res, queries, in_triage, after = run_product(args)
        stored = max(res.stored, 1)
        figures["product"] = {
            "tweets_per_s": res.stored / busy,
            "ms_per_tweet": busy / stored * 1000,
            "cpu_ms_per_tweet": cpu / stored * 1000,
            "statements_per_tweet": queries / stored,
            "stored": res.stored,
            "rows": counts(),
        }
        say(
            f"  product  normalise_page + ingest: {res.stored:,} stored in {busy:.1f}s = {res.stored / busy:,.0f} tweets/s "
            f"({busy / stored * 1000:.2f} ms/tweet, of which {cpu / stored * 1000:.2f} ms python CPU, "
            f"{queries / stored:.2f} statements/tweet); "
            f"{res.conversations_opened:,} conversations opened, {res.duplicates} duplicates, {res.skipped} skipped"
        )
        if not args.no_triage and args.triage_in_page:
            say(
                f"           of which triage (classify the page + record suggestions/tags): {in_triage:.1f}s = "
                f"{in_triage / stored * 1000:.2f} ms/tweet, {in_triage / busy:.0%} of the time"
            )
        elif not args.no_triage:
            figures["triage_after"] = {
                "ms_per_tweet": after["seconds"] / stored * 1000,
                "cpu_ms_per_tweet": after["cpu"] / stored * 1000,
                "statements_per_tweet": after["statements"] / stored,
                "triaged": after["triaged"],
                "tweets_per_s_with_triage": res.stored / (busy + after["seconds"]),
            }
            say(
                f"           then the pages' triage tasks (not in the figures above): {after['triaged']:,} conversations and follow-ups "
                f"in {after['seconds']:.1f}s = {after['seconds'] / stored * 1000:.2f} ms/tweet "
                f"({after['cpu'] / stored * 1000:.2f} ms python CPU, {after['statements'] / stored:.2f} statements/tweet); "
                f"store + triage: {res.stored / (busy + after['seconds']):,.0f} tweets/s"
            )
    if args.only != "product":
        empty_tables()
        busy, cpu, rows, n_a, n_c, queries = run_baseline(args)
        figures["baseline"] = {"rows_per_s": rows / busy, "rows": counts(), "statements": queries}
        say(
            f"  baseline raw executemany: {rows:,} messages (+{n_a:,} authors, {n_c:,} conversations) in {busy:.1f}s "
            f"= {rows / busy:,.0f} message rows/s ({(rows + n_a + n_c) / busy:,.0f} rows/s all tables, "
            f"{queries} statements, {cpu / max(rows, 1) * 1000:.2f} ms python CPU per message)"
        )
    if "product" in figures and "baseline" in figures:
        product, baseline = figures["product"], figures["baseline"]
        figures["same_rows"] = same = product["rows"] == baseline["rows"]
        figures["ratio"] = product["tweets_per_s"] / baseline["rows_per_s"]
        say(
            f"  authors/conversations/messages: product {product['rows']}, baseline {baseline['rows']}{'' if same else '  <-- differ'}"
        )
        say(
            f"  ratio product/baseline: {figures['ratio']:.3f} ({1 / figures['ratio']:.1f}x slower)"
        )
    return figures


def main():
    args = parse_args()
    tmp = setup_django(args)
    try:
        figures = measure(args, say=lambda line: print(line, flush=True))
        assert figures.get("same_rows", True), (
            "the product and the baseline did not store the same data"
        )
    finally:
        if tmp:
            from django.db import connection

            connection.close()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
