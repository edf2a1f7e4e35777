"""Google Play reviews over the Android Publisher API v3 with google-api-python-client.

The client is built from the v3 discovery document shipped inside google-api-python-client (no
network call for it) and sends its calls to `SOCIALDESK_GOOGLE_PLAY_API_BASE` (the simulator in
the demo and the tests). Calls go through `requests`, one attempt each: httplib2, the library's
default transport, silently sends a request again when the connection drops, even a reply.

Credentials (`BrandAccount.credentials`), one of:
- `{"service_account_info": {...}}`: the JSON key of a Google Cloud service account that has
  access to the app in the Play Console (the production set-up; uploaded and checked on the
  Accounts page, see `google_play_auth`); it signs in at `SOCIALDESK_GOOGLE_TOKEN_URI`;
- `{"access_token": "..."}`: a ready OAuth 2 access token (the simulator; short-lived in reality).
A key Google refuses, or an account the Play Console no longer lets in (403), marks the listing for
reconnecting.

One conversation per review: the review id is the thread. Each version of a review is one message
(`<review id>:<lastModified seconds>`), so an edit adds a message to the same conversation.
A reply replaces the developer reply already there; Google Play does not tell the reviewer.
"""

import json
import logging
import time
from datetime import UTC, datetime

import httplib2
import requests
from django.conf import settings
from googleapiclient import discovery
from googleapiclient.errors import HttpError

from . import base
from . import messages as says
from .base import (
    Capability,
    ConnectorError,
    CredentialsRejected,
    FetchResult,
    InboundAuthor,
    InboundMessage,
    OutcomeUnknown,
    Unreadable,
)

# How people and its error messages call it.
PLATFORM_NAME = "Google Play"

log = logging.getLogger(__name__)

SCOPE = "https://www.googleapis.com/auth/androidpublisher"
PAGE_SIZE = 100
MAX_PAGES = 20
REPLY_LIMIT = 350
# A review is judged gone only while the listing must show it: changed within the last week, with
# a day to spare so none ages out of the listing between the list and the confirming get.
LISTED_DAYS = 6
# reviews.get calls confirming removals, at most, per check.
REMOVAL_CONFIRMATIONS = 20
# androidOsVersion is the API level; agents know the Android release.
ANDROID_RELEASES = {
    36: "16",
    35: "15",
    34: "14",
    33: "13",
    32: "12L",
    31: "12",
    30: "11",
    29: "10",
    28: "9",
    27: "8.1",
    26: "8.0",
    25: "7.1",
    24: "7.0",
    23: "6.0",
    22: "5.1",
    21: "5.0",
}


