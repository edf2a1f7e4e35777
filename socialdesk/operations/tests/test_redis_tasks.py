"""The Redis task backend (django-tasks-rq): configured from REDIS_URL, the scheduler's tasks run by
`rqworker`, the worker seen by /readyz. Against a real Redis (SOCIALDESK_TEST_REDIS_URL, by default
database 5 of the local one); skipped, with the reason, without one."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = os.environ.get("SOCIALDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
# Real processes (the scheduler, an rq worker) for a minute or more: `make test-slow` runs it.
pytestmark = pytest.mark.slow


def _redis():
    try:
        import redis
    except ImportError:
        pytest.skip("the redis extra is not installed (pip install -e '.[test]')")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    return client


def run(env, *args, timeout=180):
    out = subprocess.run(
        [sys.executable, "-m", "socialdesk.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return out


@pytest.fixture
def rq_env(tmp_path):
    client = _redis()
    client.flushdb()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SOCIALDESK_", "DATABASE_URL"))
    }
    env.update(
        SOCIALDESK_TASKS_BACKEND="django_tasks_rq.RQBackend",
        REDIS_URL=REDIS_URL,
        SOCIALDESK_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="socialdesk.settings",
        SOCIALDESK_TWITTER_API_BASE="http://127.0.0.1:9",
        SOCIALDESK_GOOGLE_PLAY_API_BASE="http://127.0.0.1:9",
        SOCIALDESK_MASTODON_API_BASE="http://127.0.0.1:9",
    )
    yield env
    client.flushdb()


def test_the_scheduler_s_tasks_go_through_redis_and_an_rq_worker_runs_them(rq_env):
    run(rq_env, "migrate", "--no-input", "-v0")
    run(rq_env, "scheduler", "--once")
    import redis

    assert (
        redis.Redis.from_url(REDIS_URL).llen("rq:queue:default") >= 3
    )  # poll, deleted messages, heartbeat
    run(
        rq_env,
        "rqworker",
        "--burst",
        "--job-class",
        "django_tasks_rq.Job",
        "--worker-class",
        "rq.worker.SimpleWorker",
        "default",
    )
    assert redis.Redis.from_url(REDIS_URL).llen("rq:queue:default") == 0
    run(rq_env, "scheduler", "--once")  # the leading scheduler seen again
    code = "import django, json; django.setup(); from django.test import Client; r = Client().get('/readyz'); print(json.dumps(r.json()))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=rq_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout.strip().splitlines()[-1])["checks"]["worker"] == "ok"


def test_the_redis_backend_without_redis_url_says_what_to_set(rq_env):
    del rq_env["REDIS_URL"]
    out = subprocess.run(
        [sys.executable, "-m", "socialdesk.cli", "check"],
        env=rq_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0 and "needs REDIS_URL" in out.stderr
