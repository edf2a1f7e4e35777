"""HTTP front of the Twitter/X API v2 simulator (standard library only).

X API v2 endpoints served (the ones ``tweepy.Client`` calls for them, same JSON shapes)::

    GET    /2/users/me                     GET /2/users?ids=        GET /2/users/by?usernames=
    GET    /2/users/:id                    GET /2/users/by/username/:username
    GET    /2/users/:id/mentions           GET /2/tweets/search/recent
    GET    /2/tweets/:id                   GET /2/tweets?ids=
    POST   /2/tweets                       DELETE /2/tweets/:id
    POST   /2/users/:id/likes              DELETE /2/users/:id/likes/:tweet_id
    POST   /2/users/:id/retweets           DELETE /2/users/:id/retweets/:tweet_id

X's user authentication (see :mod:`.oauth`)::

    GET/POST /i/oauth2/authorize           the consent page (x.com/i/oauth2/authorize on X)
    POST   /2/oauth2/token                 authorization_code and refresh_token grants
    POST   /2/oauth2/revoke

Authentication is ``Authorization: Bearer <token>`` (the fixed tokens of :mod:`.accounts`, or
one the OAuth 2.0 flow issued), or an OAuth 1.0a signature. An app-only token reads but is
refused (403) on every user-context endpoint: posting, liking, reposting, ``/2/users/me``
(https://docs.x.com/fundamentals/authentication/guides/v2-authentication-mapping: those
endpoints list "OAuth 1.0a User Context" and "OAuth 2.0 Authorization Code with PKCE" only). Every ``/2/``
response carries ``x-rate-limit-limit``, ``x-rate-limit-remaining`` and
``x-rate-limit-reset`` for the (token, endpoint) pair.

Inspection and control endpoints (not X's, no authentication), under ``/_sim/``::

    GET  /_sim/state                      counts, rate-limit and fault configuration
    GET  /_sim/tweets?author=&in_reply_to=&conversation_id=   stored tweets, all fields
    GET  /_sim/tweets/:id                 one stored tweet (also when deleted)
    DELETE /_sim/tweets/:id               the author deletes a tweet (e.g. a customer)
    GET  /_sim/users                      every user with profile fields
    GET  /_sim/likes    GET /_sim/retweets
    POST /_sim/customer_tweets            {"text", "author": {...}, "in_reply_to_tweet_id"?, "lang"?,
                                           "quote_tweet_id"?, "retweet_of_tweet_id"?}
    POST /_sim/generate                   {"n": 5} -- n generated customer tweets right now
    POST /_sim/traffic                    {"rate_per_minute": 6} (0 stops the generator)
    POST /_sim/config                     {"rate_limit"?, "rate_limits"?: {"GET /2/users/:id/mentions": 5},
                                           "faults"?: {"error_next", "error_status", "lose_response_next"},
                                           "partial"?: {"omit_fields", "omit_includes", "hide_users", "hide_tweets"}}
    GET  /_sim/oauth                      OAuth counts: codes issued and exchanged, refreshes, live tokens
    POST /_sim/oauth/expire               every access token issued so far expires now
    POST /_sim/oauth/config               {"access_token_lifetime": 2} for the tokens issued from now on
    POST /_sim/oauth/clients              {"client_id", "client_secret", "redirect_uris": [...]}
    POST /_sim/reset                      forget everything but the brand accounts; rate limits
                                          and faults back to the start configuration

Faults: ``error_next`` answers the next n ``/2/`` requests with ``error_status`` (503) without
doing anything; ``lose_response_next`` performs the next n writes and then answers with
``error_status``, as when a connection drops after the platform acted.

Partial answers, as X gives them (``partial`` in ``/_sim/config``; cleared by ``/_sim/reset``).
X returns only the fields asked for and those it has: "Posts will return just the id and text
of a Post by default" (https://developer.x.com/en/docs/x-api/data-dictionary), "missing fields in
responses mean the value is null or empty" (https://docs.x.com/x-api/fundamentals/fields); an
expansion's objects come in ``includes`` only when found (https://docs.x.com/x-api/fundamentals/expansions);
and "a 200 response can include both data and errors ... when requesting multiple resources and
some are unavailable" (https://docs.x.com/x-api/fundamentals/response-codes-and-errors)::

    "omit_fields": ["author_id", "created_at", "entities"]   left out of mentions and search pages' tweets
    "omit_includes": true                                    mentions and search pages without ``includes``
    "hide_users": ["<user id>"]      missing from every ``includes`` and users lookup, with a partial error each
    "hide_tweets": ["<tweet id>"]    missing from tweets lookups, with a partial error each (deleted since)
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..faults import FaultConfigError
from ..http import Request as BaseRequest
from ..http import RunningServer
from ..http import serve_in_thread as serve_api
from .oauth import Unauthorized, required_scopes
from .query import QueryError
from .state import (
    INVALID_REQUEST_TYPE,
    ApiError,
    PlatformState,
    User,
    invalid_request,
    not_found_error,
    problem,
)

TWEET_FIELDS = (
    "article",
    "attachments",
    "author_id",
    "card_uri",
    "community_id",
    "context_annotations",
    "conversation_id",
    "created_at",
    "display_text_range",
    "edit_controls",
    "edit_history_tweet_ids",
    "entities",
    "geo",
    "id",
    "in_reply_to_user_id",
    "lang",
    "media_metadata",
    "non_public_metrics",
    "note_tweet",
    "organic_metrics",
    "possibly_sensitive",
    "promoted_metrics",
    "public_metrics",
    "referenced_tweets",
    "reply_settings",
    "scopes",
    "source",
    "text",
    "withheld",
)
USER_FIELDS = (
    "affiliation",
    "connection_status",
    "created_at",
    "description",
    "entities",
    "id",
    "location",
    "most_recent_tweet_id",
    "name",
    "pinned_tweet_id",
    "profile_banner_url",
    "profile_image_url",
    "protected",
    "public_metrics",
    "receives_your_dm",
    "subscription_type",
    "url",
    "username",
    "verified",
    "verified_type",
    "withheld",
)
TWEET_EXPANSIONS = (
    "article.cover_media",
    "article.media_entities",
    "attachments.media_keys",
    "attachments.media_source_tweet",
    "attachments.poll_ids",
    "author_id",
    "edit_history_tweet_ids",
    "entities.mentions.username",
    "geo.place_id",
    "in_reply_to_user_id",
    "entities.note.mentions.username",
    "referenced_tweets.id",
    "referenced_tweets.id.author_id",
    "referenced_tweets.id.attachments.media_keys",
)
USER_EXPANSIONS = ("affiliation.user_id", "most_recent_tweet_id", "pinned_tweet_id")
IGNORED_FIELD_PARAMS = ("media.fields", "place.fields", "poll.fields")

TIMELINE_PARAMS = (
    "end_time",
    "expansions",
    "max_results",
    "media.fields",
    "pagination_token",
    "place.fields",
    "poll.fields",
    "since_id",
    "start_time",
    "tweet.fields",
    "until_id",
    "user.fields",
)
SEARCH_PARAMS = (
    "end_time",
    "expansions",
    "max_results",
    "media.fields",
    "next_token",
    "place.fields",
    "poll.fields",
    "query",
    "since_id",
    "sort_order",
    "start_time",
    "tweet.fields",
    "until_id",
    "user.fields",
)
LOOKUP_PARAMS = (
    "expansions",
    "media.fields",
    "place.fields",
    "poll.fields",
    "tweet.fields",
    "user.fields",
)
USER_LOOKUP_PARAMS = ("expansions", "tweet.fields", "user.fields")


# ---------------------------------------------------------------------- parameters
def _csv(params: dict[str, str], name: str, allowed: tuple[str, ...]) -> list[str]:
    raw = params.get(name)
    if raw is None or raw == "":
        return []
    values = [v.strip() for v in raw.split(",") if v.strip()]
    for v in values:
        if v not in allowed:
            raise invalid_request(
                name,
                v,
                f"The `{name}` query parameter value [{v}] is not one of [{','.join(allowed)}]",
            )
    return values


def _check_params(params: dict[str, str], allowed: tuple[str, ...]) -> None:
    for name in params:
        if name not in allowed:
            raise invalid_request(
                name,
                params[name],
                f"The query parameter [{name}] is not one of [{','.join(allowed)}]",
            )


def _max_results(params: dict[str, str], lo: int, hi: int, default: int) -> int:
    raw = params.get("max_results")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not lo <= value <= hi:
        raise invalid_request(
            "max_results",
            raw,
            f"The `max_results` query parameter value [{raw}] is not between {lo} and {hi}",
        )
    return value


def _tweet_id_param(params: dict[str, str], name: str) -> str | None:
    raw = params.get(name)
    if raw is None:
        return None
    if not re.fullmatch(r"[0-9]{1,19}", raw):
        raise invalid_request(
            name, raw, f"The `{name}` query parameter value [{raw}] does not match ^[0-9]{{1,19}}$"
        )
    return raw


def _start_time(params: dict[str, str]) -> str | None:
    """``start_time`` (RFC 3339, e.g. 2026-11-20T09:00:00Z) in the stored ``created_at`` format."""
    raw = params.get("start_time")
    if not raw:
        return None
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_request(
            "start_time", raw, f"Invalid date format for `start_time`: {raw}"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def encode_page_token(tweet_id: str) -> str:
    """Opaque pagination token meaning "tweets older than ``tweet_id``"."""
    n, digits, out = int(tweet_id), "0123456789abcdefghijklmnopqrstuvwxyz", ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return "7140d" + out


def decode_page_token(name: str, token: str | None) -> str | None:
    if token is None:
        return None
    if token.startswith("7140d") and len(token) > 5 and re.fullmatch(r"[0-9a-z]+", token[5:]):
        return str(int(token[5:], 36))
    raise invalid_request(
        name, token, f"The `{name}` query parameter value [{token}] is not valid"
    )


# ---------------------------------------------------------------------- rendering
def render_user(user: User, fields: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": user.id, "name": user.name, "username": user.username}
    for f in fields:
        if f == "verified":
            out["verified"] = user.verified
        elif f == "verified_type":
            out["verified_type"] = (
                ("business" if user.is_brand else "blue") if user.verified else "none"
            )
        elif f == "public_metrics":
            out["public_metrics"] = user.public_metrics()
        elif f == "profile_image_url" and user.profile_image_url:
            out["profile_image_url"] = user.profile_image_url
        elif f == "description":
            out["description"] = user.description
        elif f == "created_at":
            out["created_at"] = user.created_at
        elif f == "location" and user.location:
            out["location"] = user.location
        elif f == "protected":
            out["protected"] = user.protected
        elif f == "url":
            out["url"] = ""
    return out


def render_tweet(tweet: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": tweet["id"],
        "text": tweet["text"],
        "edit_history_tweet_ids": list(tweet["edit_history_tweet_ids"]),
    }
    for f in fields:
        if f in ("id", "text", "edit_history_tweet_ids"):
            continue
        if f == "edit_controls":
            out["edit_controls"] = {
                "edits_remaining": 5,
                "is_edit_eligible": False,
                "editable_until": tweet["created_at"],
            }
        elif f in tweet:
            out[f] = tweet[f]
    return out


def build_tweet_payload(
    state: PlatformState,
    tweets: list[dict[str, Any]],
    params: dict[str, str],
    errors: list[dict[str, Any]] | None = None,
    single: bool = False,
) -> dict[str, Any]:
    """``{"data", "includes", "errors"}`` for tweets, honouring fields and expansions."""
    tweet_fields = _csv(params, "tweet.fields", TWEET_FIELDS)
    user_fields = _csv(params, "user.fields", USER_FIELDS)
    expansions = _csv(params, "expansions", TWEET_EXPANSIONS)
    for p in IGNORED_FIELD_PARAMS:
        params.pop(p, None)
    payload: dict[str, Any] = {}
    errors = list(errors or [])
    if tweets:
        data = [render_tweet(t, tweet_fields) for t in tweets]
        payload["data"] = data[0] if single else data
    user_ids: list[str] = []
    ref_tweets: list[dict[str, Any]] = []
    expanded_by: dict[
        str, str
    ] = {}  # user id -> the expansion that asked for it (named in a partial error)
    for t in tweets:
        if "author_id" in expansions:
            user_ids.append(t["author_id"])
            expanded_by.setdefault(t["author_id"], "author_id")
        if "in_reply_to_user_id" in expansions and t.get("in_reply_to_user_id"):
            user_ids.append(t["in_reply_to_user_id"])
            expanded_by.setdefault(t["in_reply_to_user_id"], "in_reply_to_user_id")
        if "entities.mentions.username" in expansions:
            for m in t.get("entities", {}).get("mentions", []):
                if m.get("id"):
                    user_ids.append(m["id"])
                    expanded_by.setdefault(m["id"], "entities.mentions.username")
        if "referenced_tweets.id" in expansions or "referenced_tweets.id.author_id" in expansions:
            for ref in t.get("referenced_tweets", []):
                rt = state.get_tweet(ref["id"])
                if rt is None:
                    errors.append(not_found_error("tweet", "referenced_tweets.id", ref["id"]))
                    continue
                if "referenced_tweets.id" in expansions and all(
                    x["id"] != rt["id"] for x in ref_tweets
                ):
                    ref_tweets.append(rt)
                if "referenced_tweets.id.author_id" in expansions:
                    user_ids.append(rt["author_id"])
    includes: dict[str, Any] = {}
    seen: set[str] = set()
    users = []
    hidden = set(state.partial.get("hide_users") or ())
    for uid in user_ids:
        if uid in seen:
            continue
        seen.add(uid)
        u = state.user(uid)
        if u is not None and uid in hidden:
            # The expansion could not give this user: X leaves it out of includes and says so.
            errors.append(not_found_error("user", expanded_by.get(uid, "author_id"), uid))
        elif u is not None:
            users.append(render_user(u, user_fields))
    if users:
        includes["users"] = users
    if ref_tweets:
        includes["tweets"] = [render_tweet(t, tweet_fields) for t in ref_tweets]
    if includes:
        payload["includes"] = includes
    if errors:
        payload["errors"] = errors
    return payload


# ---------------------------------------------------------------------- routing
class Route:
    def __init__(
        self,
        method: str,
        pattern: str,
        handler: Callable,
        *,
        write: bool = False,
        user_context: bool = False,
    ):
        self.method = method
        self.pattern = pattern
        self.regex = re.compile("^" + re.sub(r":(\w+)", r"(?P<\1>[^/]+)", pattern) + "$")
        self.handler = handler
        self.write = write
        self.user_context = user_context or write
        self.endpoint = f"{method} {pattern}"


class Request(BaseRequest):
    """X's endpoints read one value per parameter (``params``) and know the caller once authenticated."""

    def __init__(self, method: str, path: str, query: dict[str, list[str]], body: bytes, headers):
        super().__init__(method, path, query, body, headers)
        self.params = {k: v[-1] for k, v in query.items()}
        self.user: User | None = None
        self.token: str = ""

    def json(self) -> dict[str, Any]:
        if not self.raw_body:
            raise ApiError(
                400,
                {
                    "title": "Invalid Request",
                    "type": INVALID_REQUEST_TYPE,
                    "status": 400,
                    "detail": "The request body is empty; a JSON object is required.",
                },
            )
        try:
            body = json.loads(self.raw_body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(
                400,
                {
                    "title": "Invalid Request",
                    "type": INVALID_REQUEST_TYPE,
                    "status": 400,
                    "detail": f"The request body is not valid JSON: {exc}",
                },
            ) from None
        if not isinstance(body, dict):
            raise ApiError(
                400,
                {
                    "title": "Invalid Request",
                    "type": INVALID_REQUEST_TYPE,
                    "status": 400,
                    "detail": "The request body must be a JSON object.",
                },
            )
        return body


def _bad(detail: str) -> ApiError:
    return ApiError(
        400,
        {
            "title": "Invalid Request",
            "type": INVALID_REQUEST_TYPE,
            "status": 400,
            "detail": detail,
        },
    )


class Api:
    """Request handling; the HTTP plumbing (and the shared fault mode) is simulators.http's."""

    request_class = Request

    def __init__(self, simulator):
        self.sim = simulator
        self.state: PlatformState = simulator.state
        self.faults = simulator.faults
        r = Route
        self.x_routes = [
            r("GET", "/2/users/me", self.get_me, user_context=True),
            r("GET", "/2/users/by", self.get_users_by),
            r("GET", "/2/users/by/username/:username", self.get_user_by_username),
            r("GET", "/2/users", self.get_users),
            r("GET", "/2/users/:id/mentions", self.get_mentions),
            r("GET", "/2/users/:id", self.get_user),
            r("GET", "/2/tweets/search/recent", self.search_recent),
            r("GET", "/2/tweets", self.get_tweets),
            r("GET", "/2/tweets/:id", self.get_tweet),
            r("POST", "/2/tweets", self.create_tweet, write=True),
            r(
                "POST",
                "/1.1/media/upload.json",
                lambda req: self.sim.media.upload(req),
                write=True,
            ),
            r("DELETE", "/2/tweets/:id", self.delete_tweet, write=True),
            r("POST", "/2/users/:id/likes", self.like, write=True),
            r("DELETE", "/2/users/:id/likes/:tweet_id", self.unlike, write=True),
            r("POST", "/2/users/:id/retweets", self.retweet, write=True),
            r("DELETE", "/2/users/:id/retweets/:source_tweet_id", self.unretweet, write=True),
        ]
        # X's user authentication (see .oauth): the consent page lives on x.com, the token
        # endpoint on the API host.
        oauth = simulator.oauth
        self.oauth_routes = [
            r(
                "GET",
                "/i/oauth2/authorize",
                lambda req: oauth.authorize_page(req, action="/i/oauth2/authorize"),
            ),
            r("POST", "/i/oauth2/authorize", oauth.authorize_decision),
            r("POST", "/2/oauth2/token", oauth.token),
            r("POST", "/2/oauth2/revoke", oauth.revoke),
        ]
        self.sim_routes = [
            r("GET", "/_sim/state", self.sim_state),
            r("GET", "/_sim/oauth", lambda req: (200, {"data": oauth.summary()})),
            r(
                "POST",
                "/_sim/oauth/expire",
                lambda req: (200, {"data": {"expired": oauth.expire_all()}}),
            ),
            r("POST", "/_sim/oauth/config", self.sim_oauth_config),
            r("POST", "/_sim/oauth/clients", self.sim_oauth_client),
            r("GET", "/_sim/tweets", self.sim_tweets),
            r("GET", "/_sim/tweets/:id", self.sim_tweet),
            r("DELETE", "/_sim/tweets/:id", self.sim_delete_tweet),
            r("GET", "/_sim/users", self.sim_users),
            r("GET", "/_sim/likes", lambda req: (200, {"data": self._records("likes")})),
            r("GET", "/_sim/retweets", lambda req: (200, {"data": self._records("retweets")})),
            r("POST", "/_sim/customer_tweets", self.sim_customer_tweet),
            r("POST", "/_sim/generate", self.sim_generate),
            r("POST", "/_sim/traffic", self.sim_traffic),
            r("POST", "/_sim/config", self.sim_config),
            r("POST", "/_sim/reset", self.sim_reset),
        ]

    # -------------------------------------------------------------- plumbing hooks
    def is_platform_path(self, path: str) -> bool:
        return path.startswith("/2/")  # the shared fault mode applies to X's v2 endpoints

    def fault_response(self, kind: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        if kind == "429":
            retry_after = self.faults.retry_after
            return (
                429,
                {
                    "title": "Too Many Requests",
                    "detail": "Too Many Requests",
                    "type": "about:blank",
                    "status": 429,
                },
                {
                    "x-rate-limit-limit": "0",
                    "x-rate-limit-remaining": "0",
                    "x-rate-limit-reset": str(int(time.time()) + retry_after),
                    "Retry-After": str(retry_after),
                },
            )
        title = "Internal Server Error" if kind == "500" else "Service Unavailable"
        return (
            int(kind),
            {"title": title, "detail": title, "type": "about:blank", "status": int(kind)},
            {},
        )

    def internal_error(self, exc: Exception) -> dict[str, Any]:
        return {
            "title": "Internal Server Error",
            "detail": f"simulator error: {exc!r}",
            "type": "about:blank",
            "status": 500,
        }

    # -------------------------------------------------------------- dispatch
    def handle(self, req: Request) -> tuple[int, dict[str, Any], dict[str, str]]:
        headers: dict[str, str] = {}
        try:
            if req.path.startswith("/_sim/") or req.path == "/_sim":
                route, match = self._match(self.sim_routes, req)
                status, body = route.handler(req, **match.groupdict())
                return status, body, headers
            if req.path.startswith(("/i/oauth2/", "/2/oauth2/")):
                route, match = self._match(self.oauth_routes, req)
                return route.handler(req)
            route, match = self._match(self.x_routes, req)
            token = _bearer(req.headers.get("Authorization"))
            try:
                # A token issued by the OAuth 2.0 flow (it expires) or an OAuth 1.0a signature.
                principal = self.sim.oauth.principal(req, req.path)
            except Unauthorized:
                raise problem(401, "Unauthorized", "Unauthorized") from None
            allowed, limit, remaining, reset = self.state.rate_hit(
                principal.key if principal else token or "", route.endpoint
            )
            headers.update(
                {
                    "x-rate-limit-limit": str(limit),
                    "x-rate-limit-remaining": str(remaining),
                    "x-rate-limit-reset": str(reset),
                }
            )
            if not allowed:
                raise problem(429, "Too Many Requests", "Too Many Requests")
            req.token = token or ""
            if principal is not None:
                req.user, may_write = self.state.user(principal.user_id), True
                missing = [
                    s
                    for s in required_scopes(route.endpoint)
                    if principal.scopes is not None and s not in principal.scopes
                ]
                if missing:
                    raise ApiError(
                        403,
                        {
                            "title": "Forbidden",
                            "type": "about:blank",
                            "status": 403,
                            "detail": f"This request needs the OAuth 2.0 scope(s) {', '.join(missing)}, which the user did not grant.",
                        },
                    )
            else:
                req.user, may_write = self.state.authenticate(token)
            if route.user_context and not may_write:
                raise ApiError(
                    403,
                    {
                        "title": "Unsupported Authentication",
                        "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  "
                        "Supported authentication types are [OAuth 1.0a User Context, "
                        "OAuth 2.0 User Context].",
                        "type": "https://api.twitter.com/2/problems/unsupported-authentication",
                        "status": 403,
                    },
                )
            fault = self.state.take_fault("error_next")
            if fault:
                raise problem(fault, "Service Unavailable", "Service Unavailable")
            status, body = route.handler(req, **match.groupdict())
            if route.write:
                fault = self.state.take_fault("lose_response_next")
                if fault:
                    raise problem(fault, "Service Unavailable", "Service Unavailable")
            return status, body, headers
        except ApiError as exc:
            return exc.status, exc.body, headers

    def _match(self, routes: list[Route], req: Request):
        path_matched = False
        for route in routes:
            m = route.regex.match(req.path)
            if m:
                path_matched = True
                if route.method == req.method:
                    return route, m
        if path_matched:
            raise problem(405, "Method Not Allowed", f"{req.method} is not allowed on {req.path}")
        raise problem(
            404,
            "Not Found Error",
            f"No such endpoint: {req.method} {req.path}",
            "https://api.twitter.com/2/problems/resource-not-found",
        )

    # -------------------------------------------------------------- users
    def _user_fields(self, req: Request) -> list[str]:
        _csv(req.params, "expansions", USER_EXPANSIONS)
        _csv(req.params, "tweet.fields", TWEET_FIELDS)
        return _csv(req.params, "user.fields", USER_FIELDS)

    def get_me(self, req: Request):
        _check_params(req.params, USER_LOOKUP_PARAMS)
        return 200, {"data": render_user(req.user, self._user_fields(req))}

    def _users(self, req: Request, param: str, values: list[str], find, resource_param: str):
        fields = self._user_fields(req)
        data, errors = [], []
        hidden = set(self.state.partial.get("hide_users") or ())
        for v in values:
            u = find(v)
            if u is None or u.id in hidden:
                errors.append(not_found_error("user", resource_param, v))
            else:
                data.append(render_user(u, fields))
        body: dict[str, Any] = {}
        if data:
            body["data"] = data
        if errors:
            body["errors"] = errors
        return 200, body

    def _list_param(self, req: Request, name: str) -> list[str]:
        raw = req.params.get(name)
        if not raw:
            raise invalid_request(name, "", f"The `{name}` query parameter can not be empty")
        values = [v.strip() for v in raw.split(",") if v.strip()]
        if len(values) > 100:
            raise invalid_request(
                name, raw, f"The `{name}` query parameter can have at most 100 values"
            )
        return values

    def get_users(self, req: Request):
        _check_params(req.params, USER_LOOKUP_PARAMS + ("ids",))
        ids = self._list_param(req, "ids")
        return self._users(req, "ids", ids, self.state.user, "ids")

    def get_users_by(self, req: Request):
        _check_params(req.params, USER_LOOKUP_PARAMS + ("usernames",))
        names = self._list_param(req, "usernames")
        return self._users(req, "usernames", names, self.state.user_by_username, "usernames")

    def get_user(self, req: Request, id: str):
        _check_params(req.params, USER_LOOKUP_PARAMS)
        status, body = self._users(req, "id", [id], self.state.user, "id")
        if "data" in body:
            body["data"] = body["data"][0]
        return status, body

    def get_user_by_username(self, req: Request, username: str):
        _check_params(req.params, USER_LOOKUP_PARAMS)
        status, body = self._users(
            req, "username", [username], self.state.user_by_username, "username"
        )
        if "data" in body:
            body["data"] = body["data"][0]
        return status, body

    # -------------------------------------------------------------- timelines
    def _paged(self, req: Request, fetch, token_param: str, lo: int):
        max_results = _max_results(req.params, lo, 100, 10)
        since_id = _tweet_id_param(req.params, "since_id")
        until_id = _tweet_id_param(req.params, "until_id")
        below = decode_page_token(token_param, req.params.get(token_param))
        start_time = _start_time(req.params)
        try:
            tweets, more = fetch(
                since_id=since_id,
                until_id=until_id,
                below_id=below,
                max_results=max_results,
                start_time=start_time,
            )
        except QueryError as exc:
            raise invalid_request("query", req.params.get("query", ""), str(exc)) from None
        body = _partial(self.state.partial, build_tweet_payload(self.state, tweets, req.params))
        meta: dict[str, Any] = {"result_count": len(tweets)}
        if tweets:
            meta = {
                "newest_id": tweets[0]["id"],
                "oldest_id": tweets[-1]["id"],
                "result_count": len(tweets),
            }
            if more:
                meta["next_token"] = encode_page_token(tweets[-1]["id"])
        body["meta"] = meta
        return 200, body

    def get_mentions(self, req: Request, id: str):
        _check_params(req.params, TIMELINE_PARAMS)
        if not id.isdigit():
            raise invalid_request(
                "id", id, f"The `id` query parameter value [{id}] does not match ^[0-9]{{1,19}}$"
            )
        if self.state.user(id) is None:
            return 200, {"errors": [not_found_error("user", "id", id)]}
        return self._paged(req, lambda **kw: self.state.mentions(id, **kw), "pagination_token", 5)

    def search_recent(self, req: Request):
        _check_params(req.params, SEARCH_PARAMS)
        query = req.params.get("query")
        if query is None:
            raise invalid_request("query", "", "The `query` query parameter can not be empty")
        return self._paged(req, lambda **kw: self.state.search(query, **kw), "next_token", 10)

    # -------------------------------------------------------------- tweets
    def get_tweet(self, req: Request, id: str):
        _check_params(req.params, LOOKUP_PARAMS)
        t = self.state.get_tweet(id) if id.isdigit() else None
        if t is None:
            return 200, build_tweet_payload(
                self.state, [], req.params, [not_found_error("tweet", "id", id)]
            )
        return 200, build_tweet_payload(self.state, [t], req.params, single=True)

    def get_tweets(self, req: Request):
        _check_params(req.params, LOOKUP_PARAMS + ("ids",))
        ids = self._list_param(req, "ids")
        found, errors = [], []
        hidden = set(self.state.partial.get("hide_tweets") or ())
        for tid in ids:
            t = self.state.get_tweet(tid) if tid.isdigit() and tid not in hidden else None
            if t is None:
                errors.append(not_found_error("tweet", "ids", tid))
            else:
                found.append(t)
        return 200, build_tweet_payload(self.state, found, req.params, errors)

    def create_tweet(self, req: Request):
        body = req.json()
        reply = body.get("reply")
        reply_to = None
        if reply is not None:
            if (
                not isinstance(reply, dict)
                or not str(reply.get("in_reply_to_tweet_id", "")).isdigit()
            ):
                raise invalid_request(
                    "reply.in_reply_to_tweet_id",
                    reply,
                    "`reply.in_reply_to_tweet_id` must be a tweet id",
                )
            reply_to = str(reply["in_reply_to_tweet_id"])
        quote = body.get("quote_tweet_id")
        if quote is not None and not str(quote).isdigit():
            raise invalid_request("quote_tweet_id", quote, "`quote_tweet_id` must be a tweet id")
        media = body.get("media") or {}
        media_ids = [str(m) for m in media.get("media_ids", [])] if isinstance(media, dict) else []
        unknown = [m for m in media_ids if not self.sim.media.known(m, req.user.id)]
        if unknown:
            raise invalid_request("media.media_ids", unknown, "Your media IDs are invalid.")
        text = body.get("text")
        if text is not None and not isinstance(text, str):
            raise invalid_request("text", text, "`text` must be a string")
        t = self.state.create_tweet(
            req.user.id,
            text,
            in_reply_to_tweet_id=reply_to,
            quote_tweet_id=str(quote) if quote is not None else None,
            media_ids=media_ids,
        )
        return 201, {
            "data": {
                "id": t["id"],
                "text": t["text"],
                "edit_history_tweet_ids": t["edit_history_tweet_ids"],
            }
        }

    def delete_tweet(self, req: Request, id: str):
        self.state.delete_tweet(id, by_user_id=req.user.id)
        return 200, {"data": {"deleted": True}}

    def _acting_user(self, req: Request, id: str) -> None:
        if id != req.user.id:
            raise problem(
                403,
                "Forbidden",
                f"You are not permitted to perform this action on behalf of user {id}.",
            )

    def _tweet_id_body(self, req: Request) -> str:
        body = req.json()
        tid = body.get("tweet_id")
        if tid is None or not str(tid).isdigit():
            raise invalid_request("tweet_id", tid, "`tweet_id` is required and must be a tweet id")
        return str(tid)

    def like(self, req: Request, id: str):
        self._acting_user(req, id)
        self.state.like(id, self._tweet_id_body(req))
        return 200, {"data": {"liked": True}}

    def unlike(self, req: Request, id: str, tweet_id: str):
        self._acting_user(req, id)
        self.state.unlike(id, tweet_id)
        return 200, {"data": {"liked": False}}

    def retweet(self, req: Request, id: str):
        self._acting_user(req, id)
        self.state.retweet(id, self._tweet_id_body(req))
        return 200, {"data": {"retweeted": True}}

    def unretweet(self, req: Request, id: str, source_tweet_id: str):
        self._acting_user(req, id)
        self.state.unretweet(id, source_tweet_id)
        return 200, {"data": {"retweeted": False}}

    # -------------------------------------------------------------- simulator control
    def sim_state(self, req: Request):
        return 200, {**self.state.summary(), "fault_mode": self.sim.faults.summary()}

    def sim_tweets(self, req: Request):
        p = req.params
        return 200, {
            "data": self.state.list_tweets(
                author=p.get("author"),
                in_reply_to=p.get("in_reply_to"),
                conversation_id=p.get("conversation_id"),
            )
        }

    def sim_tweet(self, req: Request, id: str):
        found = [t for t in self.state.list_tweets() if t["id"] == id]
        if not found:
            raise problem(404, "Not Found Error", f"Could not find tweet with id: [{id}].")
        return 200, {"data": found[0]}

    def sim_delete_tweet(self, req: Request, id: str):
        self.state.delete_tweet(id)
        return 200, {"data": {"deleted": True}}

    def sim_users(self, req: Request):
        with self.state.lock:
            return 200, {"data": [self.state.user_dict(u) for u in self.state.users.values()]}

    def _records(self, kind: str) -> list[dict[str, Any]]:
        with self.state.lock:
            return [dict(r) for r in getattr(self.state, kind)]

    def sim_customer_tweet(self, req: Request):
        body = req.json()
        text = body.get("text")
        rt_of = body.get("retweet_of_tweet_id")
        if rt_of is None and (not isinstance(text, str) or not text.strip()):
            raise _bad("`text` is required and must be a non-empty string.")
        author = body.get("author")
        if not isinstance(author, dict):
            raise _bad("`author` is required: an object with at least `username`.")
        username = author.get("username")
        if not isinstance(username, str) or not re.fullmatch(r"@?\w{1,15}", username):
            raise _bad("`author.username` must be 1-15 letters, digits or underscores.")
        username = username.lstrip("@")
        for key, kind in (("followers_count", int), ("following_count", int)):
            if key in author and (
                not isinstance(author[key], kind)
                or isinstance(author[key], bool)
                or author[key] < 0
            ):
                raise _bad(f"`author.{key}` must be a non-negative integer.")
        if "verified" in author and not isinstance(author["verified"], bool):
            raise _bad("`author.verified` must be true or false.")
        for key in ("name", "description", "location"):
            if key in author and not isinstance(author[key], str):
                raise _bad(f"`author.{key}` must be a string.")
        lang = body.get("lang", "en")
        if not isinstance(lang, str) or not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z]{2,4})?|und", lang):
            raise _bad('`lang` must be a language code such as "en" or "de".')
        for key in ("in_reply_to_tweet_id", "quote_tweet_id", "retweet_of_tweet_id"):
            if body.get(key) is not None and not str(body[key]).isdigit():
                raise _bad(f"`{key}` must be a tweet id (digits).")
        try:
            user = self.state.upsert_customer(
                username,
                author.get("name"),
                followers_count=author.get("followers_count"),
                following_count=author.get("following_count"),
                verified=author.get("verified"),
                description=author.get("description"),
                location=author.get("location"),
            )
            tweet = self.state.customer_tweet(
                user,
                text or "",
                lang=lang,
                in_reply_to_tweet_id=_opt_str(body.get("in_reply_to_tweet_id")),
                quote_tweet_id=_opt_str(body.get("quote_tweet_id")),
                retweet_of_tweet_id=_opt_str(rt_of),
            )
        except ValueError as exc:
            raise _bad(str(exc)) from None
        tweet["author_username"] = user.username
        tweet["deleted"] = False
        return 201, {"data": tweet}

    def sim_generate(self, req: Request):
        body = req.json() if req.raw_body else {}
        n = body.get("n", 1)
        if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= 10_000:
            raise _bad("`n` must be an integer between 0 and 10000.")
        return 201, {"data": self.sim.traffic.generate(n)}

    def sim_traffic(self, req: Request):
        body = req.json()
        rate = body.get("rate_per_minute")
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or rate < 0 or rate > 6000:
            raise _bad(
                "`rate_per_minute` must be a number between 0 and 6000 (0 stops the generator)."
            )
        if rate == 0:
            self.sim.stop_traffic()
        else:
            self.sim.start_traffic(rate_per_minute=rate)
        return 200, {"data": {"rate_per_minute": rate, "running": rate > 0}}

    def sim_config(self, req: Request):
        body = req.json()
        rate_limit = body.get("rate_limit")
        if rate_limit is not None and (not isinstance(rate_limit, int) or rate_limit < 0):
            raise _bad("`rate_limit` must be a non-negative integer.")
        limits = body.get("rate_limits")
        if limits is not None:
            known = {r.endpoint for r in self.x_routes}
            if not isinstance(limits, dict) or any(
                k not in known or not isinstance(v, int) or v < 0 for k, v in limits.items()
            ):
                raise _bad(
                    '`rate_limits` maps endpoints such as "GET /2/users/:id/mentions" to integers; '
                    f"known endpoints: {sorted(known)}"
                )
        partial = body.get("partial")
        if partial is not None:
            self.state.configure_partial(**_partial_config(partial))
        faults = body.get("faults")
        mode_keys = ("share", "kinds", "timeout_seconds", "retry_after")
        if faults is not None and (
            not isinstance(faults, dict)
            or any(
                k not in mode_keys
                and (
                    k not in ("error_next", "error_status", "lose_response_next")
                    or not isinstance(v, int)
                )
                for k, v in faults.items()
            )
        ):
            raise _bad(
                "`faults` accepts integer `error_next`, `error_status`, `lose_response_next`, and the fault "
                "mode's `share`, `kinds`, `timeout_seconds`, `retry_after` (see simulators.faults)."
            )
        mode = {k: v for k, v in (faults or {}).items() if k in mode_keys}
        if mode or body.get("seed") is not None:
            try:
                self.sim.faults.configure(mode, seed=body.get("seed"))
            except FaultConfigError as exc:
                raise _bad(str(exc)) from None
            faults = {k: v for k, v in faults.items() if k not in mode_keys} if faults else faults
        self.state.configure(
            rate_limit=rate_limit,
            rate_limits=limits,
            faults=faults,
            reset_windows=bool(body.get("reset_windows")),
        )
        return 200, {**self.state.summary(), "fault_mode": self.sim.faults.summary()}

    def sim_oauth_config(self, req: Request):
        body = req.json()
        lifetime = body.get("access_token_lifetime")
        if (
            set(body) - {"access_token_lifetime"}
            or not isinstance(lifetime, (int, float))
            or isinstance(lifetime, bool)
            or lifetime <= 0
        ):
            raise _bad("`access_token_lifetime` (seconds, above 0) is the one setting here.")
        with self.sim.oauth.lock:
            self.sim.oauth.access_token_lifetime = float(lifetime)
        return 200, {"data": self.sim.oauth.summary()}

    def sim_oauth_client(self, req: Request):
        from .oauth import Client

        body = req.json()
        uris = body.get("redirect_uris")
        if (
            not isinstance(body.get("client_id"), str)
            or not body["client_id"]
            or not isinstance(body.get("client_secret", ""), str)
            or not isinstance(uris, list)
            or not all(isinstance(u, str) and u for u in uris)
        ):
            raise _bad(
                'A client is {"client_id", "client_secret" (empty: a public client), "redirect_uris": [...]}.'
            )
        with self.sim.oauth.lock:
            self.sim.oauth.clients[body["client_id"]] = Client(
                body["client_id"],
                body.get("client_secret", ""),
                tuple(uris),
                name=str(body.get("name") or "Socialdesk"),
            )
        return 201, {"data": {"client_id": body["client_id"]}}

    def sim_reset(self, req: Request):
        self.sim.oauth.reset()
        self.state.reset()
        self.sim.traffic.reset()
        self.sim.media.reset()
        self.sim.faults.reset()
        return 200, {"data": {"reset": True}}


