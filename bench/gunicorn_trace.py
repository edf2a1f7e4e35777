"""gunicorn settings for `bench/load.py --trace`: deploy/gunicorn.conf.py, plus a trace line per
request, per garbage collection and per new database connection in each worker, on the server's
log, so the slowest calls the load test sees can be set beside what their worker was doing.

    trace req pid=<pid> thread=<n> nth=<this thread's how-many-th request> rid=<X-Request-ID> start=<wall s> ms=<ms>
    trace gc pid=<pid> start=<wall s> ms=<ms> gen=<generation>
    trace conn pid=<pid> thread=<n> at=<wall s>

Only the load test uses it; the hooks of deploy/gunicorn.conf.py run first.
"""

import gc
import runpy
import sys
import threading
import time
from pathlib import Path

_deploy = runpy.run_path(
    str(Path(__file__).resolve().parent.parent / "deploy" / "gunicorn.conf.py")
)
globals().update({k: v for k, v in _deploy.items() if not k.startswith("__")})

_local = threading.local()
_threads: dict[int, int] = {}


def _line(text: str) -> None:
    sys.stderr.write(f"trace {text}\n")
    sys.stderr.flush()


def _thread_number() -> int:
    return _threads.setdefault(threading.get_ident(), len(_threads) + 1)


def post_worker_init(worker):
    if "post_worker_init" in _deploy:
        _deploy["post_worker_init"](worker)
    started = {}

    def on_gc(phase, info):
        if phase == "start":
            started["t"] = time.time()
        elif "t" in started:
            t = started.pop("t")
            ms = (time.time() - t) * 1000
            if ms >= 0.5 or info["generation"] == 2:
                _line(f"gc pid={worker.pid} start={t:.6f} ms={ms:.3f} gen={info['generation']}")

    gc.callbacks.append(on_gc)

    from django.db.backends.signals import connection_created

    def on_connect(sender, connection, **kwargs):
        _line(f"conn pid={worker.pid} thread={_thread_number()} at={time.time():.6f}")

    connection_created.connect(on_connect, weak=False)


def pre_request(worker, req):
    if "pre_request" in _deploy:
        _deploy["pre_request"](worker, req)
    _local.start = (time.time(), time.perf_counter())


def post_request(worker, req, environ, resp):
    if "post_request" in _deploy:
        _deploy["post_request"](worker, req, environ, resp)
    rid = next((v for k, v in req.headers if k == "X-REQUEST-ID"), "-")
    wall, t = getattr(_local, "start", (time.time(), time.perf_counter()))
    _local.nth = getattr(_local, "nth", 0) + 1
    _line(
        f"req pid={worker.pid} thread={_thread_number()} nth={_local.nth} rid={rid} "
        f"start={wall:.6f} ms={(time.perf_counter() - t) * 1000:.3f}"
    )