class RequestsHttp:
    """The transport google-api-python-client calls (httplib2's `request` signature) over requests."""

    def __init__(self, credentials, timeout: float, on_refused=None):
        from google.auth.transport.requests import AuthorizedSession

        self.session = AuthorizedSession(credentials)
        self.timeout = timeout
        # Called with a reason when Google refuses the credentials for good (see `_refusal`).
        self.on_refused = on_refused

    def request(
        self, uri, method="GET", body=None, headers=None, redirections=5, connection_type=None
    ):
        from google.auth.exceptions import RefreshError

        try:
            r = self.session.request(
                method,
                uri,
                data=body,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except RefreshError as exc:
            if self.on_refused is not None and not getattr(exc, "retryable", False):
                self.on_refused(
                    f"Google refused the service account key ({str(exc)[:200]}): upload a new key on the Accounts page"
                )
            raise
        refusal = _refusal(r)
        if refusal and self.on_refused is not None:
            self.on_refused(refusal)
        response = httplib2.Response(
            {"status": r.status_code, **{k.lower(): v for k, v in r.headers.items()}}
        )
        response.reason = r.reason
        return response, r.content


def _refusal(response) -> str:
    """Why Google refused the credentials for good, from an API answer; "" when it did not. A 401
    left after google-auth renewed its token, or a 403 PERMISSION_DENIED (not a quota)."""
    if response.status_code == 401:
        return "Google Play refused the credentials (401): upload the service account key again on the Accounts page"
    if response.status_code != 403 or not _permission_denied(response.content):
        return ""
    return (
        "Google Play: the service account has no access to this app any more (403). In the Play Console, Users and "
        "permissions: give it the “Reply to reviews” permission for the app, then check the connection again"
    )


def _permission_denied(content: bytes) -> bool:
    """A 403 that means "no access to this app" (google.rpc PERMISSION_DENIED), not a quota."""
    try:
        error = json.loads(content or b"{}").get("error")
    except (ValueError, AttributeError, TypeError):
        return False
    if not isinstance(error, dict) or error.get("status") != "PERMISSION_DENIED":
        return False
    reasons = {e.get("reason") for e in error.get("errors") or [] if isinstance(e, dict)}
    return not reasons & {
        "rateLimitExceeded",
        "userRateLimitExceeded",
        "dailyLimitExceeded",
        "quotaExceeded",
    }


def credentials_for(account):
    return credentials_from(base.mapping(account.credentials), label=str(account))


def credentials_from(creds: dict, *, label: str = "The account"):
    if creds.get("service_account_info"):
        from google.oauth2 import service_account

        # Always Google's token endpoint (configuration: the simulator's in the demo), whatever
        # a key file says: the desk posts its signed JWT nowhere else.
        info = {
            **base.mapping(creds["service_account_info"]),
            "token_uri": settings.SOCIALDESK_GOOGLE_TOKEN_URI,
        }
        try:
            return service_account.Credentials.from_service_account_info(info, scopes=[SCOPE])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            # A key pasted incompletely: say so on the health page instead of failing the poll.
            raise ConnectorError(
                f"{label}: the service account key is not usable ({exc}); upload the whole JSON key again",
                retryable=False,
            ) from exc
    if creds.get("access_token"):
        from google.oauth2.credentials import Credentials

        return Credentials(token=creds["access_token"])
    raise ConnectorError(says.PLAY_NO_CREDENTIALS % {"account": label}, retryable=False)


def _key_of(credentials: dict) -> str:
    from .google_play_auth import token_of

    return token_of(credentials)


def make_service(credentials, *, api_base: str | None = None, on_refused=None):
    base = (api_base or settings.SOCIALDESK_GOOGLE_PLAY_API_BASE).rstrip("/") + "/"
    return discovery.build(
        "androidpublisher",
        "v3",
        http=RequestsHttp(credentials, settings.SOCIALDESK_CONNECTOR_TIMEOUT_SECONDS, on_refused),
        static_discovery=True,
        client_options={"api_endpoint": base},
        cache_discovery=False,
    )


def _seconds(ts) -> int:
    """A timestamp's seconds (the JSON sends them as a string); 0 when absent or unreadable."""
    return base.count(base.mapping(ts).get("seconds"))


def _when(ts) -> datetime:
    ts = base.mapping(ts)
    return datetime.fromtimestamp(_seconds(ts) + base.count(ts.get("nanos")) / 1e9, tz=UTC)


def _android_release(api_level) -> str:
    if not api_level:
        return ""
    try:
        return ANDROID_RELEASES.get(int(api_level), f"API {api_level}")
    except (TypeError, ValueError, OverflowError):
        return f"API {api_level}"


def normalise_review(review: dict, *, package: str) -> InboundMessage:
    """One review, as the API shows it (its latest version), as an inbound message.

    A review needs its id, the reviewer's comment and its time; anything else missing or of
    another type is left empty."""
    review_id = base.text(review["reviewId"])
    comments = [c for c in base.sequence(review.get("comments")) if isinstance(c, dict)]
    user = next(
        (c["userComment"] for c in comments if isinstance(c.get("userComment"), dict)), None
    )
    if user is None:
        raise ValueError(says.PLAY_NO_COMMENT)
    developer = next(
        (c["developerComment"] for c in comments if isinstance(c.get("developerComment"), dict)),
        None,
    )
    seconds = _seconds(user.get("lastModified"))
    if not seconds:
        # The version of a review is its time: without it the message has no id.
        raise ValueError(says.PLAY_NO_TIME)
    metadata = {
        "rating": user.get("starRating"),  # 1-5, checked by ingestion with the other metadata
        "app_version": base.text(user.get("appVersionName")),
        "device": base.text(
            base.mapping(user.get("deviceMetadata")).get("productName") or user.get("device")
        ),
        "android_version": _android_release(user.get("androidOsVersion")),
    }
    if developer and base.text(developer.get("text")):
        metadata["our_reply"] = {
            "platform_id": f"{review_id}:reply:{_seconds(developer.get('lastModified'))}",
            "text": base.text(developer.get("text")),
            "created_at": _when(developer.get("lastModified")).isoformat(),
        }
    language = base.text(user.get("reviewerLanguage")).replace("_", "-").split("-")[0].lower()
    return InboundMessage(
        platform="google_play",
        platform_id=f"{review_id}:{seconds}",
        # Reviews carry no author id: the review stands for its author.
        author=InboundAuthor(external_id=review_id, name=base.text(review.get("authorName"))),
        # The API puts a tab before the text (and between a title and the text).
        text=base.text(user.get("text")).lstrip("\t").replace("\t", "\n"),
        created_at=_when(user.get("lastModified")),
        thread_id=review_id,
        language=language,
        mentioned_account_ids=(package,),
        metadata=metadata,
        raw={"review": review},
    )


def _review_message_id(review) -> str:
    user = next(
        c["userComment"]
        for c in review["comments"]
        if isinstance(c, dict) and isinstance(c.get("userComment"), dict)
    )
    return f"{base.text(review['reviewId'])}:{_seconds(user.get('lastModified'))}"


def read_reviews(reviews: list, *, package: str) -> tuple[list[InboundMessage], list[Unreadable]]:
    """A page of reviews as inbound messages, and the reviews that could not be read."""
    return base.read_each(
        reviews,
        lambda review: normalise_review(review, package=package),
        platform="google_play",
        raw=lambda review: {"review": review},
        platform_id=_review_message_id,
    )


def renormalise(raw: dict, *, account=None) -> InboundMessage | None:
    """Read a review kept raw (`InboundMessage.raw`, or an unreadable one) again, for a retry."""
    package = (account.external_id or account.handle) if account is not None else ""
    return normalise_review(raw.get("review"), package=package)


def review_id_of(message_id: str) -> str:
    """The review of a message id `<review id>:<seconds>` (review ids may contain colons)."""
    return message_id.rsplit(":", 1)[0]


def _retry_after(error: HttpError) -> float:
    try:
        return time.time() + float(error.resp.get("retry-after"))
    except (TypeError, ValueError):
        return time.time() + 60


def _translate(exc: Exception, *, write: bool) -> ConnectorError:
    from google.auth.exceptions import RefreshError

    if isinstance(exc, HttpError):
        status = exc.status_code
        detail = exc.reason or ""
        if status == 429:
            return ConnectorError(
                says.PLAY_QUOTA,
                retryable=True,
                wait_until=_retry_after(exc),
                status=429,
            )
        if status >= 500:
            return ConnectorError(
                says.SERVER_ERROR % {"platform": PLATFORM_NAME, "status": status},
                retryable=True,
                status=status,
            )
        if status == 401:
            return CredentialsRejected(says.PLAY_REFUSED)
        if status == 403 and _permission_denied(exc.content):
            return CredentialsRejected(says.PLAY_NO_ACCESS, status=403)
        if status == 403:
            return ConnectorError(
                says.PLAY_FORBIDDEN % {"detail": detail}, retryable=False, status=403
            )
        return ConnectorError(
            says.ANSWERED % {"platform": PLATFORM_NAME, "status": status, "detail": detail},
            retryable=False,
            status=status,
        )
    if isinstance(exc, RefreshError):
        if getattr(exc, "retryable", False):
            return ConnectorError(
                f"Google's token endpoint failed, will retry: {exc}", retryable=True
            )
        return CredentialsRejected(f"Google refused the service account key: {exc}")
    if isinstance(exc, (requests.Timeout, requests.ConnectionError)):
        said = says.NO_ANSWER % {"platform": PLATFORM_NAME, "error": exc.__class__.__name__}
        if write:
            return OutcomeUnknown(said)
        return ConnectorError(said, retryable=True)
    if isinstance(exc, ValueError):
        said = says.MALFORMED_ANSWER % {"platform": PLATFORM_NAME, "error": exc}
        if write:
            return OutcomeUnknown(said)
        return ConnectorError(said, retryable=True)
    raise exc


class GooglePlayConnector(base.Connector):
    platform = "google_play"
    # A review cannot be liked or shared; the reply is text only.
    capabilities = frozenset({Capability.DELETION_CHECKS, Capability.RECONCILIATION})
    # Removed reviews are looked for hourly: the listing costs GET quota (see `deleted`).
    deleted_check_seconds = 3600

    def __init__(self, account, *, api_base: str | None = None, keeper=None):
        # cycle: connectors <-> brands (brands connects accounts through the connectors)
        from socialdesk.brands.tokens import TokenKeeper

        self.account = account
        self.keeper = keeper or TokenKeeper(account)
        credentials = base.mapping(
            self.keeper.current()
        )  # a listing whose key was refused stops here
        # The listing's external id is the app's package name, e.g. org.mozilla.firefox.
        self.package = account.external_id or account.handle
        stale = _key_of(credentials)
        self.service = make_service(
            credentials_from(credentials, label=str(account)),
            api_base=api_base or account.api_base or None,
            on_refused=lambda reason: self.keeper.rejected(reason, stale=stale),
        )

    def streams(self) -> list[tuple[str, object]]:
        return [("reviews", self.fetch_reviews)]

    def check(self) -> None:
        """One call that proves the key and the Play Console permission (the Accounts page's "Check again")."""
        try:
            self.service.reviews().list(packageName=self.package, maxResults=1).execute(
                num_retries=0
            )
        except Exception as exc:  # noqa: BLE001 - translated or re-raised
            raise _translate(exc, write=False) from exc

    def fetch_reviews(self, *, cursor: str) -> FetchResult:
        """Reviews written or changed since `cursor` (lastModified seconds), newest first.

        reviews.list shows the last week's reviews, most recently changed first; paging stops
        at the first review older than the cursor. Reviews changed in the cursor's own second are
        read again (ingestion drops what it has), so none is missed. A backlog of more than
        MAX_PAGES pages is read over several polls: the cursor is then `since|page token|newest`
        and the next poll goes on from that page. A review changed meanwhile moves to the top of
        the list, above the page being read, so it is read when the walk is over.
        """
        since_raw, token, window_newest = (
            (cursor.split("|") + ["", ""])[:3] if "|" in cursor else (cursor, "", "")
        )
        since = int(since_raw or 0)
        messages: list[InboundMessage] = []
        unreadable: list[Unreadable] = []
        newest = int(window_newest or since)
        reached_known = restarted = False
        read = 0
        for _ in range(MAX_PAGES):
            try:
                page, skipped, next_token = self._reviews_page(token)
            except ConnectorError as exc:
                if token and exc.status == 400 and not restarted:
                    # The platform no longer takes a saved page token: read from the newest again.
                    token, restarted = None, True
                    continue
                if not read:
                    raise  # the cursor stays: the same page is read again next time
                # Keep the pages read; the next poll goes on from the page that failed.
                return FetchResult(
                    messages=messages,
                    cursor=f"{since or ''}|{token}|{newest or ''}",
                    wait_until=exc.wait_until,
                    error=str(exc),
                    unreadable=unreadable,
                )
            read += 1
            # A review that cannot be read has no time to compare with the cursor: it is kept
            # (once: ingestion knows it when it is read again).
            unreadable.extend(skipped)
            for message in page:
                seconds = int(message.created_at.timestamp())
                if seconds < since:
                    reached_known = True
                    break
                newest = max(newest, seconds)
                messages.append(message)
            token = next_token
            if reached_known or not token:
                break
        wait = settings.SOCIALDESK_GOOGLE_PLAY_MIN_POLL_SECONDS
        if token and not reached_known:
            # Pages left unread: the next poll goes on from the next one, soon.
            return FetchResult(
                messages=messages,
                cursor=f"{since or ''}|{token}|{newest or ''}",
                wait_until=None,
                unreadable=unreadable,
            )
        return FetchResult(
            messages=messages,
            cursor=str(newest) if newest else "",
            wait_until=time.time() + wait if wait > 0 else None,
            unreadable=unreadable,
        )

    def _reviews_page(
        self, token: str | None
    ) -> tuple[list[InboundMessage], list[Unreadable], str | None]:
        """One page: the reviews read, those that could not be, and the next page's token.
        A broken page is an error (read again later); a broken review is not."""
        kwargs = {"packageName": self.package, "maxResults": PAGE_SIZE}
        if token:
            kwargs["token"] = token
        try:
            body = self.service.reviews().list(**kwargs).execute(num_retries=0)
        except Exception as exc:  # noqa: BLE001 - translated or re-raised
            raise _translate(exc, write=False) from exc
        reviews = (body.get("reviews") or []) if isinstance(body, dict) else None
        paging = (body.get("tokenPagination") or {}) if isinstance(body, dict) else None
        if (
            not isinstance(reviews, list)
            or not isinstance(paging, dict)
            or not isinstance(paging.get("nextPageToken") or "", str)
        ):
            raise ConnectorError(says.MALFORMED_PAGE % {"platform": PLATFORM_NAME}, retryable=True)
        messages, unreadable = read_reviews(reviews, package=self.package)
        return messages, unreadable, paging.get("nextPageToken") or None

    def reply(self, *, text: str, in_reply_to_id: str, idempotency_key: str) -> str:
        """Set the developer reply on the review; returns `<review id>:reply:<seconds>`.

        Google Play has no idempotency key, but a reply replaces the previous one: sending the
        same text twice leaves one reply.
        """
        if len(text) > REPLY_LIMIT:
            raise ConnectorError(
                f"Google Play replies are at most {REPLY_LIMIT} characters; this one has {len(text)}.",
                retryable=False,
            )
        review_id = review_id_of(in_reply_to_id)
        try:
            body = (
                self.service.reviews()
                .reply(
                    packageName=self.package,
                    reviewId=review_id,
                    body={"replyText": text},
                )
                .execute(num_retries=0)
            )
            return f"{review_id}:reply:{_seconds(body['result']['lastEdited'])}"
        except (KeyError, TypeError) as exc:
            raise OutcomeUnknown(
                f"Google Play took the reply but its answer was malformed: {exc}"
            ) from exc
        except Exception as exc:  # noqa: BLE001
            raise _translate(exc, write=True) from exc

    def find_reply(self, *, in_reply_to_id: str, text: str) -> str | None:
        """For reconciliation after an unknown outcome: the reply's id if the review shows it."""
        review_id = review_id_of(in_reply_to_id)
        try:
            review = (
                self.service.reviews()
                .get(packageName=self.package, reviewId=review_id)
                .execute(num_retries=0)
            )
        except Exception as exc:  # noqa: BLE001
            raise _translate(exc, write=False) from exc
        developer = next(
            (
                c["developerComment"]
                for c in review.get("comments") or []
                if c.get("developerComment")
            ),
            None,
        )
        if developer and developer.get("text") == text:
            return f"{review_id}:reply:{_seconds(developer.get('lastModified'))}"
        return None

    def deleted(self, platform_ids: list[str]) -> list[str]:
        """Of these review messages (`<review id>:<seconds>`), those whose review is gone: removed
        by its author (or taken down by Google).

        reviews.list shows every review created or changed in the last week ("You can retrieve
        only the reviews that users have created or modified within the last week",
        https://developers.google.com/android-publisher/reply-to-reviews),
        so a review of the last LISTED_DAYS that the listing no longer shows has gone, or has
        just been read past: each one is confirmed with reviews.get, whose 404 says the review
        does not exist. Older reviews are not judged: the listing says nothing about them. The
        listing is read at most every `deleted_check_seconds`, within the GET quota of the
        Reply to Reviews API ("GET requests (for retrieving the list of reviews and individual
        reviews) - 200 per hour", per app: https://support.google.com/googleplay/android-developer/contact/review_apiqr).
        """
        recent: dict[str, list[str]] = {}
        since = time.time() - LISTED_DAYS * 86400
        for platform_id in platform_ids:
            review_id, _, seconds = platform_id.rpartition(":")
            if (
                review_id
                and ":reply:" not in platform_id
                and seconds.isdecimal()
                and int(seconds) >= since
            ):
                recent.setdefault(review_id, []).append(platform_id)
        if not recent:
            return []
        missing = [review_id for review_id in recent if review_id not in self._listed_review_ids()]
        gone: list[str] = []
        for review_id in missing[:REMOVAL_CONFIRMATIONS]:
            try:
                self.service.reviews().get(packageName=self.package, reviewId=review_id).execute(
                    num_retries=0
                )
            except HttpError as exc:
                if exc.status_code == 404:
                    gone.extend(recent[review_id])
                    continue
                raise _translate(exc, write=False) from exc
            except Exception as exc:  # noqa: BLE001 - translated or re-raised
                raise _translate(exc, write=False) from exc
        return gone

    def _listed_review_ids(self) -> set[str]:
        """Every review id the listing shows now (at most MAX_PAGES pages: one still further down
        is not listed here, and reviews.get then finds it)."""
        listed: set[str] = set()
        token = None
        for _ in range(MAX_PAGES):
            kwargs = {
                "packageName": self.package,
                "maxResults": PAGE_SIZE,
                **({"token": token} if token else {}),
            }
            try:
                body = self.service.reviews().list(**kwargs).execute(num_retries=0)
            except Exception as exc:  # noqa: BLE001 - translated or re-raised
                raise _translate(exc, write=False) from exc
            if not isinstance(body, dict) or not isinstance(body.get("reviews") or [], list):
                raise ConnectorError(
                    says.MALFORMED_PAGE % {"platform": PLATFORM_NAME}, retryable=True
                )
            listed.update(
                base.text(r.get("reviewId"))
                for r in body.get("reviews") or []
                if isinstance(r, dict)
            )
            token = base.mapping(body.get("tokenPagination")).get("nextPageToken")
            if not token:
                break
        return listed
