"""/healthz, /readyz and /metrics answer load balancers and Prometheus, and say what is wrong."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django_tasks_db.models import DBTaskResult

from socialdesk.operations import health
from socialdesk.operations.management.commands.db_worker import Worker
from socialdesk.operations.schedule import Job, Scheduler, worker_heartbeat

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def production(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["desk.example.org"]


def test_healthz_answers_a_load_balancer_by_ip_over_http_without_signing_in(db, production):
    r = Client().get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    # Everything else still gets the host check and the redirect.
    assert Client().get("/login/", HTTP_HOST="desk.example.org").status_code == 301


def test_readyz_says_which_process_has_not_been_seen(db, production):
    health._migrated_at = None
    r = Client().get("/readyz", HTTP_HOST="10.0.0.7")
    assert r.status_code == 503
    assert r.json()["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "worker": "not seen in the last 120s",
        "scheduler": "not seen in the last 60s",
    }


@pytest.mark.django_db(transaction=True)
def test_readyz_is_ready_once_the_scheduler_leads_and_a_worker_ran_a_task():
    Scheduler(name="h:1", jobs=[Job("worker heartbeat", lambda: 30, worker_heartbeat)]).tick()
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="w",
        excluded_queue_names=[],
    ).run()
    r = Client().get("/readyz")
    assert r.status_code == 200, r.json()
    assert r.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "worker": "ok", "scheduler": "ok"},
    }
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()


def test_readyz_notices_migrations_not_applied(db):
    health._migrated_at = None
    MigrationRecorder.Migration.objects.filter(app="operations").delete()
    r = Client().get("/readyz")
    assert (
        r.status_code == 503
        and r.json()["checks"]["migrations"] == "not applied: run `socialdesk migrate`"
    )
    health._migrated_at = None


def test_readyz_answers_503_when_the_database_is_unreachable(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALDESK_")}
    env.update(
        DATABASE_URL="postgres://nobody@127.0.0.1:9/none",
        SOCIALDESK_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="socialdesk.settings",
    )
    code = "import django; django.setup(); from django.test import Client; r = Client().get('/readyz'); print(r.status_code, r.json()['checks'])"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.stdout.startswith("503 {'database': 'unreachable: OperationalError'}"), (
        out.stdout + out.stderr
    )
    healthz = "import django; django.setup(); from django.test import Client; print(Client().get('/healthz').status_code)"
    out = subprocess.run(
        [sys.executable, "-c", healthz],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.stdout.strip() == "200"


def test_metrics_need_the_token(db, settings, production):
    settings.SOCIALDESK_METRICS_TOKEN = ""
    assert Client().get("/metrics", HTTP_HOST="10.0.0.7").status_code == 404
    settings.SOCIALDESK_METRICS_TOKEN = "s3cret"
    r = Client().get("/metrics", HTTP_HOST="10.0.0.7", HTTP_AUTHORIZATION="Bearer wrong")
    assert r.status_code == 401 and r["WWW-Authenticate"].startswith("Bearer")
    assert Client().get("/metrics", HTTP_HOST="10.0.0.7").status_code == 401


def test_metrics_report_requests_queues_outbox_ingest_and_deals(settings, agents, client):
    from socialdesk.brands.models import BrandAccount
    from socialdesk.ingestion.models import PollState

    settings.SOCIALDESK_METRICS_TOKEN = "s3cret"
    account = BrandAccount.objects.filter(platform="twitter").order_by("handle").first()
    PollState.objects.create(
        account=account,
        stream="mentions",
        last_error="HTTP 503",
        last_polled_at="2026-01-01T00:00:00Z",
    )
    client.force_login(agents["contributor"])
    client.get("/")
    client.post("/play/twitter-conversations-moderated/start")
    Scheduler(name="h:1", jobs=[]).tick()
    body = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret").content.decode()
    assert 'socialdesk_http_requests_total{method="GET",status="200",view="home"}' in body
    assert 'socialdesk_deal_duration_seconds_count{view="play_start"}' in body
    assert (
        'socialdesk_queue_waiting_conversations{queue="twitter-conversations-moderated"}' in body
    )
    assert 'socialdesk_outbox_actions{state="failed"} 0.0' in body
    assert f'socialdesk_connector_errors{{account="twitter:{account.handle}"}} 1.0' in body
    assert f'socialdesk_ingest_lag_seconds{{account="twitter:{account.handle}"}}' in body
    assert (
        "socialdesk_tasks{status=" in body
        or "socialdesk_tasks " in body
        or "# TYPE socialdesk_tasks gauge" in body
    )
    assert 'socialdesk_process_last_seen_seconds{kind="scheduler"}' in body
