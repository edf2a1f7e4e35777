"""HTTP front of the Google Play Developer API simulator: the reviews endpoints of androidpublisher v3.

Served (the paths google-api-python-client builds from the v3 discovery document)::

    GET  /androidpublisher/v3/applications/:packageName/reviews          maxResults, startIndex, token, translationLanguage
    GET  /androidpublisher/v3/applications/:packageName/reviews/:reviewId
    POST /androidpublisher/v3/applications/:packageName/reviews/:reviewId:reply   {"replyText": "..."}

``Authorization: Bearer <token>`` (the fixed token ``sim-token-google-play``, or one a service
account got from ``POST /token``, its Google OAuth 2.0 token endpoint; see .oauth). Errors have Google's
shape ``{"error": {"code", "message", "status"}}``. The list shows reviews written or changed in
the last week, most recently changed first, ``tokenPagination.nextPageToken`` for more.

Inspection and control (no authentication), under ``/_sim/``::

    GET  /_sim/state                        counts, API replies per review, faults
    GET  /_sim/reviews                      every review with its versions and developer reply
    GET  /_sim/reviews/:reviewId            one review, with the API replies performed on it
    POST /_sim/reviews                      a customer writes a review {"author_name", "text", "star_rating",
                                            "language"?, "device"?, "android_os_version"?, "app_version_name"?,
                                            "app_version_code"?, "package"?}
    POST /_sim/reviews/:reviewId/edit       the customer edits it {"text"?, "star_rating"?, "app_version_name"?}
    POST /_sim/reviews/:reviewId/console_reply   a developer reply written in the Play Console {"text"}
    POST /_sim/reviews/:reviewId/remove     the reviewer deletes the review: gone from the list, get answers 404
    GET  /_sim/replies?review_id=           every reply performed through the API, in order
    POST /_sim/generate {"n": 5}            generated reviews (and edits) right now
    POST /_sim/traffic {"rate_per_minute": 6}
    POST /_sim/config {"faults"?: {...}, "seed"?, "rate_limit"?}   see simulators.faults
    POST /_sim/service_accounts {"packages": [...]}   a service account and its JSON key (see .oauth)
    GET  /_sim/service_accounts             POST /_sim/service_accounts/:email/disable
    POST /_sim/reset
"""

from __future__ import annotations

import re
import time
from functools import partial
from typing import Any
from urllib.parse import unquote

from ..base import SimControl
from ..http import ApiError, Request, Route, dispatch
from .state import REPLY_LIMIT, PlayState, Review, timestamp

API = "/androidpublisher/v3/applications"
HTML_TAG = re.compile(r"<[A-Za-z/!][^<>]*>")
MAX_PAGE = 100
DEFAULT_PAGE = 10


def google_error(
    code: int, status: str, message: str, headers: dict[str, str] | None = None
) -> ApiError:
    return ApiError(
        code,
        {
            "error": {
                "code": code,
                "message": message,
                "status": status,
                "errors": [{"message": message, "domain": "global", "reason": status.lower()}],
            }
        },
        headers,
    )


def _bad(message: str) -> ApiError:
    return ApiError(400, {"error": message})


def render_review(review: Review, translation_language: str | None = None) -> dict[str, Any]:
    v = review.latest
    user: dict[str, Any] = {
        # Google Play's API puts a tab before the text of a review; the connector strips it.
        "text": "\t" + v.text,
        "lastModified": timestamp(v.last_modified),
        "starRating": v.star_rating,
        "reviewerLanguage": v.language,
        "device": v.device,
        "androidOsVersion": v.android_os_version,
        "appVersionCode": v.app_version_code,
        "appVersionName": v.app_version_name,
        "thumbsUpCount": v.thumbs_up,
        "thumbsDownCount": v.thumbs_down,
    }
    if v.device_metadata:
        user["deviceMetadata"] = dict(v.device_metadata)
    if translation_language and translation_language.split("-")[0] != v.language:
        user["originalText"] = v.text  # the simulator does not translate; the shape is Google's
    comments: list[dict[str, Any]] = [{"userComment": user}]
    if review.developer_comment:
        comments.append(
            {
                "developerComment": {
                    "text": review.developer_comment["text"],
                    "lastModified": timestamp(review.developer_comment["last_modified"]),
                }
            }
        )
    return {"reviewId": review.review_id, "authorName": review.author_name, "comments": comments}


