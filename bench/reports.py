"""How long the reports take over a large activity log.

Run from the repository root, against a scratch PostgreSQL database (its conversations and
activity log are emptied):

    createdb socialdesk_reports_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/socialdesk_reports_bench .venv/bin/python bench/reports.py
    DATABASE_URL=... .venv/bin/python bench/reports.py --conversations 20000 --days 30

It makes --conversations conversations spread evenly over the last --days days, each with the
log a real one leaves: opened, triaged, the customer's message, dealt in Play, our reply, and a
close; a third of them get a second customer message and a second reply. Then it times each
report (the selectors the pages call, the work of one page view without rendering) over the
last 7 days, the last 30 days and the whole range, three times each, and prints the best time,
the answers counted and the activity rows in the table. --reuse times again what the last run
filled (the days are counted back from the day it ran).
"""

import argparse
import io
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--conversations", type=int, default=100_000)
    p.add_argument("--days", type=int, default=90)
    p.add_argument(
        "--force", action="store_true", help="allow a database whose name does not contain 'bench'"
    )
    p.add_argument(
        "--reuse",
        action="store_true",
        help="time the reports on what the last run filled, without filling again",
    )
    return p.parse_args()


def setup(args):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "bench/reports.py needs PostgreSQL: set DATABASE_URL to a scratch database (createdb socialdesk_reports_bench)"
        )
    if "bench" not in url.rsplit("/", 1)[-1] and not args.force:
        sys.exit(
            "bench/reports.py empties the conversations of its database; use a database named *bench* or pass --force"
        )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from socialdesk.demo.seed import load_demo_configuration

    load_demo_configuration()


def fill(args):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from socialdesk.brands.models import BrandAccount
    from socialdesk.conversations.models import Author, Conversation

    rng = random.Random(1)
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE conversations_activity, conversations_conversation, conversations_author, play_playsession RESTART IDENTITY CASCADE"
        )
    agents = list(
        get_user_model()
        .objects.filter(username__in=["contributor", "moderator", "cm"])
        .values_list("pk", flat=True)
    )
    account = BrandAccount.objects.get(handle="FirefoxSupport")
    now = timezone.now()
    start = now - timedelta(days=args.days)
    authors = Author.objects.bulk_create(
        [
            Author(platform="twitter", external_id=str(i), handle=f"user{i}")
            for i in range(args.conversations)
        ],
        batch_size=5000,
    )
    conversations = Conversation.objects.bulk_create(
        [
            Conversation(
                platform="twitter",
                thread_key=str(i),
                author=a,
                account=account,
                respond_from=account,
                status="closed",
                close_reason="resolved",
                awaiting_reply=False,
                moderated=True,
                type=rng.choice(["support_request", "feedback", ""]),
                sentiment=rng.choice(["negative", "neutral", ""]),
                language=rng.choice(["en", "de", "fr"]),
                last_inbound_at=start,
            )
            for i, a in enumerate(authors)
        ],
        batch_size=5000,
    )
    buf = io.StringIO()
    rows = 0
    step = timedelta(days=args.days) / args.conversations

    def log(cid, actor, kind, detail, at):
        nonlocal rows
        buf.write(
            f"{cid}\t{actor if actor else chr(92) + 'N'}\t{kind}\t{detail}\t{at.isoformat()}\n"
        )
        rows += 1

    for i, c in enumerate(conversations):
        t = start + step * i
        agent = rng.choice(agents)
        log(c.pk, None, "opened", '{"account": "@FirefoxSupport"}', t)
        log(c.pk, None, "triaged", "{}", t)
        log(c.pk, None, "message_received", "{}", t)
        t += timedelta(seconds=rng.randint(30, 3600))
        log(c.pk, agent, "dealt", '{"queue": "twitter-conversations-moderated"}', t)
        t += timedelta(seconds=rng.randint(30, 900))
        log(c.pk, agent, "replied", '{"from": "@FirefoxSupport"}', t)
        if i % 3 == 0:
            t += timedelta(seconds=rng.randint(60, 7200))
            log(c.pk, None, "message_received", "{}", t)
            t += timedelta(seconds=rng.randint(60, 7200))
            log(c.pk, agent, "replied", '{"from": "@FirefoxSupport"}', t)
        t += timedelta(seconds=rng.randint(10, 600))
        log(c.pk, agent, "closed", '{"reason": "resolved"}', t)
    buf.seek(0)
    with connection.cursor() as cur:
        with cur.connection.cursor().copy(
            "COPY conversations_activity (conversation_id, actor_id, kind, detail, at) FROM STDIN"
        ) as copy:
            copy.write(buf.read())
        cur.execute("ANALYZE conversations_activity")
        cur.execute("ANALYZE conversations_conversation")
    return rows


def best_of(fn, n=3):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main():
    args = parse_args()
    setup(args)
    from django.utils import timezone

    from socialdesk.reports import selectors
    from socialdesk.reports.selectors import DateRange

    if args.reuse:
        from socialdesk.conversations.models import Activity

        print(f"reusing {Activity.objects.count():,} activity rows")
    else:
        t = time.perf_counter()
        rows = fill(args)
        print(
            f"filled {args.conversations:,} conversations, {rows:,} activity rows over {args.days} days in {time.perf_counter() - t:.1f} s"
        )
    today = timezone.localdate()
    from django.contrib.auth import get_user_model

    contributor = get_user_model().objects.get(username="contributor")
    print(f"{'range':>8} {'report':<16} {'best of 3':>10} {'figures'}")
    for days in (7, 30, args.days):
        period = DateRange(first=today - timedelta(days=days - 1), last=today)
        took, report = best_of(lambda period=period: selectors.response_times(period=period))
        print(
            f"{days:>6} d {'response times':<16} {took * 1000:>8.0f} ms  {report.overall.all.count:,} answers, "
            f"{report.overall.first.count:,} first responses"
        )
        took, mine = best_of(
            lambda period=period: selectors.response_times(period=period, agent=contributor)
        )
        print(
            f"{days:>6} d {'  one agent':<16} {took * 1000:>8.0f} ms  {mine.overall.all.count:,} answers (a contributor's own page)"
        )
        took, v = best_of(lambda period=period: selectors.volumes(period=period))
        print(
            f"{days:>6} d {'volumes':<16} {took * 1000:>8.0f} ms  {v.opened:,} opened, {v.closed:,} closed"
        )
        took, rec = best_of(lambda period=period: selectors.recognition(period=period))
        print(
            f"{days:>6} d {'recognition':<16} {took * 1000:>8.0f} ms  {sum(r.replies for r in rec):,} replies"
        )
    took, _ = best_of(lambda: selectors.dashboard())
    print(f"{'today':>8} {'dashboard':<16} {took * 1000:>8.0f} ms")


if __name__ == "__main__":
    main()
