"""Outbox throughput: replies sent per second by the real worker process against the X simulator.

    .venv/bin/python bench/outbox.py                               # 600 replies, 1 worker, threads 1 then 8
    .venv/bin/python bench/outbox.py --replies 1200 --threads 1,8,16 --workers 1,2
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/outbox.py   # a scratch db per run

For each combination of worker processes and SOCIALDESK_OUTBOX_THREADS a fresh scratch database
(SQLite in a temporary folder, or a PostgreSQL database made and dropped for the run) gets the
demo configuration; customer tweets are posted on the X simulator, mentioning the six X accounts
that answer (so replies go out from six accounts), polled in, and answered through the action
layer (which enqueues one send task per reply, as the UI does). Then `socialdesk db_worker`
process(es) start and work until every reply is sent. sends/s = replies / the time from the
first claim to the last reply recorded as sent (the worker's start-up is not counted).
At the end the simulator's own record is checked: every customer tweet answered exactly once.

`--latency` holds every reply on the simulator for that many seconds first (a real platform
takes 0.1-0.5 s to answer a post); `--threads 1` is one send at a time, as the outbox sent before.
The simulator is not held to X's real budget of 300 posts per 3 hours per account
(socialdesk/outbox/limits.py): the run lifts it with SOCIALDESK_OUTBOX_RATE_LIMITS.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import faults  # noqa: E402  (bench/faults.py: scratch databases, the closed port)

from simulators.twitter import TwitterSimulator  # noqa: E402

# Mentioned account -> language; @Firefox mentions are answered from @FirefoxSupport.
MENTIONS = [
    ("FirefoxSupport", "en"),
    ("mozilla_germany", "de"),
    ("mozilla_france", "fr"),
    ("firefox_es", "es"),
    ("FirefoxBrasil", "pt"),
    ("FirefoxTurkiye", "tr"),
]

PREPARE = """
import sys, django
django.setup()
from django.contrib.auth import get_user_model
from socialdesk.actions import conversation as actions
from socialdesk.conversations.models import Conversation
from socialdesk.ingestion.polling import poll_all
want = int(sys.argv[1])
for _ in range(50):
    poll_all()
    if Conversation.objects.count() >= want:
        break
admin = get_user_model().objects.get(username="admin")
n = 0
for c in Conversation.objects.order_by("pk"):
    actions.reply(actor=admin, conversation=c, text=f"Thanks for writing, here is the answer to #{c.pk}")
    n += 1
print(n)
"""

COUNT = """
import json, django
django.setup()
from django.db.models import Max, Min
from socialdesk.outbox.models import OutboundAction
states = {}
for s in OutboundAction.objects.values_list("state", flat=True):
    states[s] = states.get(s, 0) + 1
