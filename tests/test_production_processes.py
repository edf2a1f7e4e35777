"""The production entry points as plain processes against PostgreSQL, as docs/deploy.md runs them:
the web server (gunicorn with deploy/gunicorn.conf.py), two schedulers and two task workers, with
the documented production settings (deploy/socialdesk.env.example). Customer tweets on the X
simulator are stored once each, replies go out once each, one scheduler leads and the other takes
over when it stops, and /healthz, /readyz and /metrics answer.

Containers cannot run in CI (no registry to pull a base image from), so this starts the same
commands the image and the systemd units start; the Dockerfile is linted by test_deploy_files.py.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from simulators.twitter import TwitterSimulator  # noqa: E402

DATABASE_URL = os.environ.get("DATABASE_URL", "")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not DATABASE_URL.startswith("postgres"), reason="needs PostgreSQL (DATABASE_URL)"
    ),
]

INBOUND, REPLIES = 40, 20
TOKEN = "metrics-token-for-the-test"

STATE = """
import json, django
django.setup()
from socialdesk.conversations.models import Message
from socialdesk.operations.models import Heartbeat
from socialdesk.outbox.models import OutboundAction
ids = list(Message.objects.filter(direction="in").values_list("platform_id", flat=True))
states = {}
for s in OutboundAction.objects.values_list("state", flat=True):
    states[s] = states.get(s, 0) + 1
beats = list(Heartbeat.objects.filter(kind="scheduler").values_list("name", "is_leader"))
print(json.dumps({"inbound": len(ids), "distinct": len(set(ids)), "actions": states, "schedulers": beats}))
"""

REPLY = """
import sys, django
django.setup()
from django.contrib.auth import get_user_model
from socialdesk.actions import conversation as actions
from socialdesk.conversations.models import Conversation
from socialdesk.outbox.models import OutboundAction
agent = get_user_model().objects.get(username="moderator")
for c in Conversation.objects.filter(awaiting_reply=True).order_by("pk")[:int(sys.argv[1])]:
    actions.reply(actor=agent, conversation=c, text=f"Here is the answer to #{c.pk}")
