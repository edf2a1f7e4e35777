"""Exactly-once under platform faults and worker crashes (CH7), measured on each platform's simulator.

    .venv/bin/python bench/faults.py                      # X, full size: 10,000 inbound, 1,000 replies
    .venv/bin/python bench/faults.py --platform google_play   # or mastodon; or all
    .venv/bin/python bench/faults.py --inbound 300 --outbound 60   # the size CI runs
    DATABASE_URL=postgres://... .venv/bin/python bench/faults.py  # on PostgreSQL (a scratch db)

The real processes run: `socialdesk scheduler` and `socialdesk db_worker` against a database of
their own, the platform's simulator in this process with its fault mode on (a share of requests
answered 429, 500, 503, held past the client's time-out, dropped after acting, or malformed),
and the worker is killed with SIGKILL several times while it works. At the end the simulator's
own records are compared with what was asked: every customer message (tweet, review, toot)
stored exactly once, every reply performed exactly once.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from abc import ABC, abstractmethod
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulators.google_play import GooglePlaySimulator  # noqa: E402
from simulators.mastodon import MastodonSimulator  # noqa: E402
from simulators.twitter import TwitterSimulator  # noqa: E402

QUERY = """
import json, django
django.setup()
from socialdesk.conversations.models import Message
from socialdesk.outbox.models import OutboundAction
ids = list(Message.objects.filter(direction="in").values_list("platform_id", flat=True))
states = {}
for s in OutboundAction.objects.values_list("state", flat=True):
    states[s] = states.get(s, 0) + 1
print(json.dumps({"inbound": len(ids), "distinct": len(set(ids)), "actions": states}))
"""

REPLY = """
import sys, django
django.setup()
from django.contrib.auth import get_user_model
from socialdesk.actions import conversation as actions
from socialdesk.errors import ActionError
from socialdesk.conversations.models import Conversation
from socialdesk.outbox.models import OutboundAction
want, handle = int(sys.argv[1]), sys.argv[2]
have = OutboundAction.objects.filter(kind="reply").count()
# A moderator: Google Play reviews wait for one, and contributors do not see them until then.
agent = get_user_model().objects.get(username="moderator")
for c in Conversation.objects.filter(awaiting_reply=True, account__handle=handle).order_by("pk")[: max(0, want - have)]:
    try:
        actions.reply(actor=agent, conversation=c, text=f"Thanks for asking, here is the answer to #{c.pk}")
    except ActionError as exc:
        print(exc.message, file=sys.stderr)
print(OutboundAction.objects.filter(kind="reply").count())
"""


class Platform(ABC):
    """What the harness needs of one platform's simulator; everything above it is shared."""

    name = ""
    env = ""  # the setting that points the connector at the simulator
    handle = ""  # the brand account the replies go out from (the demo's)
    extra_config: dict = {}

    @abstractmethod
    def simulator(self, seed: int):
        """A new simulator of the platform."""

    @abstractmethod
    def customer_writes(self, http: requests.Session, base: str, i: int) -> None:
        """Customer message number `i` appears on the simulator."""

    @abstractmethod
    def replies_performed(self, base: str) -> list[str]:
        """The target of every reply the simulator performed, one entry per reply."""


class Twitter(Platform):
    name, env, handle = "twitter", "SOCIALDESK_TWITTER_API_BASE", "FirefoxSupport"

    def simulator(self, seed):
        return TwitterSimulator(seed=seed)

    def customer_writes(self, http, base, i):
        http.post(
            f"{base}/_sim/customer_tweets",
            json={
                "text": f"@FirefoxSupport question {i}: my bookmarks vanished",
                "author": {"username": f"customer{i % 500}"},
            },
            timeout=10,
        ).raise_for_status()

    def replies_performed(self, base):
        tweets = requests.get(
            f"{base}/_sim/tweets", params={"author": self.handle}, timeout=30
        ).json()["data"]
        return [
            next(
                (r["id"] for r in t.get("referenced_tweets", []) if r["type"] == "replied_to"), ""
            )
            for t in tweets
        ]


