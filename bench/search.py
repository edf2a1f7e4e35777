"""Search at size: p50/p95 of a search against its raw SQL, at N messages.

Run from the repository root, against a scratch database (its conversations are emptied):

    createdb sd_search_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_search_bench .venv/bin/python bench/search.py --sizes 100000,1000000
    .venv/bin/python bench/search.py --sizes 20000          # SQLite (FTS5), a temporary database

For each size N, N/2 conversations are written by bench/desk_fill.py, as for bench/queues.py (platforms,
statuses, languages, … spread as a desk's are), each with two messages: N messages. Their words
are drawn from a vocabulary of 20,000 words with Zipf frequencies (a few words everywhere, most
rare), German messages with German words among them. Then each query below is searched, as a
community manager (sees everything) and as a contributor (sees their queues: the visibility
query), --repeats times each:

* rare, medium, common: a word in about 1 in 50,000, 1 in 2,000 and 1 in 100 messages;
* two words: two medium words in the same message;
* german: an inflected German word (PostgreSQL stems it: "Passwort" finds "Passwörter");
* handle, number: a customer's @handle, a conversation's #number;
* with filters (the queue filters beside the results): the common word in open conversations,
  the common word in German ones, the medium word on Mastodon, the German word in held ones.

The product is `socialdesk.search.selectors.results`, the work of one results page without the
template: the matches, the visibility and filter query, the keyset page of 25, the snippets and
the capped count. The baseline is the bare SQL of the same text match and page in one statement
(every matching conversation from the text index, then the newest 26 of them), sent through the
driver's own cursor without Django, visibility, snippets or count: what the straightforward
query costs the database. Handle and number queries have no baseline.
p50/p95 are over every query and both people, product and baseline alternating.
"""

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import desk_fill  # noqa: E402  (the desk the benchmarks share)