def _partial_config(partial: Any) -> dict[str, Any]:
    """``partial`` of ``/_sim/config``, checked: a 400 says what is wrong."""
    if not isinstance(partial, dict) or set(partial) - {
        "omit_fields",
        "omit_includes",
        "hide_users",
        "hide_tweets",
    }:
        raise _bad(
            "`partial` takes `omit_fields` (tweet fields), `omit_includes` (true/false), `hide_users` and "
            "`hide_tweets` (lists of ids)."
        )
    omit = partial.get("omit_fields", [])
    if not isinstance(omit, list) or any(
        f not in TWEET_FIELDS or f in ("id", "text") for f in omit
    ):
        raise _bad("`partial.omit_fields` is a list of tweet fields other than id and text.")
    if not isinstance(partial.get("omit_includes", False), bool):
        raise _bad("`partial.omit_includes` is true or false.")
    for key in ("hide_users", "hide_tweets"):
        ids = partial.get(key, [])
        if not isinstance(ids, list) or not all(isinstance(i, str) and i.isdigit() for i in ids):
            raise _bad(f"`partial.{key}` is a list of ids (strings of digits).")
    return partial


def _partial(partial: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """A timeline page with what the configuration leaves out taken out."""
    omit = set(partial.get("omit_fields") or ())
    if omit and "data" in body:
        body["data"] = [{k: v for k, v in t.items() if k not in omit} for t in body["data"]]
    if partial.get("omit_includes"):
        body.pop("includes", None)
    return body


def _opt_str(v: Any) -> str | None:
    return None if v is None else str(v)


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


# ---------------------------------------------------------------------- serving
def serve_in_thread(
    simulator, host: str = "127.0.0.1", port: int = 0, quiet: bool = True
) -> RunningServer:
    # X answers with the server header "tsa_a".
    return serve_api(
        Api(simulator), host, port, quiet=quiet, name="twitter-sim-http", server_header="tsa_a"
    )
