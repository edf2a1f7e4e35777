"""Mastodon over its REST API with Mastodon.py; the instance is the account's API base.

Mentions arrive as notifications of type "mention" (`GET /api/v1/notifications`): the first poll
reads the newest page and pages back through the last week, later polls page forward from the
newest notification id the server returned (`min_id`), following the `Link` header. A reply is
`POST /api/v1/statuses` with `in_reply_to_id`, the visibility of the status it answers (never
wider) and an `Idempotency-Key` (the outbound action's key), so a retry after a lost answer returns
the first post instead of making a second one. Like is favourite, retweet is boost. A status its
author deleted answers 404 (`deleted`).

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
from functools import partial

from django.conf import settings
from django.utils import timezone
from mastodon import Mastodon
from mastodon import errors as merr

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

log = logging.getLogger(__name__)

PAGE_SIZE = 80  # Mastodon's maximum for notifications
MAX_PAGES = 20
# `GET /api/v1/statuses?id[]=…` (Mastodon 4.3+) is asked this many ids at a time; an instance
# without it is asked one status at a time, at most SINGLE_LOOKUPS a run (its rate limit is 300
# requests per 5 minutes for everything the account does: https://docs.joinmastodon.org/api/rate-limits/).
STATUSES_PER_LOOKUP = 20
SINGLE_LOOKUPS = 40
# Who sees a status, from everyone to the mentioned accounts only
# (https://docs.joinmastodon.org/entities/Status/#visibility).
VISIBILITIES = ("public", "unlisted", "private", "direct")
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p>", re.I)
# Snowflake ids: milliseconds since the epoch shifted left 16 bits (Mastodon's lib/mastodon/snowflake.rb).
_SNOWFLAKE_2016 = 1_451_606_400_000 << 16


def _time_cursor(cursor: str, now: float) -> float | None:
    """The moment a cursor of earlier versions stood for, or None for a real notification id.

    Earlier versions started an account at a time-based id (milliseconds << 16, its low 16 bits
    zero), which a real server never hands out for a notification: notification ids are a plain
    serial there, far below any snowflake of this decade, and above every one of them, so
    `min_id` from it returned nothing, ever. Such a cursor is read as the time it encodes: the
    poll starts again from the newest page and goes back to that moment (or a week)."""
    if not cursor.isdecimal() or len(cursor) > 30:
        return None
    value = int(cursor)
    if value < _SNOWFLAKE_2016 or value & 0xFFFF:
        return None
    moment = (value >> 16) / 1000
    return moment if moment <= now + 86400 else None


def make_client(access_token: str, api_base: str) -> Mastodon:
    # version_check_mode="none" with no mastodon_version: Mastodon.py asks the instance nothing
    # at start-up (no /api/v1/instance call); "throw" turns a 429 into an error we act on
    # instead of sleeping inside the worker.
    return Mastodon(
        access_token=access_token,
        api_base_url=api_base.rstrip("/"),
        version_check_mode="none",
        ratelimit_method="throw",
        request_timeout=settings.SOCIALDESK_CONNECTOR_TIMEOUT_SECONDS,
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
        # The status's `language` is what the posting app claimed ("Primary language of this
        # status", set by the client or null: https://docs.joinmastodon.org/entities/Status/#language),
        # often the app's own language rather than the toot's: our detection decides, the claim
        # is kept as a hint (metadata["language_hint"]).
        language="",
        mentioned_account_ids=tuple(
            base.text(m.get("id"))
            for m in base.sequence(status.get("mentions"))
            if isinstance(m, dict) and base.text(m.get("id"))
        ),
        is_repost=bool(status.get("reblog")),
        # A direct status is Mastodon's private message ("direct = Visible only to mentioned
        # users", https://docs.joinmastodon.org/entities/Status/#visibility).
        private=base.text(status.get("visibility")) == "direct",
        metadata=_status_metadata(status),
        raw={"notification": _jsonable(notification)},
    )


def _status_metadata(status: dict) -> dict:
    """What the agent must see beside the text: who can see the status (`visibility`, which the
    reply keeps), its content warning, its media, and the client's language claim."""
    meta = {"visibility": base.text(status.get("visibility"))}
    language = base.text(status.get("language")).split("-")[0].lower()
    if language:
        meta["language_hint"] = language
    # A content warning hides the text behind it in Mastodon's apps: the author asked for it, so
    # the agent sees it first. It is plain text, not HTML like `content` ("Subject or summary
    # line, below which status content is collapsed", https://docs.joinmastodon.org/entities/Status/#spoiler_text).
    warning = base.text(status.get("spoiler_text")).strip()
    if warning:
        meta["content_warning"] = warning
    if status.get("sensitive") is True:
        meta["sensitive"] = True
    media = [m for m in (_media(a) for a in base.sequence(status.get("media_attachments"))) if m]
    if media:
        meta["media"] = media
    return meta