class GooglePlay(Platform):
    name, env, handle = "google_play", "SOCIALDESK_GOOGLE_PLAY_API_BASE", "org.mozilla.firefox"

    def simulator(self, seed):
        return GooglePlaySimulator(seed=seed)

    def customer_writes(self, http, base, i):
        http.post(
            f"{base}/_sim/reviews",
            json={
                "text": f"Review {i}: my bookmarks vanished after the update",
                "star_rating": 1 + i % 5,
                "author_name": f"Customer {i}",
            },
            timeout=10,
        ).raise_for_status()

    def replies_performed(self, base):
        # Every reviews.reply the simulator carried out, whatever answer the client got.
        return [
            r["review_id"] for r in requests.get(f"{base}/_sim/replies", timeout=30).json()["data"]
        ]


class Mastodon(Platform):
    name, env, handle = "mastodon", "SOCIALDESK_MASTODON_API_BASE", "firefox_support"
    # The instance's own limit (300 requests in 5 minutes) would make the run an hour long; the
    # fault mode's 429s still come.
    extra_config = {"rate_limit": 1_000_000}

    def simulator(self, seed):
        return MastodonSimulator(seed=seed)

    def customer_writes(self, http, base, i):
        http.post(
            f"{base}/_sim/customer_statuses",
            json={
                "text": f"@firefox_support question {i}: my bookmarks vanished",
                "author": {"username": f"customer{i % 500}"},
            },
            timeout=10,
        ).raise_for_status()

    def replies_performed(self, base):
        # Statuses created, not replays of an Idempotency-Key (those return the first status).
        statuses = requests.get(
            f"{base}/_sim/statuses", params={"account": self.handle}, timeout=30
        ).json()["data"]
        return [s["in_reply_to_id"] or "" for s in statuses]


PLATFORMS = {p.name: p for p in (Twitter(), GooglePlay(), Mastodon())}
# Every platform's API base; those not under test point at a closed port and fail at once.
NOWHERE = "http://127.0.0.1:9"


