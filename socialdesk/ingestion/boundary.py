"""Make whatever a connector hands to ingestion storable, the same way for every platform.

Platforms send what they like: NUL characters (PostgreSQL refuses them in text and in JSON),
halves of surrogate pairs (no database encoding takes them), names longer than our columns,
numbers out of range, fields missing or of the wrong type. `storable` is the first step of
ingestion: it fits a normalised message to the columns it goes into, reading their sizes from
the models. Text is cleaned, never shortened; names and handles are cut to their column without
splitting a character. What cannot be fitted without changing what the message *is* (its own id,
its author's id) raises `Unstorable`, and ingestion sets the message aside instead.
"""

import hashlib
import json
import math
import re
import unicodedata
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime

from socialdesk.brands.models import Platform
from socialdesk.connectors import messages as says
from socialdesk.connectors.base import InboundAuthor, InboundMessage
from socialdesk.conversations.models import Author, Conversation, Message

# The largest value a PositiveIntegerField holds on every database we support (PostgreSQL's integer).
INT_MAX = 2**31 - 1
# A language is a code ("en", "pt-br"): anything else is no language rather than a wrong one.
LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{1,8})*")
SURROGATE = re.compile("[\ud800-\udfff]")
ZWJ = "\u200d"


class Unstorable(ValueError):
    """The message cannot be stored as it is without changing what it is; it is set aside."""


