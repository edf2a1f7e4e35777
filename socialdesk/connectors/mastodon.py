"""Mastodon over its REST API with Mastodon.py; the instance is the account's API base.

Mentions arrive as notifications of type "mention" (`GET /api/v1/notifications`), read with
`since_id` and paged back with `max_id`. A reply is `POST /api/v1/statuses` with
`in_reply_to_id` and an `Idempotency-Key` (the outbound action's key), so a retry after a lost
answer returns the first post instead of making a second one. Like is favourite, retweet is boost.

Credentials (`BrandAccount.credentials`): `{"access_token": "...", "scopes": [...]}` of the
account, from connecting it with Mastodon (OAuth on its instance) or a token pasted on the
Accounts page (see `mastodon_auth`). The instance is `BrandAccount.api_base` (e.g.
https://mozilla.social), else `SOCIALDESK_MASTODON_API_BASE`. A token refused (401, revoked) or
used outside its scopes (403) marks the account for reconnecting; Mastodon tokens do not expire.
"""

import html
import logging
import re
import time
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from mastodon import Mastodon
from mastodon import errors as merr

from . import base
from .base import ConnectorError, CredentialsRejected, FetchResult, InboundAuthor, InboundMessage, OutcomeUnknown, Unreadable

log = logging.getLogger(__name__)

PAGE_SIZE = 80  # Mastodon's maximum for notifications
MAX_PAGES = 20
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p>", re.I)


def first_cursor(now: float | None = None) -> str:
    """A notification id standing for FIRST_POLL_DAYS ago: Mastodon's ids are snowflakes, the
    creation time in milliseconds shifted left 16 bits."""
    return str(int(((now or time.time()) - base.FIRST_POLL_DAYS * 86400) * 1000) << 16)


def make_client(access_token: str, api_base: str) -> Mastodon:
    # version_check_mode="none" with no mastodon_version: Mastodon.py asks the instance nothing
    # at start-up (no /api/v1/instance call); "throw" turns a 429 into an error we act on
    # instead of sleeping inside the worker.
    return Mastodon(
        access_token=access_token, api_base_url=api_base.rstrip("/"), version_check_mode="none",
        ratelimit_method="throw", request_timeout=settings.SOCIALDESK_CONNECTOR_TIMEOUT_SECONDS,
        user_agent="socialdesk",
    )


def text_of(content) -> str:
    """A status's HTML as plain text: line breaks kept, tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", base.text(content)))).strip()


def _jsonable(value):
    """Mastodon.py's answers hold datetimes; the raw payload is stored as JSON."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _when(value) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else timezone.make_aware(value)
    if value:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return timezone.now()


def normalise_notification(notification: dict) -> InboundMessage | None:
    """A mention notification as an inbound message; None for other kinds.

    A mention needs its status's id; anything else missing or of another type is left empty."""
    status = notification.get("status")
    if notification.get("type") != "mention" or not status:
        return None
    account = base.mapping(status.get("account")) or base.mapping(notification.get("account"))
    in_reply_to = base.text(status.get("in_reply_to_id"))
    platform_id = base.text(status["id"])
    return InboundMessage(
        platform="mastodon",
        platform_id=platform_id,
        author=InboundAuthor(
            external_id=base.text(account.get("id")),
            handle=base.text(account.get("acct") or account.get("username")),
            name=base.text(account.get("display_name") or account.get("username")),
            followers=base.count(account.get("followers_count")),
            # Mastodon has no verified badge; a bot is flagged instead.
            verified=False,
            profile_image_url=base.text(account.get("avatar")),
        ),
        text=text_of(status.get("content")),
        created_at=_when(status.get("created_at")),
        # No thread root on a status: a reply joins its parent's conversation (ingestion finds
        # it by in_reply_to); otherwise the thread is the status it answers, or itself.
        thread_id=in_reply_to or platform_id,
        in_reply_to_id=in_reply_to,
        language=base.text(status.get("language")).split("-")[0].lower(),
        mentioned_account_ids=tuple(base.text(m.get("id")) for m in base.sequence(status.get("mentions"))
                                    if isinstance(m, dict) and base.text(m.get("id"))),
        is_repost=bool(status.get("reblog")),
        metadata={"visibility": base.text(status.get("visibility"))},
        raw={"notification": _jsonable(notification)},
    )


def read_notifications(page: list) -> tuple[list[InboundMessage], list[Unreadable]]:
    """A page of notifications as inbound messages (mentions only), and those that could not be read."""
    return base.read_each(page, normalise_notification, platform="mastodon", raw=lambda n: {"notification": _jsonable(n)},
                          platform_id=lambda n: base.text(n["status"]["id"]))


def renormalise(raw: dict, *, account=None) -> InboundMessage | None:
    """Read a notification kept raw (`InboundMessage.raw`, or an unreadable one) again, for a retry."""
    return normalise_notification(raw.get("notification"))


