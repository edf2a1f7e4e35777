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
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import requests
import tweepy
from django.conf import settings
from requests.adapters import HTTPAdapter
from twitter_text import extract_urls_with_indices
from twitter_text.regexp.latin_accent_chars import latin_accent_chars

from . import base
from . import messages as says
from .base import (
    AlreadyPosted,
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

TWITTER_HOST = "https://api.twitter.com"
TWEET_FIELDS = [
    "author_id",
    "conversation_id",
    "created_at",
    "lang",
    "in_reply_to_user_id",
    "referenced_tweets",
    "entities",
    "public_metrics",
]
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
        request.url = urlunsplit(
            (self._scheme, self._netloc, self._prefix + parts.path, parts.query, "")
        )
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

    renew = (
        None  # (stale bearer token) -> a fresh one; raises CredentialsRejected when there is none
    )
    reject = None  # (reason, stale token) -> raises CredentialsRejected

    def request(self, method, route, params=None, json=None, user_auth=False):
        try:
            return super().request(method, route, params, json, user_auth)
        except tweepy.Unauthorized:
            if self.renew is None:
                raise
            if user_auth:
                # OAuth 1.0a tokens do not expire: refused, they were revoked or regenerated.
                self.reject(
                    "X refused the OAuth 1.0a user tokens (401): they were revoked or regenerated; "
                    "reconnect the account on the Accounts page",
                    self.access_token,
                )
            self.bearer_token = self.renew(self.bearer_token)
        try:
            return super().request(method, route, params, json, user_auth)
        except tweepy.Unauthorized:
            self.reject(
                "X refused the renewed token too (401): reconnect the account on the Accounts page",
                self.bearer_token,
            )
            raise


def _mount(client, api_base: str | None):
    base = (api_base or settings.SOCIALDESK_TWITTER_API_BASE).rstrip("/")
    adapter = _TimeoutAdapter() if base == TWITTER_HOST else RedirectAdapter(base)
    client.session.mount(TWITTER_HOST + "/", adapter)
    return client


def make_client(bearer_token: str, *, api_base: str | None = None) -> tweepy.Client:
    return _mount(
        _Client(
            bearer_token=bearer_token, return_type=requests.Response, wait_on_rate_limit=False
        ),
        api_base,
    )


def client_for(credentials: dict, *, api_base: str | None = None) -> tuple[tweepy.Client, bool]:
    """A client for these credentials and whether its calls are signed as OAuth 1.0a (`user_auth`)."""
    if credentials.get("type") == "oauth1_user":
        client = _Client(
            consumer_key=credentials["consumer_key"],
            consumer_secret=credentials["consumer_secret"],
            access_token=credentials["access_token"],
            access_token_secret=credentials["access_token_secret"],
            return_type=requests.Response,
            wait_on_rate_limit=False,
        )
        return _mount(client, api_base), True
    token = credentials.get("access_token") or credentials.get("bearer_token")
    if not token:
        raise ConnectorError(says.X_NO_CREDENTIALS, retryable=False)
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
        return ConnectorError(
            says.RATE_LIMITED % {"platform": "X"},
            retryable=True,
            wait_until=_reset_of(exc.response),
            status=429,
        )
    if isinstance(exc, tweepy.TwitterServerError):
        return ConnectorError(
            says.SERVER_ERROR % {"platform": "X", "status": exc.response.status_code},
            retryable=True,
            status=exc.response.status_code,
        )
    if isinstance(exc, tweepy.Unauthorized):
        return CredentialsRejected(says.X_REFUSED)
    if isinstance(exc, tweepy.Forbidden) and _problem_type(exc.response).endswith(
        "/unsupported-authentication"
    ):
        # An app-only token asked to post, like or repost: it reads, it never will do more.
        return CredentialsRejected(
            says.X_APP_ONLY,
            read_only=True,
            status=403,
        )
    if isinstance(exc, tweepy.HTTPException):
        return ConnectorError(
            says.ANSWERED
            % {
                "platform": "X",
                "status": exc.response.status_code,
                "detail": _error_text(exc.response),
            },
            retryable=False,
            status=exc.response.status_code,
        )
    if isinstance(exc, (requests.Timeout, requests.ConnectionError)):
        return OutcomeUnknown(says.NO_ANSWER % {"platform": "X", "error": exc.__class__.__name__})
    if isinstance(exc, ValueError):
        return ConnectorError(
            says.MALFORMED_ANSWER % {"platform": "X", "error": exc}, retryable=True
        )
    raise exc


def _problem_type(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("type") or "") if isinstance(body, dict) else ""


# --- What X sends ---------------------------------------------------------------------------
#
# X sends the fields it was asked for, and of those only the ones it has. Without fields
# parameters "Posts will return just the id and text" (https://developer.x.com/en/docs/x-api/data-dictionary),
# and "missing fields in responses mean the value is null or empty" (https://docs.x.com/x-api/fundamentals/fields):
# any of `author_id`, `created_at` and `entities` can be absent from a tweet. The objects of an
# expansion (the authors, with `expansions=author_id`) come in `includes`, which is left out when
# the expansion found nothing (https://docs.x.com/x-api/fundamentals/expansions). And a 200 answer
# can be partial: "A 200 response can include both data and errors ... when requesting multiple
# resources and some are unavailable", each error naming its `resource_type` and `resource_id`
# (https://docs.x.com/x-api/fundamentals/response-codes-and-errors, "Partial errors"). So a page is
# read tweet by tweet: what X left out is asked for again (`TwitterConnector._complete`), and a
# tweet whose author still cannot be told waits (`base.Incomplete`) instead of being stored under
# an empty or borrowed author.

# X's ids are Snowflakes: "each ID encodes: Timestamp — when the object was created; Worker number;
# Sequence number" (https://docs.x.com/fundamentals/x-ids). The timestamp is the id's top 42 bits,
# in milliseconds since X's epoch 1288834974657 (2010-11-04T01:42:54.657Z, `twepoch` of Snowflake's
# IdWorker). Tweets older than Snowflake had sequential ids, all below 3·10^10: those carry no time.
SNOWFLAKE_EPOCH_MS = 1288834974657
FIRST_SNOWFLAKE_ID = 10**14

# An @mention as X finds it in a text, by twitter-text's rules (the extractor X's own clients use,
# https://github.com/twitter/twitter-text, js/src/regexp/validMentionOrList.js,
# validMentionPrecedingChars.js, endMentionMatch.js): an @ or ＠ not right after a letter, digit, _
# or one of !#$%&*@＠ (after "RT" or "RT:" it counts), then 1 to 20 of A-Z a-z 0-9 _, not followed
# by another at sign, an accented Latin letter or "://"; "@name/list" names a list, not a person.
_MENTION = re.compile(
    r"(?:^|[^a-zA-Z0-9_!#$%&*@＠]|(?:^|[^a-zA-Z0-9_+~.-])(?:rt|RT|rT|Rt):?)"
    r"[@＠]([a-zA-Z0-9_]{1,20})(/[a-zA-Z][a-zA-Z0-9_\-]{0,24})?"
)
_MENTION_END = re.compile(r"[@＠]|[" + latin_accent_chars.pattern + r"]|://")


def mentioned_usernames(text: str) -> list[str]:
    """The usernames a tweet's text @mentions, as X's entities would list them (in order, as written).

    Like twitter-text's `extractEntitiesWithIndices`, an entity that starts inside an earlier one
    is dropped, so "@name" within a link is the link's, not a mention."""
    if not text or ("@" not in text and "＠" not in text):
        return []
    found = []  # (start, end, username or None for a link or list)
    for url in extract_urls_with_indices(text):
        found.append((url["indices"][0], url["indices"][1], None))
    for m in _MENTION.finditer(text):
        if _MENTION_END.match(text, m.end()):
            continue
        start = m.start(1) - 1  # the at sign
        found.append((start, m.end(), None if m.group(2) else m.group(1)))
    names, end = [], -1
    for start, stop, name in sorted(found, key=lambda entity: entity[0]):
        if start < end:
            continue
        end = stop
        if name:
            names.append(name)
    return names


def snowflake_time(tweet_id: str) -> datetime | None:
    """When the tweet with this id was posted, read from the id; None for an id that carries no time."""
    if (
        not isinstance(tweet_id, str)
        or not tweet_id.isascii()
        or not tweet_id.isdecimal()
        or len(tweet_id) > 19
    ):
        return None
    value = int(tweet_id)
    if not FIRST_SNOWFLAKE_ID <= value < 2**63:
        return None
    return datetime.fromtimestamp(((value >> 22) + SNOWFLAKE_EPOCH_MS) / 1000, tz=UTC)


def _parse_time(value) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.utcoffset() is not None else parsed.replace(tzinfo=UTC)


def tweet_time(tweet: dict) -> datetime:
    """When a tweet was posted: its `created_at`, else the time in its id; never the time we read it."""
    created = _parse_time(tweet.get("created_at"))
    if created is not None:
        return created
    from_id = snowflake_time(base.text(tweet.get("id")))
    if from_id is not None:
        return from_id
    raise ValueError(says.X_NO_TIME)


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
        raise ValueError(says.X_NOT_A_LIST % {"kind": type(data).__name__})
    return data


def _tweet_id(tweet) -> str:
    return base.text(tweet.get("id")) if isinstance(tweet, dict) else ""


def _is_user(user) -> bool:
    """A user object we can store an author from: X always sends `id`, `name` and `username`
    (the default user fields); one without an id or a username is as good as none."""
    return (
        isinstance(user, dict)
        and bool(base.text(user.get("id")))
        and bool(base.text(user.get("username")).strip())
    )


def partial_errors(body: dict) -> dict[tuple[str, str], str]:
    """The items a 200 answer says it left out, ("tweet" or "user", id) -> X's words; each is logged."""
    found = {}
    for error in base.sequence(body.get("errors")):
        if not isinstance(error, dict):
            continue
        kind = base.text(error.get("resource_type"))
        item = base.text(error.get("resource_id")) or base.text(error.get("value"))
        words = (
            base.text(error.get("detail")) or base.text(error.get("title")) or "no reason given"
        )
        log.info(
            "X left %s %s out of its answer (%s): %s",
            kind or "an item",
            item or "?",
            base.text(error.get("parameter")) or "?",
            words,
        )
        if kind in ("tweet", "user") and item:
            found[(kind, item)] = words
    return found


@dataclass
class Answer:
    """What X said about a set of tweets: the tweets, their authors, why some items were left out
    (its partial errors), and why asking again for what was missing did not work."""

    tweets: list
    users: dict = field(default_factory=dict)
    problems: dict = field(default_factory=dict)
    failures: dict = field(default_factory=dict)

    @classmethod
    def of(cls, body: dict) -> "Answer":
        return cls(tweets=list(_tweets(body)), users=_users(body), problems=partial_errors(body))

    def add(self, body: dict) -> dict:
        """A tweets lookup's answer: its users join ours, its errors are noted; returns its tweets by id."""
        self.users.update(_users(body))
        self.problems.update(partial_errors(body))
        return {_tweet_id(t): t for t in _tweets(body) if _tweet_id(t)}

    def add_users(self, body: dict) -> None:
        """A users lookup's answer (the users are its `data`): they join ours, its errors are noted."""
        self.users.update(
            {
                base.text(u["id"]): u
                for u in base.sequence(body.get("data"))
                if isinstance(u, dict) and base.text(u.get("id"))
            }
        )
        self.problems.update(partial_errors(body))

    def author_of(self, tweet: dict) -> dict:
        """The tweet's author, or `Incomplete` saying why it cannot be told."""
        tweet_id = _tweet_id(tweet)
        if not tweet_id:
            raise ValueError(says.X_NO_ID)
        text = base.text(tweet.get("text"))
        if ("tweet", tweet_id) in self.problems:
            raise base.Incomplete(
                f"X left this tweet out of its answer: {self.problems[('tweet', tweet_id)]}",
                text=text,
            )
        author_id = base.text(tweet.get("author_id"))
        if not author_id:
            why = self.failures.get(("tweet", tweet_id))
            raise base.Incomplete(
                "X did not say who wrote this tweet (no author_id)"
                + (f"; {why.rstrip('.')}." if why else "."),
                text=text,
            )
        user = self.users.get(author_id)
        if _is_user(user):
            return user
        why = self.problems.get(("user", author_id)) or self.failures.get(("user", author_id))
        raise base.Incomplete(
            f"X did not send the author of this tweet (user {author_id})"
            + (f": {why.rstrip('.')}." if why else "."),
            text=text,
            author=base.text(base.mapping(user).get("name")),
        )

    def read(
        self, *, handles: dict | None = None
    ) -> tuple[list[InboundMessage], list[Unreadable]]:
        """Each tweet as a message, or as an unreadable item that says why (waiting, if X left out its author)."""
        handles = {
            **(handles or {}),
            **{
                base.text(u.get("username")).lower(): uid
                for uid, u in self.users.items()
                if _is_user(u)
            },
        }
        return base.read_each(
            self.tweets,
            lambda tweet: normalise_tweet(tweet, self.author_of(tweet), handles=handles),
            platform="twitter",
            raw=lambda tweet: {
                "tweet": tweet,
                "author": self.users.get(base.text(base.mapping(tweet).get("author_id"))),
            },
            platform_id=_tweet_id,
        )


def normalise_tweet(tweet: dict, user: dict, *, handles: dict | None = None) -> InboundMessage:
    """One tweet and its author (a user object of X's). Optional fields that are missing or of
    another type get their empty value; the time comes from `created_at` or the id, and the
    accounts it mentions from `entities`, or from its text when X left `entities` out.
    `handles` maps lowercased usernames to user ids (ours, and those X sent with the page)."""
    if not _is_user(user) or base.text(user.get("id")) != base.text(tweet.get("author_id")):
        raise base.Incomplete("X did not send the author of this tweet.")
    handles = handles or {}
    refs = [r for r in base.sequence(tweet.get("referenced_tweets")) if isinstance(r, dict)]
    entities = tweet.get("entities")
    if isinstance(entities, dict):
        mentioned = []
        for mention in base.sequence(entities.get("mentions")):
            if isinstance(mention, dict):
                mentioned.append(
                    base.text(mention.get("id"))
                    or handles.get(base.text(mention.get("username")).lower(), "")
                )
    else:
        mentioned = [
            handles.get(name.lower(), "")
            for name in mentioned_usernames(base.text(tweet.get("text")))
        ]
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
        created_at=tweet_time(tweet),
        thread_id=base.text(tweet.get("conversation_id")) or platform_id,
        in_reply_to_id=next(
            (base.text(r.get("id")) for r in refs if r.get("type") == "replied_to"), ""
        ),
        # X marks what it cannot tell: und(etermined), qme (media only), zxx (no text).
        language="" if (lang or "und") in ("und", "qme", "zxx") else lang,
        mentioned_account_ids=tuple(dict.fromkeys(m for m in mentioned if m)),
        is_repost=any(r.get("type") == "retweeted" for r in refs),
        likes=base.count(metrics.get("like_count")),
        reposts=base.count(metrics.get("retweet_count")),
        raw={"tweet": tweet, "author": user},
    )


