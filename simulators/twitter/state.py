"""The simulated platform: users, tweets, likes, retweets, rate limits and faults, in memory.

Everything goes through :class:`PlatformState`, whose methods take one lock, so the
HTTP server's threads and the traffic generator can use it at the same time.
Tweets are stored with all their fields; the server picks the ones a request asks for.

Behaviour worth knowing:

* tweet ids are Snowflakes, as on X: the top 42 bits are the creation time in milliseconds
  since X's epoch 1288834974657 ("each ID encodes: Timestamp — when the object was created",
  https://docs.x.com/fundamentals/x-ids), so a client can tell a tweet's time from its id alone;
  they only grow, also across ``reset()``, so a client's since_id cursor never hides new tweets;
* partial answers, as real ones are, when a test asks for them (``configure_partial``): fields
  and ``includes`` left out of timeline pages, users and tweets left out with a partial error;
* a customer reply (``customer_tweet`` with ``in_reply_to_tweet_id``) gets the parent
  author's ``@username`` put in front of the text when it is not already mentioned,
  as X's auto-populated reply mentions do; tweets created through ``POST /2/tweets``
  are stored with the text exactly as sent;
* ``mentions`` of a user are the tweets whose ``entities.mentions`` name that user
  (its own tweets excluded); deleted tweets are left out of mentions, search and lookup;
* posting the same text twice from the same account is refused (403), as on X.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from .accounts import APP_ONLY_TOKEN, BRAND_ACCOUNTS, BRANDS_BY_TOKEN
from .query import TweetView, compile_query

FIRST_TWEET_ID = 1_790_000_000_000_000_000
SNOWFLAKE_EPOCH_MS = 1_288_834_974_657
SNOWFLAKE_TIME_SHIFT = 22  # the low 22 bits: worker and sequence numbers
# What a test may ask the timelines to leave out (see PlatformState.configure_partial).
NO_PARTIAL: dict[str, Any] = {
    "omit_fields": [],
    "omit_includes": False,
    "hide_users": [],
    "hide_tweets": [],
}
FIRST_CUSTOMER_ID = 1_500_000_000_000_000_000
MAX_TWEET_WEIGHT = 280
URL_WEIGHT = 23
RATE_WINDOW_SECONDS = 15 * 60
DEFAULT_RATE_LIMIT = 10_000
NO_FAULTS = {"error_next": 0, "error_status": 503, "lose_response_next": 0}

NOT_FOUND_TYPE = "https://api.twitter.com/2/problems/resource-not-found"
INVALID_REQUEST_TYPE = "https://api.twitter.com/2/problems/invalid-request"

_URL_RE = re.compile(r"https?://[^\s]+", re.IGNORECASE)
_MENTION_RE = re.compile(r"(?<![\w@])@(\w{1,15})(?!\w)")
_HASHTAG_RE = re.compile(r"(?<![\w#&])#(\w*[^\W\d]\w*)")
_USERNAME_RE = re.compile(r"^\w{1,15}$")


class ApiError(Exception):
    """An error response: HTTP status and X's JSON body."""

    def __init__(self, status: int, body: dict[str, Any]):
        super().__init__(body.get("detail") or body.get("title") or str(body))
        self.status = status
        self.body = body


def problem(status: int, title: str, detail: str, type_: str = "about:blank") -> ApiError:
    """X's problem shape used for 401/403/404/429 and friends."""
    return ApiError(status, {"title": title, "detail": detail, "type": type_, "status": status})


