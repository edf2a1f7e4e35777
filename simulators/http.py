"""HTTP plumbing shared by the simulators (standard library only).

A simulator's ``Api`` has ``handle(request)`` returning ``(status, body, headers)``, ``faults``
(a :class:`~simulators.faults.FaultInjector`), ``fault_response(kind)`` for the platform's own
shape of a 429/500/503, and ``is_platform_path(path)``; optionally ``request_class`` (a
``Request`` subclass) and ``internal_error(exc)`` (the platform's shape of a 500). Faults apply
to platform requests only, never to ``/_sim/`` ones.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MALFORMED_BODY = b'{"data": [{"id": "1", "text": "cut off in the midd'


class ApiError(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None):
        super().__init__(f"{status}: {body}")
        self.status, self.body, self.headers = status, body, dict(headers or {})


class Route:
    def __init__(self, method: str, pattern: str, handler: Callable, *, write: bool = False):
        self.method = method
        self.regex = re.compile("^" + pattern + "$")
        self.handler = handler
        self.write = write


class Request:
    def __init__(self, method: str, path: str, query: dict[str, list[str]], body: bytes, headers):
        self.method, self.path, self.query, self.raw_body, self.headers = (
            method,
            path,
            query,
            body,
            headers,
        )

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def params(self, name: str) -> list[str]:
        """A repeated parameter, e.g. Mastodon's ``types[]=mention&types[]=follow``."""
        return list(self.query.get(name, [])) + list(self.query.get(name + "[]", []))

    def form(self) -> dict[str, Any]:
        """The body as JSON or as a form (clients send either), one value per key."""
        if not self.raw_body:
            return {}
        ctype = (self.headers.get("Content-Type") or "").lower()
        if "json" in ctype:
            try:
                body = json.loads(self.raw_body.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ApiError(
                    400, {"error": f"The request body is not valid JSON: {exc}"}
                ) from None
            if not isinstance(body, dict):
                raise ApiError(400, {"error": "The request body must be a JSON object."})
            return body
        try:
            pairs = parse_qs(self.raw_body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise ApiError(400, {"error": "The request body is not UTF-8."}) from None
        return {k.removesuffix("[]"): (v if k.endswith("[]") else v[-1]) for k, v in pairs.items()}


def dispatch(routes: list[Route], req: Request, not_found: Callable[[str], ApiError]):
    """Find the route; returns ``(route, match)`` or raises the platform's 404/405."""
    path_matched = False
    for route in routes:
        m = route.regex.match(req.path)
        if m:
            path_matched = True
            if route.method == req.method:
                return route, m
    if path_matched:
        raise ApiError(405, {"error": f"{req.method} is not allowed on {req.path}"})
    raise not_found(f"No such endpoint: {req.method} {req.path}")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    sys_version = ""
    api: Any
    quiet = True

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        path = parts.path.rstrip("/") or "/"
        req = getattr(self.api, "request_class", Request)(
            self.command, path, query, body, self.headers
        )
        fault = self.api.faults.draw(self.command) if self.api.is_platform_path(path) else None
        if fault in ("429", "500", "503"):
            self._send(*self.api.fault_response(fault))
            return
        if fault == "timeout":
            time.sleep(self.api.faults.timeout_seconds)
        try:
            status, payload, headers = self.api.handle(req)
        except ApiError as exc:
            status, payload, headers = exc.status, exc.body, exc.headers
        except Exception as exc:  # a bug in the simulator: say so instead of hanging up
            status, headers = 500, {}
            internal_error = getattr(self.api, "internal_error", None)
            payload = (
                internal_error(exc) if internal_error else {"error": f"simulator error: {exc!r}"}
            )
        if fault == "drop_after_commit":
            # The platform acted; the answer never arrives.
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if fault == "malformed":
            self._send(200, MALFORMED_BODY, headers)
            return
        self._send(status, payload, headers)

    def _send(self, status: int, payload: Any, headers: dict[str, str]) -> None:
        data = (
            payload
            if isinstance(payload, bytes)
            else json.dumps(payload, ensure_ascii=False).encode("utf-8")
        )
        try:
            self.send_response(status)
            if not any(k.lower() == "content-type" for k in headers):
                # A platform answers JSON, except its sign-in and consent pages (HTML, say so).
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. after a 'timeout' fault)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve

    def log_message(self, format, *args):  # noqa: A002 - signature from the base class
        if not self.quiet:
            super().log_message(format, *args)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default listen backlog of 5 resets connections under load

    def handle_error(self, request, client_address) -> None:
        # A client that hung up (after a 'timeout' fault, or a worker killed mid-request) is
        # what these servers are for, not an error worth a traceback.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class RunningServer:
    """A simulator HTTP server running in a daemon thread."""

    def __init__(self, httpd: ThreadingHTTPServer, thread: threading.Thread):
        self.httpd, self.thread = httpd, thread
        host, port = httpd.server_address[:2]
        self.host, self.port = host, port
        self.base_url = f"http://{host}:{port}"

    def shutdown(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def serve_in_thread(
    api,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    quiet: bool = True,
    name: str = "sim-http",
    server_header: str = "sim",
) -> RunningServer:
    handler = type(
        "SimHandler", (_Handler,), {"api": api, "quiet": quiet, "server_version": server_header}
    )
    httpd = Server((host, port), handler)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
    )
    thread.start()
    return RunningServer(httpd, thread)
