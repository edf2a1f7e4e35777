"""An id for every request, for the logs."""

import re
import uuid

from django.http import HttpRequest, HttpResponse

from . import logging as oplog

# A request id from the proxy is kept only when it looks like one (it ends up in the logs).
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


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