span = OutboundAction.objects.filter(state="sent").aggregate(first=Min("last_attempt_at"), last=Max("updated_at"))
seconds = (span["last"] - span["first"]).total_seconds() if span["first"] and span["last"] else 0
print(json.dumps({"states": states, "seconds": seconds}))
"""


def ints(text):
    return [int(x) for x in text.split(",") if x.strip()]


def _hold_replies(latency: float) -> None:
    """Every POST /2/tweets on the simulator waits `latency` seconds before it is carried out."""
    from simulators.twitter import server as x_server

    original = getattr(x_server.Api, "_unheld_create_tweet", x_server.Api.create_tweet)
    x_server.Api._unheld_create_tweet = original

    def create_tweet(self, req):
        if latency:
            time.sleep(latency)
        return original(self, req)

    x_server.Api.create_tweet = create_tweet


def run(
    *,
    replies: int,
    threads: int,
    workers: int,
    latency: float,
    database_url: str | None,
    log=print,
) -> dict:
    import json

    _hold_replies(latency)
    sim = TwitterSimulator(seed=5)
    server = sim.serve(host="127.0.0.1", port=0)
    base = server.base_url
    work = tempfile.mkdtemp(prefix="socialdesk-outbox-")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update({p.env: faults.NOWHERE for p in faults.PLATFORMS.values()})
    env.update(
        DJANGO_SETTINGS_MODULE="socialdesk.settings",
        SOCIALDESK_DATA_DIR=work,
        SOCIALDESK_TWITTER_API_BASE=base,
        SOCIALDESK_OUTBOX_THREADS=str(threads),
        SOCIALDESK_OUTBOX_RATE_LIMITS="twitter=1000000/60",
        LOG_LEVEL="WARNING",
    )
    scratch = None
    if database_url:
        scratch = faults._create_scratch(database_url)
        env["DATABASE_URL"] = scratch[0]
    py = [sys.executable, "-m", "socialdesk.cli"]
    procs = []
    try:
        subprocess.run([*py, "migrate", "--no-input", "-v0"], env=env, check=True, cwd=ROOT)
        subprocess.run(
            [*py, "load_demo"], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL
        )
        with requests.Session() as http:
            for i in range(replies):
                handle, lang = MENTIONS[i % len(MENTIONS)]
                http.post(
                    f"{base}/_sim/customer_tweets",
                    json={
                        "text": f"@{handle} question {i}: my bookmarks vanished",
                        "lang": lang,
                        "author": {"username": f"customer{i}"},
                    },
                    timeout=10,
                ).raise_for_status()
        out = subprocess.run(
            [sys.executable, "-c", PREPARE, str(replies)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if out.returncode:
            raise RuntimeError(out.stderr[-3000:])
        queued = int(out.stdout.strip().splitlines()[-1])
        t0 = time.monotonic()
        for _ in range(workers):
            procs.append(
                subprocess.Popen(
                    [*py, "db_worker", "--interval", "0.2"],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        states, span = {}, 0.0
        while time.monotonic() - t0 < 1800:
            time.sleep(2)
            got = json.loads(
                subprocess.run(
                    [sys.executable, "-c", COUNT],
                    env=env,
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            states, span = got["states"], got["seconds"]
            if states.get("sent", 0) + states.get("failed", 0) >= queued:
                break
        # From the first claim to the last reply recorded as sent (the worker's start-up, Python
        # imports included, is not counted).
        elapsed = span or (time.monotonic() - t0)
        tweets = requests.get(f"{base}/_sim/tweets", timeout=60).json()["data"]
        per_target: dict[str, int] = {}
        for t in tweets:
            for r in t.get("referenced_tweets") or []:
                if r["type"] == "replied_to":
                    per_target[r["id"]] = per_target.get(r["id"], 0) + 1
        return {
            "replies": queued,
            "threads": threads,
            "workers": workers,
            "seconds": round(elapsed, 2),
            "sends_per_s": states.get("sent", 0) / elapsed,
            "states": states,
            "on_platform": sum(per_target.values()),
            "answered_twice": sum(1 for n in per_target.values() if n > 1),
        }
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        sim.close()
        if scratch:
            faults._drop_scratch(database_url, scratch[1])


def main():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--replies", type=int, default=600)
    p.add_argument(
        "--threads",
        default="1,8",
        help="SOCIALDESK_OUTBOX_THREADS values to compare (default 1,8)",
    )
    p.add_argument("--workers", default="1", help="db_worker processes (default 1)")
    p.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds the simulator holds each reply before answering",
    )
    args = p.parse_args()
    rows = []
    for workers in ints(args.workers):
        for threads in ints(args.threads):
            r = run(
                replies=args.replies,
                threads=threads,
                workers=workers,
                latency=args.latency,
                database_url=os.environ.get("DATABASE_URL"),
            )
            rows.append(r)
            print(
                f"workers {workers}  threads {threads:>2}: {r['replies']} replies in {r['seconds']:.1f}s = {r['sends_per_s']:.1f} sends/s; "
                f"states {r['states']}; on the platform {r['on_platform']}, answered twice {r['answered_twice']}",
                flush=True,
            )
    print()
    print(
        "| worker processes | threads per worker | replies | seconds | sends/s | on the platform | answered twice |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['workers']} | {r['threads']} | {r['replies']} | {r['seconds']:.1f} | {r['sends_per_s']:.1f} | {r['on_platform']} | {r['answered_twice']} |"
        )
    bad = [
        r
        for r in rows
        if r["on_platform"] != r["replies"]
        or r["answered_twice"]
        or r["states"].get("sent") != r["replies"]
    ]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
