"""CPU seconds per test module: a pytest plugin, for finding what makes `make test` slow.

Run from the repository root (with or without pytest-xdist's workers):

    .venv/bin/python -m pytest -p bench.pytest_cpu --cpu-report=var/test-cpu.tsv -m "not slow" -n 2 --dist loadfile -q

Each test's setup, call and teardown are charged the CPU time their process used since the
previous phase ended: every thread of the test process (the live servers and simulators run in
threads of it) and the child processes it has waited for (Chromium and its Playwright driver when
a module's browser closes). The database server's own CPU is not counted (PostgreSQL runs apart).
Wall time beside it is the phases' own durations. The summary lists the costliest modules; the
report file holds every module, costliest first: CPU seconds, wall seconds, tests, module.
"""

import resource
import time
from collections import defaultdict
from pathlib import Path

import pytest

_KEY = "cpu_seconds"
_last = {"cpu": None}


def _cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def pytest_addoption(parser):
    group = parser.getgroup("test-cpu")
    group.addoption(
        "--cpu-report",
        metavar="FILE",
        help="write CPU and wall seconds per test module to FILE (tab-separated)",
    )
    group.addoption(
        "--cpu-top", type=int, default=25, help="modules listed in the summary (default 25)"
    )


_data = {"cpu": defaultdict(float), "wall": defaultdict(float), "tests": set()}


def pytest_runtestloop(session):
    _last["cpu"] = _cpu()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    now = _cpu()
    if _last["cpu"] is not None:
        report.user_properties.append((_KEY, now - _last["cpu"]))
    _last["cpu"] = now
    return report


def pytest_runtest_logreport(report):
    # In the controller when the tests run in workers (the reports carry their user properties).
    data = _data
    module = report.nodeid.split("::", 1)[0]
    for key, value in report.user_properties:
        if key == _KEY:
            data["cpu"][module] += value
    data["wall"][module] += report.duration
    if report.when == "call":
        data["tests"].add(report.nodeid)


def pytest_terminal_summary(terminalreporter, config):
    if hasattr(config, "workerinput"):
        return
    data = _data
    if not data["cpu"]:
        return
    counts = defaultdict(int)
    for nodeid in data["tests"]:
        counts[nodeid.split("::", 1)[0]] += 1
    rows = sorted(
        ((data["cpu"][m], data["wall"][m], counts[m], m) for m in data["cpu"]), reverse=True
    )
    total_cpu = sum(r[0] for r in rows)
    total_wall = sum(r[1] for r in rows)
    write = terminalreporter.write_line
    terminalreporter.section("CPU seconds per test module")
    write(
        f"total: {total_cpu:.1f} CPU s, {total_wall:.1f} s in tests, "
        f"{sum(counts.values())} tests in {len(rows)} modules"
    )
    for cpu, wall, n, module in rows[: config.getoption("cpu_top")]:
        write(f"{cpu:8.1f} {wall:8.1f} {n:5d}  {module}")
    path = config.getoption("cpu_report")
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w") as f:
            f.write("cpu_seconds\twall_seconds\ttests\tmodule\n")
            for cpu, wall, n, module in rows:
                f.write(f"{cpu:.2f}\t{wall:.2f}\t{n}\t{module}\n")