def _media(attachment) -> dict | None:
    """An attachment as a link for the agent: its type, the file's address on the author's
    instance, and the author's description (alt text). Only web addresses are kept, so nothing
    else ends up in a link; the desk links to media, it never embeds remote files
    (https://docs.joinmastodon.org/entities/MediaAttachment/: `url` is null while the server still
    processes the file, `remote_url` the original on another instance)."""
    attachment = base.mapping(attachment)
    url = next(
        (
            u
            for u in (base.text(attachment.get(k)) for k in ("url", "remote_url", "preview_url"))
            if u.startswith(("https://", "http://"))
            and len(u) <= 2000
            and not any(c.isspace() for c in u)
        ),
        "",
    )
    if not url:
        return None
    return {
        "type": base.text(attachment.get("type")) or "unknown",
        "url": url,
        "description": base.text(attachment.get("description")),
    }


def read_notifications(page: list) -> tuple[list[InboundMessage], list[Unreadable]]:
    """A page of notifications as inbound messages (mentions only), and those that could not be read."""
    return base.read_each(
        page,
        normalise_notification,
        platform="mastodon",
        raw=lambda n: {"notification": _jsonable(n)},
        platform_id=lambda n: base.text(n["status"]["id"]),
    )


def renormalise(raw: dict, *, account=None) -> InboundMessage | None:
    """Read a notification kept raw (`InboundMessage.raw`, or an unreadable one) again, for a retry."""
    return normalise_notification(raw.get("notification"))


