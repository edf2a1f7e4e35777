"""HTTP front of the Mastodon simulator: the REST endpoints Mastodon.py calls for a support desk.

Served (same paths and JSON shapes as Mastodon 4.x)::

    POST /api/v1/apps                   GET /api/v1/apps/verify_credentials
    GET/POST /oauth/authorize           POST /oauth/token    POST /oauth/revoke     (see .oauth)
    GET  /api/v1/accounts/verify_credentials
    GET  /api/v1/notifications          types[], exclude_types[], since_id, max_id, min_id, limit (40, at most 80);
                                        serial ids and a Link header (next: max_id, prev: min_id)
    GET  /api/v1/notifications/:id
    POST /api/v1/statuses               status, in_reply_to_id, visibility, language; Idempotency-Key header
    GET  /api/v1/statuses               id[] (several statuses; those gone or hidden from the caller are left out)
    GET  /api/v1/statuses/:id           404 when deleted, or direct/private and not addressed to the caller
    POST /api/v1/statuses/:id/favourite
    POST /api/v1/statuses/:id/reblog

``Authorization: Bearer <token>`` (the fixed tokens in :mod:`.state`, or one issued by OAuth,
checked against its scopes). Every API answer carries
``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (ISO 8601); errors
are ``{"error": "..."}``.

Inspection and control (no authentication), under ``/_sim/``::

    GET  /_sim/state                    counts; statuses created per Idempotency-Key; faults
    GET  /_sim/statuses?account=&in_reply_to_id=&idempotency_key=   stored statuses, all fields
    GET  /_sim/statuses/:id
    GET  /_sim/favourites   GET /_sim/reblogs
    GET  /_sim/writes                   every write performed through the API, replays marked "new": false
    GET  /_sim/oauth                    apps registered, codes and tokens issued
    POST /_sim/oauth/revoke_all         revoke every token issued through OAuth (the owner removed the app)
    POST /_sim/customer_statuses        {"text", "author": {"username", "display_name"?, "followers_count"?, "bot"?},
                                         "in_reply_to_id"?, "language"?, "visibility"?, "spoiler_text"?,
                                         "media"?: [{"type"?, "description"?}], "sensitive"?, "seconds_ago"?}
    POST /_sim/statuses/:id/delete      the author deletes the status
    POST /_sim/generate {"n": 5}    POST /_sim/traffic {"rate_per_minute": 6}
    POST /_sim/config {"faults"?: {...}, "seed"?, "rate_limit"?}   see simulators.faults
    POST /_sim/reset
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlencode

from ..base import SimControl
from ..http import ApiError, Request, Route, dispatch
from .oauth import OUTSIDE_SCOPES, REQUIRED, covers
from .state import STATUS_LIMIT, MastodonState, iso

# How many ids one `GET /api/v1/statuses` takes; the connector asks for this many at a time.
MULTIPLE_STATUSES_LIMIT = 20
NOTIFICATION_TYPES = (
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "poll",
    "update",
)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> ApiError:
    return ApiError(status, {"error": message}, headers)


class Api(SimControl):
    rate_limit_unit = "requests per token per 5 minutes"

    def __init__(self, simulator):
        self.sim = simulator
        self.state: MastodonState = simulator.state
        self.faults = simulator.faults
        r = Route
        self.routes = [
            r("GET", "/api/v1/accounts/verify_credentials", self.verify_credentials),
            r("GET", "/api/v1/notifications", self.notifications),
            r("GET", r"/api/v1/notifications/(?P<id>\d+)", self.notification),
            r("POST", "/api/v1/statuses", self.post_status, write=True),
            r("GET", "/api/v1/statuses", self.get_statuses),
            r("GET", r"/api/v1/statuses/(?P<id>\d+)", self.get_status),
            r("POST", r"/api/v1/statuses/(?P<id>\d+)/favourite", self.favourite, write=True),
            r("POST", r"/api/v1/statuses/(?P<id>\d+)/reblog", self.reblog, write=True),
        ]
        oauth = simulator.oauth
        self.oauth_routes = [
            r("POST", "/api/v1/apps", oauth.create_app),
            r(
                "GET",
                "/api/v1/apps/verify_credentials",
                lambda req: oauth.verify_app(req, self.state.account_for_token),
            ),
            r(
                "GET",
                "/oauth/authorize",
                lambda req: oauth.authorize_page(req, self._brand_accounts),
            ),
            r(
                "POST",
                "/oauth/authorize",
                lambda req: oauth.authorize_decision(req, self._account_id),
            ),
            r("POST", "/oauth/token", oauth.token),
            r("POST", "/oauth/revoke", oauth.revoke),
        ]
        self.sim_routes = [
            r("GET", "/_sim/state", self.sim_state),
            r("GET", "/_sim/oauth", lambda req: (200, {"data": oauth.summary()})),
            r(
                "POST",
                "/_sim/oauth/revoke_all",
                lambda req: (200, {"data": {"revoked": oauth.revoke_all()}}),
            ),
            r("GET", "/_sim/statuses", self.sim_statuses),
            r("GET", r"/_sim/statuses/(?P<id>\d+)", self.sim_status),
            r("GET", "/_sim/favourites", lambda req: (200, {"data": self._copy("favourites")})),
            r("GET", "/_sim/reblogs", lambda req: (200, {"data": self._copy("reblogs")})),
            r("GET", "/_sim/writes", lambda req: (200, {"data": self._copy("writes")})),
            r("POST", "/_sim/customer_statuses", self.sim_customer_status),
            r("POST", r"/_sim/statuses/(?P<id>\d+)/delete", self.sim_delete_status),
            *self.control_routes(),
        ]

    # -------------------------------------------------------------- plumbing hooks
    def is_platform_path(self, path: str) -> bool:
        return path.startswith("/api/")

    def fault_response(self, kind: str):
        if kind == "429":
            reset = time.time() + self.faults.retry_after
            return (
                429,
                {"error": "Too many requests"},
                {
                    "Retry-After": str(self.faults.retry_after),
                    "X-RateLimit-Limit": str(self.state.rate_limit),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": iso(reset),
                },
            )
        return int(kind), {"error": "We're sorry, but something went wrong on our end."}, {}

    def handle(self, req: Request):
        if req.path.startswith("/_sim/"):
            route, m = dispatch(self.sim_routes, req, lambda msg: _error(404, msg))
            status, body = route.handler(req, **m.groupdict())
            return status, body, {}
        if req.path.startswith("/oauth/") or req.path.startswith("/api/v1/apps"):
            route, m = dispatch(
                self.oauth_routes, req, lambda msg: _error(404, "Record not found")
            )
            return route.handler(req)
        route, m = dispatch(self.routes, req, lambda msg: _error(404, "Record not found"))
        auth = req.headers.get("Authorization") or ""
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        allowed, limit, remaining, reset = self.state.rate_hit(token)
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": iso(reset),
        }
        if not allowed:
            raise _error(429, "Too many requests", headers)
        grant = self.sim.oauth.grant_for(token)
        if grant is not None:
            account = self.state.accounts.get(grant.account_id) if grant.account_id else None
            if account is None:  # an app token acts for no account
                raise _error(403, OUTSIDE_SCOPES, headers)
            if not covers(grant.scopes, REQUIRED.get(route.handler.__name__, ())):
                raise _error(403, OUTSIDE_SCOPES, headers)
        else:
            account = self.state.account_for_token(token)
        if account is None:
            raise _error(401, "The access token is invalid", headers)
        try:
            status, body, *more = route.handler(req, account, **m.groupdict())
        except ApiError as exc:
            exc.headers.update(headers)
            raise
        return status, body, {**headers, **(more[0] if more else {})}

    def _brand_accounts(self) -> list[tuple[str, str]]:
        """Who can log in on the consent page: the instance's own (brand) accounts."""
        from .state import BRAND_ACCOUNTS

        return [(username, f"@{username}") for username, *_ in BRAND_ACCOUNTS]

    def _account_id(self, username: str) -> str | None:
        account = self.state.by_username(username)
        return account["id"] if account else None

    # -------------------------------------------------------------- rendering
    def render_account(self, aid: str) -> dict[str, Any]:
        return dict(self.state.accounts[aid])

    def render_status(
        self, status: dict[str, Any], viewer: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        out = {
            k: v
            for k, v in status.items()
            if k not in ("account_id", "text", "idempotency_key", "via")
        }
        out["account"] = self.render_account(status["account_id"])
        if viewer is not None:
            out["favourited"] = any(
                f["account_id"] == viewer["id"] and f["status_id"] == status["id"]
                for f in self.state.favourites
            )
            out["reblogged"] = any(
                r["account_id"] == viewer["id"] and r["status_id"] == status["id"]
                for r in self.state.reblogs
            )
        return out

    def render_notification(self, n: dict[str, Any], viewer: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": n["id"],
            "type": n["type"],
            "created_at": n["created_at"],
            "group_key": f"ungrouped-{n['id']}",
            "account": self.render_account(n["account_id"]),
            "status": self.render_status(self.state.statuses[n["status_id"]], viewer),
        }

    # -------------------------------------------------------------- Mastodon's API
    def verify_credentials(self, req: Request, account):
        return 200, self.render_account(account["id"])

    def _id_param(self, req: Request, name: str) -> int | None:
        raw = req.param(name)
        if raw in (None, ""):
            return None
        if not re.fullmatch(r"\d{1,20}", raw):
            raise _error(422, f"Invalid {name}")
        return int(raw)

    def notifications(self, req: Request, account):
        types = req.params("types")
        exclude = req.params("exclude_types")
        for t in types + exclude:
            if t not in NOTIFICATION_TYPES:
                raise _error(422, f"Unknown notification type {t}")
        raw_limit = req.param("limit") or "40"
        if not raw_limit.isdigit():
            raise _error(422, "Invalid limit")
        limit = max(1, min(int(raw_limit), 80))
        since, max_id, min_id = (
            self._id_param(req, "since_id"),
            self._id_param(req, "max_id"),
            self._id_param(req, "min_id"),
        )
        with self.state.lock:
            found = [
                n
                for n in self.state.mentions_for(account["id"])
                if (not types or n["type"] in types) and n["type"] not in exclude
            ]
            if since is not None:
                found = [n for n in found if int(n["id"]) > since]
            if min_id is not None:
                found = [n for n in found if int(n["id"]) > min_id]
            if max_id is not None:
                found = [n for n in found if int(n["id"]) < max_id]
            # min_id pages forward from it (the oldest first); otherwise the newest come first.
            found.sort(key=lambda n: int(n["id"]), reverse=min_id is None)
            page = found[:limit]
            page.sort(key=lambda n: int(n["id"]), reverse=True)
            body = [self.render_notification(n, account) for n in page]
        return 200, body, self._link_header(req, "/api/v1/notifications", page)

    def _link_header(self, req: Request, path: str, page: list[dict[str, Any]]) -> dict[str, str]:
        """Mastodon's pagination links: "next" (older, `max_id` = the page's last id) and "prev"
        (newer, `min_id` = its first id), with the request's filters and limit; none on an empty
        page. Clients are to follow these rather than compute ids themselves: "the Link header
        ... use it to paginate" (https://docs.joinmastodon.org/api/guidelines/#pagination), as
        Mastodon.py's fetch_next / fetch_previous do."""
        if not page:
            return {}
        kept = [
            (k, v) for k in ("limit", "types[]", "exclude_types[]") for v in req.query.get(k, [])
        ]
        base = f"http://{req.headers.get('Host') or '127.0.0.1'}{path}"

        def url(**cursor) -> str:
            return f"{base}?{urlencode([*cursor.items(), *kept])}"

        return {
            "Link": f'<{url(max_id=page[-1]["id"])}>; rel="next", <{url(min_id=page[0]["id"])}>; rel="prev"'
        }

    def notification(self, req: Request, account, id: str):
        n = next((n for n in self.state.mentions_for(account["id"]) if n["id"] == id), None)
        if n is None:
            raise _error(404, "Record not found")
        return 200, self.render_notification(n, account)

    def post_status(self, req: Request, account):
        form = req.form()
        text = form.get("status")
        if not isinstance(text, str) or not text.strip():
            raise _error(422, "Validation failed: Text can't be blank")
        if len(text) > STATUS_LIMIT:
            raise _error(
                422, f"Validation failed: Text character limit of {STATUS_LIMIT} exceeded"
            )
        # Without `visibility` the account's default applies, public unless its owner changed it
        # ("visibility: public, unlisted, private, direct", https://docs.joinmastodon.org/methods/statuses/#create):
        # a reply does not inherit the visibility of the status it answers.
        visibility = form.get("visibility") or "public"
        if visibility not in ("public", "unlisted", "private", "direct"):
            raise _error(422, "Validation failed: Visibility is not included in the list")
        reply_to = form.get("in_reply_to_id") or None
        if reply_to is not None and not str(reply_to).isdigit():
            raise _error(422, "Validation failed: In reply to is invalid")
        parent = self.state.statuses.get(str(reply_to)) if reply_to else None
        if parent is not None and not self.state.can_see(account, parent):
            raise _error(404, "Record not found")
        try:
            status, created = self.state.post(
                account,
                text,
                in_reply_to_id=str(reply_to) if reply_to else None,
                visibility=visibility,
                language=form.get("language") or None,
                idempotency_key=req.headers.get("Idempotency-Key"),
            )
        except LookupError:
            raise _error(404, "Record not found") from None
        return 200, self.render_status(status, account)

    def get_status(self, req: Request, account, id: str):
        with self.state.lock:
            status = self.state.statuses.get(id)
            # Deleted, or not addressed to the caller: the same 404 either way.
            if status is None or not self.state.can_see(account, status):
                raise _error(404, "Record not found")
            return 200, self.render_status(status, account)

    def get_statuses(self, req: Request, account):
        """Several statuses at once (Mastodon 4.3+). "There can be fewer records than requested if
        the requested statuses do not exist or cannot be accessed given the current credentials"
        (https://docs.joinmastodon.org/methods/statuses/#index): no error for a missing one."""
        ids = req.params("id")
        if not ids:
            raise _error(422, "Validation failed: id is missing")
        if len(ids) > MULTIPLE_STATUSES_LIMIT:
            raise _error(422, f"Validation failed: at most {MULTIPLE_STATUSES_LIMIT} ids")
        with self.state.lock:
            found = [self.state.statuses.get(i) for i in dict.fromkeys(ids)]
            return 200, [
                self.render_status(s, account)
                for s in found
                if s is not None and self.state.can_see(account, s)
            ]

    def favourite(self, req: Request, account, id: str):
        if id not in self.state.statuses or not self.state.can_see(
            account, self.state.statuses[id]
        ):
            raise _error(404, "Record not found")
        return 200, self.render_status(self.state.favourite(account, id), account)

    def reblog(self, req: Request, account, id: str):
        if id not in self.state.statuses:
            raise _error(404, "Record not found")
        record = self.state.reblog(account, id)
        original = self.render_status(self.state.statuses[id], account)
        wrapper = dict(
            original,
            id=record["id"],
            created_at=iso(record["at"]),
            reblog=original,
            content="",
            account=self.render_account(account["id"]),
            reblogged=True,
        )
        return 200, wrapper

    # -------------------------------------------------------------- simulator control
    def _copy(self, name: str) -> list[dict[str, Any]]:
        with self.state.lock:
            return [dict(x) for x in getattr(self.state, name)]

    def sim_state(self, req: Request):
        return 200, {
            **self.state.summary(),
            "faults": self.faults.summary(),
            "traffic": {
                "running": self.sim.traffic.running,
                "rate_per_minute": self.sim.traffic.rate,
            },
        }

    def sim_statuses(self, req: Request):
        account, reply_to, key = (
            req.param("account"),
            req.param("in_reply_to_id"),
            req.param("idempotency_key"),
        )
        with self.state.lock:
            data = []
            for s in self.state.statuses.values():
                author = self.state.accounts[s["account_id"]]["username"]
                if (
                    (account and author != account)
                    or (reply_to and s["in_reply_to_id"] != reply_to)
                    or (key and s["idempotency_key"] != key)
                ):
                    continue
                data.append(dict(s, username=author))
        return 200, {"data": data}

    def sim_status(self, req: Request, id: str):
        status = self.state.statuses.get(id)
        if status is None:
            raise _error(404, f"No status {id}")
        return 200, {
            "data": dict(status, username=self.state.accounts[status["account_id"]]["username"])
        }

    def sim_customer_status(self, req: Request):
        body = req.form()
        text, author = body.get("text"), body.get("author")
        if not isinstance(text, str) or not text.strip():
            raise _error(400, "`text` is required and must be a non-empty string.")
        if (
            not isinstance(author, dict)
            or not isinstance(author.get("username"), str)
            or not re.fullmatch(r"@?\w{1,30}", author["username"])
        ):
            raise _error(
                400, "`author.username` is required: 1-30 letters, digits or underscores."
            )
        followers = author.get("followers_count")
        if followers is not None and (
            not isinstance(followers, int) or isinstance(followers, bool) or followers < 0
        ):
            raise _error(400, "`author.followers_count` must be a non-negative integer.")
        visibility = body.get("visibility") or "public"
        if visibility not in ("public", "unlisted", "private", "direct"):
            raise _error(400, "`visibility` must be public, unlisted, private or direct.")
        spoiler = body.get("spoiler_text") or ""
        if not isinstance(spoiler, str):
            raise _error(400, "`spoiler_text` must be a string.")
        media = body.get("media") or []
        if not isinstance(media, list) or not all(
            isinstance(m, dict)
            and isinstance(m.get("description") or "", str)
            and (m.get("type") or "image") in ("image", "gifv", "video", "audio", "unknown")
            for m in media
        ):
            raise _error(
                400,
                '`media` must be a list of {"type": image|gifv|video|audio|unknown, "description": text}.',
            )
        sensitive = body.get("sensitive", False)
        if not isinstance(sensitive, bool):
            raise _error(400, "`sensitive` must be true or false.")
        ago = body.get("seconds_ago") or 0
        if not isinstance(ago, (int, float)) or isinstance(ago, bool) or ago < 0:
            raise _error(400, "`seconds_ago` must be a non-negative number.")
        # The language is the client's claim: Mastodon keeps whatever the app sends (often the
        # app's own language), or null (https://docs.joinmastodon.org/entities/Status/#language).
        language = body.get("language", "en")
        account = self.state.upsert_customer(
            author["username"].lstrip("@"),
            display_name=author.get("display_name"),
            followers=followers,
            bot=author.get("bot"),
        )
        try:
            status, _ = self.state.post(
                account,
                text,
                in_reply_to_id=body.get("in_reply_to_id") or None,
                visibility=visibility,
                language=language or None,
                via="customer",
                spoiler_text=spoiler,
                media=media,
                sensitive=sensitive,
                at=time.time() - ago if ago else None,
            )
        except LookupError:
            raise _error(400, "`in_reply_to_id` is not a known status.") from None
        return 201, {"data": dict(status, username=account["username"])}

    def sim_delete_status(self, req: Request, id: str):
        if id not in self.state.statuses:
            raise _error(404, f"No status {id}")
        status = self.state.delete_status(id)
        return 200, {"data": {"id": id, "account_id": status["account_id"]}}
