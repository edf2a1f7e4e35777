"""Where one Play Mode deal spends its time, and how PostgreSQL runs the dealing statement.

Run after bench/dealing.py (it uses the table and the agents that script leaves behind):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/socialdesk_bench .venv/bin/python bench/deal_profile.py
    DATABASE_URL=... .venv/bin/python bench/deal_profile.py --explain          # the plans, see below
    DATABASE_URL=... .venv/bin/python bench/deal_profile.py --explain --verbose

Without --explain it deals and closes 300 conversations as one agent and prints the time per
cycle, the statements per cycle with their mean time (the dealing statement runs on its own
prepared cursor and is timed apart), and where the Python time goes (cProfile, top 15).

With --explain it runs EXPLAIN (ANALYZE, BUFFERS) of the deal exactly as the product sends it,
inside a transaction that is rolled back, for every queue of the demo configuration, for Play
within left-panel filters (a common tag, a rare tag, no tag, a language, a type, a sentiment, an
account), for an agent with a follow-up kept for them, and for an agent who skipped the first
200 conversations of the queue; for each it prints the execution time, the rows the index scans
read, and any sequential scan or sort (which would make the cost grow with the table).
"""

import argparse
import cProfile
import io
import os
import pstats
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialdesk.settings")


def args():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--explain",
        action="store_true",
        help="print the plans of the dealing statement instead of profiling",
    )
    p.add_argument(
        "--verbose", action="store_true", help="with --explain: print every plan in full"
    )
    p.add_argument(
        "--generic",
        action="store_true",
        help="with --explain: the generic plan of the prepared statement",
    )
    p.add_argument("--cycles", type=int, default=300)
    return p.parse_args()


def deal_values(session, agent, now):
    import json
    from datetime import timedelta

    from django.conf import settings
    from django.db import connection

    from socialdesk.actions.deal import lease_length

    dt = connection.ops.adapt_datetimefield_value
    return {
        "agent": agent.pk,
        "session": session.pk,
        "now": dt(now),
        "expires": dt(now + lease_length()),
        "skip_since": dt(now - timedelta(seconds=settings.SOCIALDESK_SKIP_SECONDS)),
        "detail": json.dumps({"queue": session.queue.slug, "session": session.pk}),
    }


GENERIC = False


def _nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def explain(session, agent, label, verbose):
    import json

    from django.db import connection, transaction
    from django.utils import timezone

    from socialdesk.actions.deal import _statement

    deal = _statement(session=session, vendor=connection.vendor)
    params = deal.once.params(deal_values(session, agent, timezone.now()))
    with transaction.atomic(), connection.cursor() as cur:
        if GENERIC:
            # As a prepared statement with the plan PostgreSQL may switch to after five runs:
            # one made without the parameters' values.
            from psycopg import sql as psql

            n = iter(range(1, len(params) + 1))
            prepared = re.sub(r"%s", lambda m: f"${next(n)}", deal.once.sql)
            cur.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            cur.execute(f"PREPARE bench_deal AS {prepared}")
            args = psql.SQL(", ").join(psql.Literal(p) for p in params).as_string(cur.connection)
            statement = f"EXECUTE bench_deal({args})"
        else:
            statement = deal.once.sql
        if verbose:  # the same run twice would find the first one's deal held
            with transaction.atomic():
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, None if GENERIC else params)
                text = "\n".join(r[0] for r in cur.fetchall())
                transaction.set_rollback(True)
        cur.execute(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, None if GENERIC else params
        )
        result = cur.fetchone()[0]
        if GENERIC:
            cur.execute("DEALLOCATE bench_deal")
        transaction.set_rollback(True)
    result = json.loads(result) if isinstance(result, str) else result
    top = result[0]
    read, warn = [], []
    for n in _nodes(top["Plan"]):
        loops = n.get("Actual Loops", 0)
        if (
            n.get("Relation Name") == "conversations_conversation"
            and loops
            and n["Node Type"] != "ModifyTable"
        ):
            rows = (n.get("Actual Rows", 0) + n.get("Rows Removed by Filter", 0)) * loops
            name = n.get("Index Name", n["Node Type"]).replace("conversations_conversation_", "")
            if n["Node Type"] == "Seq Scan":
                warn.append(f"SEQ SCAN ({rows:,} rows)")
            elif rows:
                read.append(f"{name} {rows:,}")
        if n["Node Type"] in ("Sort", "Incremental Sort") and loops:
            space = n.get("Sort Space Used") or n.get("Full-sort Groups", {}).get(
                "Peak Sort Space Used", 0
            )
            if space > 64 or n.get("Sort Space Type") == "Disk":
                warn.append(f"SORT {space}kB {n.get('Sort Space Type', '')}")
    print(
        f"  {label:<44} {top['Execution Time']:8.2f} ms (planning {top['Planning Time']:5.2f} ms)  "
        f"rows read: {', '.join(read) or '-'}  {' '.join(warn)}"
    )
    if verbose:
        print(text)
        print()