VOCABULARY = 20_000
GERMAN = ["Passwörter", "Lesezeichen", "verschwunden", "abgestürzt", "Aktualisierung", "Fenster"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sizes", default="100000,1000000", help="comma-separated numbers of messages")
    p.add_argument("--repeats", type=int, default=20, help="searches per query and person")
    desk_fill.scratch_arguments(p, reuse_help="search what the last run filled")
    p.add_argument(
        "--explain",
        action="store_true",
        help="PostgreSQL: instead of timing, each query's statements with EXPLAIN (ANALYZE, BUFFERS): "
        "how many, the buffers they touch and their time inside the server",
    )
    return p.parse_args(argv)


def setup_django(args):
    desk_fill.setup_django("bench/search.py", args)


def people():
    from django.contrib.auth import get_user_model

    from socialdesk.demo.seed import load_demo_configuration
    from socialdesk.people.models import Profile, Role

    load_demo_configuration()
    out = {}
    for name, role in (
        ("bench-cm", Role.COMMUNITY_MANAGER),
        ("bench-contributor", Role.CONTRIBUTOR),
    ):
        user, _ = get_user_model().objects.get_or_create(username=name)
        Profile.objects.update_or_create(user=user, defaults={"role": role})
        out[name] = user
    return out


def vocabulary(rng):
    letters = "bcdfghklmnprstvz"
    vowels = "aeiou"
    words = set()
    while len(words) < VOCABULARY:
        words.add(
            "".join(rng.choice(letters) + rng.choice(vowels) for _ in range(rng.randrange(2, 5)))
        )
    words = sorted(words)
    rng.shuffle(words)
    return words


def text(rng, words, cum, language):
    """A message's text; the cumulative Zipf weights make word rank r about 1/r as frequent."""
    chosen = rng.choices(words, cum_weights=cum, k=rng.randrange(5, 15))
    if language == "de" and rng.random() < 0.2:
        chosen.append(rng.choice(GERMAN))
    return " ".join(chosen)


def fill(n_messages, *, seed):
    """N/2 conversations with two messages each; returns (seconds, the vocabulary)."""
    from django.db import connection

    rng = random.Random(seed)
    t0 = time.perf_counter()
    words = vocabulary(rng)
    cum, total = [], 0.0
    for r in range(len(words)):
        total += 1 / (r + 1)
        cum.append(total)

    def messages(pk, language):
        # Two a conversation: the customer's, then ours for one in three (else the customer's
        # again), each with the vocabulary's words.
        return [
            ("out" if k == 1 and (pk - 1) % 3 == 0 else "in", text(rng, words, cum, language))
            for k in (0, 1)
        ]

    def drop_search_index():
        # On PostgreSQL the conversations' rows of words are built once afterwards
        # (index.rebuild), not by the triggers statement by statement.
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ALTER TABLE conversations_message DISABLE TRIGGER USER")

    desk_fill.fill(
        max(1, n_messages // 2), seed=seed, messages=messages, before_messages=drop_search_index
    )
    if connection.vendor == "postgresql":
        from socialdesk.search import index

        with connection.cursor() as cur:
            cur.execute("ALTER TABLE conversations_message ENABLE TRIGGER USER")
        index.install()
        index.rebuild()
        with connection.cursor() as cur:
            for table in ("conversations_message", "conversations_conversation"):
                cur.execute(f"VACUUM ANALYZE {table}")
            cur.execute(f"VACUUM ANALYZE {index.CONVERSATION_TEXT}")
    return time.perf_counter() - t0, words


def queries(words, n_messages):
    """(kind, text) to search for: words picked by how many messages hold them."""
    from socialdesk.conversations.models import Author, Conversation

    # With Zipf weights over 20,000 words and ~10 words a message, rank r is in about
    # 10 / (r * H) of the messages (H ≈ 10.5): rank 1 ≈ 1 in 1, rank 10 ≈ 1 in 10, …
    def at(share):  # the rank whose word is in about `share` of the messages
        return min(len(words) - 1, max(0, round(10 / (share * 10.5))))

    newest = Conversation.objects.order_by("-pk").values_list("pk", flat=True).first()
    handle = Author.objects.filter(handle__startswith="bench_").values_list("handle", flat=True)[7]
    common, medium = words[at(1 / 100)], words[at(1 / 2_000)]
    return [
        ("rare", words[at(1 / 50_000)], {}),
        ("medium", medium, {}),
        ("common", common, {}),
        ("two words", f"{words[at(1 / 500)]} {words[at(1 / 300)]}", {}),
        ("german", "Passwort", {}),
        ("handle", f"@{handle}", {}),
        ("number", f"#{newest // 2}", {}),
        ("common+open", common, {"statuses": ("open",)}),
        ("common+de", common, {"languages": ("de",)}),
        ("medium+mastodon", medium, {"platforms": ("mastodon",)}),
        ("german+held", "Passwort", {"statuses": ("held",)}),
    ]


# The filters' columns, for the baseline's SQL.
FILTER_COLUMNS = {"statuses": "status", "languages": "language", "platforms": "platform"}


def baseline_sql(text):
    """The bare text match, as SQL with the text inlined (escaped) for the driver."""
    from django.db import connection

    from socialdesk.search.index import CONVERSATION_TEXT
    from socialdesk.search.selectors import Query, _fts5_query

    q = Query.parse(text)
    words = " ".join(q.words).replace("'", "''")
    if connection.vendor == "postgresql":
        return (
            f"SELECT conversation_id FROM {CONVERSATION_TEXT} "
            f"WHERE vector @@ socialdesk_tsquery('{words}')"
        )
    fts = _fts5_query(q.words).replace("'", "''")
    return (
        "SELECT m.conversation_id FROM search_message_fts f JOIN conversations_message m "
        f"ON m.id = f.rowid WHERE search_message_fts MATCH '{fts}'"
    )


def run_baseline(raw, sql, filters=None):
    """The search's database work without Django, visibility or snippets: the newest 26
    conversations among the matches (with the filters' columns, if any)."""
    from django.db import connection

    where = f"id = ANY(ARRAY({sql}))" if connection.vendor == "postgresql" else f"id IN ({sql})"
    for name, values in (filters or {}).items():
        quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
        where += f" AND {FILTER_COLUMNS[name]} IN ({quoted})"
    cur = raw.cursor()
    cur.execute(
        f"SELECT id FROM conversations_conversation WHERE {where} "
        "ORDER BY last_inbound_at DESC, id DESC LIMIT 26"
    )
    cur.fetchall()
    cur.close()


def measure(users, qs, *, repeats):
    from django.db import connection

    from socialdesk.queues.selectors import ConversationFilter
    from socialdesk.search.selectors import results

    raw = connection.connection
    product, baseline, per_kind = [], [], {}
    for kind, text, filters in qs:
        sql = baseline_sql(text) if kind not in ("handle", "number") else None
        f = ConversationFilter(**filters)
        for user in users.values():
            found = len(results(user=user, text=text, filter=f).rows)
            per_kind.setdefault(kind, {"text": text, "found": {}, "times": []})
            per_kind[kind]["found"][user.username] = found
            for _ in range(repeats):
                t = time.perf_counter()
                results(user=user, text=text, filter=f)
                elapsed = time.perf_counter() - t
                product.append(elapsed)
                per_kind[kind]["times"].append(elapsed)
                if sql:
                    t = time.perf_counter()
                    run_baseline(raw, sql, filters)
                    baseline.append(time.perf_counter() - t)
    return {
        "product_p50": _pct(product, 50),
        "product_p95": _pct(product, 95),
        "baseline_p50": _pct(baseline, 50),
        "baseline_p95": _pct(baseline, 95),
        "kinds": {
            k: {"text": v["text"], "found": v["found"], "p95": _pct(v["times"], 95)}
            for k, v in per_kind.items()
        },
    }


def explain(users, qs):
    """Each query's statements, as the product sends them, each run first under
    EXPLAIN (ANALYZE, BUFFERS) in the same transaction and settings: what the database does for a
    page, whatever the load (buffers are 8 kB pages, read or found in memory)."""
    from django.db import connection

    from socialdesk.queues.selectors import ConversationFilter
    from socialdesk.search.selectors import results

    out = {}

    for kind, text, filters in qs:
        for user in users.values():
            plans = []

            def wrapper(execute, sql, params, many, context, plans=plans):
                if (
                    not many
                    and sql.lstrip().upper().startswith("SELECT")
                    and "set_config" not in sql
                ):
                    raw = context["cursor"].cursor
                    raw.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
                    plan = raw.fetchone()[0][0]
                    top = plan["Plan"]
                    plans.append(
                        (
                            top["Shared Hit Blocks"] + top["Shared Read Blocks"],
                            plan["Execution Time"] + plan.get("Planning Time", 0),
                            sql,
                        )
                    )
                return execute(sql, params, many, context)

            results(user=user, text=text, filter=ConversationFilter(**filters))  # warm
            with connection.execute_wrapper(wrapper):
                results(user=user, text=text, filter=ConversationFilter(**filters))
            out[(kind, user.username)] = plans
    return out


def _pct(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def bench(n_messages, *, repeats=20, seed=11, reuse=False):
    """Fill (unless `reuse`) and measure; returns (fill seconds, results)."""
    users = people()
    seconds, words = (0.0, vocabulary(random.Random(seed))) if reuse else (None, None)
    if not reuse:
        seconds, words = fill(n_messages, seed=seed)
    else:
        from socialdesk.search import index

        index.install()  # the functions as this checkout writes them (idempotent)
    return seconds, measure(users, queries(words, n_messages), repeats=repeats)


def main(argv=None):
    args = parse_args(argv)
    setup_django(args)
    from django.db import connection

    if args.explain:
        n = int(args.sizes.split(",")[0])
        if not args.reuse:
            fill(n, seed=args.seed)
        from socialdesk.search import index

        index.install()
        words = vocabulary(random.Random(args.seed))
        for (kind, who), plans in explain(people(), queries(words, n)).items():
            worst = max(plans, default=(0, 0, ""))
            print(
                f"{kind:15} {who:17} {len(plans):2} statements, "
                f"{sum(p[0] for p in plans):6} buffers, {sum(p[1] for p in plans):7.1f} ms in the server; "
                f"the most: {worst[0]} buffers, {worst[1]:.1f} ms: {' '.join(worst[2].split())[:150]}"
            )
        return
    for n in (int(s) for s in args.sizes.split(",")):
        seconds, r = bench(n, repeats=args.repeats, seed=args.seed, reuse=args.reuse)
        print(
            f"{connection.vendor} N={n:,} messages (filled in {seconds:.0f} s): "
            f"search p50 {r['product_p50'] * 1000:.1f} ms, p95 {r['product_p95'] * 1000:.1f} ms; "
            f"raw SQL p50 {r['baseline_p50'] * 1000:.1f} ms, p95 {r['baseline_p95'] * 1000:.1f} ms"
        )
        for kind, k in r["kinds"].items():
            print(
                f"  {kind:15} {k['text']!r:28} p95 {k['p95'] * 1000:7.1f} ms  found {k['found']}"
            )


if __name__ == "__main__":
    main()