def _limit(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def clean(value) -> str:
    """Any value as text a database takes: NULs removed, lone surrogates replaced by U+FFFD."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    if value.isascii():
        # Most of a payload: no surrogate is ASCII, so only NULs are left to look for.
        return value.replace("\x00", "") if "\x00" in value else value
    if "\x00" in value:
        value = value.replace("\x00", "")
    if SURROGATE.search(value):
        # Through UTF-16: a high and a low half in a row become the character they encode,
        # a half on its own becomes U+FFFD.
        value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return value


def _continues(text: str, i: int) -> bool:
    """Whether text[i] belongs to the character before it (a combining mark, a joiner, a variation
    selector, a skin tone, a flag's second half...), so a cut before it would split what people see."""
    ch, before = text[i], text[i - 1]
    if before == ZWJ or ch == ZWJ or unicodedata.category(ch) in ("Mn", "Mc", "Me"):
        return True
    if (
        "\ufe00" <= ch <= "\ufe0f"
        or "\U0001f3fb" <= ch <= "\U0001f3ff"
        or "\U000e0020" <= ch <= "\U000e007f"
    ):
        return True
    if _regional(ch) and _regional(before):
        # Flags are pairs of regional indicators: a cut may fall between two flags, not inside one.
        run = 0
        while i - run - 1 >= 0 and _regional(text[i - run - 1]):
            run += 1
        return run % 2 == 1
    return False


def _regional(ch: str) -> bool:
    return "\U0001f1e6" <= ch <= "\U0001f1ff"


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, cut before the character a cut would split."""
    if len(text) <= limit:
        return text
    end = limit
    while end > 0 and _continues(text, end):
        end -= 1
    # A run of marks longer than the column (no character to cut before): a plain cut then.
    return text[:end] if end > 0 else text[:limit]


def fit(value, model, name: str) -> str:
    """A value for a bounded text column: cleaned and cut to the column's size."""
    return cut(clean(value), _limit(model, name))


def is_storable_id(value, limit: int = _limit(Message, "platform_id")) -> bool:
    """A platform's id as it is, or not at all: an id cut or cleaned would be another message's."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= limit
        and "\x00" not in value
        and not SURROGATE.search(value)
    )


def jsonable(value):
    """A copy of a payload that every database's JSON column takes: strings cleaned, keys as
    strings, NaN and infinities as text, anything else JSON has no type for as its text."""
    kind = type(value)
    # The usual types first, by their exact type (a payload is mostly these).
    if kind is dict:
        return {clean(k): jsonable(v) for k, v in value.items()}
    if kind is str:
        return clean(value)
    if kind is int or kind is bool or value is None:
        return value
    if isinstance(value, str):
        return clean(value)
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {clean(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return clean(value)


def exact_json(value) -> str:
    """A payload as JSON text with every non-ASCII character escaped: NULs and lone surrogates
    survive in any text column on any database, and `json.loads` gives back what was received."""
    return json.dumps(value, ensure_ascii=True, default=str)


def set_aside_key(platform_id, payload: str) -> str:
    """What identifies a set-aside message: its platform id, or a digest of what was received
    when there is no usable id (so the same item read again is still one row)."""
    if is_storable_id(platform_id):
        return platform_id
    return "sha256:" + hashlib.sha256(payload.encode("ascii")).hexdigest()


def as_json(msg) -> str:
    """A normalised message as exact JSON (without its raw payload, kept beside it)."""

    def plain(obj):
        if is_dataclass(obj) and not isinstance(obj, type):
            return {f.name: plain(getattr(obj, f.name)) for f in fields(obj) if f.name != "raw"}
        if isinstance(obj, datetime):
            return obj.isoformat()
        if isinstance(obj, tuple):
            return [plain(v) for v in obj]
        return obj

    return exact_json(plain(msg))


def from_json(text: str, raw) -> InboundMessage:
    """The normalised message `as_json` wrote; what it holds is checked again by `storable`."""
    data = json.loads(text)
    author = data.get("author")
    data["author"] = InboundAuthor(**author) if isinstance(author, dict) else author
    data["mentioned_account_ids"] = tuple(data.get("mentioned_account_ids") or ())
    return InboundMessage(**data, raw=raw)


def _created_at(value) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise Unstorable(says.NOT_A_TIME % {"value": repr(clean(value)[:40])}) from None
    if not isinstance(value, datetime):
        raise Unstorable(says.NO_TIME)
    if value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)  # platforms give times in UTC
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise Unstorable(says.TIME_OUT_OF_RANGE % {"value": value.isoformat()}) from None


# What `_id` says of each id it refuses: (none, too long, characters no database stores).
_ID_SENTENCES = {
    "platform id": (says.NO_PLATFORM_ID, says.PLATFORM_ID_TOO_LONG, says.PLATFORM_ID_CHARACTERS),
    "author id": (says.NO_AUTHOR_ID, says.AUTHOR_ID_TOO_LONG, says.AUTHOR_ID_CHARACTERS),
}


def _id(value, what: str, limit: int) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if is_storable_id(value, limit):
        return value
    missing, too_long, characters = _ID_SENTENCES[what]
    if not isinstance(value, str) or not value:
        raise Unstorable(missing)
    if len(value) > limit:
        raise Unstorable(too_long % {"length": len(value), "limit": limit})
    raise Unstorable(characters)


def _reference(value, limit: int) -> str:
    """An id the message points at (a parent, a thread): kept as it is, or dropped."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value if is_storable_id(value, limit) else ""


def _count(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return min(max(value, 0), INT_MAX)


def _language(value) -> str:
    value = clean(value).strip().lower()
    return value if len(value) <= _limit(Message, "language") and LANGUAGE.fullmatch(value) else ""


def _url(value) -> str:
    value = clean(value).strip()
    ok = (
        value.startswith(("https://", "http://"))
        and len(value) <= _limit(Author, "profile_image_url")
        and not any(c.isspace() for c in value)
    )
    return value if ok else ""


def _metadata(value) -> dict:
    """The platform-neutral extras, with the ones that go into columns checked (ingestion.metadata)."""
    meta = jsonable(value) if isinstance(value, dict) else {}
    rating = meta.get("rating")
    if rating is not None:
        if isinstance(rating, str) and rating.strip().isdecimal() and len(rating) < 3:
            rating = int(rating)
        meta["rating"] = (
            rating
            if isinstance(rating, int) and not isinstance(rating, bool) and 1 <= rating <= 5
            else None
        )
    for name in ("app_version", "device", "android_version"):
        if name in meta:
            meta[name] = (
                ""
                if meta[name] is None or isinstance(meta[name], (dict, list))
                else fit(meta[name], Conversation, name)
            )
    reply = meta.get("our_reply")
    if reply is not None:
        meta["our_reply"] = _our_reply(reply)
        if meta["our_reply"] is None:
            del meta["our_reply"]
    return meta


def _our_reply(reply) -> dict | None:
    if (
        not isinstance(reply, dict)
        or not is_storable_id(reply.get("platform_id"))
        or not isinstance(reply.get("text"), str)
        or not reply["text"].strip()
    ):
        return None  # it stays in the raw payload
    kept = {"platform_id": reply["platform_id"], "text": reply["text"]}
    try:
        kept["created_at"] = _created_at(reply.get("created_at")).isoformat()
    except Unstorable:
        pass  # ingestion.metadata dates it with the customer's message
    return kept


def storable(msg: InboundMessage) -> InboundMessage:
    """The message as it can be stored, or `Unstorable` saying why not."""
    if not isinstance(msg, InboundMessage):
        raise Unstorable(says.NOT_A_MESSAGE % {"kind": type(msg).__name__})
    if msg.platform not in Platform.values:
        raise Unstorable(says.UNKNOWN_PLATFORM % {"value": repr(clean(msg.platform)[:40])})
    platform_id = _id(msg.platform_id, "platform id", _limit(Message, "platform_id"))
    author = msg.author
    if not isinstance(author, InboundAuthor):
        raise Unstorable(says.NO_AUTHOR)
    external_id = _id(author.external_id, "author id", _limit(Author, "external_id"))
    # The conversation's thread key is "<thread id>:<author id>": a thread id it has no room for
    # is no thread (the message starts its own).
    thread_id = _reference(msg.thread_id, _limit(Message, "platform_id"))
    if not thread_id or len(thread_id) + 1 + len(external_id) > _limit(Conversation, "thread_key"):
        thread_id = platform_id
    if len(thread_id) + 1 + len(external_id) > _limit(Conversation, "thread_key"):
        raise Unstorable(says.IDS_TOO_LONG)
    mentioned = msg.mentioned_account_ids
    if isinstance(mentioned, str) or not isinstance(mentioned, (list, tuple, set, frozenset)):
        mentioned = (mentioned,) if mentioned else ()
    return InboundMessage(
        platform=msg.platform,
        platform_id=platform_id,
        author=InboundAuthor(
            external_id=external_id,
            handle=fit(author.handle, Author, "handle"),
            name=fit(author.name, Author, "name"),
            followers=_count(author.followers),
            verified=author.verified is True,
            profile_image_url=_url(author.profile_image_url),
        ),
        # The customer's words are kept whole: only what no database takes is replaced.
        text=clean(msg.text),
        created_at=_created_at(msg.created_at),
        thread_id=thread_id,
        in_reply_to_id=_reference(msg.in_reply_to_id, _limit(Message, "in_reply_to_platform_id")),
        language=_language(msg.language),
        mentioned_account_ids=tuple(i for i in (_reference(m, 10_000) for m in mentioned) if i),
        is_repost=msg.is_repost is True,
        private=msg.private is True,
        likes=_count(msg.likes),
        reposts=_count(msg.reposts),
        metadata=_metadata(msg.metadata),
        raw=jsonable(msg.raw) if isinstance(msg.raw, dict) else {"raw": jsonable(msg.raw)},
    )