def run_explain(verbose):
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from socialdesk.conversations.models import Conversation
    from socialdesk.play.models import PlaySession, PlaySkip
    from socialdesk.queues.models import Queue
    from socialdesk.queues.selectors import NONE, ConversationFilter, dealable

    User = get_user_model()
    total = Conversation.objects.count()
    print(f"EXPLAIN ANALYZE of the dealing statement, {total:,} conversations")
    from socialdesk.people.models import Profile, Role

    kept = (
        Conversation.objects.filter(reserved_for__isnull=False, reserved_until__gt=timezone.now())
        .values_list("reserved_for", flat=True)
        .first()
    )
    plain, _ = User.objects.get_or_create(username="bench-explain")
    Profile.objects.update_or_create(user=plain, defaults={"role": Role.ADMIN})
    agent = User.objects.get(pk=kept) if kept else plain
    n_kept = Conversation.objects.filter(reserved_for=agent).count()
    print(
        f"agent {plain.username}: nothing kept for them; {agent.username}: {n_kept} follow-ups kept for them"
    )

    with transaction.atomic():
        # A first statement in a new connection pays for loading the catalogue: not counted.
        explain(
            PlaySession.objects.create(agent=plain, queue=Queue.objects.first()),
            plain,
            "(warm-up)",
            False,
        )
        print("Each queue of the demo configuration:")
        for queue in Queue.objects.order_by("position"):
            s = PlaySession.objects.create(agent=plain, queue=queue)
            explain(s, plain, f"{queue.name}", verbose)
        twitter = Queue.objects.get(slug="twitter-conversations-moderated")
        print(f"Play within a filter of the left panel, on {twitter.name}:")
        for label, f in [
            ("tag bench-common (1 in 20)", ConversationFilter(tags=("bench-common",))),
            ("tag bench-rare (1 in 10,000)", ConversationFilter(tags=("bench-rare",))),
            ("no tag", ConversationFilter(tags=(NONE,))),
            ("language de", ConversationFilter(languages=("de",))),
            ("language xx (nothing)", ConversationFilter(languages=("xx",))),
            ("type question (nothing classified)", ConversationFilter(types=("question",))),
            ("sentiment negative (nothing)", ConversationFilter(sentiments=("negative",))),
            ("account @FirefoxSupport", ConversationFilter(accounts=("FirefoxSupport",))),
        ]:
            s = PlaySession.objects.create(agent=plain, queue=twitter, filter=f.as_dict())
            explain(s, plain, label, verbose)
        print("Reservations and skips, on the same queue:")
        s = PlaySession.objects.create(agent=agent, queue=twitter)
        explain(s, agent, "an agent with follow-ups kept for them", verbose)
        s = PlaySession.objects.create(agent=plain, queue=twitter)
        head = list(
            dealable(queue=twitter, agent=plain).values_list("pk", "last_inbound_at")[:200]
        )
        now = timezone.now()
        PlaySkip.objects.bulk_create(
            PlaySkip(session=s, conversation_id=pk, skipped_at=now) for pk, _ in head
        )
        explain(s, plain, "an agent who skipped the first 200", verbose)
        transaction.set_rollback(True)


def run_profile(cycles):
    from collections import defaultdict

    from django.contrib.auth import get_user_model
    from django.db import connection

    from socialdesk.actions.deal import deal_next, start
    from socialdesk.queues.models import Queue

    user = get_user_model().objects.select_related("profile").get(username="bench-agent-000")
    queue = Queue.objects.get(slug="twitter-conversations-moderated")
    session = start(agent=user, queue=queue)
    sqls = []

    def w(execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sqls.append((time.perf_counter() - t, sql[:110]))

    deal_time = []
    close = "UPDATE conversations_conversation SET status = 'closed', dealt_to_id = NULL, lease_expires_at = NULL WHERE id = %s"
    prof = cProfile.Profile()
    with connection.execute_wrapper(w), connection.cursor() as cur:
        t = time.perf_counter()
        prof.enable()
        for _ in range(cycles):
            t1 = time.perf_counter()
            c = deal_next(agent=user, session=session)
            deal_time.append(time.perf_counter() - t1)
            cur.execute(close, [c.pk])
        prof.disable()
        tot = time.perf_counter() - t
    print(
        f"{cycles} deal+close: {tot / cycles * 1000:.2f} ms each; deal_next alone {sum(deal_time) / cycles * 1000:.2f} ms"
    )
    agg = defaultdict(lambda: [0, 0.0])
    for x, s in sqls:
        agg[s][0] += 1
        agg[s][1] += x
    print("Statements through Django's cursor (the prepared dealing statement is not among them):")
    for s, (n, x) in sorted(agg.items(), key=lambda kv: -kv[1][1]):
        print(f"{n / cycles:4.1f}x {x / n * 1000:6.3f} ms  {s}")
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(15)
    print(out.getvalue())


def main():
    a = args()
    import django

    django.setup()
    if a.explain:
        global GENERIC
        GENERIC = a.generic
        run_explain(a.verbose)
    else:
        run_profile(a.cycles)


if __name__ == "__main__":
    main()
