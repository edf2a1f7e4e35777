"""Health checks and metrics answered first, an id for every request, the request metrics."""

import ipaddress
import re
import time
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from . import logging as oplog

# A request id from the proxy is kept only when it looks like one (it ends up in the logs).
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class OperationsMiddleware:
    """Answers /healthz, /readyz and /metrics before the host check, the HTTPS redirect and the
    session: load balancers and Prometheus ask by IP address over plain HTTP on the private network,
    and none of them needs a session (/metrics has its own bearer token)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            from .health import healthz

            return healthz(request)
        if request.path == "/readyz":
            from .health import readyz

            return readyz(request)
        if request.path == "/metrics":
            from .metrics import metrics

            return metrics(request)
        return self.get_response(request)


class ClientAddressMiddleware:
    """Behind the TLS proxy, the address a request came from is the proxy's; the client's is in
    the header the proxy sets (`SOCIALDESK_CLIENT_ADDRESS_HEADER`, e.g. X-Forwarded-For, which
    both example proxies overwrite with the client's address). Its last value (the one the
    nearest proxy wrote, should another have appended) becomes REMOTE_ADDR, so the audit log,
    sign-in throttling and the public forms' rate limits see the client. Unset (the default, no
    proxy), the header is never believed: a client could write anything in it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = settings.SOCIALDESK_CLIENT_ADDRESS_HEADER
        if header:
            meta_key = "HTTP_" + header.upper().replace("-", "_")
            value = request.META.get(meta_key, "").split(",")[-1].strip()
            try:
                request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(value))
            except ValueError:
                pass  # missing or not an address: keep the connection's own
        return self.get_response(request)


class RequestIdMiddleware:
    """Gives the request an id (the proxy's X-Request-ID, or a new one) for the logs and the answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        rid = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        request.request_id = rid
        token = oplog.request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            oplog.request_id.reset(token)
        response["X-Request-ID"] = rid
        return response


class MetricsMiddleware:
    """Counts every request and times it, by view name (a bounded set) and status (/metrics)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from .metrics import observe_request

        started = time.perf_counter()
        response = self.get_response(request)
        observe_request(request, response, time.perf_counter() - started)
        return response