def invalid_request(parameter: str, value: Any, message: str) -> ApiError:
    """X's 400 shape for an invalid query or body parameter."""
    return ApiError(
        400,
        {
            "errors": [{"parameters": {parameter: [str(value)]}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": INVALID_REQUEST_TYPE,
        },
    )


def not_found_error(resource_type: str, parameter: str, value: str) -> dict[str, Any]:
    """One entry of X's partial-error list (HTTP 200 with ``errors``)."""
    return {
        "value": value,
        "detail": f"Could not find {resource_type} with {parameter}: [{value}].",
        "title": "Not Found Error",
        "resource_type": resource_type,
        "parameter": parameter,
        "resource_id": value,
        "type": NOT_FOUND_TYPE,
    }


def iso_ms(epoch: float) -> str:
    """``2026-11-27T10:00:00.000Z`` for an epoch time in seconds."""
    dt = datetime.fromtimestamp(epoch, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def weighted_length(text: str) -> int:
    """twitter-text's weighted length (simplified): URLs 23, CJK/emoji etc. 2, Latin 1."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    pos = 0
    for m in _URL_RE.finditer(text):
        total += _weigh(text[pos : m.start()]) + URL_WEIGHT
        pos = m.end()
    return total + _weigh(text[pos:])


def _weigh(chunk: str) -> int:
    total = 0
    for ch in chunk:
        cp = ord(ch)
        if cp <= 4351 or 8192 <= cp <= 8205 or 8208 <= cp <= 8223 or 8242 <= cp <= 8247:
            total += 1
        else:
            total += 2
    return total


@dataclass
class User:
    id: str
    username: str
    name: str
    verified: bool = False
    followers_count: int = 0
    following_count: int = 0
    tweet_count: int = 0
    listed_count: int = 0
    description: str = ""
    location: str = ""
    created_at: str = "2015-03-14T09:26:53.000Z"
    profile_image_url: str = ""
    protected: bool = False
    is_brand: bool = False
    lang: str = "en"

    def public_metrics(self) -> dict[str, int]:
        return {
            "followers_count": self.followers_count,
            "following_count": self.following_count,
            "tweet_count": self.tweet_count,
            "listed_count": self.listed_count,
        }


@dataclass
class RateLimiter:
    """Fixed 15-minute windows per (token, endpoint)."""

    default_limit: int = DEFAULT_RATE_LIMIT
    limits: dict[str, int] = field(default_factory=dict)
    window: int = RATE_WINDOW_SECONDS
    _windows: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    def limit_for(self, endpoint: str) -> int:
        return self.limits.get(endpoint, self.default_limit)

    def hit(self, token: str, endpoint: str, now: float) -> tuple[bool, int, int, int]:
        """Count one request; returns (allowed, limit, remaining, reset epoch seconds)."""
        limit = self.limit_for(endpoint)
        key = (token, endpoint)
        win = self._windows.get(key)
        if win is None or now >= win[0] + self.window:
            win = [now, 0]
            self._windows[key] = win
        reset = int(win[0] + self.window)
        if win[1] >= limit:
            return False, limit, 0, reset
        win[1] += 1
        return True, limit, limit - win[1], reset

    def clear(self) -> None:
        self._windows.clear()


class PlatformState:
    """The whole simulated platform. All public methods are thread-safe."""

    def __init__(
        self,
        rate_limit: int = DEFAULT_RATE_LIMIT,
        clock=time.time,
        rate_limits: dict[str, int] | None = None,
    ):
        self.lock = threading.RLock()
        self.clock = clock
        self._initial_limits = (int(rate_limit), dict(rate_limits or {}))
        self.rate_limiter = RateLimiter(default_limit=rate_limit, limits=dict(rate_limits or {}))
        self.faults: dict[str, Any] = dict(NO_FAULTS)
        self.partial: dict[str, Any] = dict(NO_PARTIAL)
        self.traffic_rate_per_minute: float = 0.0
        self._reset_data()

    # ------------------------------------------------------------------ setup
    def _reset_data(self) -> None:
        self.users: dict[str, User] = {}
        self.users_by_name: dict[str, str] = {}
        self.tweets: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []  # tweet ids, oldest first (ids increase)
        self.deleted: set[str] = set()
        self.likes: list[dict[str, Any]] = []
        self.retweets: list[dict[str, Any]] = []
        self._like_keys: set[tuple[str, str]] = set()
        self._retweet_keys: dict[tuple[str, str], str] = {}
        # ids are never reused, not even after a reset: a client may still hold old ones as cursors
        if not hasattr(self, "_last_tweet_id"):
            self._last_tweet_id = FIRST_TWEET_ID - 1
            self._last_customer_id = FIRST_CUSTOMER_ID
            self._last_created = 0.0
        for acc in BRAND_ACCOUNTS:
            self._add_user(
                User(
                    id=acc.id,
                    username=acc.username,
                    name=acc.name,
                    verified=True,
                    followers_count=acc.followers_count,
                    following_count=acc.following_count,
                    tweet_count=acc.tweet_count,
                    listed_count=acc.listed_count,
                    description=acc.description,
                    location=acc.location,
                    created_at="2008-02-21T18:04:05.000Z",
                    profile_image_url=f"https://pbs.twimg.com/profile_images/{acc.id}/{acc.username.lower()}_normal.png",
                    is_brand=True,
                    lang=acc.language,
                )
            )

    def reset(self) -> None:
        """Forget every tweet, customer, like and retweet; brand accounts stay.

        Rate-limit windows are emptied, and the rate limits and faults go back to what the
        simulator was created with, so one test's configuration does not leak into the next.
        """
        with self.lock:
            self._reset_data()
            self.rate_limiter.clear()
            self.rate_limiter.default_limit, limits = self._initial_limits
            self.rate_limiter.limits = dict(limits)
            self.faults = dict(NO_FAULTS)
            self.partial = dict(NO_PARTIAL)

    def configure_partial(self, **partial: Any) -> None:
        """Make the answers partial, as X's are: ``omit_fields`` (tweet fields such as author_id,
        created_at, entities) and ``omit_includes`` are left out of mentions and search pages;
        ``hide_users`` are missing from every ``includes`` and users lookup, and ``hide_tweets``
        from tweets lookups, each named by a partial error in the 200 answer instead."""
        with self.lock:
            self.partial.update({k: v for k, v in partial.items() if k in NO_PARTIAL})

    def _add_user(self, user: User) -> User:
        self.users[user.id] = user
        self.users_by_name[user.username.lower()] = user.id
        return user

    # ------------------------------------------------------------------ auth, limits, faults
    def authenticate(self, token: str | None) -> tuple[User | None, bool]:
        """(user or None for app-only, may_write); raises 401 for an unknown token."""
        if token == APP_ONLY_TOKEN:
            return None, False
        acc = BRANDS_BY_TOKEN.get(token or "")
        if acc is None:
            raise problem(401, "Unauthorized", "Unauthorized")
        with self.lock:
            return self.users[acc.id], True

    def rate_hit(self, token: str, endpoint: str) -> tuple[bool, int, int, int]:
        with self.lock:
            return self.rate_limiter.hit(token, endpoint, self.clock())

    def configure(
        self,
        rate_limit: int | None = None,
        rate_limits: dict[str, int] | None = None,
        faults: dict[str, Any] | None = None,
        reset_windows: bool = False,
    ) -> None:
        with self.lock:
            if rate_limit is not None:
                self.rate_limiter.default_limit = int(rate_limit)
            if rate_limits is not None:
                self.rate_limiter.limits = {str(k): int(v) for k, v in rate_limits.items()}
            if faults:
                for key in ("error_next", "error_status", "lose_response_next"):
                    if key in faults:
                        self.faults[key] = int(faults[key])
            if reset_windows:
                self.rate_limiter.clear()

    def take_fault(self, kind: str) -> int | None:
        """Consume one scheduled fault of ``kind``; returns the status to answer with."""
        with self.lock:
            if self.faults.get(kind, 0) > 0:
                self.faults[kind] -= 1
                return int(self.faults.get("error_status", 503))
            return None

    # ------------------------------------------------------------------ users
    def user(self, user_id: str) -> User | None:
        with self.lock:
            return self.users.get(str(user_id))

    def user_by_username(self, username: str) -> User | None:
        with self.lock:
            uid = self.users_by_name.get(username.lower().lstrip("@"))
            return self.users.get(uid) if uid else None

    def upsert_customer(
        self,
        username: str,
        name: str | None = None,
        *,
        id: str | None = None,
        followers_count: int | None = None,
        following_count: int | None = None,
        verified: bool | None = None,
        description: str | None = None,
        location: str | None = None,
        created_at: str | None = None,
        lang: str | None = None,
    ) -> User:
        """Create the customer ``username`` or update the profile fields given."""
        with self.lock:
            existing = self.user_by_username(username)
            if existing is not None and existing.is_brand:
                raise ValueError(
                    f"@{username} is a brand account; brand accounts tweet through the API"
                )
            if existing is None:
                if id is None or str(id) in self.users:
                    self._last_customer_id += 1_048_576 * 977
                    id = str(self._last_customer_id)
                existing = self._add_user(
                    User(
                        id=str(id),
                        username=username,
                        name=name or username,
                        followers_count=120,
                        following_count=180,
                        tweet_count=340,
                        listed_count=1,
                        profile_image_url=f"https://pbs.twimg.com/profile_images/{id}/avatar_normal.jpg",
                    )
                )
            u = existing
            if name is not None:
                u.name = name
            if followers_count is not None:
                u.followers_count = int(followers_count)
            if following_count is not None:
                u.following_count = int(following_count)
            if verified is not None:
                u.verified = bool(verified)
            if description is not None:
                u.description = description
            if location is not None:
                u.location = location
            if created_at is not None:
                u.created_at = created_at
            if lang is not None:
                u.lang = lang
            return u

    # ------------------------------------------------------------------ tweets
    def _next_ids(self) -> tuple[str, str]:
        now = max(self.clock(), self._last_created + 0.001)
        self._last_created = now
        ms = int(now * 1000)
        snowflake = (ms - SNOWFLAKE_EPOCH_MS) << SNOWFLAKE_TIME_SHIFT
        self._last_tweet_id = max(self._last_tweet_id + 1, snowflake)
        return str(self._last_tweet_id), iso_ms(ms / 1000)

    def _entities(self, text: str) -> dict[str, Any]:
        entities: dict[str, Any] = {}
        mentions = []
        for m in _MENTION_RE.finditer(text):
            item: dict[str, Any] = {"start": m.start(), "end": m.end(), "username": m.group(1)}
            uid = self.users_by_name.get(m.group(1).lower())
            if uid:
                item["username"] = self.users[uid].username
                item["id"] = uid
            mentions.append(item)
        if mentions:
            entities["mentions"] = mentions
        tags = [
            {"start": m.start(), "end": m.end(), "tag": m.group(1)}
            for m in _HASHTAG_RE.finditer(text)
        ]
        if tags:
            entities["hashtags"] = tags
        urls = []
        for m in _URL_RE.finditer(text):
            url = m.group(0).rstrip(".,!?)")
            urls.append(
                {
                    "start": m.start(),
                    "end": m.start() + len(url),
                    "url": url,
                    "expanded_url": url,
                    "display_url": re.sub(r"^https?://(www\.)?", "", url)[:30],
                }
            )
        if urls:
            entities["urls"] = urls
        return entities

    def _live(self, tweet_id: str) -> dict[str, Any] | None:
        if tweet_id in self.deleted:
            return None
        return self.tweets.get(str(tweet_id))

    def get_tweet(self, tweet_id: str) -> dict[str, Any] | None:
        """The stored tweet (a copy), or None when unknown or deleted."""
        with self.lock:
            t = self._live(str(tweet_id))
            return _copy(t) if t else None

    def _store(
        self,
        author: User,
        text: str,
        *,
        lang: str,
        reply_to: dict | None = None,
        quote: dict | None = None,
        retweet_of: dict | None = None,
        media_ids: list[str] | None = None,
        source: str = "Twitter Web App",
    ) -> dict[str, Any]:
        tid, created = self._next_ids()
        refs = []
        tweet: dict[str, Any] = {
            "id": tid,
            "text": text,
            "author_id": author.id,
            "conversation_id": tid,
            "created_at": created,
            "lang": lang,
        }
        if reply_to is not None:
            tweet["conversation_id"] = reply_to["conversation_id"]
            tweet["in_reply_to_user_id"] = reply_to["author_id"]
            refs.append({"type": "replied_to", "id": reply_to["id"]})
            reply_to["public_metrics"]["reply_count"] += 1
        if quote is not None:
            refs.append({"type": "quoted", "id": quote["id"]})
            quote["public_metrics"]["quote_count"] += 1
        if retweet_of is not None:
            refs.append({"type": "retweeted", "id": retweet_of["id"]})
            retweet_of["public_metrics"]["retweet_count"] += 1
        if refs:
            tweet["referenced_tweets"] = refs
        entities = self._entities(text)
        if entities:
            tweet["entities"] = entities
        if media_ids:
            tweet["attachments"] = {"media_keys": [f"3_{m}" for m in media_ids]}
        tweet["public_metrics"] = {
            "retweet_count": 0,
            "reply_count": 0,
            "like_count": 0,
            "quote_count": 0,
            "bookmark_count": 0,
            "impression_count": 0,
        }
        tweet["edit_history_tweet_ids"] = [tid]
        tweet["possibly_sensitive"] = False
        tweet["reply_settings"] = "everyone"
        tweet["source"] = source
        self.tweets[tid] = tweet
        self.order.append(tid)
        author.tweet_count += 1
        return tweet

    def create_tweet(
        self,
        author_id: str,
        text: str | None,
        *,
        in_reply_to_tweet_id: str | None = None,
        quote_tweet_id: str | None = None,
        media_ids: list[str] | None = None,
    ) -> dict[str, Any]:
        """``POST /2/tweets`` semantics (duplicate check, length check, reply threading)."""
        with self.lock:
            author = self.users[str(author_id)]
            if not isinstance(text, str) or not text.strip():
                if not media_ids:
                    raise invalid_request(
                        "text", text, "The `text` field is required when no media is attached."
                    )
                text = text or ""
            if weighted_length(text) > MAX_TWEET_WEIGHT:
                raise ApiError(
                    400,
                    {
                        "errors": [
                            {
                                "message": "Your Tweet text is too long. For more information on how Twitter "
                                "determines text length see https://github.com/twitter/twitter-text."
                            }
                        ],
                        "title": "Invalid Request",
                        "detail": "One or more parameters to your request was invalid.",
                        "type": INVALID_REQUEST_TYPE,
                    },
                )
            if text:
                for tid in reversed(self.order):
                    t = self.tweets[tid]
                    if (
                        t["author_id"] == author.id
                        and t["text"] == text
                        and tid not in self.deleted
                    ):
                        raise problem(
                            403,
                            "Forbidden",
                            "You are not allowed to create a Tweet with duplicate content.",
                        )
            reply_to = None
            if in_reply_to_tweet_id is not None:
                reply_to = self._live(str(in_reply_to_tweet_id))
                if reply_to is None:
                    raise problem(
                        403,
                        "Forbidden",
                        "You attempted to reply to a Tweet that is deleted or not visible to you.",
                    )
            quote = None
            if quote_tweet_id is not None:
                quote = self._live(str(quote_tweet_id))
                if quote is None:
                    raise problem(
                        403,
                        "Forbidden",
                        "You attempted to quote a Tweet that is deleted or not visible to you.",
                    )
            lang = author.lang if author.is_brand else "en"
            return _copy(
                self._store(
                    author,
                    text,
                    lang=lang,
                    reply_to=reply_to,
                    quote=quote,
                    media_ids=media_ids,
                    source="Socialdesk",
                )
            )

    def customer_tweet(
        self,
        author: User,
        text: str,
        *,
        lang: str = "en",
        in_reply_to_tweet_id: str | None = None,
        quote_tweet_id: str | None = None,
        retweet_of_tweet_id: str | None = None,
    ) -> dict[str, Any]:
        """A tweet written by a (non-brand) person on the platform."""
        with self.lock:
            if retweet_of_tweet_id is not None:
                original = self._live(str(retweet_of_tweet_id))
                if original is None:
                    raise ValueError(
                        f"retweet_of_tweet_id {retweet_of_tweet_id} is unknown or deleted"
                    )
                orig_author = self.users[original["author_id"]]
                rt_text = f"RT @{orig_author.username}: {original['text']}"
                return _copy(
                    self._store(
                        author,
                        rt_text,
                        lang=original["lang"],
                        retweet_of=original,
                        source="Twitter for Android",
                    )
                )
            reply_to = None
            if in_reply_to_tweet_id is not None:
                reply_to = self._live(str(in_reply_to_tweet_id))
                if reply_to is None:
                    raise ValueError(
                        f"in_reply_to_tweet_id {in_reply_to_tweet_id} is unknown or deleted"
                    )
                parent_author = self.users[reply_to["author_id"]]
                handle = "@" + parent_author.username.lower()
                mentioned = {m.group(1).lower() for m in _MENTION_RE.finditer(text)}
                if parent_author.id != author.id and handle[1:] not in mentioned:
                    text = f"@{parent_author.username} {text}"
            quote = None
            if quote_tweet_id is not None:
                quote = self._live(str(quote_tweet_id))
                if quote is None:
                    raise ValueError(f"quote_tweet_id {quote_tweet_id} is unknown or deleted")
            return _copy(
                self._store(
                    author,
                    text,
                    lang=lang,
                    reply_to=reply_to,
                    quote=quote,
                    source="Twitter for iPhone",
                )
            )

    def delete_tweet(self, tweet_id: str, by_user_id: str | None = None) -> None:
        """Delete a tweet; ``by_user_id`` must be its author when given (else 403)."""
        with self.lock:
            t = self._live(str(tweet_id))
            if t is None:
                raise ApiError(
                    404, {**not_found_error("tweet", "id", str(tweet_id)), "status": 404}
                )
            if by_user_id is not None and t["author_id"] != str(by_user_id):
                raise problem(
                    403, "Forbidden", "You are not allowed to delete a Tweet you did not author."
                )
            self.deleted.add(t["id"])

    def like(self, user_id: str, tweet_id: str) -> None:
        with self.lock:
            t = self._live(str(tweet_id))
            if t is None:
                raise ApiError(
                    404, {**not_found_error("tweet", "tweet_id", str(tweet_id)), "status": 404}
                )
            key = (str(user_id), t["id"])
            if key in self._like_keys:
                return
            self._like_keys.add(key)
            t["public_metrics"]["like_count"] += 1
            self.likes.append(
                {
                    "user_id": str(user_id),
                    "username": self.users[str(user_id)].username,
                    "tweet_id": t["id"],
                    "at": iso_ms(self.clock()),
                }
            )

    def unlike(self, user_id: str, tweet_id: str) -> None:
        with self.lock:
            key = (str(user_id), str(tweet_id))
            if key in self._like_keys:
                self._like_keys.discard(key)
                self.likes = [
                    like for like in self.likes if (like["user_id"], like["tweet_id"]) != key
                ]
                t = self.tweets.get(str(tweet_id))
                if t:
                    t["public_metrics"]["like_count"] -= 1

    def retweet(self, user_id: str, tweet_id: str) -> dict[str, Any]:
        with self.lock:
            t = self._live(str(tweet_id))
            if t is None:
                raise ApiError(
                    404, {**not_found_error("tweet", "tweet_id", str(tweet_id)), "status": 404}
                )
            key = (str(user_id), t["id"])
            if key in self._retweet_keys:
                return self.tweets[self._retweet_keys[key]]
            user = self.users[str(user_id)]
            orig_author = self.users[t["author_id"]]
            rt = self._store(
                user,
                f"RT @{orig_author.username}: {t['text']}",
                lang=t["lang"],
                retweet_of=t,
                source="Socialdesk",
            )
            self._retweet_keys[key] = rt["id"]
            self.retweets.append(
                {
                    "user_id": user.id,
                    "username": user.username,
                    "tweet_id": t["id"],
                    "retweet_id": rt["id"],
                    "at": iso_ms(self.clock()),
                }
            )
            return _copy(rt)

    def unretweet(self, user_id: str, tweet_id: str) -> None:
        with self.lock:
            key = (str(user_id), str(tweet_id))
            rt_id = self._retweet_keys.pop(key, None)
            if rt_id:
                self.deleted.add(rt_id)
                self.retweets = [r for r in self.retweets if (r["user_id"], r["tweet_id"]) != key]
                t = self.tweets.get(str(tweet_id))
                if t:
                    t["public_metrics"]["retweet_count"] -= 1

    # ------------------------------------------------------------------ timelines
    def _view(self, t: dict[str, Any]) -> TweetView:
        author = self.users[t["author_id"]]
        ents = t.get("entities", {})
        reply_user = self.users.get(t.get("in_reply_to_user_id", ""))
        return TweetView(
            text=t["text"],
            author_username=author.username,
            author_verified=author.verified,
            lang=t["lang"],
            mentions=frozenset(m["username"].lower() for m in ents.get("mentions", [])),
            hashtags=frozenset(h["tag"].lower() for h in ents.get("hashtags", [])),
            urls=tuple(u["expanded_url"] for u in ents.get("urls", [])),
            in_reply_to_username=reply_user.username.lower() if reply_user else None,
            conversation_id=t["conversation_id"],
            ref_types=frozenset(r["type"] for r in t.get("referenced_tweets", [])),
        )

    def _page(
        self,
        match,
        *,
        since_id: str | None,
        until_id: str | None,
        below_id: str | None,
        max_results: int,
        start_time: str | None = None,
    ) -> tuple[list[dict[str, Any]], bool]:
        lo = int(since_id) if since_id else -1
        hi = min(int(until_id) if until_id else 1 << 64, int(below_id) if below_id else 1 << 64)
        page: list[dict[str, Any]] = []
        more = False
        for tid in reversed(self.order):
            n = int(tid)
            if n >= hi or tid in self.deleted:
                continue
            if n <= lo:
                break
            t = self.tweets[tid]
            if start_time and t["created_at"] < start_time:
                break  # newest first: everything further is older still
            if not match(t):
                continue
            if len(page) == max_results:
                more = True
                break
            page.append(_copy(t))
        return page, more

    def mentions(
        self,
        user_id: str,
        *,
        since_id=None,
        until_id=None,
        below_id=None,
        max_results: int = 10,
        start_time: str | None = None,
    ) -> tuple[list[dict[str, Any]], bool]:
        """Newest-first tweets mentioning ``user_id`` with since_id < id < min(until_id, below_id)."""
        uid = str(user_id)

        def match(t):
            return t["author_id"] != uid and any(
                m.get("id") == uid for m in t.get("entities", {}).get("mentions", [])
            )

        with self.lock:
            return self._page(
                match,
                since_id=since_id,
                until_id=until_id,
                below_id=below_id,
                max_results=max_results,
                start_time=start_time,
            )

    def search(
        self,
        query: str,
        *,
        since_id=None,
        until_id=None,
        below_id=None,
        max_results: int = 10,
        start_time: str | None = None,
    ) -> tuple[list[dict[str, Any]], bool]:
        """Newest-first tweets matching ``query`` (see :mod:`.query`); raises QueryError."""
        pred = compile_query(query)
        with self.lock:
            return self._page(
                lambda t: pred(self._view(t)),
                since_id=since_id,
                until_id=until_id,
                below_id=below_id,
                max_results=max_results,
                start_time=start_time,
            )

    # ------------------------------------------------------------------ inspection
    def list_tweets(
        self,
        author: str | None = None,
        in_reply_to: str | None = None,
        conversation_id: str | None = None,
        include_deleted: bool = True,
    ) -> list[dict[str, Any]]:
        """Stored tweets, oldest first, with a ``deleted`` flag and ``author_username``."""
        with self.lock:
            author_id = None
            if author is not None:
                u = self.user_by_username(author)
                if u is None:
                    return []
                author_id = u.id
            out = []
            for tid in self.order:
                t = self.tweets[tid]
                if author_id is not None and t["author_id"] != author_id:
                    continue
                if in_reply_to is not None and not any(
                    r["type"] == "replied_to" and r["id"] == str(in_reply_to)
                    for r in t.get("referenced_tweets", [])
                ):
                    continue
                if conversation_id is not None and t["conversation_id"] != str(conversation_id):
                    continue
                if not include_deleted and tid in self.deleted:
                    continue
                item = _copy(t)
                item["author_username"] = self.users[t["author_id"]].username
                item["deleted"] = tid in self.deleted
                out.append(item)
            return out

    def summary(self) -> dict[str, Any]:
        with self.lock:
            brand_ids = {u.id for u in self.users.values() if u.is_brand}
            brand_replies = sum(
                1
                for t in self.tweets.values()
                if t["author_id"] in brand_ids and "in_reply_to_user_id" in t
            )
            return {
                "counts": {
                    "tweets": len(self.tweets),
                    "deleted_tweets": len(self.deleted),
                    "customer_tweets": sum(
                        1 for t in self.tweets.values() if t["author_id"] not in brand_ids
                    ),
                    "brand_replies": brand_replies,
                    "likes": len(self.likes),
                    "retweets": len(self.retweets),
                    "users": len(self.users),
                },
                "rate_limits": {
                    "default_limit": self.rate_limiter.default_limit,
                    "per_endpoint": dict(self.rate_limiter.limits),
                    "window_seconds": self.rate_limiter.window,
                },
                "faults": dict(self.faults),
                "partial": {
                    k: (list(v) if isinstance(v, list) else v) for k, v in self.partial.items()
                },
                "traffic": {"rate_per_minute": self.traffic_rate_per_minute},
                "newest_tweet_id": self.order[-1] if self.order else None,
            }

    def user_dict(self, user: User) -> dict[str, Any]:
        d = asdict(user)
        d["public_metrics"] = user.public_metrics()
        return d


def _copy(t: dict[str, Any]) -> dict[str, Any]:
    import copy

    return copy.deepcopy(t)
