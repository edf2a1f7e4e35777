"""The simulated Play Console: apps, reviews with their edit history, developer replies, in memory.

Thread-safe (one lock). Times are epoch seconds (float). Each review keeps every version the
customer wrote; the API shows the latest one, as Google Play does. Every reply performed through
the API is logged in ``replies`` (whatever answer the client got), which is what an exactly-once
test counts.
"""

from __future__ import annotations

import random
import string
import threading
import time
from dataclasses import dataclass, field
from typing import Any

DEFAULT_PACKAGE = "org.mozilla.firefox"
DEFAULT_TOKEN = "sim-token-google-play"
REPLY_LIMIT = 350
WEEK = 7 * 24 * 3600
DEFAULT_RATE_LIMIT = 10_000  # requests per token and method per hour


def timestamp(t: float) -> dict[str, Any]:
    """Google's Timestamp JSON: seconds as a string, nanos as a number."""
    seconds = int(t)
    return {"seconds": str(seconds), "nanos": int(round((t - seconds) * 1e9)) % 1_000_000_000}


@dataclass
class Version:
    text: str
    star_rating: int
    last_modified: float
    language: str
    device: str
    android_os_version: int
    app_version_code: int
    app_version_name: str
    device_metadata: dict[str, Any] = field(default_factory=dict)
    thumbs_up: int = 0
    thumbs_down: int = 0


@dataclass
class Review:
    review_id: str
    package: str
    author_name: str
    versions: list[Version]
    developer_comment: dict[str, Any] | None = None  # {"text", "last_modified"}

    @property
    def latest(self) -> Version:
        return self.versions[-1]

    @property
    def last_modified(self) -> float:
        last = self.latest.last_modified
        return last


