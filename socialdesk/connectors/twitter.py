"""Twitter/X over the API v2 with tweepy; the API host is configuration.

tweepy's v2 client always calls https://api.twitter.com; a transport adapter mounted on its
`requests` session for that host sends the same requests to `SOCIALDESK_TWITTER_API_BASE`
instead (the simulator in the demo and the tests), so the real client code runs unchanged.

The client is built from the account's credentials (see `twitter_auth`): an OAuth 2.0 user token
(renewed before it expires, and once more after a 401, through the account's token keeper so
two workers never both spend the single-use refresh token), OAuth 1.0a user tokens, or an
app-only token that only reads.
"""

import logging
import time
from datetime import datetime, timedelta, timezone as dt_timezone
from urllib.parse import urlsplit, urlunsplit

import requests
import tweepy
from django.conf import settings
from requests.adapters import HTTPAdapter

from . import base
from .base import ConnectorError, CredentialsRejected, FetchResult, InboundAuthor, InboundMessage, OutcomeUnknown, Unreadable

log = logging.getLogger(__name__)

TWITTER_HOST = "https://api.twitter.com"
TWEET_FIELDS = ["author_id", "conversation_id", "created_at", "lang", "in_reply_to_user_id", "referenced_tweets", "entities", "public_metrics"]
USER_FIELDS = ["name", "username", "verified", "public_metrics", "profile_image_url"]
EXPANSIONS = ["author_id", "referenced_tweets.id", "entities.mentions.username"]
PAGE_SIZE = 100
MAX_PAGES = 20

def _timeout() -> tuple[float, float]:
    seconds = settings.SOCIALDESK_CONNECTOR_TIMEOUT_SECONDS
    return (min(5.0, seconds), seconds)


class RedirectAdapter(HTTPAdapter):
    """Sends requests meant for api.twitter.com to another base URL, path and query kept."""

    def __init__(self, base_url: str, **kwargs):
        super().__init__(**kwargs)
        parts = urlsplit(base_url.rstrip("/"))
        self._scheme, self._netloc, self._prefix = parts.scheme, parts.netloc, parts.path

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        request.url = urlunsplit((self._scheme, self._netloc, self._prefix + parts.path, parts.query, ""))
        kwargs["timeout"] = kwargs.get("timeout") or _timeout()
        return super().send(request, **kwargs)


class _TimeoutAdapter(HTTPAdapter):
    def send(self, request, **kwargs):
        kwargs["timeout"] = kwargs.get("timeout") or _timeout()
        return super().send(request, **kwargs)


class _Client(tweepy.Client):
    """tweepy's client, with one more try after a 401 once `renew` has a newer token: an OAuth 2.0
    access token can expire between two calls, and every call goes through `request`. What a
    renewal cannot cure goes to `reject`, which marks the account for reconnecting."""

    renew = None  # (stale bearer token) -> a fresh one; raises CredentialsRejected when there is none
    reject = None  # (reason, stale token) -> raises CredentialsRejected

    def request(self, method, route, params=None, json=None, user_auth=False):
        try:
            return super().request(method, route, params, json, user_auth)
        except tweepy.Unauthorized:
            if self.renew is None:
                raise
            if user_auth:
                # OAuth 1.0a tokens do not expire: refused, they were revoked or regenerated.
                self.reject("X refused the OAuth 1.0a user tokens (401): they were revoked or regenerated; "
                            "reconnect the account on the Accounts page", self.access_token)
            self.bearer_token = self.renew(self.bearer_token)
        try:
            return super().request(method, route, params, json, user_auth)
        except tweepy.Unauthorized:
            self.reject("X refused the renewed token too (401): reconnect the account on the Accounts page", self.bearer_token)
            raise


def _mount(client, api_base: str | None):
    base = (api_base or settings.SOCIALDESK_TWITTER_API_BASE).rstrip("/")
    adapter = _TimeoutAdapter() if base == TWITTER_HOST else RedirectAdapter(base)
    client.session.mount(TWITTER_HOST + "/", adapter)
    return client


def make_client(bearer_token: str, *, api_base: str | None = None) -> tweepy.Client:
    return _mount(_Client(bearer_token=bearer_token, return_type=requests.Response, wait_on_rate_limit=False), api_base)