_X_ID = re.compile(r"[0-9]{1,19}")


def _batches(ids: list[str], size: int = 100):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _filled(tweet, again: dict | None):
    """A tweet with what a lookup of it added where the page had nothing (the page's own values stay)."""
    if not isinstance(tweet, dict) or not isinstance(again, dict):
        return tweet
    return {**tweet, **{k: v for k, v in again.items() if tweet.get(k) in (None, "", [], {})}}


def read_page(
    body: dict, *, handles: dict | None = None
) -> tuple[list[InboundMessage], list[Unreadable]]:
    """One X API v2 page (data, includes, errors) as inbound messages, and the tweets that could not
    be read, as it is: nothing asked again (`TwitterConnector` does that before reading)."""
    return Answer.of(body).read(handles=handles)


def normalise_page(body: dict) -> list[InboundMessage]:
    """Like `read_page`, but a tweet that cannot be read is an error (for callers that must know)."""
    messages, unreadable = read_page(body)
    if unreadable:
        raise ValueError(unreadable[0].error)
    return messages


def renormalise(raw: dict, *, account=None) -> InboundMessage | None:
    """Read a tweet kept raw (`InboundMessage.raw`, or an unreadable one) again, for a retry. With
    its account, what X left out the first time (its author) is asked for again."""
    tweet = raw.get("tweet")
    if account is not None and isinstance(tweet, dict):
        message = TwitterConnector(account).reread([raw])[0]
        if isinstance(message, Unreadable):
            raise base.Incomplete(message.error)
        return message
    author = raw.get("author")
    return normalise_tweet(
        tweet, author if isinstance(author, dict) else {}, handles=our_handles()
    )


