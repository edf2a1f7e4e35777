"""bench/load.py at a small size: a real server on a free port, a few agents playing through the
HTTP API for a few seconds, paced and unpaced, beside the HTTP floor. Fails if the run crashes,
if any call is answered with an error, if a window completes no deal, or if a conversation is
dealt twice. The full size is run by hand; its figures are in docs/performance.md."""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("DATABASE_URL", "")


def _run(database_url: str, tmp_path: Path) -> dict:
    out = tmp_path / "load.json"
    env = dict(os.environ, DATABASE_URL=database_url)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "load.py"),
            "--sizes",
            "1500",
            "--agents",
            "4",
            "--window",
            "2.5",
            "--paced-window",
            "3",
            "--rate",
            "4",
            "--rounds",
            "1",
            "--workers",
            "2",
            "--threads",
            "2",
            "--json",
            str(out),
            "--strict",
            "--force",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return json.loads(out.read_text())


def _check(result: dict) -> None:
    windows = result["windows"]
    assert {(w["mode"], w["side"]) for w in windows} == {
        (m, s) for m in ("unpaced", "paced") for s in ("product", "floor")
    }
    for w in windows:
        assert w["deals"] > 0, w
        assert w["errors"] == 0, w
        assert w["double_deals"] == 0, w
        # Every deal a client saw was logged once, and at least as many as completed.
        assert w["dealt_logged"] >= w["deals"], w


@pytest.mark.slow
def test_load_smoke_sqlite(tmp_path):
    _check(_run(f"sqlite:///{tmp_path / 'bench.sqlite3'}", tmp_path))


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.skipif(
    not PG_URL.startswith(("postgres://", "postgresql://")),
    reason="needs DATABASE_URL pointing at PostgreSQL",
)
def test_load_smoke_postgres(tmp_path):
    import psycopg

    name = f"socialdesk_bench_load_{os.getpid()}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(PG_URL)
    try:
        _check(
            _run(urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, "")), tmp_path)
        )
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
