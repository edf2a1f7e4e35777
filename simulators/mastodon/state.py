"""The simulated Mastodon instance: accounts, statuses, notifications, favourites, boosts, in memory.

Thread-safe (one lock). Status and account ids are Mastodon's snowflakes: the creation time in
milliseconds shifted left 16 bits, plus a sequence, as digit strings. Notification ids are not:
on a real server they are a plain serial ("20", "21", …), so a time cannot stand for one. Mastodon's
schema gives statuses `timestamp_id('statuses')` and notifications an ordinary bigint sequence
(db/schema.rb), and Mastodon.py's recordings of a real server show notifications "20", "21"
next to status ids like "117440821885976823". Mastodon's API guidelines say as much: an id is a
string, "cast from an integer but not guaranteed to be a number", to be treated as opaque
(https://docs.joinmastodon.org/api/guidelines/#id).
Every write performed through the API is logged in ``writes`` with its Idempotency-Key, and a
post repeated with the same key (same account, within an hour) returns the first status, as
Mastodon does: ``writes`` marks such a replay ``"new": false``.
"""

from __future__ import annotations

import html
import re
import threading
import time
from datetime import UTC, datetime
from typing import Any

DOMAIN = "social.example"
STATUS_LIMIT = 500
IDEMPOTENCY_SECONDS = 3600
DEFAULT_RATE_LIMIT = 300  # Mastodon's default: 300 requests per 5 minutes per token
RATE_WINDOW = 300
# username, id, display name, token
BRAND_ACCOUNTS = [
    (
        "firefox_support",
        "110000000000000001",
        "Firefox Support",
        "sim-token-mastodon-firefox_support",
    ),
    ("mozilla", "110000000000000002", "Mozilla", "sim-token-mastodon-mozilla"),
]
MENTION = re.compile(r"(?<![\w/])@(\w{1,30})(?:@[\w.-]+)?")


def snowflake(t: float) -> int:
    """The smallest id Mastodon gives at epoch second ``t``."""
    return int(t * 1000) << 16


def iso(t: float) -> str:
    return (
        datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{int(t * 1000) % 1000:03d}Z"
    )


