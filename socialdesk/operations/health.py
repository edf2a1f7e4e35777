"""/healthz (the process answers) and /readyz (the desk can work: database, migrations, worker, scheduler)."""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from .models import Heartbeat

logger = logging.getLogger("socialdesk.health")

# Once every migration is applied it stays so for this process; the plan is costly to compute.
_migrated_at: float | None = None


def healthz(request: HttpRequest) -> JsonResponse:
    """For a load balancer or a container's health check: no database, no sign-in."""
    return JsonResponse({"status": "ok"})


def _migrations_applied() -> bool:
    global _migrated_at
    if _migrated_at is not None and time.monotonic() - _migrated_at < 300:
        return True
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return False
    _migrated_at = time.monotonic()
    return True


def readiness() -> dict[str, str]:
    """Each check's outcome: "ok", or what is wrong."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError as exc:
        return {"database": f"unreachable: {exc.__class__.__name__}"}
    try:
        checks["migrations"] = (
            "ok" if _migrations_applied() else "not applied: run `socialdesk migrate`"
        )
        now = timezone.now()
        for kind, seconds, extra in (
            (Heartbeat.Kind.WORKER, settings.SOCIALDESK_READY_WORKER_SECONDS, {}),
            (
                Heartbeat.Kind.SCHEDULER,
                settings.SOCIALDESK_READY_SCHEDULER_SECONDS,
                {"is_leader": True},
            ),
        ):
            seen = Heartbeat.objects.filter(
                kind=kind, seen_at__gte=now - timedelta(seconds=seconds), **extra
            ).exists()
            checks[kind] = "ok" if seen else f"not seen in the last {seconds:g}s"
    except DatabaseError as exc:  # e.g. the operations tables are not migrated yet
        checks.setdefault("migrations", f"not applied: {exc.__class__.__name__}")
        checks.setdefault("worker", "unknown")
        checks.setdefault("scheduler", "unknown")
    return checks


def readyz(request: HttpRequest) -> JsonResponse:
    checks = readiness()
    ready = all(v == "ok" for v in checks.values())
    response = JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )
    if not ready:
        # A probe asks every few seconds: a warning that says what is missing, not an error
        # with a 503 each time (Django logs every 5xx as an error).
        logger.warning(
            "Not ready: %s", ", ".join(f"{k} {v}" for k, v in checks.items() if v != "ok")
        )
        response._has_been_logged = True
    return response