print(OutboundAction.objects.filter(kind="reply").count())
"""


def free_port() -> int:
    for port in range(8760, 8780):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port in 8760-8779")


def production_env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SOCIALDESK_", "SECURE_", "DJANGO_"))
    }
    for line in (ROOT / "deploy" / "socialdesk.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value.replace("change-me", secrets.token_urlsafe(40))
    env.update(
        SOCIALDESK_DATA_DIR=str(tmp_path / "data"),
        SOCIALDESK_METRICS_TOKEN=TOKEN,
        LOG_LEVEL="WARNING",
        EMAIL_URL="console:",
        DJANGO_SETTINGS_MODULE="socialdesk.settings",
        # The test's customers and brand accounts are the demo's.
        SOCIALDESK_DEMO="true",
        SOCIALDESK_POLL_SECONDS="0.5",
        SOCIALDESK_OUTBOX_BACKOFF_SECONDS="0.2",
        SOCIALDESK_OUTBOX_BACKOFF_CAP_SECONDS="2",
        SOCIALDESK_SCHEDULER_LEASE_SECONDS="5",
        SOCIALDESK_READY_SCHEDULER_SECONDS="10",
        SOCIALDESK_GOOGLE_PLAY_API_BASE="http://127.0.0.1:9",
        SOCIALDESK_MASTODON_API_BASE="http://127.0.0.1:9",
        WEB_CONCURRENCY="2",
        SOCIALDESK_WEB_THREADS="2",
    )
    return env


@pytest.fixture
def scratch_db():
    import psycopg

    name = f"sd_deploy_procs_{os.getpid()}"
    with psycopg.connect(DATABASE_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(DATABASE_URL)
    yield urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))
    with psycopg.connect(DATABASE_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_two_schedulers_and_two_workers_ingest_and_send_once_and_the_probes_answer(
    tmp_path, scratch_db
):
    sim = TwitterSimulator(seed=5)
    base = sim.serve(host="127.0.0.1", port=0).base_url
    env = production_env(tmp_path)
    env.update(DATABASE_URL=scratch_db, SOCIALDESK_TWITTER_API_BASE=base)
    cli = [sys.executable, "-m", "socialdesk.cli"]

    def manage(*args):
        done = subprocess.run(
            [*cli, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"{args}: {done.stdout}{done.stderr}"
        return done

    def state() -> dict:
        return json.loads(
            subprocess.run(
                [sys.executable, "-c", STATE],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )

    procs: dict[str, subprocess.Popen] = {}
    try:
        manage("migrate", "--no-input", "-v0")
        manage("collectstatic", "--no-input", "-v0")
        manage("check", "--deploy", "--fail-level", "WARNING")
        manage("load_demo")
        for i in range(INBOUND):
            requests.post(
                f"{base}/_sim/customer_tweets",
                json={
                    "text": f"@FirefoxSupport question {i}: my bookmarks vanished",
                    "author": {"username": f"customer{i}"},
                },
                timeout=10,
            ).raise_for_status()

        port = free_port()
        conf = ROOT / "deploy" / "gunicorn.conf.py"
        if find_spec("gunicorn") and conf.exists():
            web = [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(conf),
                "--bind",
                f"127.0.0.1:{port}",
                "socialdesk.wsgi:application",
            ]
        else:  # a checkout without the production web server installed
            web = [
                sys.executable,
                "-m",
                "waitress",
                "--listen",
                f"127.0.0.1:{port}",
                "--threads",
                "4",
                "socialdesk.wsgi:application",
            ]
        logs = tmp_path / "logs"
        logs.mkdir()
        commands = {
            "web": web,
            "scheduler-1": [*cli, "scheduler"],
            "scheduler-2": [*cli, "scheduler"],
            "worker-1": [*cli, "db_worker", "--interval", "0.2"],
            "worker-2": [*cli, "db_worker", "--interval", "0.2"],
        }
        for name, cmd in commands.items():
            procs[name] = subprocess.Popen(
                cmd,
                env=env,
                cwd=ROOT,
                stdout=open(logs / f"{name}.out", "w"),
                stderr=subprocess.STDOUT,
            )

        def logs_of(name):
            return (logs / f"{name}.out").read_text()[-3000:]

        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 240
        replies_asked = 0
        while time.monotonic() < deadline:
            for name, p in procs.items():
                assert p.poll() is None, f"{name} exited: {logs_of(name)}"
            s = state()
            if s["inbound"] >= INBOUND and replies_asked < REPLIES:
                out = subprocess.run(
                    [sys.executable, "-c", REPLY, str(REPLIES)],
                    env=env,
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                replies_asked = int(out.stdout.strip())
            if replies_asked >= REPLIES and s["actions"].get("sent", 0) >= REPLIES:
                break
            time.sleep(1)
        s = state()
        assert s["inbound"] == s["distinct"] == INBOUND, s
        assert s["actions"] == {"sent": REPLIES}, s
        tweets = requests.get(
            f"{base}/_sim/tweets", params={"author": "FirefoxSupport"}, timeout=30
        ).json()["data"]
        targets = [
            next(r["id"] for r in t["referenced_tweets"] if r["type"] == "replied_to")
            for t in tweets
        ]
        assert len(targets) == len(set(targets)) == REPLIES, "every reply performed once"

        # One scheduler leads.
        assert sorted(leading for _, leading in s["schedulers"]) == [False, True], s["schedulers"]

        # The probes, asked as a load balancer and Prometheus would: by IP, over plain HTTP.
        assert requests.get(f"{url}/healthz", timeout=10).json() == {"status": "ok"}
        ready = None
        for _ in range(60):
            ready = requests.get(f"{url}/readyz", timeout=10)
            if ready.status_code == 200:
                break
            time.sleep(1)
        assert ready.status_code == 200, ready.text
        assert requests.get(f"{url}/metrics", timeout=10).status_code == 401
        metrics = requests.get(
            f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        ).text
        assert f'socialdesk_outbox_actions{{state="sent"}} {REPLIES}.0' in metrics
        assert 'socialdesk_ingest_lag_seconds{account="twitter:FirefoxSupport"}' in metrics
        # Everything else keeps to the production settings: HTTPS only.
        assert (
            requests.get(
                f"{url}/login/",
                headers={"Host": "desk.example.org"},
                allow_redirects=False,
                timeout=10,
            ).status_code
            == 301
        )

        # The leading scheduler stops: the other one takes over (it gives the lease up on SIGTERM).
        leader_pid = next(int(n.rsplit(":", 1)[1]) for n, leading in s["schedulers"] if leading)
        leader = next(
            name for name in ("scheduler-1", "scheduler-2") if procs[name].pid == leader_pid
        )
        procs[leader].send_signal(signal.SIGTERM)
        assert procs[leader].wait(timeout=30) == 0, logs_of(leader)
        other = procs["scheduler-2" if leader == "scheduler-1" else "scheduler-1"].pid
        for _ in range(30):
            if any(leading and n.endswith(f":{other}") for n, leading in state()["schedulers"]):
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"the standby scheduler did not take over: {state()['schedulers']}")
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.terminate()
        for p in procs.values():
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        sim.close()
