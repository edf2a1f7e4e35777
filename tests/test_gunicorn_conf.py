"""deploy/gunicorn.conf.py: workers and threads from the environment, a clear refusal of a bad
value, and a configuration gunicorn itself accepts."""

import multiprocessing
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "deploy" / "gunicorn.conf.py"
KEYS = (
    "WEB_CONCURRENCY",
    "SOCIALDESK_WEB_THREADS",
    "SOCIALDESK_BIND",
    "SOCIALDESK_WEB_TIMEOUT",
    "SOCIALDESK_WEB_KEEPALIVE",
    "SOCIALDESK_GC_FREEZE",
    "SOCIALDESK_GC_THRESHOLD",
)


@pytest.fixture
def env(monkeypatch):
    for key in KEYS:
        monkeypatch.delenv(key, raising=False)
    return monkeypatch


def test_defaults_use_the_machine(env):
    conf = runpy.run_path(str(CONF))
    assert conf["workers"] == multiprocessing.cpu_count() + 1
    assert conf["worker_class"] == "gthread" and conf["threads"] == 8
    assert conf["bind"] == "127.0.0.1:8000"


def test_the_environment_sets_workers_threads_and_address(env):
    env.setenv("WEB_CONCURRENCY", "3")
    env.setenv("SOCIALDESK_WEB_THREADS", "8")
    env.setenv("SOCIALDESK_BIND", "0.0.0.0:8080")
    conf = runpy.run_path(str(CONF))
    assert (conf["workers"], conf["threads"], conf["bind"]) == (3, 8, "0.0.0.0:8080")


def test_gunicorn_keeps_idle_connections_longer_than_the_proxies(env):
    """Else a proxy sends a request on a connection gunicorn is closing: a 502 for the client
    (bench/load.py's paced agents, calling every 5 s against gunicorn's former 5 s, saw it)."""
    import re

    keepalive = runpy.run_path(str(CONF))["keepalive"]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    caddy = (ROOT / "deploy" / "Caddyfile").read_text()
    proxies = [
        int(re.search(r"^\s*keepalive_timeout (\d+)s;", nginx, re.M).group(1)),
        int(re.search(r"^\s*keepalive (\d+)s$", caddy, re.M).group(1)),
    ]
    assert all(keepalive > seconds for seconds in proxies), (keepalive, proxies)
    env.setenv("SOCIALDESK_WEB_KEEPALIVE", "120")
    assert runpy.run_path(str(CONF))["keepalive"] == 120


@pytest.mark.parametrize(
    "name,value",
    [
        ("WEB_CONCURRENCY", "many"),
        ("WEB_CONCURRENCY", "0"),
        ("SOCIALDESK_WEB_THREADS", "-2"),
        ("SOCIALDESK_GC_THRESHOLD", "lots"),
        ("SOCIALDESK_GC_FREEZE", "-1"),
    ],
)
def test_a_bad_value_is_refused_with_its_name(env, name, value):
    env.setenv(name, value)
    with pytest.raises(SystemExit, match=name):
        runpy.run_path(str(CONF))


def test_gunicorn_accepts_the_configuration():
    gunicorn = Path(sys.executable).parent / "gunicorn"
    env = {k: v for k, v in os.environ.items() if k not in KEYS}
    out = subprocess.run(
        [str(gunicorn), "--check-config", "-c", str(CONF), "socialdesk.wsgi:application"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_each_worker_sets_its_loaded_application_aside_from_the_garbage_collector(tmp_path):
    """The hook gunicorn calls in a worker once the application is loaded: run in a child
    process (it freezes the objects of the process it runs in), with a stand-in worker."""
    script = f"""
import gc, logging, runpy, sys
conf = runpy.run_path({str(CONF)!r})
class Worker:
    log = logging.getLogger("w")
assert gc.get_freeze_count() == 0
conf["post_worker_init"](Worker())
print(gc.get_freeze_count(), gc.get_threshold()[0])
"""
    env = {k: v for k, v in os.environ.items() if k not in KEYS}
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    frozen, threshold = map(int, out.stdout.split())
    assert frozen > 1000 and threshold == 7000
    env.update(SOCIALDESK_GC_FREEZE="0", SOCIALDESK_GC_THRESHOLD="0")
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "700"]
