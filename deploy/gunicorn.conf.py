"""Gunicorn settings for the Socialdesk web server.

    gunicorn -c deploy/gunicorn.conf.py socialdesk.wsgi:application

Why gunicorn with threaded workers, and how many: docs/performance.md, "Through HTTP" (measured
with bench/load.py against waitress, gunicorn's sync workers and granian). Everything can be set
from the environment; options given on the command line win over this file.

| variable | default | meaning |
|---|---|---|
| `SOCIALDESK_BIND` | `127.0.0.1:8000` | address to listen on (put the TLS proxy in front) |
| `WEB_CONCURRENCY` | CPUs + 1 | worker processes: each one runs Python on one core at a time |
| `SOCIALDESK_WEB_THREADS` | `8` | threads per process: requests that wait on the database or the network overlap |
| `SOCIALDESK_WEB_TIMEOUT` | `30` | seconds a request may take before its worker is restarted |
| `SOCIALDESK_WEB_KEEPALIVE` | `75` | seconds an idle connection is kept open: longer than the proxy keeps its own (60 s) |
| `FORWARDED_ALLOW_IPS` | `127.0.0.1,::1` | proxies whose X-Forwarded-* headers are believed |
| `SOCIALDESK_GC_FREEZE` | `1` | each worker sets its loaded application aside from Python's garbage collector (`0`: not) |
| `SOCIALDESK_GC_THRESHOLD` | `7000` | allocations between the collector's small rounds (Python's own: 700; `0` keeps it) |

The last two: socialdesk/operations/gc_tuning.py and docs/performance.md, "Latency tails through HTTP": a
full collection over the loaded application held every thread of a worker (0.5-1 s each on a
loaded two-core machine), and those were the slowest `play/next` calls.

Each thread keeps its own database connection (CONN_MAX_AGE 60 s), so PostgreSQL must accept
WEB_CONCURRENCY x SOCIALDESK_WEB_THREADS connections for the web server alone, plus the worker's
and the scheduler's.
"""

import multiprocessing
import os

# Light: the standard library only. Also reads the desk's whole-number settings below.
from socialdesk.operations import gc_tuning


def _int(name: str, default: int) -> int:
    return gc_tuning.env_int(name, default, minimum=1)


bind = os.environ.get("SOCIALDESK_BIND", "127.0.0.1:8000")
# CPUs + 1 processes of 8 threads measured better than 2 x CPUs + 1 of 4 on two cores (the
# Python work of a request holds its process's interpreter lock; more processes than cores only
# take turns), and far better than gunicorn's sync workers or one waitress process.
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1)
worker_class = "gthread"
threads = _int("SOCIALDESK_WEB_THREADS", 8)
timeout = _int("SOCIALDESK_WEB_TIMEOUT", 30)
graceful_timeout = 30
# Keep-alive between the proxy and gunicorn: the proxy reuses its idle connections, so gunicorn
# must keep them open longer than the proxy does (nginx.conf's upstream `keepalive_timeout` and
# the Caddyfile's `keepalive`, both 60 s). The other way round the proxy now and then sends a
# request on a connection gunicorn is closing, and the client gets a 502 (a POST is not retried).
# Idle connections wait in the worker's poller, not in a thread.
keepalive = _int("SOCIALDESK_WEB_KEEPALIVE", 75)
# A worker is replaced after this many requests (with jitter, so they do not all restart at
# once): a slow leak in any library cannot grow for ever.
max_requests = 5000
max_requests_jitter = 500
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Logs go to standard output and error, for systemd's journal or the container runtime.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("SOCIALDESK_WEB_LOG_LEVEL", "info")

# Read here, so a bad value stops the server at start rather than every worker after its fork.

gc_tuning.check()


def post_worker_init(worker):
    """The application is loaded in each worker (after the fork): set it aside from the
    garbage collector's rounds."""
    done = gc_tuning.settle()
    worker.log.info(
        "Garbage collector: %d objects of the loaded application set aside, a small round every %d allocations",
        done["frozen"],
        done["threshold"],
    )