def our_handles() -> dict[str, str]:
    """Our X accounts' usernames (lowercased) -> ids: a mention of one is recognised in a text."""
    # cycle: connectors <-> brands (brands connects accounts through the connectors)
    from socialdesk.brands.models import BrandAccount

    return {
        handle.lower(): external_id
        for handle, external_id in BrandAccount.objects.filter(platform="twitter")
        .exclude(external_id="")
        .values_list("handle", "external_id")
    }


class TwitterConnector(base.Connector):
    platform = "twitter"
    capabilities = frozenset(
        {
            Capability.LIKES,
            Capability.REPOSTS,
            Capability.DMS,
            Capability.DELETION_CHECKS,
            Capability.MEDIA,
            Capability.REREADING,
        }
    )
    repost_name = "Retweet"

    def __init__(self, account, *, api_base: str | None = None, keeper=None):
        # cycle: connectors <-> brands (brands connects accounts through the connectors)
        from socialdesk.brands.tokens import TokenKeeper

        self.account = account
        self.keeper = keeper or TokenKeeper(account)
        # Renewed first if it is about to expire; an account whose connection failed stops here.
        self.credentials = self.keeper.current()
        if not base.mapping(self.credentials):
            raise ConnectorError(
                says.X_ACCOUNT_NO_CREDENTIALS % {"account": account}, retryable=False
            )
        self.api_base = api_base
        self.client, self.user_auth = client_for(self.credentials, api_base=api_base)
        self.client.renew, self.client.reject = self._renew, self._reject
        self.token = self.client.bearer_token

    def _renew(self, stale: str) -> str:
        """After a 401: the token another worker renewed meanwhile, or a renewed one, or (nothing
        left to try) the account marked as needing to be reconnected."""
        self.credentials = self.keeper.refreshed(stale=stale)
        self.token = (
            self.credentials.get("access_token") or self.credentials.get("bearer_token") or ""
        )
        return self.token

    def _failed(self, exc: Exception) -> ConnectorError:
        """A write's error, translated; a token X called app-only is recorded as one, so the desk
        stops offering what it cannot do (the outbox keeps the action waiting for a reconnect)."""
        error = _translate(exc)
        if (
            isinstance(error, CredentialsRejected)
            and error.read_only
            and not self.credentials.get("type")
        ):
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
            self.keeper.learned(
                external_id=str(
                    base.mapping(me.get("data") if isinstance(me, dict) else None).get("id") or ""
                )
            )
        return self.account.external_id

    def _paged(self, call, cursor: str, **params) -> FetchResult:
        """Fetch the pages newer than the cursor, at most MAX_PAGES per poll.

        The cursor is `since_id`, or `since_id|next_token|newest` while a window of more than
        MAX_PAGES pages is being read: the next poll goes on from that page instead of reading the
        newest ones again, and `since_id` moves to `newest` once the whole window is stored."""
        cursor, token, window_newest = (
            (cursor.split("|") + ["", ""])[:3] if "|" in cursor else (cursor, "", "")
        )
        messages: list[InboundMessage] = []
        unreadable: list[Unreadable] = []
        newest = window_newest or cursor
        token = token or None
        wait_until = None
        read = 0
        for _ in range(MAX_PAGES):
            kwargs = dict(
                max_results=PAGE_SIZE,
                tweet_fields=TWEET_FIELDS,
                user_fields=USER_FIELDS,
                expansions=EXPANSIONS,
                user_auth=self.user_auth,
                **params,
            )
            if cursor:
                kwargs["since_id"] = cursor
            else:
                # An account's first window: this week's mentions, not the last 800.
                kwargs["start_time"] = datetime.now(UTC) - timedelta(days=base.FIRST_POLL_DAYS)
            if token:
                kwargs[
                    call.__name__ == "search_recent_tweets" and "next_token" or "pagination_token"
                ] = token
            try:
                response, meta, body = self._page(call, kwargs)
                arrived, skipped = self.read(body)
            except ConnectorError as exc:
                if not read:
                    raise  # the cursor stays where it was: the same page is read again next time
                # Keep the pages read; the next poll goes on from the page that failed.
                return FetchResult(
                    messages=messages,
                    cursor=f"{cursor}|{token}|{newest}",
                    wait_until=exc.wait_until,
                    error=str(exc),
                    unreadable=unreadable,
                )
            read += 1
            messages.extend(arrived)
            unreadable.extend(skipped)
            if response.headers.get("x-rate-limit-remaining") == "0":
                wait_until = _reset_of(response)
            if meta.get("newest_id") and (
                not newest or not newest.isdecimal() or int(meta["newest_id"]) > int(newest)
            ):
                newest = meta["newest_id"]
            token = meta.get("next_token")
            if not token or wait_until:
                break
        if token:
            # Pages left unread: the next poll goes on from here, in the same window.
            return FetchResult(
                messages=messages,
                cursor=f"{cursor}|{token}|{newest}",
                wait_until=wait_until,
                unreadable=unreadable,
            )
        return FetchResult(
            messages=messages, cursor=newest, wait_until=wait_until, unreadable=unreadable
        )

    @staticmethod
    def _page(call, kwargs) -> tuple[requests.Response, dict, dict]:
        """One page: the response, its `meta` (checked: the cursor is built from it) and its body."""
        try:
            response = call(**kwargs)
            body = response.json()
        except Exception as exc:  # noqa: BLE001 - translated or re-raised
            raise _translate(exc) from exc
        if not isinstance(body, dict):
            raise ConnectorError(says.MALFORMED_PAGE % {"platform": "X"}, retryable=True)
        meta = body.get("meta") or {}
        if (
            not isinstance(meta, dict)
            or not isinstance(meta.get("newest_id") or "0", str)
            or not (meta.get("newest_id") or "0").isdecimal()
            or not isinstance(meta.get("next_token") or "", str)
        ):
            raise ConnectorError(
                "X sent a malformed page (its meta has no usable newest_id or next_token)",
                retryable=True,
            )
        if "data" not in body and "meta" not in body and body.get("errors"):
            # Not a partial answer but a refusal in a 200 (X answers a timeline of an unknown
            # account so): nothing was read, and the health page says why.
            first = base.mapping((base.sequence(body["errors"]) or [{}])[0])
            words = (
                base.text(first.get("detail"))
                or base.text(first.get("title"))
                or "no reason given"
            )
            raise ConnectorError(says.X_ERRORS_ONLY % {"detail": words}, retryable=False)
        return response, meta, body

    def read(self, body: dict) -> tuple[list[InboundMessage], list[Unreadable]]:
        """A page as messages, after asking X for what it left out. A broken page is an error; a
        broken tweet, or one whose author X would not tell, is not: it is handed over unreadable."""
        try:
            answer = Answer.of(body)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConnectorError(
                f"X sent a malformed page ({exc.__class__.__name__}: {exc})", retryable=True
            ) from exc
        self._complete(answer)
        return answer.read(handles=self._handles())

    def reread(self, raws: list[dict]) -> list:
        """Tweets kept raw (`InboundMessage.raw`) read again, asking X once more for what it left out
        (one lookup per 100 tweets or users): for each, a message, or an `Unreadable` saying why not."""
        answer = Answer(tweets=[base.mapping(raw).get("tweet") for raw in raws])
        for raw in raws:
            author = base.mapping(raw).get("author")
            if _is_user(author):
                answer.users.setdefault(base.text(author["id"]), author)
        self._complete(answer)
        messages, unreadable = answer.read(handles=self._handles())
        by_id = {m.platform_id: m for m in messages} | {u.platform_id: u for u in unreadable}
        return [
            by_id.get(_tweet_id(tweet))
            or Unreadable(platform="twitter", raw=raw, error="It has no id.")
            for tweet, raw in zip(answer.tweets, raws, strict=True)
        ]

    def _handles(self) -> dict[str, str]:
        if not hasattr(self, "_our_handles"):
            self._our_handles = our_handles()
        return self._our_handles

    def _complete(self, answer: Answer) -> None:
        """Ask X for what a page left out and a tweet cannot be stored without: a tweet without
        `author_id` is looked up by its id with its author expanded (GET /2/tweets?ids=), and
        authors missing from `includes.users` by their ids (GET /2/users?ids=), 100 a call, as
        both endpoints take (https://docs.x.com/x-api/posts/get-posts-by-ids,
        https://docs.x.com/x-api/users/get-users-by-ids). What still is missing, and why, is kept
        on `answer` for `Answer.author_of`."""
        anonymous = [
            _tweet_id(t)
            for t in answer.tweets
            if _tweet_id(t) and not base.text(t.get("author_id"))
        ]
        found = {}
        # An id X could not have given (not 1-19 digits) would make it refuse the whole call.
        for batch in _batches([i for i in dict.fromkeys(anonymous) if _X_ID.fullmatch(i)]):
            try:
                found.update(
                    answer.add(
                        self._lookup(
                            self.client.get_tweets,
                            ids=batch,
                            tweet_fields=TWEET_FIELDS,
                            user_fields=USER_FIELDS,
                            expansions=EXPANSIONS,
                        )
                    )
                )
            except ConnectorError as exc:
                answer.failures.update(
                    {
                        ("tweet", tweet_id): f"asking X for it again failed ({exc})"
                        for tweet_id in batch
                    }
                )
        if found:
            answer.tweets = [_filled(t, found.get(_tweet_id(t))) for t in answer.tweets]
        for tweet_id in anonymous:
            answer.failures.setdefault(
                ("tweet", tweet_id), "asked again by its id, X still did not say"
            )
        missing = [
            base.text(t.get("author_id"))
            for t in answer.tweets
            if isinstance(t, dict) and base.text(t.get("author_id"))
        ]
        missing = [
            user_id
            for user_id in dict.fromkeys(missing)
            if not _is_user(answer.users.get(user_id)) and _X_ID.fullmatch(user_id)
        ]
        for batch in _batches(missing):
            try:
                answer.add_users(
                    self._lookup(self.client.get_users, ids=batch, user_fields=USER_FIELDS)
                )
            except ConnectorError as exc:
                answer.failures.update(
                    {("user", user_id): f"looking the user up failed ({exc})" for user_id in batch}
                )
            for user_id in batch:
                answer.failures.setdefault(
                    ("user", user_id), "looked up by id, X did not return them"
                )

    @staticmethod
    def _lookup(call, **kwargs) -> dict:
        try:
            body = call(user_auth=False, **kwargs).json()
        except Exception as exc:  # noqa: BLE001 - translated or re-raised
            raise _translate(exc) from exc
        if not isinstance(body, dict):
            raise ConnectorError(says.X_MALFORMED_LOOKUP, retryable=True)
        return body

    def streams(self) -> list[tuple[str, object]]:
        """What polling reads: the account's mentions and each of its active search terms."""
        streams = [("mentions", self.fetch_mentions)]
        for term in self.account.search_terms.filter(active=True):
            streams.append(
                (
                    f"search:{term.pk}",
                    lambda cursor, q=term.query: self.search(query=q, cursor=cursor),
                )
            )
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
            batch = platform_ids[start : start + 100]
            try:
                body = self.client.get_tweets(ids=batch, user_auth=self.user_auth).json()
            except Exception as exc:  # noqa: BLE001 - translated or re-raised
                raise _translate(exc) from exc
            if not isinstance(body, dict):
                raise ConnectorError(
                    "X sent a malformed answer to a tweets lookup", retryable=True
                )
            for error in body.get("errors") or []:
                if (
                    isinstance(error, dict)
                    and str(error.get("type", "")).endswith("/resource-not-found")
                    and error.get("resource_type", "tweet") == "tweet"
                ):
                    value = str(error.get("resource_id") or error.get("value") or "")
                    if value in batch:
                        gone.append(value)
        return gone

    def _upload(self, media) -> list[str]:
        """Upload attachments with the v1.1 media endpoint (tweepy's API); returns media ids."""
        if self.user_auth:
            c = self.credentials
            api = tweepy.API(
                tweepy.OAuth1UserHandler(
                    c["consumer_key"],
                    c["consumer_secret"],
                    c["access_token"],
                    c["access_token_secret"],
                )
            )
        else:
            api = tweepy.API(tweepy.OAuth2BearerHandler(self.token))
        base = (self.api_base or settings.SOCIALDESK_TWITTER_API_BASE).rstrip("/")
        if base != TWITTER_HOST:
            api.session.mount(f"https://{api.upload_host}/", RedirectAdapter(base))
        ids = []
        for path, content_type in media:
            uploaded = api.media_upload(
                path, chunked=content_type in ("video/mp4", "image/gif"), media_category=None
            )
            ids.append(str(uploaded.media_id))
        return ids

    def reply(self, *, text: str, in_reply_to_id: str, idempotency_key: str, media=()) -> str:
        """Post a reply; returns the new tweet's id. X has no idempotency key: see the outbox.

        Uploading media again on a retry is harmless: unattached uploads expire."""
        try:
            media_ids = self._upload(media) if media else None
            response = self.client.create_tweet(
                text=text,
                in_reply_to_tweet_id=in_reply_to_id,
                media_ids=media_ids,
                user_auth=self.user_auth,
            )
            return str(response.json()["data"]["id"])
        except tweepy.Forbidden as exc:
            if "duplicate" in _error_text(exc.response).lower():
                # X refuses an identical post: an earlier attempt may have gone through.
                raise AlreadyPosted(
                    f"X refused duplicate content: {_error_text(exc.response)}", status=403
                ) from exc
            raise self._failed(exc) from exc
        except (KeyError, TypeError) as exc:
            raise OutcomeUnknown(
                f"X accepted the reply but its answer was malformed: {exc}"
            ) from exc
        except Exception as exc:  # noqa: BLE001
            raise self._failed(exc) from exc

    def like(self, *, target_id: str) -> None:
        # tweepy's `like` would ask GET /2/users/me before every like (an OAuth 2.0 token does
        # not say whose it is); the account's id is known, so the endpoint is called directly.
        try:
            self.client.request(
                "POST",
                f"/2/users/{self.user_id}/likes",
                json={"tweet_id": str(target_id)},
                user_auth=self.user_auth,
            )
        except Exception as exc:  # noqa: BLE001
            raise self._failed(exc) from exc

    def repost(self, *, target_id: str) -> None:
        """Retweet."""
        try:
            self.client.request(
                "POST",
                f"/2/users/{self.user_id}/retweets",
                json={"tweet_id": str(target_id)},
                user_auth=self.user_auth,
            )
        except Exception as exc:  # noqa: BLE001
            raise self._failed(exc) from exc

    @classmethod
    def dm_link(cls, *, recipient_id: str) -> str:
        """X's deep link that opens a Direct Message to the account (the composer's button)."""
        return f"https://twitter.com/messages/compose?recipient_id={recipient_id}"