def client_for(credentials: dict, *, api_base: str | None = None) -> tuple[tweepy.Client, bool]:
    """A client for these credentials and whether its calls are signed as OAuth 1.0a (`user_auth`)."""
    if credentials.get("type") == "oauth1_user":
        client = _Client(consumer_key=credentials["consumer_key"], consumer_secret=credentials["consumer_secret"],
                         access_token=credentials["access_token"], access_token_secret=credentials["access_token_secret"],
                         return_type=requests.Response, wait_on_rate_limit=False)
        return _mount(client, api_base), True
    token = credentials.get("access_token") or credentials.get("bearer_token")
    if not token:
        raise ConnectorError("No X credentials: connect the account on the Accounts page", retryable=False)
    return make_client(token, api_base=api_base), False


def _reset_of(response) -> float | None:
    try:
        return float(response.headers["x-rate-limit-reset"])
    except (KeyError, TypeError, ValueError):
        return None


def _error_text(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return (response.text or "")[:300]
    return body.get("detail") or body.get("title") or str(body)[:300]


def _translate(exc: Exception) -> ConnectorError:
    """Map tweepy's and requests' errors onto what the outbox and the poller act on."""
    if isinstance(exc, tweepy.TooManyRequests):
        return ConnectorError("X rate limit reached", retryable=True, wait_until=_reset_of(exc.response), status=429)
    if isinstance(exc, tweepy.TwitterServerError):
        return ConnectorError(f"X server error {exc.response.status_code}", retryable=True, status=exc.response.status_code)
    if isinstance(exc, tweepy.Unauthorized):
        return CredentialsRejected("X refused the credentials (401): reconnect the account")
    if isinstance(exc, tweepy.Forbidden) and _problem_type(exc.response).endswith("/unsupported-authentication"):
        # An app-only token asked to post, like or repost: it reads, it never will do more.
        return CredentialsRejected("X refuses replies, likes and reposts with an app-only token: connect the account with X "
                                   "(or OAuth 1.0a user tokens) on the Accounts page", read_only=True, status=403)
    if isinstance(exc, tweepy.HTTPException):
        return ConnectorError(f"X answered {exc.response.status_code}: {_error_text(exc.response)}", retryable=False, status=exc.response.status_code)
    if isinstance(exc, (requests.Timeout, requests.ConnectionError)):
        return OutcomeUnknown(f"No answer from X: {exc.__class__.__name__}")
    if isinstance(exc, ValueError):
        return ConnectorError(f"X sent a malformed answer: {exc}", retryable=True)
    raise exc


def _problem_type(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("type") or "") if isinstance(body, dict) else ""


def _parse_time(value) -> datetime:
    if not value:
        from django.utils import timezone

        return timezone.now()
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _users(body: dict) -> dict:
    """The page's `includes.users` by id; entries X sent without an id cannot be matched."""
    users = {}
    for user in base.sequence(base.mapping(body.get("includes")).get("users")):
        if isinstance(user, dict) and base.text(user.get("id")):
            users[base.text(user["id"])] = user
    return users


def _tweets(body: dict) -> list:
    data = body.get("data")
    if data is None:
        return []
    if not isinstance(data, list):
        # Not a single item gone wrong: the page itself is broken, and is read again later.
        raise ValueError(f"`data` is a {type(data).__name__}, not a list of tweets")
    return data


def normalise_tweet(tweet: dict, users: dict) -> InboundMessage:
    """One tweet, its author taken from the page's includes (the id alone if X left them out).
    Optional fields that are missing or of another type get their empty value."""
    author_id = base.text(tweet.get("author_id"))
    user = users.get(author_id) or {"id": author_id}
    refs = [r for r in base.sequence(tweet.get("referenced_tweets")) if isinstance(r, dict)]
    mentions = [m for m in base.sequence(base.mapping(tweet.get("entities")).get("mentions")) if isinstance(m, dict)]
    metrics = base.mapping(tweet.get("public_metrics"))
    platform_id = base.text(tweet["id"])
    lang = base.text(tweet.get("lang"))
    return InboundMessage(
        platform="twitter",
        platform_id=platform_id,
        author=InboundAuthor(
            external_id=base.text(user.get("id")),
            handle=base.text(user.get("username")),
            name=base.text(user.get("name")),
            followers=base.count(base.mapping(user.get("public_metrics")).get("followers_count")),
            verified=user.get("verified") is True,
            profile_image_url=base.text(user.get("profile_image_url")),
        ),
        text=base.text(tweet.get("text")),
        created_at=_parse_time(tweet.get("created_at")),
        thread_id=base.text(tweet.get("conversation_id")) or platform_id,
        in_reply_to_id=next((base.text(r.get("id")) for r in refs if r.get("type") == "replied_to"), ""),
        # X marks what it cannot tell: und(etermined), qme (media only), zxx (no text).
        language="" if (lang or "und") in ("und", "qme", "zxx") else lang,
        mentioned_account_ids=tuple(base.text(m.get("id")) for m in mentions if base.text(m.get("id"))),
        is_repost=any(r.get("type") == "retweeted" for r in refs),
        likes=base.count(metrics.get("like_count")),
        reposts=base.count(metrics.get("retweet_count")),
        raw={"tweet": tweet, "author": user},
    )


def read_page(body: dict) -> tuple[list[InboundMessage], list[Unreadable]]:
    """One X API v2 page (data + includes) as inbound messages, and the tweets that could not be read."""
    users = _users(body)
    return base.read_each(
        _tweets(body), lambda tweet: normalise_tweet(tweet, users), platform="twitter",
        raw=lambda tweet: {"tweet": tweet, "author": users.get(base.text(base.mapping(tweet).get("author_id")))},
        platform_id=lambda tweet: base.text(tweet["id"]),
    )


def normalise_page(body: dict) -> list[InboundMessage]:
    """Like `read_page`, but a tweet that cannot be read is an error (for callers that must know)."""
    messages, unreadable = read_page(body)
    if unreadable:
        raise ValueError(unreadable[0].error)
    return messages


def renormalise(raw: dict, *, account=None) -> InboundMessage | None:
    """Read a tweet kept raw (`InboundMessage.raw`, or an unreadable one) again, for a retry."""
    author = base.mapping(raw.get("author"))
    return normalise_tweet(raw.get("tweet"), {base.text(author.get("id")): author} if author else {})


class TwitterConnector:
    platform = "twitter"

    def __init__(self, account, *, api_base: str | None = None, keeper=None):
        from socialdesk.brands.tokens import TokenKeeper

        self.account = account
        self.keeper = keeper or TokenKeeper(account)
        # Renewed first if it is about to expire; an account whose connection failed stops here.
        self.credentials = self.keeper.current()
        if not base.mapping(self.credentials):
            raise ConnectorError(f"{account} has no X credentials: connect it on the Accounts page", retryable=False)
        self.api_base = api_base
        self.client, self.user_auth = client_for(self.credentials, api_base=api_base)
        self.client.renew, self.client.reject = self._renew, self._reject
        self.token = self.client.bearer_token

    def _renew(self, stale: str) -> str:
        """After a 401: the token another worker renewed meanwhile, or a renewed one, or (nothing
        left to try) the account marked as needing to be reconnected."""
        self.credentials = self.keeper.refreshed(stale=stale)
        self.token = self.credentials.get("access_token") or self.credentials.get("bearer_token") or ""
        return self.token

    def _failed(self, exc: Exception) -> ConnectorError:
        """A write's error, translated; a token X called app-only is recorded as one, so the desk
        stops offering what it cannot do (the outbox keeps the action waiting for a reconnect)."""
        error = _translate(exc)
        if isinstance(error, CredentialsRejected) and error.read_only and not self.credentials.get("type"):
            self.keeper.learned(credentials={"type": "app_only", "bearer_token": self.token})
        return error

    def _reject(self, reason: str, stale: str):
        self.keeper.rejected(reason, stale=stale)
        raise CredentialsRejected(reason)

    @property
    def user_id(self) -> str:
        """Our own user id, for likes and reposts: the account's, learnt once (GET /2/users/me)
        and kept, so tweepy does not look it up before every like."""
        if not self.account.external_id:
            try:
                me = self.client.get_me(user_auth=self.user_auth).json()
            except Exception as exc:  # noqa: BLE001 - translated or re-raised
                raise _translate(exc) from exc
            self.keeper.learned(external_id=str(base.mapping(me.get("data") if isinstance(me, dict) else None).get("id") or ""))
        return self.account.external_id

    def _paged(self, call, cursor: str, **params) -> FetchResult:
        """Fetch the pages newer than the cursor, at most MAX_PAGES per poll.

        The cursor is `since_id`, or `since_id|next_token|newest` while a window of more than
        MAX_PAGES pages is being read: the next poll goes on from that page instead of reading the
        newest ones again, and `since_id` moves to `newest` once the whole window is stored."""
        cursor, token, window_newest = (cursor.split("|") + ["", ""])[:3] if "|" in cursor else (cursor, "", "")
        messages: list[InboundMessage] = []
        unreadable: list[Unreadable] = []
        newest = window_newest or cursor
        token = token or None
        wait_until = None
        read = 0
        for _ in range(MAX_PAGES):
            kwargs = dict(
                max_results=PAGE_SIZE, tweet_fields=TWEET_FIELDS, user_fields=USER_FIELDS,
                expansions=EXPANSIONS, user_auth=self.user_auth, **params,
            )
            if cursor:
                kwargs["since_id"] = cursor
            else:
                # An account's first window: this week's mentions, not the last 800.
                kwargs["start_time"] = datetime.now(dt_timezone.utc) - timedelta(days=base.FIRST_POLL_DAYS)
            if token:
                kwargs[call.__name__ == "search_recent_tweets" and "next_token" or "pagination_token"] = token
            try:
                response, meta, arrived, skipped = self._page(call, kwargs)
            except ConnectorError as exc:
                if not read:
                    raise  # the cursor stays where it was: the same page is read again next time
                # Keep the pages read; the next poll goes on from the page that failed.
                return FetchResult(messages=messages, cursor=f"{cursor}|{token}|{newest}", wait_until=exc.wait_until,
                                   error=str(exc), unreadable=unreadable)
            read += 1
            messages.extend(arrived)
            unreadable.extend(skipped)
            if response.headers.get("x-rate-limit-remaining") == "0":
                wait_until = _reset_of(response)
            if meta.get("newest_id") and (not newest or not newest.isdecimal() or int(meta["newest_id"]) > int(newest)):
                newest = meta["newest_id"]
            token = meta.get("next_token")
            if not token or wait_until:
                break
        if token:
            # Pages left unread: the next poll goes on from here, in the same window.
            return FetchResult(messages=messages, cursor=f"{cursor}|{token}|{newest}", wait_until=wait_until, unreadable=unreadable)
        return FetchResult(messages=messages, cursor=newest, wait_until=wait_until, unreadable=unreadable)

    @staticmethod
    def _page(call, kwargs) -> tuple[requests.Response, dict, list[InboundMessage], list[Unreadable]]:
        """One page: the response, its `meta` (checked: the cursor is built from it), the tweets
        read and those that could not be. A broken page is an error; a broken tweet is not."""
        try:
            response = call(**kwargs)
            body = response.json()
        except Exception as exc:  # noqa: BLE001 - translated or re-raised
            raise _translate(exc) from exc
        if not isinstance(body, dict):
            raise ConnectorError("X sent a malformed page", retryable=True)
        meta = body.get("meta") or {}
        if not isinstance(meta, dict) or not isinstance(meta.get("newest_id") or "0", str) or not (meta.get("newest_id") or "0").isdecimal() \
                or not isinstance(meta.get("next_token") or "", str):
            raise ConnectorError("X sent a malformed page (its meta has no usable newest_id or next_token)", retryable=True)
        try:
            messages, unreadable = read_page(body)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConnectorError(f"X sent a malformed page ({exc.__class__.__name__}: {exc})", retryable=True) from exc
        return response, meta, messages, unreadable

    def streams(self) -> list[tuple[str, object]]:
        """What polling reads: the account's mentions and each of its active search terms."""
        streams = [("mentions", self.fetch_mentions)]
        for term in self.account.search_terms.filter(active=True):
            streams.append((f"search:{term.pk}", lambda cursor, q=term.query: self.search(query=q, cursor=cursor)))
        return streams

    def check(self) -> None:
        """One call that proves the credentials (the Accounts page's "Check again")."""
        try:
            if self.credentials.get("type") == "app_only":
                self.client.get_user(username=self.account.handle, user_auth=False)
            else:
                self.client.get_me(user_auth=self.user_auth)
        except Exception as exc:  # noqa: BLE001 - translated or re-raised
            raise _translate(exc) from exc

    def fetch_mentions(self, *, cursor: str) -> FetchResult:
        return self._paged(self.client.get_users_mentions, cursor, id=self.account.external_id)

    def search(self, *, query: str, cursor: str) -> FetchResult:
        return self._paged(self.client.search_recent_tweets, cursor, query=query)

    def deleted(self, platform_ids: list[str]) -> list[str]:
        """Of these tweets, those X no longer has (deleted by their author, or their account gone).

        One tweets lookup per 100 ids; X answers the missing ones with a "resource-not-found"
        error. A tweet that is only hidden from us (a protected account) is not counted."""
        gone: list[str] = []
        for start in range(0, len(platform_ids), 100):
            batch = platform_ids[start:start + 100]
            try:
                body = self.client.get_tweets(ids=batch, user_auth=self.user_auth).json()
            except Exception as exc:  # noqa: BLE001 - translated or re-raised
                raise _translate(exc) from exc
            if not isinstance(body, dict):
                raise ConnectorError("X sent a malformed answer to a tweets lookup", retryable=True)
            for error in body.get("errors") or []:
                if isinstance(error, dict) and str(error.get("type", "")).endswith("/resource-not-found") \
                        and error.get("resource_type", "tweet") == "tweet":
                    value = str(error.get("resource_id") or error.get("value") or "")
                    if value in batch:
                        gone.append(value)
        return gone

    def _upload(self, media) -> list[str]:
        """Upload attachments with the v1.1 media endpoint (tweepy's API); returns media ids."""
        if self.user_auth:
            c = self.credentials
            api = tweepy.API(tweepy.OAuth1UserHandler(c["consumer_key"], c["consumer_secret"], c["access_token"], c["access_token_secret"]))
        else:
            api = tweepy.API(tweepy.OAuth2BearerHandler(self.token))
        base = (self.api_base or settings.SOCIALDESK_TWITTER_API_BASE).rstrip("/")
        if base != TWITTER_HOST:
            api.session.mount(f"https://{api.upload_host}/", RedirectAdapter(base))
        ids = []
        for path, content_type in media:
            uploaded = api.media_upload(path, chunked=content_type in ("video/mp4", "image/gif"), media_category=None)
            ids.append(str(uploaded.media_id))
        return ids

    def reply(self, *, text: str, in_reply_to_id: str, idempotency_key: str, media=()) -> str:
        """Post a reply; returns the new tweet's id. X has no idempotency key: see the outbox.

        Uploading media again on a retry is harmless: unattached uploads expire."""
        try:
            media_ids = self._upload(media) if media else None
            response = self.client.create_tweet(text=text, in_reply_to_tweet_id=in_reply_to_id, media_ids=media_ids, user_auth=self.user_auth)
            return str(response.json()["data"]["id"])
        except tweepy.Forbidden as exc:
            if "duplicate" in _error_text(exc.response).lower():
                # X refuses an identical post: an earlier attempt may have gone through.
                raise DuplicateContent(_error_text(exc.response)) from exc
            raise self._failed(exc) from exc
        except (KeyError, TypeError) as exc:
            raise OutcomeUnknown(f"X accepted the reply but its answer was malformed: {exc}") from exc
        except Exception as exc:  # noqa: BLE001
            raise self._failed(exc) from exc

    def like(self, *, target_id: str) -> None:
        # tweepy's `like` would ask GET /2/users/me before every like (an OAuth 2.0 token does
        # not say whose it is); the account's id is known, so the endpoint is called directly.
        try:
            self.client.request("POST", f"/2/users/{self.user_id}/likes", json={"tweet_id": str(target_id)}, user_auth=self.user_auth)
        except Exception as exc:  # noqa: BLE001
            raise self._failed(exc) from exc

    def retweet(self, *, target_id: str) -> None:
        try:
            self.client.request("POST", f"/2/users/{self.user_id}/retweets", json={"tweet_id": str(target_id)}, user_auth=self.user_auth)
        except Exception as exc:  # noqa: BLE001
            raise self._failed(exc) from exc


class DuplicateContent(ConnectorError):
    def __init__(self, message: str):
        super().__init__(f"X refused duplicate content: {message}", retryable=False, status=403)