class MastodonConnector:
    platform = "mastodon"

    def __init__(self, account, *, api_base: str | None = None, keeper=None):
        from socialdesk.brands.tokens import TokenKeeper

        self.account = account
        self.keeper = keeper or TokenKeeper(account)
        credentials = base.mapping(self.keeper.current())  # an account whose token was refused stops here
        token = credentials.get("access_token")
        if not token:
            raise ConnectorError(f"{account} has no Mastodon access token: connect it on the Accounts page", retryable=False)
        self.token = token
        instance = api_base or account.api_base or credentials.get("api_base") or settings.SOCIALDESK_MASTODON_API_BASE
        self.client = make_client(token, instance)

    def _refused(self, reason: str, *, status: int) -> CredentialsRejected:
        """The instance refused the token: nothing renews a Mastodon token, so the account waits
        to be reconnected (unless it already was, since this request left)."""
        self.keeper.rejected(reason, stale=self.token)
        return CredentialsRejected(reason, status=status)

    def streams(self) -> list[tuple[str, object]]:
        return [("notifications", self.fetch_mentions)]

    def check(self) -> None:
        """One call that proves the token (the Accounts page's "Check again")."""
        try:
            self.client.account_verify_credentials()
        except Exception as exc:  # noqa: BLE001 - translated or re-raised
            raise self._translate(exc, write=False) from exc

    def _translate(self, exc: Exception, *, write: bool) -> ConnectorError:
        if isinstance(exc, merr.MastodonRatelimitError):
            return ConnectorError("Mastodon rate limit reached", retryable=True, wait_until=self.client.ratelimit_reset, status=429)
        if isinstance(exc, merr.MastodonUnauthorizedError):
            return self._refused("Mastodon refused the access token (401): it was revoked; reconnect the account", status=401)
        if isinstance(exc, merr.MastodonServerError):
            return ConnectorError(f"Mastodon server error: {exc}", retryable=True, status=_status(exc))
        if isinstance(exc, merr.MastodonNotFoundError):
            return ConnectorError("Mastodon: the status no longer exists (404)", retryable=False, status=404)
        if isinstance(exc, merr.MastodonNetworkError):
            if write:
                return OutcomeUnknown(f"No answer from Mastodon: {exc}")
            return ConnectorError(f"No answer from Mastodon: {exc}", retryable=True)
        if isinstance(exc, merr.MastodonAPIError) and _status(exc) == 403 and "outside the authorized scopes" in str(exc):
            return self._refused("Mastodon: the access token lacks a scope this needs (403); reconnect the account so the desk "
                                 "asks for the scopes it uses", status=403)
        if isinstance(exc, merr.MastodonAPIError):
            status = _status(exc)
            if status is None or "Could not parse" in str(exc):
                if write:
                    return OutcomeUnknown(f"Mastodon sent a malformed answer: {exc}")
                return ConnectorError(f"Mastodon sent a malformed answer: {exc}", retryable=True)
            return ConnectorError(f"Mastodon answered {status}: {exc}", retryable=False, status=status)
        raise exc

    def fetch_mentions(self, *, cursor: str) -> FetchResult:
        """Mentions newer than `cursor` (a notification id), oldest first, at most MAX_PAGES pages.

        `min_id` pages forward from the cursor: each page holds the mentions right after the
        previous one, so the cursor moves page by page and a backlog of any size is read over
        several polls without a gap. An account's first poll starts FIRST_POLL_DAYS back, not at
        its oldest mention: a support desk answers this week's questions, not last year's.
        """
        messages: list[InboundMessage] = []
        unreadable: list[Unreadable] = []
        start = newest = cursor or first_cursor()
        for _ in range(MAX_PAGES):
            try:
                arrived, skipped, ids, full = self._mentions_page(newest)
            except ConnectorError as exc:
                if newest == start:
                    raise
                # Keep what arrived; the next poll goes on from the page that failed.
                return FetchResult(messages=messages, cursor=newest, wait_until=exc.wait_until, error=str(exc), unreadable=unreadable)
            messages.extend(arrived)
            unreadable.extend(skipped)
            if not ids:
                # Nothing on the page to move the cursor by: reading it again would not help.
                break
            newest = str(max(ids + [int(newest)]))
            if not full:
                break
        remaining = getattr(self.client, "ratelimit_remaining", None)
        wait_until = self.client.ratelimit_reset if remaining is not None and remaining <= 0 else None
        return FetchResult(messages=messages, cursor=newest or "", wait_until=wait_until, unreadable=unreadable)

    def _mentions_page(self, min_id: str) -> tuple[list[InboundMessage], list[Unreadable], list[int], bool]:
        """One page of mentions after `min_id`: (messages, unreadable ones, notification ids, whether
        it was full). A broken page is an error (read again later); a broken notification is not."""
        try:
            page = self.client.notifications(types=["mention"], min_id=min_id, limit=PAGE_SIZE)
        except Exception as exc:  # noqa: BLE001 - translated or re-raised
            raise self._translate(exc, write=False) from exc
        if not isinstance(page, list):
            raise ConnectorError("Mastodon sent a malformed page", retryable=True)
        ids = [int(n["id"]) for n in page if isinstance(n, dict) and _is_id(n.get("id"))]
        arrived, unreadable = read_notifications(page)
        return arrived, unreadable, ids, len(page) >= PAGE_SIZE

    def reply(self, *, text: str, in_reply_to_id: str, idempotency_key: str) -> str:
        """Post a public reply; the Idempotency-Key makes a retry return the first post."""
        try:
            status = self.client.status_post(text, in_reply_to_id=in_reply_to_id, idempotency_key=idempotency_key)
            return str(status["id"])
        except (KeyError, TypeError) as exc:
            raise OutcomeUnknown(f"Mastodon took the reply but its answer was malformed: {exc}") from exc
        except Exception as exc:  # noqa: BLE001
            raise self._translate(exc, write=True) from exc

    def like(self, *, target_id: str) -> None:
        """Favourite: doing it twice leaves one favourite."""
        try:
            self.client.status_favourite(target_id)
        except Exception as exc:  # noqa: BLE001
            raise self._translate(exc, write=True) from exc

    def retweet(self, *, target_id: str) -> None:
        """Boost: Mastodon keeps one boost per account and status."""
        try:
            self.client.status_reblog(target_id)
        except Exception as exc:  # noqa: BLE001
            raise self._translate(exc, write=True) from exc


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) or isinstance(value, str) and value.isdecimal() and len(value) < 30


def _status(exc: Exception) -> int | None:
    for arg in getattr(exc, "args", ())[1:2]:
        if isinstance(arg, int):
            return arg
    return None