class MastodonConnector(base.Connector):
    platform = "mastodon"
    capabilities = frozenset({Capability.LIKES, Capability.REPOSTS, Capability.DELETION_CHECKS})
    repost_name = "Boost"

    def __init__(self, account, *, api_base: str | None = None, keeper=None):
        # cycle: connectors <-> brands (brands connects accounts through the connectors)
        from socialdesk.brands.tokens import TokenKeeper

        self.account = account
        self.keeper = keeper or TokenKeeper(account)
        credentials = base.mapping(
            self.keeper.current()
        )  # an account whose token was refused stops here
        token = credentials.get("access_token")
        if not token:
            raise ConnectorError(says.MASTODON_NO_TOKEN % {"account": account}, retryable=False)
        self.token = token
        instance = (
            api_base
            or account.api_base
            or credentials.get("api_base")
            or settings.SOCIALDESK_MASTODON_API_BASE
        )
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
            return ConnectorError(
                says.RATE_LIMITED % {"platform": "Mastodon"},
                retryable=True,
                wait_until=self.client.ratelimit_reset,
                status=429,
            )
        if isinstance(exc, merr.MastodonUnauthorizedError):
            return self._refused(says.MASTODON_REFUSED, status=401)
        if isinstance(exc, merr.MastodonServerError):
            return ConnectorError(
                says.SERVER_SAID % {"platform": "Mastodon", "error": exc},
                retryable=True,
                status=_status(exc),
            )
        if isinstance(exc, merr.MastodonNotFoundError):
            return ConnectorError(says.MASTODON_GONE, retryable=False, status=404)
        if isinstance(exc, merr.MastodonNetworkError):
            said = says.NO_ANSWER % {"platform": "Mastodon", "error": exc}
            if write:
                return OutcomeUnknown(said)
            return ConnectorError(said, retryable=True)
        if (
            isinstance(exc, merr.MastodonAPIError)
            and _status(exc) == 403
            and "outside the authorized scopes" in str(exc)
        ):
            return self._refused(says.MASTODON_SCOPE, status=403)
        if isinstance(exc, merr.MastodonAPIError):
            status = _status(exc)
            if status is None or "Could not parse" in str(exc):
                said = says.MALFORMED_ANSWER % {"platform": "Mastodon", "error": exc}
                if write:
                    return OutcomeUnknown(said)
                return ConnectorError(said, retryable=True)
            return ConnectorError(
                says.ANSWERED % {"platform": "Mastodon", "status": status, "detail": exc},
                retryable=False,
                status=status,
            )
        raise exc

    def fetch_mentions(self, *, cursor: str, now: float | None = None) -> FetchResult:
        """Mentions newer than `cursor`, the newest notification id the server returned.

        Notification ids are the server's own, a plain serial on Mastodon (not time-based like
        status ids), so the cursor is only ever an id the server handed out. Without one (the
        account's first poll) the newest page is read and paged back while it is at most
        FIRST_POLL_DAYS old by `created_at`: a support desk answers this week's questions, not
        last year's. A week longer than MAX_PAGES pages is read back over several polls (the
        cursor is then `newest|older than|since`). After that, `min_id` pages forward from the
        newest, page by page, so the cursor moves with each page and a backlog of any size is
        read over several polls without a gap. Both follow the `Link` header, as Mastodon asks
        ("use the Link header ... to paginate", https://docs.joinmastodon.org/api/guidelines/#pagination;
        Mastodon.py's fetch_next / fetch_previous): `min_id` "returns results immediately newer
        than this ID", `max_id` "results older than this ID"
        (https://docs.joinmastodon.org/methods/notifications/#get).
        """
        now = time.time() if now is None else now
        going_back = _going_back(cursor)
        if going_back:
            newest, older_than, since = going_back
            return self._back(cursor, newest=newest, older_than=older_than, since=since)
        since = _time_cursor(cursor, now) if cursor else None
        if not cursor or since is not None:
            return self._back(
                cursor,
                newest="",
                older_than="",
                since=max(now - base.FIRST_POLL_DAYS * 86400, since or 0),
            )
        return self._forward(cursor)

    def _back(self, cursor: str, *, newest: str, older_than: str, since: float) -> FetchResult:
        """From the newest mention (or from `older_than`) back to `since`, at most MAX_PAGES pages."""
        messages: list[InboundMessage] = []
        unreadable: list[Unreadable] = []
        if older_than:
            fetch = partial(
                self.client.notifications, types=["mention"], max_id=older_than, limit=PAGE_SIZE
            )
        else:
            fetch = partial(self.client.notifications, types=["mention"], limit=PAGE_SIZE)
        page = self._page(fetch)  # nothing read yet: an error leaves the cursor where it is
        newest = newest or _newest_id(page)
        for read in range(1, MAX_PAGES + 1):
            arrived, skipped = read_notifications(page)
            # What cannot be read has no time to compare: it is kept (set aside) either way.
            unreadable.extend(skipped)
            messages.extend(m for m in arrived if m.created_at.timestamp() >= since)
            if len(page) < PAGE_SIZE or _reaches_back_to(page, since):
                # The oldest mention there is, or the week's start: from now on, forward.
                return FetchResult(
                    messages=_oldest_first(messages),
                    cursor=newest or cursor,
                    wait_until=self._wait(),
                    unreadable=unreadable,
                )
            # The next poll goes on below this page: after the last page, or from a page that failed.
            oldest = _oldest_id(page)
            going_on = f"{newest}|{oldest}|{int(since)}" if newest and oldest else cursor
            if read == MAX_PAGES:
                break
            try:
                page = self._page(lambda p=page: self._older(p))
            except ConnectorError as exc:
                return FetchResult(
                    messages=_oldest_first(messages),
                    cursor=going_on,
                    wait_until=exc.wait_until,
                    error=str(exc),
                    unreadable=unreadable,
                )
        return FetchResult(
            messages=_oldest_first(messages),
            cursor=going_on,
            wait_until=self._wait(),
            unreadable=unreadable,
        )

    def _forward(self, cursor: str) -> FetchResult:
        messages: list[InboundMessage] = []
        unreadable: list[Unreadable] = []
        newest = cursor
        fetch = partial(
            self.client.notifications, types=["mention"], min_id=cursor, limit=PAGE_SIZE
        )
        for _ in range(MAX_PAGES):
            try:
                page = self._page(fetch)
            except ConnectorError as exc:
                if newest == cursor:
                    raise  # nothing read: the cursor stays, the health page shows why
                # Keep what arrived; the next poll goes on from the page that failed.
                return FetchResult(
                    messages=_oldest_first(messages),
                    cursor=newest,
                    wait_until=exc.wait_until,
                    error=str(exc),
                    unreadable=unreadable,
                )
            arrived, skipped = read_notifications(page)
            messages.extend(arrived)
            unreadable.extend(skipped)
            if not page:
                break
            newest = _newest_id(page) or newest
            if len(page) < PAGE_SIZE:
                break
            fetch = partial(self._newer, page, newest)
        return FetchResult(
            messages=_oldest_first(messages),
            cursor=newest,
            wait_until=self._wait(),
            unreadable=unreadable,
        )

    def _older(self, page):
        """The page before this one, by its `Link: rel="next"` (max_id), else by its last id."""
        if getattr(page, "_pagination_next", None):
            return self.client.fetch_next(page) or []
        return self.client.notifications(
            types=["mention"], max_id=base.text(page[-1].get("id")), limit=PAGE_SIZE
        )

    def _newer(self, page, after: str):
        """The page after this one, by its `Link: rel="prev"` (min_id), else from `after`."""
        if getattr(page, "_pagination_prev", None):
            return self.client.fetch_previous(page) or []
        return self.client.notifications(types=["mention"], min_id=after, limit=PAGE_SIZE)

    def _page(self, call) -> list:
        """One page of notifications; a broken page is an error (read again later), a broken
        notification is not (see read_notifications)."""
        try:
            page = call()
        except Exception as exc:  # noqa: BLE001 - translated or re-raised
            raise self._translate(exc, write=False) from exc
        if page is None:
            return []
        if not isinstance(page, list):
            raise ConnectorError(says.MALFORMED_PAGE % {"platform": "Mastodon"}, retryable=True)
        return page

    def _wait(self) -> float | None:
        remaining = getattr(self.client, "ratelimit_remaining", None)
        return self.client.ratelimit_reset if remaining is not None and remaining <= 0 else None

    def reply(self, *, text: str, in_reply_to_id: str, idempotency_key: str) -> str:
        """Post a reply as visible as the status it answers, and no more; the Idempotency-Key
        makes a retry return the first post.

        Mastodon does not carry a reply's visibility over: without `visibility` the account's
        default applies, public for most (https://docs.joinmastodon.org/methods/statuses/#create).
        So the status answered is looked up first, the server's word whatever the desk stored
        of it, and the reply takes its visibility: a customer's direct message is answered
        directly, followers-only stays followers-only, unlisted stays unlisted. A status that
        is gone, or that cannot be looked up now, gets no reply (not even a public one).
        """
        visibility = self.reply_visibility(in_reply_to_id)
        try:
            status = self.client.status_post(
                text,
                in_reply_to_id=in_reply_to_id,
                visibility=visibility,
                idempotency_key=idempotency_key,
            )
            return str(status["id"])
        except (KeyError, TypeError) as exc:
            raise OutcomeUnknown(
                f"Mastodon took the reply but its answer was malformed: {exc}"
            ) from exc
        except Exception as exc:  # noqa: BLE001
            raise self._translate(exc, write=True) from exc

    def reply_visibility(self, status_id: str) -> str:
        """The visibility a reply to this status must have. Nothing is posted if it cannot be told."""
        try:
            status = self.client.status(status_id)
        except merr.MastodonNotFoundError as exc:
            raise ConnectorError(
                says.MASTODON_TARGET_GONE,
                retryable=False,
                status=404,
            ) from exc
        except Exception as exc:  # noqa: BLE001 - translated or re-raised
            raise self._translate(exc, write=False) from exc
        return narrowest_visibility(base.text(base.mapping(status).get("visibility")))

    def deleted(self, platform_ids: list[str]) -> list[str]:
        """Of these statuses, those the instance no longer has (deleted by their author).

        `GET /api/v1/statuses?id[]=…` leaves out what is gone ("There can be fewer records than
        requested if the requested statuses do not exist or cannot be accessed",
        https://docs.joinmastodon.org/methods/statuses/#index); each one left out is confirmed
        with `GET /api/v1/statuses/:id`, whose 404 means "Status does not exist or is private"
        (https://docs.joinmastodon.org/methods/statuses/#get). An instance older than 4.3 has no
        such list: there every status is looked up alone, the newest SINGLE_LOOKUPS a run."""
        unconfirmed: list[str] = []
        listing = True
        for start in range(0, len(platform_ids), STATUSES_PER_LOOKUP):
            chunk = platform_ids[start : start + STATUSES_PER_LOOKUP]
            if listing:
                try:
                    found = self.client.statuses(chunk)
                except (merr.MastodonNotFoundError, merr.MastodonVersionError):
                    listing = False  # an instance before 4.3: no such endpoint
                except Exception as exc:  # noqa: BLE001 - translated or re-raised
                    raise self._translate(exc, write=False) from exc
                else:
                    if not isinstance(found, list):
                        raise ConnectorError(
                            "Mastodon sent a malformed answer to a statuses lookup", retryable=True
                        )
                    present = {base.text(s.get("id")) for s in found if isinstance(s, dict)}
                    unconfirmed.extend(i for i in chunk if i not in present)
                    continue
            unconfirmed.extend(chunk)
        gone: list[str] = []
        for status_id in unconfirmed[:SINGLE_LOOKUPS]:
            try:
                self.client.status(status_id)
            except merr.MastodonNotFoundError:
                gone.append(status_id)
            except Exception as exc:  # noqa: BLE001 - translated or re-raised
                raise self._translate(exc, write=False) from exc
        return gone

    def like(self, *, target_id: str) -> None:
        """Favourite: doing it twice leaves one favourite."""
        try:
            self.client.status_favourite(target_id)
        except Exception as exc:  # noqa: BLE001
            raise self._translate(exc, write=True) from exc

    def repost(self, *, target_id: str) -> None:
        """Boost: Mastodon keeps one boost per account and status."""
        try:
            self.client.status_reblog(target_id)
        except Exception as exc:  # noqa: BLE001
            raise self._translate(exc, write=True) from exc