def run(
    *,
    inbound: int,
    outbound: int,
    kills: int,
    share: float = 0.1,
    seed: int = 1,
    database_url: str | None = None,
    deadline_seconds: float = 900,
    platform: str = "twitter",
    log=print,
) -> dict:
    spec = PLATFORMS[platform]
    sim = spec.simulator(seed)
    server = sim.serve(host="127.0.0.1", port=0)
    base = server.base_url
    work = tempfile.mkdtemp(prefix="socialdesk-faults-")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update({p.env: NOWHERE for p in PLATFORMS.values()})
    env.update(
        DJANGO_SETTINGS_MODULE="socialdesk.settings",
        SOCIALDESK_DATA_DIR=work,
        SOCIALDESK_POLL_SECONDS="0.5",
        SOCIALDESK_CONNECTOR_TIMEOUT_SECONDS="1.5",
        SOCIALDESK_GOOGLE_PLAY_MIN_POLL_SECONDS="0.5",
        SOCIALDESK_OUTBOX_BACKOFF_SECONDS="0.2",
        SOCIALDESK_OUTBOX_BACKOFF_CAP_SECONDS="2",
        SOCIALDESK_OUTBOX_MAX_ATTEMPTS="100",
        SOCIALDESK_OUTBOX_STALLED_SECONDS="4",
        SOCIALDESK_POLL_LOST_SECONDS="8",
        # A 'timeout' fault carries the request out 2 s after it came, past our 1.5 s time-out.
        SOCIALDESK_OUTBOX_SETTLE_SECONDS="3",
        # The simulators are not held to the platforms' real budgets (1,000 replies from one X
        # account would take ten hours at 300 per 3 hours); their injected 429s still come.
        SOCIALDESK_OUTBOX_RATE_LIMITS="twitter=100000/60,mastodon=100000/60,google_play=100000/60",
        LOG_LEVEL="WARNING",
    )
    env[spec.env] = base
    scratch = None
    if database_url:
        # A database of its own, made and dropped here, so counts start from nothing.
        scratch = _create_scratch(database_url)
        env["DATABASE_URL"] = scratch[0]
    py = [sys.executable, "-m", "socialdesk.cli"]
    procs: list[subprocess.Popen] = []
    try:
        subprocess.run([*py, "migrate", "--no-input", "-v0"], env=env, check=True, cwd=ROOT)
        subprocess.run(
            [*py, "load_demo"], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL
        )
        t0 = time.monotonic()
        with requests.Session() as http:
            for i in range(inbound):
                spec.customer_writes(http, base, i)
        http_cfg = {
            "faults": {
                "share": share,
                "kinds": ["429", "500", "503", "timeout", "drop_after_commit", "malformed"],
                "timeout_seconds": 2.0,
            },
            "seed": seed,
            **spec.extra_config,
        }
        requests.post(f"{base}/_sim/config", json=http_cfg, timeout=10).raise_for_status()
        log(
            f"{platform}: {inbound} customer messages on the simulator; faults on for {share:.0%} of API requests"
        )

        def start_worker():
            return subprocess.Popen(
                [*py, "db_worker", "--interval", "0.2"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

        scheduler = subprocess.Popen(
            [*py, "scheduler"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        worker = start_worker()
        procs += [scheduler, worker]

        def query() -> dict:
            out = subprocess.run(
                [sys.executable, "-c", QUERY],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            return json.loads(out.stdout)

        killed = 0
        queued = 0
        next_kill = time.monotonic() + 4
        deadline = time.monotonic() + deadline_seconds
        while time.monotonic() < deadline:
            if queued < outbound:
                out = subprocess.run(
                    [sys.executable, "-c", REPLY, str(outbound), spec.handle],
                    env=env,
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                )
                queued = int(out.stdout.strip() or 0)
            if killed < kills and time.monotonic() >= next_kill:
                worker.send_signal(signal.SIGKILL)
                worker.wait()
                killed += 1
                log(f"worker killed with SIGKILL ({killed}/{kills}), started again")
                worker = start_worker()
                procs.append(worker)
                next_kill = time.monotonic() + 6
            state = query()
            done = state["actions"].get("sent", 0) + state["actions"].get("failed", 0)
            if (
                killed >= kills
                and state["inbound"] >= inbound
                and queued >= outbound
                and done >= outbound
            ):
                break
            time.sleep(1)
        elapsed = time.monotonic() - t0
        state = query()
        replies = spec.replies_performed(base)
        per_target: dict[str, int] = {}
        for target in replies:
            per_target[target] = per_target.get(target, 0) + 1
        sim_state = requests.get(f"{base}/_sim/state", timeout=10).json()
        fault_mode = sim_state.get("fault_mode") or sim_state.get("faults") or {}
        return {
            "platform": platform,
            "seconds": round(elapsed, 1),
            "kills": killed,
            "inbound_expected": inbound,
            "inbound_stored": state["inbound"],
            "inbound_distinct": state["distinct"],
            "replies_asked": queued,
            "actions": state["actions"],
            "replies_on_platform": len(replies),
            "targets_answered_twice": sum(1 for n in per_target.values() if n > 1),
            "faults_injected": fault_mode.get("injected", {}),
            "requests_seen": fault_mode.get("requests"),
        }
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        sim.close()
        if scratch:
            _drop_scratch(database_url, scratch[1])


def _admin(database_url: str):
    import psycopg

    return psycopg.connect(database_url, autocommit=True)


def _create_scratch(database_url: str) -> tuple[str, str]:
    from urllib.parse import urlsplit, urlunsplit

    name = f"socialdesk_faults_{os.getpid()}"
    with _admin(database_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(database_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, "")), name


def _drop_scratch(database_url: str, name: str) -> None:
    with _admin(database_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def exactly_once(result: dict) -> bool:
    return (
        result["inbound_stored"] == result["inbound_distinct"] == result["inbound_expected"]
        and result["replies_on_platform"]
        == result["replies_asked"]
        == result["actions"].get("sent", 0)
        and result["targets_answered_twice"] == 0
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--platform", choices=[*PLATFORMS, "all"], default="twitter")
    parser.add_argument("--inbound", type=int, default=10_000)
    parser.add_argument("--outbound", type=int, default=1_000)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--share", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    ok = True
    for platform in PLATFORMS if args.platform == "all" else [args.platform]:
        result = run(
            inbound=args.inbound,
            outbound=args.outbound,
            kills=args.kills,
            share=args.share,
            seed=args.seed,
            database_url=os.environ.get("DATABASE_URL"),
            deadline_seconds=3600,
            platform=platform,
        )
        print(json.dumps(result, indent=2))
        print(f"{platform}: exactly once: " + ("yes" if exactly_once(result) else "NO"))
        ok = ok and exactly_once(result)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
