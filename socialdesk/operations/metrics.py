"""Prometheus metrics at /metrics: requests (counted in each web process), and the desk's state read
from the database at each scrape (queues, outbox, tasks, ingest lag, connector errors).

With several web processes (gunicorn) set PROMETHEUS_MULTIPROC_DIR to an empty folder shared by
them: prometheus-client then adds up every process's request counters.
"""

import hmac
import os

from django.conf import settings
from django.db.models import Count, Max, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY

REQUESTS = Counter(
    "socialdesk_http_requests", "HTTP requests answered", ["method", "view", "status"]
)
LATENCY = Histogram(
    "socialdesk_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
# Dealing a conversation (Play, Deal next, Skip): the request that runs the dealing query.
DEAL = Histogram(
    "socialdesk_deal_duration_seconds",
    "Time to deal the next conversation (Play Mode requests that deal)",
    ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
DEALING_VIEWS = {"play_start", "play_next", "play_skip"}
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def observe_request(request: HttpRequest, response: HttpResponse, seconds: float) -> None:
    match = getattr(request, "resolver_match", None)
    view = match.view_name if match is not None else "unmatched"
    if view == "metrics":
        return
    method = request.method if request.method in METHODS else "other"
    REQUESTS.labels(method=method, view=view, status=str(response.status_code)).inc()
    LATENCY.labels(view=view).observe(seconds)
    if view in DEALING_VIEWS and request.method == "POST":
        DEAL.labels(view=view).observe(seconds)


def _capped_count(queryset, cap: int) -> int:
    return queryset[: cap + 1].count() if cap else queryset.count()


class DeskCollector:
    """Read at scrape time from the database, so every web process reports the same figures."""

    def collect(self):
        from socialdesk.ingestion.models import PollState
        from socialdesk.operations.models import Heartbeat
        from socialdesk.outbox.models import OutboundAction
        from socialdesk.queues.models import Queue
        from socialdesk.queues.selectors import dealable

        now = timezone.now()
        cap = settings.SOCIALDESK_METRICS_COUNT_CAP

        queues = GaugeMetricFamily(
            "socialdesk_queue_waiting_conversations",
            f"Conversations waiting to be dealt, per queue (counted up to {cap} + 1)",
            labels=["queue"],
        )
        for queue in Queue.objects.order_by("slug"):
            queues.add_metric([queue.slug], _capped_count(dealable(queue=queue, now=now), cap))
        yield queues

        outbox = GaugeMetricFamily(
            "socialdesk_outbox_actions",
            "Outbound actions per state (backlog: pending, sending, waiting; failed)",
            labels=["state"],
        )
        by_state = dict(
            OutboundAction.objects.values_list("state")
            .annotate(n=Count("id"))
            .values_list("state", "n")
        )
        for state in OutboundAction._meta.get_field("state").choices:
            outbox.add_metric([state[0]], by_state.get(state[0], 0))
        yield outbox
        oldest = (
            OutboundAction.objects.filter(state="pending")
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        yield GaugeMetricFamily(
            "socialdesk_outbox_oldest_pending_seconds",
            "Age of the oldest pending outbound action",
            value=(now - oldest).total_seconds() if oldest else 0,
        )

        lag = GaugeMetricFamily(
            "socialdesk_ingest_lag_seconds",
            "Seconds since each brand account's least recently polled stream was polled",
            labels=["account"],
        )
        errors = GaugeMetricFamily(
            "socialdesk_connector_errors",
            "Poll streams whose last poll failed, per brand account",
            labels=["account"],
        )
        per_account = (
            PollState.objects.values("account__platform", "account__handle")
            .annotate(polled=Max("last_polled_at"), failing=Count("id", filter=~Q(last_error="")))
            .order_by("account__platform", "account__handle")
        )
        for row in per_account:
            account = f"{row['account__platform']}:{row['account__handle']}"
            if row["polled"]:
                lag.add_metric([account], (now - row["polled"]).total_seconds())
            errors.add_metric([account], row["failing"])
        yield lag
        yield errors

        if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
            from django_tasks_db.models import DBTaskResult

            tasks = GaugeMetricFamily(
                "socialdesk_tasks", "Task rows per status (database backend)", labels=["status"]
            )
            for status, n in (
                DBTaskResult.objects.values_list("status")
                .annotate(n=Count("id"))
                .values_list("status", "n")
            ):
                tasks.add_metric([status], n)
            yield tasks

        seen = GaugeMetricFamily(
            "socialdesk_process_last_seen_seconds",
            "Seconds since a task worker ran the heartbeat task / the leading scheduler ran",
            labels=["kind"],
        )
        for kind, extra in (("worker", {}), ("scheduler", {"is_leader": True})):
            last = Heartbeat.objects.filter(kind=kind, **extra).aggregate(m=Max("seen_at"))["m"]
            if last:
                seen.add_metric([kind], (now - last).total_seconds())
        yield seen


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in list(REGISTRY._collector_to_names):
            registry.register(collector)
    registry.register(DeskCollector())
    return registry


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus's scrape, with the bearer token in SOCIALDESK_METRICS_TOKEN (no token set: no metrics)."""
    token = settings.SOCIALDESK_METRICS_TOKEN
    if not token:
        raise Http404("Metrics are off: set SOCIALDESK_METRICS_TOKEN.")
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        response = HttpResponse(
            "A bearer token is needed.\n", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