def narrowest_visibility(visibility: str) -> str:
    """The visibility of a reply to a status of this visibility: never wider than it. A value we
    do not know (another server's extension, or none) is read as the narrowest, direct."""
    if visibility not in VISIBILITIES:
        return "direct"
    return visibility


def _newest_id(page) -> str:
    """The newest notification id of a page, as the server gave it: the `min_id` of its
    `Link: rel="prev"` (Mastodon.py's `_pagination_prev`), else its first item (pages come
    newest first); "" for an empty page."""
    prev = getattr(page, "_pagination_prev", None)
    if isinstance(prev, dict) and _is_id(prev.get("min_id")):
        return str(prev["min_id"])
    ids = [base.text(n.get("id")) for n in page if isinstance(n, dict) and _is_id(n.get("id"))]
    # Ids are strings; the larger number is the newer (compare by length, then as text).
    return max(ids, key=lambda i: (len(i), i), default="")


def _oldest_id(page) -> str:
    """The oldest notification id of a page: the `max_id` of its `Link: rel="next"`, else its
    last item (pages come newest first)."""
    following = getattr(page, "_pagination_next", None)
    if isinstance(following, dict) and _is_id(following.get("max_id")):
        return str(following["max_id"])
    ids = [base.text(n.get("id")) for n in page if isinstance(n, dict) and _is_id(n.get("id"))]
    return min(ids, key=lambda i: (len(i), i), default="")


def _going_back(cursor: str) -> tuple[str, str, float] | None:
    """(newest, older than, since) of a first poll still reading back through its week, or None."""
    parts = cursor.split("|")
    if len(parts) != 3 or not all(_is_id(p) for p in parts):
        return None
    return parts[0], parts[1], float(parts[2])


def _reaches_back_to(page, cutoff: float) -> bool:
    """Whether the page's oldest notification (its last: newest first) is older than `cutoff`."""
    last = page[-1] if page and isinstance(page[-1], dict) else {}
    try:
        return _when(last.get("created_at")).timestamp() < cutoff
    except (TypeError, ValueError):
        return False


def _oldest_first(messages: list[InboundMessage]) -> list[InboundMessage]:
    # Pages come newest first; stored oldest first, a reply finds the message it answers.
    return sorted(messages, key=lambda m: m.created_at)


def _is_id(value) -> bool:
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        or isinstance(value, str)
        and value.isdecimal()
        and len(value) < 30
    )


def _status(exc: Exception) -> int | None:
    for arg in getattr(exc, "args", ())[1:2]:
        if isinstance(arg, int):
            return arg
    return None