class Api(SimControl):
    rate_limit_unit = "requests per token and method per hour"

    def __init__(self, simulator):
        self.sim = simulator
        self.state: PlayState = simulator.state
        self.faults = simulator.faults
        r = Route
        self.routes = [
            r("GET", API + r"/(?P<package>[^/]+)/reviews", self.list_reviews),
            r(
                "POST",
                API + r"/(?P<package>[^/]+)/reviews/(?P<review_id>[^/]+?)(?::|%3A|%3a)reply",
                self.reply,
                write=True,
            ),
            r("GET", API + r"/(?P<package>[^/]+)/reviews/(?P<review_id>[^/]+)", self.get_review),
        ]
        self.sim_routes = [
            r("GET", "/_sim/state", self.sim_state),
            r("GET", "/_sim/reviews", self.sim_reviews),
            r("POST", "/_sim/reviews", self.sim_add_review),
            r("GET", "/_sim/reviews/(?P<review_id>[^/]+)", self.sim_review),
            r("POST", "/_sim/reviews/(?P<review_id>[^/]+)/edit", self.sim_edit_review),
            r("POST", "/_sim/reviews/(?P<review_id>[^/]+)/console_reply", self.sim_console_reply),
            r("POST", "/_sim/reviews/(?P<review_id>[^/]+)/remove", self.sim_remove_review),
            r("GET", "/_sim/replies", self.sim_replies),
            r(
                "GET",
                "/_sim/service_accounts",
                lambda req: (200, {"data": self.sim.oauth.summary()}),
            ),
            r("POST", "/_sim/service_accounts", self.sim_service_account),
            r(
                "POST",
                "/_sim/service_accounts/(?P<email>[^/]+)/disable",
                lambda req, email: (200, {"data": {"disabled": self.sim.oauth.disable(email)}}),
            ),
            *self.control_routes(),
        ]

    # -------------------------------------------------------------- plumbing hooks
    def is_platform_path(self, path: str) -> bool:
        return path.startswith(API)

    def fault_response(self, kind: str):
        if kind == "429":
            retry_after = self.faults.retry_after
            err = google_error(
                429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Queries'."
            )
            return 429, err.body, {"Retry-After": str(retry_after)}
        err = google_error(
            int(kind),
            "INTERNAL" if kind == "500" else "UNAVAILABLE",
            "Internal error encountered."
            if kind == "500"
            else "The service is currently unavailable.",
        )
        return err.status, err.body, {}

    def handle(self, req: Request):
        not_found = partial(google_error, 404, "NOT_FOUND")
        if req.path.startswith("/_sim/"):
            route, m = dispatch(self.sim_routes, req, lambda msg: ApiError(404, {"error": msg}))
            status, body = route.handler(req, **{k: unquote(v) for k, v in m.groupdict().items()})
            return status, body, {}
        if req.path == "/token" and req.method == "POST":
            # Google's token endpoint (oauth2.googleapis.com/token): a service account's signed JWT for a token.
            return self.sim.oauth.token(req, self._token_uri(req))
        route, m = dispatch(self.routes, req, not_found)
        auth = req.headers.get("Authorization") or ""
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        try:
            invited = self.sim.oauth.packages_for(token)
        except LookupError:
            invited = None
            token = ""
        if invited is None and not self.state.authenticate(token):
            raise google_error(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials. "
                "Expected OAuth 2 access token, login cookie or other valid authentication credential.",
            )
        allowed, limit, remaining, reset = self.state.rate_hit(token, req.method)
        if not allowed:
            raise google_error(
                429,
                "RESOURCE_EXHAUSTED",
                "Quota exceeded for quota metric 'Queries'.",
                {"Retry-After": str(max(1, reset - int(time.time())))},
            )
        args = {k: unquote(v) for k, v in m.groupdict().items()}
        if args["package"] not in self.state.packages or (
            invited is not None and args["package"] not in invited
        ):
            raise google_error(403, "PERMISSION_DENIED", "The caller does not have permission")
        self.state.count(route.handler.__name__)
        status, body = route.handler(req, **args)
        return status, body, {}

    @staticmethod
    def _token_uri(req: Request) -> str:
        return f"http://{req.headers.get('Host') or '127.0.0.1'}/token"

    def sim_service_account(self, req: Request):
        body = req.form()
        packages = body.get("packages", sorted(self.state.packages))
        if not isinstance(packages, list) or not all(isinstance(p, str) for p in packages):
            raise ApiError(
                400,
                {
                    "error": "`packages` is a list of package names the Play Console gives the account access to."
                },
            )
        return 201, {
            "data": self.sim.oauth.create(packages=packages, token_uri=self._token_uri(req))
        }

    # -------------------------------------------------------------- Google Play's API
    def _int_param(self, req: Request, name: str, default: int, lo: int, hi: int) -> int:
        raw = req.param(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise google_error(
                400, "INVALID_ARGUMENT", f"Invalid value for {name}: {raw}"
            ) from None
        if not lo <= value <= hi:
            raise google_error(400, "INVALID_ARGUMENT", f"{name} must be between {lo} and {hi}.")
        return value

    def list_reviews(self, req: Request, package: str):
        size = self._int_param(req, "maxResults", DEFAULT_PAGE, 1, MAX_PAGE)
        token = req.param("token")
        if token:
            try:
                start = int(token.removeprefix("sim-page-"))
            except ValueError:
                raise google_error(400, "INVALID_ARGUMENT", "Invalid page token.") from None
        else:
            start = self._int_param(req, "startIndex", 0, 0, 10_000_000)
        reviews = self.state.listed(package)
        page = reviews[start : start + size]
        body: dict[str, Any] = {
            "pageInfo": {"totalResults": len(reviews), "resultPerPage": size, "startIndex": start},
            "reviews": [render_review(r, req.param("translationLanguage")) for r in page],
        }
        if start + size < len(reviews):
            body["tokenPagination"] = {"nextPageToken": f"sim-page-{start + size}"}
        if not page:
            del body["reviews"]
        return 200, body

    def get_review(self, req: Request, package: str, review_id: str):
        review = self.state.get(review_id)
        if review is None or review.package != package:
            raise google_error(404, "NOT_FOUND", "No review found.")
        return 200, render_review(review, req.param("translationLanguage"))

    def reply(self, req: Request, package: str, review_id: str):
        body = req.form()
        text = body.get("replyText")
        if not isinstance(text, str) or not text.strip():
            raise google_error(400, "INVALID_ARGUMENT", "replyText is required.")
        if len(text) > REPLY_LIMIT:
            raise google_error(
                400,
                "INVALID_ARGUMENT",
                f"Reply text is too long: {len(text)} characters, "
                f"at most {REPLY_LIMIT} are allowed.",
            )
        review = self.state.get(review_id)
        if review is None or review.package != package:
            raise google_error(404, "NOT_FOUND", "No review found.")
        # "HTML tags will be stripped" (replyText, https://developers.google.com/android-publisher/api-ref/rest/v3/reviews/reply):
        # what is applied, and answered as `result.replyText`, is the text without them.
        comment = self.state.reply(review_id, HTML_TAG.sub("", text))
        return 200, {
            "result": {
                "replyText": comment["text"],
                "lastEdited": timestamp(comment["last_modified"]),
            }
        }

    # -------------------------------------------------------------- simulator control
    def sim_state(self, req: Request):
        return 200, {
            **self.state.summary(),
            "faults": self.faults.summary(),
            "traffic": {
                "running": self.sim.traffic.running,
                "rate_per_minute": self.sim.traffic.rate,
            },
        }

    def sim_reviews(self, req: Request):
        with self.state.lock:
            reviews = sorted(
                self.state.reviews.values(), key=lambda r: r.versions[0].last_modified
            )
            return 200, {"data": [self.state.sim_review(r) for r in reviews]}

    def _review(self, review_id: str) -> Review:
        review = self.state.get(review_id)
        if review is None:
            raise ApiError(404, {"error": f"No review {review_id}."})
        return review

    def sim_review(self, req: Request, review_id: str):
        return 200, {"data": self.state.sim_review(self._review(review_id))}

    def sim_add_review(self, req: Request):
        body = req.form()
        text, name, stars = (
            body.get("text"),
            body.get("author_name", "A Google user"),
            body.get("star_rating"),
        )
        if not isinstance(text, str) or not text.strip():
            raise _bad("`text` is required and must be a non-empty string.")
        if not isinstance(name, str) or not name.strip():
            raise _bad("`author_name` must be a non-empty string.")
        if not isinstance(stars, int) or isinstance(stars, bool) or not 1 <= stars <= 5:
            raise _bad("`star_rating` is required: 1 to 5.")
        kwargs: dict[str, Any] = {}
        for key, kind in (
            ("language", str),
            ("device", str),
            ("app_version_name", str),
            ("package", str),
            ("android_os_version", int),
            ("app_version_code", int),
        ):
            if key in body:
                if not isinstance(body[key], kind) or isinstance(body[key], bool):
                    raise _bad(f"`{key}` must be a {'string' if kind is str else 'whole number'}.")
                kwargs[key] = body[key]
        try:
            review = self.state.add_review(
                author_name=name, text=text, star_rating=stars, **kwargs
            )
        except ValueError as exc:
            raise _bad(str(exc)) from None
        return 201, {"data": self.state.sim_review(review)}

    def sim_edit_review(self, req: Request, review_id: str):
        body = req.form()
        self._review(review_id)
        text, stars = body.get("text"), body.get("star_rating")
        if text is not None and (not isinstance(text, str) or not text.strip()):
            raise _bad("`text` must be a non-empty string.")
        if stars is not None and (
            not isinstance(stars, int) or isinstance(stars, bool) or not 1 <= stars <= 5
        ):
            raise _bad("`star_rating` must be 1 to 5.")
        if text is None and stars is None:
            raise _bad("Give the new `text`, the new `star_rating`, or both.")
        review = self.state.edit_review(
            review_id, text=text, star_rating=stars, app_version_name=body.get("app_version_name")
        )
        return 200, {"data": self.state.sim_review(review)}

    def sim_console_reply(self, req: Request, review_id: str):
        body = req.form()
        self._review(review_id)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad("`text` is required.")
        self.state.reply(review_id, text, via="console")
        return 200, {"data": self.state.sim_review(self._review(review_id))}

    def sim_remove_review(self, req: Request, review_id: str):
        self._review(review_id)
        self.state.remove_review(review_id)
        return 200, {"data": {"review_id": review_id, "removed": True}}

    def sim_replies(self, req: Request):
        review_id = req.param("review_id")
        with self.state.lock:
            data = [
                dict(r)
                for r in self.state.replies
                if r["via"] == "api" and (not review_id or r["review_id"] == review_id)
            ]
        return 200, {"data": data}