class MastodonState:
    def __init__(self, *, rate_limit: int = DEFAULT_RATE_LIMIT):
        self.lock = threading.RLock()
        self._initial_rate_limit = rate_limit
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self._next_id = 0
            self._next_notification_id = 0
            self.accounts: dict[str, dict[str, Any]] = {}
            self.tokens: dict[str, str] = {}
            self.statuses: dict[str, dict[str, Any]] = {}
            self.notifications: list[dict[str, Any]] = []
            self.favourites: list[dict[str, Any]] = []
            self.reblogs: list[dict[str, Any]] = []
            self.writes: list[dict[str, Any]] = []
            # Statuses their authors deleted: gone from the API (404) and from notifications.
            self.deleted: list[dict[str, Any]] = []
            self._idempotency: dict[tuple[str, str], tuple[str, float]] = {}
            self.rate_limit = self._initial_rate_limit
            self._windows: dict[str, list[float]] = {}
            for username, aid, name, token in BRAND_ACCOUNTS:
                self._add_account(username, display_name=name, account_id=aid, followers=25_000)
                self.tokens[token] = aid

    # ------------------------------------------------------------------ ids, accounts, limits
    def new_id(self, at: float | None = None) -> str:
        """A snowflake id for something created at ``at`` (now by default), unique in this instance."""
        with self.lock:
            if at is None:
                self._next_id = max(self._next_id + 1, snowflake(time.time()))
                return str(self._next_id)
            # A status dated in the past (a customer's older toot): its own moment's id.
            candidate = snowflake(at)
            while str(candidate) in self.statuses or str(candidate) in self.accounts:
                candidate += 1
            return str(candidate)

    def new_notification_id(self) -> str:
        """The next notification id: a plain serial, as on a real server (see the module's doc)."""
        with self.lock:
            self._next_notification_id += 1
            return str(self._next_notification_id)

    def _add_account(
        self,
        username: str,
        *,
        display_name: str = "",
        account_id: str | None = None,
        followers: int = 0,
        bot: bool = False,
    ) -> dict[str, Any]:
        aid = account_id or self.new_id()
        account = {
            "id": aid,
            "username": username,
            "acct": username,
            "display_name": display_name or username,
            "locked": False,
            "bot": bot,
            "discoverable": True,
            "group": False,
            "created_at": iso(time.time() - 86400 * 400),
            "note": "",
            "url": f"https://{DOMAIN}/@{username}",
            "avatar": f"https://{DOMAIN}/avatars/{aid}.png",
            "avatar_static": f"https://{DOMAIN}/avatars/{aid}.png",
            "header": "",
            "header_static": "",
            "followers_count": followers,
            "following_count": 10,
            "statuses_count": 0,
            "last_status_at": None,
            "emojis": [],
            "fields": [],
        }
        self.accounts[aid] = account
        return account

    def upsert_customer(
        self,
        username: str,
        *,
        display_name: str | None = None,
        followers: int | None = None,
        bot: bool | None = None,
    ) -> dict[str, Any]:
        with self.lock:
            account = self.by_username(username)
            if account is None:
                account = self._add_account(
                    username,
                    display_name=display_name or username,
                    followers=followers or 0,
                    bot=bool(bot),
                )
            else:
                if display_name is not None:
                    account["display_name"] = display_name
                if followers is not None:
                    account["followers_count"] = followers
                if bot is not None:
                    account["bot"] = bot
            return account

    def by_username(self, username: str) -> dict[str, Any] | None:
        with self.lock:
            return next(
                (a for a in self.accounts.values() if a["username"].lower() == username.lower()),
                None,
            )

    def account_for_token(self, token: str | None) -> dict[str, Any] | None:
        with self.lock:
            aid = self.tokens.get(token or "")
            return self.accounts.get(aid) if aid else None

    def rate_hit(self, token: str) -> tuple[bool, int, int, float]:
        now = time.time()
        with self.lock:
            window = self._windows.setdefault(token, [])
            window[:] = [t for t in window if t > now - RATE_WINDOW]
            reset = (window[0] if window else now) + RATE_WINDOW
            if len(window) >= self.rate_limit:
                return False, self.rate_limit, 0, reset
            window.append(now)
            return True, self.rate_limit, self.rate_limit - len(window), reset

    # ------------------------------------------------------------------ statuses
    def post(
        self,
        account: dict[str, Any],
        text: str,
        *,
        in_reply_to_id: str | None = None,
        visibility: str = "public",
        language: str | None = None,
        idempotency_key: str | None = None,
        via: str = "api",
        spoiler_text: str = "",
        media: list[dict[str, Any]] | None = None,
        sensitive: bool = False,
        at: float | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Create a status (or, for a repeated Idempotency-Key, return the first); (status, created).

        ``spoiler_text`` is a content warning; ``media`` the attachments (``type``, ``description``),
        ``sensitive`` whether they are marked so (a content warning does not set it: a real server
        answers `"sensitive": false, "spoiler_text": "Content warning"`, Mastodon.py's recordings);
        ``at`` dates a customer's status in the past (its id is then of that moment, its mention
        notification still gets the next serial id)."""
        now = time.time() if at is None else at
        with self.lock:
            if idempotency_key:
                seen = self._idempotency.get((account["id"], idempotency_key))
                if seen and seen[1] > now - IDEMPOTENCY_SECONDS:
                    status = self.statuses[seen[0]]
                    self.writes.append(
                        {
                            "kind": "status",
                            "account": account["username"],
                            "status_id": status["id"],
                            "idempotency_key": idempotency_key,
                            "new": False,
                            "at": now,
                        }
                    )
                    return status, False
            parent = self.statuses.get(in_reply_to_id) if in_reply_to_id else None
            if in_reply_to_id and parent is None:
                raise LookupError(in_reply_to_id)
            mentions = []
            for name in MENTION.findall(text):
                mentioned = self.by_username(name)
                if mentioned and all(m["id"] != mentioned["id"] for m in mentions):
                    mentions.append(
                        {
                            "id": mentioned["id"],
                            "username": mentioned["username"],
                            "acct": mentioned["acct"],
                            "url": mentioned["url"],
                        }
                    )
            sid = self.new_id(at)
            status = {
                "id": sid,
                "created_at": iso(now),
                "in_reply_to_id": in_reply_to_id,
                "in_reply_to_account_id": parent["account_id"] if parent else None,
                "sensitive": sensitive,
                "spoiler_text": spoiler_text,
                "visibility": visibility,
                "language": language,
                "uri": f"https://{DOMAIN}/users/{account['username']}/statuses/{sid}",
                "url": f"https://{DOMAIN}/@{account['username']}/{sid}",
                "replies_count": 0,
                "reblogs_count": 0,
                "favourites_count": 0,
                "edited_at": None,
                "content": render_content(text, mentions),
                "text": text,
                "reblog": None,
                "account_id": account["id"],
                "media_attachments": [self._attachment(m) for m in media or []],
                "mentions": mentions,
                "tags": [],
                "emojis": [],
                "card": None,
                "poll": None,
                "idempotency_key": idempotency_key,
                "via": via,
            }
            self.statuses[sid] = status
            account["statuses_count"] += 1
            account["last_status_at"] = iso(now)[:10]
            if parent:
                parent["replies_count"] += 1
            for m in mentions:
                if m["id"] != account["id"]:
                    self.notifications.append(
                        {
                            "id": self.new_notification_id(),
                            "type": "mention",
                            "created_at": iso(now),
                            "account_id": account["id"],
                            "status_id": sid,
                            "for": m["id"],
                        }
                    )
            if idempotency_key:
                self._idempotency[(account["id"], idempotency_key)] = (sid, now)
            if via == "api":
                self.writes.append(
                    {
                        "kind": "status",
                        "account": account["username"],
                        "status_id": sid,
                        "idempotency_key": idempotency_key,
                        "new": True,
                        "at": now,
                    }
                )
            return status, True

    def _attachment(self, media: dict[str, Any]) -> dict[str, Any]:
        """A MediaAttachment as Mastodon renders it (https://docs.joinmastodon.org/entities/MediaAttachment/):
        files live on the instance's media host; ``description`` is the author's alt text."""
        mid = self.new_id()
        kind = media.get("type") or "image"
        ext = {"image": "png", "gifv": "mp4", "video": "mp4", "audio": "mp3"}.get(kind, "bin")
        path = f"media_attachments/files/{mid}"
        return {
            "id": mid,
            "type": kind,
            "url": f"https://files.{DOMAIN}/{path}/original/file.{ext}",
            "preview_url": f"https://files.{DOMAIN}/{path}/small/file.png",
            "remote_url": None,
            "meta": {},
            "description": media.get("description"),
            "blurhash": None,
        }

    def can_see(self, viewer: dict[str, Any], status: dict[str, Any]) -> bool:
        """Whether ``viewer`` may read the status: a direct or followers-only status is for its author
        and the accounts it mentions (nobody follows anybody here). Mastodon answers the others
        404, "Status does not exist or is private" (https://docs.joinmastodon.org/methods/statuses/#get)."""
        if status["visibility"] in ("public", "unlisted") or status["account_id"] == viewer["id"]:
            return True
        return any(m["id"] == viewer["id"] for m in status["mentions"])

    def delete_status(self, status_id: str) -> dict[str, Any]:
        """The author deletes a status: it is gone from the API, and so are the notifications about
        it (Mastodon removes a status's mention notifications with it)."""
        with self.lock:
            status = self.statuses.pop(status_id)
            self.notifications[:] = [n for n in self.notifications if n["status_id"] != status_id]
            self.deleted.append(
                {"status_id": status_id, "account_id": status["account_id"], "at": time.time()}
            )
            return status

    def favourite(self, account: dict[str, Any], status_id: str) -> dict[str, Any]:
        with self.lock:
            status = self.statuses[status_id]
            new = not any(
                f["account_id"] == account["id"] and f["status_id"] == status_id
                for f in self.favourites
            )
            if new:
                self.favourites.append(
                    {
                        "account_id": account["id"],
                        "username": account["username"],
                        "status_id": status_id,
                        "at": time.time(),
                    }
                )
                status["favourites_count"] += 1
            self.writes.append(
                {
                    "kind": "favourite",
                    "account": account["username"],
                    "status_id": status_id,
                    "new": new,
                    "at": time.time(),
                }
            )
            return status

    def reblog(self, account: dict[str, Any], status_id: str) -> dict[str, Any]:
        with self.lock:
            status = self.statuses[status_id]
            existing = next(
                (
                    r
                    for r in self.reblogs
                    if r["account_id"] == account["id"] and r["status_id"] == status_id
                ),
                None,
            )
            new = existing is None
            if new:
                existing = {
                    "account_id": account["id"],
                    "username": account["username"],
                    "status_id": status_id,
                    "id": self.new_id(),
                    "at": time.time(),
                }
                self.reblogs.append(existing)
                status["reblogs_count"] += 1
            self.writes.append(
                {
                    "kind": "reblog",
                    "account": account["username"],
                    "status_id": status_id,
                    "new": new,
                    "at": time.time(),
                }
            )
            return existing

    # ------------------------------------------------------------------ reading
    def mentions_for(self, account_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [n for n in self.notifications if n["for"] == account_id]

    def summary(self) -> dict[str, Any]:
        with self.lock:
            per_key: dict[str, int] = {}
            for w in self.writes:
                if w["kind"] == "status" and w.get("idempotency_key") and w["new"]:
                    per_key[w["idempotency_key"]] = per_key.get(w["idempotency_key"], 0) + 1
            return {
                "accounts": len(self.accounts),
                "statuses": len(self.statuses),
                "notifications": len(self.notifications),
                "favourites": len(self.favourites),
                "reblogs": len(self.reblogs),
                "deleted": len(self.deleted),
                "writes": len(self.writes),
                "statuses_created_per_idempotency_key": per_key,
                "rate_limit": self.rate_limit,
            }


def render_content(text: str, mentions: list[dict[str, Any]]) -> str:
    """Mastodon's HTML for a status: paragraphs, line breaks, mention links."""
    by_name = {m["username"].lower(): m for m in mentions}

    def link(match: re.Match) -> str:
        m = by_name.get(match.group(1).lower())
        if not m:
            return html.escape(match.group(0))
        return (
            f'<span class="h-card" translate="no"><a href="{m["url"]}" class="u-url mention">'
            f"@<span>{html.escape(m['username'])}</span></a></span>"
        )

    paragraphs = []
    for para in re.split(r"\n{2,}", text.strip()):
        parts, last = [], 0
        for match in MENTION.finditer(para):
            parts.append(html.escape(para[last : match.start()]))
            parts.append(link(match))
            last = match.end()
        parts.append(html.escape(para[last:]))
        paragraphs.append("<p>" + "".join(parts).replace("\n", "<br />") + "</p>")
    return "".join(paragraphs)