class PlayState:
    def __init__(
        self,
        *,
        packages: tuple[str, ...] = (DEFAULT_PACKAGE,),
        tokens: tuple[str, ...] = (DEFAULT_TOKEN,),
        rate_limit: int = DEFAULT_RATE_LIMIT,
        seed: int = 1,
    ):
        self.lock = threading.RLock()
        self.packages = set(packages)
        self.tokens = set(tokens)
        self._initial_rate_limit = rate_limit
        self._seed = seed
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.reviews: dict[str, Review] = {}
            self.replies: list[dict[str, Any]] = []
            self.removed: list[dict[str, Any]] = []
            self.rate_limit = self._initial_rate_limit
            self._windows: dict[tuple[str, str], list[float]] = {}
            self._ids = random.Random(self._seed)
            self.requests: dict[str, int] = {}

    # ------------------------------------------------------------------ auth and limits
    def authenticate(self, token: str | None) -> bool:
        return bool(token) and token in self.tokens

    def rate_hit(self, token: str, method: str) -> tuple[bool, int, int, int]:
        """Count one request; returns (allowed, limit, remaining, reset epoch seconds)."""
        now = time.time()
        with self.lock:
            window = self._windows.setdefault((token, method), [])
            window[:] = [t for t in window if t > now - 3600]
            reset = int((window[0] if window else now) + 3600)
            if len(window) >= self.rate_limit:
                return False, self.rate_limit, 0, reset
            window.append(now)
            return True, self.rate_limit, self.rate_limit - len(window), reset

    def count(self, endpoint: str) -> None:
        with self.lock:
            self.requests[endpoint] = self.requests.get(endpoint, 0) + 1

    # ------------------------------------------------------------------ customers
    def new_review_id(self) -> str:
        alphabet = string.ascii_letters + string.digits + "-_"
        with self.lock:
            return "gp:AOqpTO" + "".join(self._ids.choice(alphabet) for _ in range(78))

    def add_review(
        self,
        *,
        author_name: str,
        text: str,
        star_rating: int,
        package: str = DEFAULT_PACKAGE,
        language: str = "en",
        device: str = "oriole",
        android_os_version: int = 34,
        app_version_code: int = 2016000000,
        app_version_name: str = "126.0",
        device_metadata: dict[str, Any] | None = None,
        at: float | None = None,
    ) -> Review:
        if package not in self.packages:
            raise ValueError(f"Unknown package {package!r}; known: {sorted(self.packages)}.")
        review = Review(
            review_id=self.new_review_id(),
            package=package,
            author_name=author_name,
            versions=[
                Version(
                    text=text,
                    star_rating=star_rating,
                    last_modified=at or time.time(),
                    language=language,
                    device=device,
                    android_os_version=android_os_version,
                    app_version_code=app_version_code,
                    app_version_name=app_version_name,
                    device_metadata=device_metadata or {},
                )
            ],
        )
        with self.lock:
            self.reviews[review.review_id] = review
        return review

    def edit_review(
        self,
        review_id: str,
        *,
        text: str | None = None,
        star_rating: int | None = None,
        app_version_name: str | None = None,
    ) -> Review:
        """The customer edits their review: a new version, a later lastModified (whole seconds
        apart, so every version has its own id downstream)."""
        with self.lock:
            review = self.reviews.get(review_id)
            if review is None:
                raise KeyError(review_id)
            last = review.latest
            now = max(time.time(), int(last.last_modified) + 1.0)
            review.versions.append(
                Version(
                    text=text if text is not None else last.text,
                    star_rating=star_rating if star_rating is not None else last.star_rating,
                    last_modified=now,
                    language=last.language,
                    device=last.device,
                    android_os_version=last.android_os_version,
                    app_version_code=last.app_version_code + (1 if app_version_name else 0),
                    app_version_name=app_version_name or last.app_version_name,
                    device_metadata=dict(last.device_metadata),
                )
            )
            return review

    def remove_review(self, review_id: str) -> Review:
        """The reviewer deletes their review (or Google takes it down): it leaves the listing and
        `reviews.get` answers 404 from then on."""
        with self.lock:
            review = self.reviews.pop(review_id)
            self.removed.append(
                {"review_id": review_id, "package": review.package, "at": time.time()}
            )
            return review

    # ------------------------------------------------------------------ developer
    def reply(
        self, review_id: str, text: str, *, via: str = "api", idempotency_hint: str = ""
    ) -> dict[str, Any]:
        """Set (or replace) the developer reply; logged in ``replies``. Returns it."""
        with self.lock:
            review = self.reviews[review_id]
            previous = review.developer_comment
            now = time.time()
            if previous is not None:
                # A replacement gets a later second, so each reply has its own id downstream.
                now = max(now, int(previous["last_modified"]) + 1.0)
            review.developer_comment = {"text": text, "last_modified": now}
            self.replies.append(
                {
                    "review_id": review_id,
                    "package": review.package,
                    "text": text,
                    "at": now,
                    "last_edited": timestamp(now),
                    "via": via,
                    "replaced": previous["text"] if previous else None,
                }
            )
            return review.developer_comment

    # ------------------------------------------------------------------ reading
    def listed(self, package: str, *, now: float | None = None) -> list[Review]:
        """What reviews.list shows: reviews written or changed in the last week, newest first ("You can
        retrieve only the reviews that users have created or modified within the last week",
        https://developers.google.com/android-publisher/reply-to-reviews)."""
        now = now or time.time()
        with self.lock:
            found = [
                r
                for r in self.reviews.values()
                if r.package == package and r.last_modified >= now - WEEK
            ]
        return sorted(found, key=lambda r: (-r.last_modified, r.review_id))

    def get(self, review_id: str) -> Review | None:
        with self.lock:
            return self.reviews.get(review_id)

    def sim_review(self, review: Review) -> dict[str, Any]:
        """Everything about a review, for /_sim/ (not the API's shape)."""
        with self.lock:
            return {
                "review_id": review.review_id,
                "package": review.package,
                "author_name": review.author_name,
                "versions": [dict(v.__dict__) for v in review.versions],
                "developer_comment": dict(review.developer_comment)
                if review.developer_comment
                else None,
                "replies": [
                    r
                    for r in self.replies
                    if r["review_id"] == review.review_id and r["via"] == "api"
                ],
            }

    def summary(self) -> dict[str, Any]:
        with self.lock:
            per_review: dict[str, int] = {}
            for r in self.replies:
                if r["via"] == "api":
                    per_review[r["review_id"]] = per_review.get(r["review_id"], 0) + 1
            return {
                "packages": sorted(self.packages),
                "reviews": len(self.reviews),
                "edited_reviews": sum(1 for r in self.reviews.values() if len(r.versions) > 1),
                "with_developer_reply": sum(
                    1 for r in self.reviews.values() if r.developer_comment
                ),
                "removed": len(self.removed),
                "api_replies": sum(per_review.values()),
                "api_replies_per_review": per_review,
                "requests": dict(self.requests),
                "rate_limit": self.rate_limit,
            }
