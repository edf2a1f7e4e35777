"""What every connector hands to ingestion and what it can do: nothing platform-specific leaks out."""

import inspect
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from . import messages as says

# How far back an account's first poll reads: a support desk answers this week's questions, not
# last year's (Google Play's review list shows a week too).
FIRST_POLL_DAYS = 7


@dataclass(frozen=True)
class InboundAuthor:
    external_id: str
    handle: str = ""
    name: str = ""
    followers: int = 0
    verified: bool = False
    profile_image_url: str = ""


@dataclass(frozen=True)
class InboundMessage:
    """One customer message, normalised."""

    platform: str
    platform_id: str
    author: InboundAuthor
    text: str
    created_at: datetime
    # The platform's thread this message belongs to (X: conversation_id); its root message id.
    thread_id: str
    in_reply_to_id: str = ""
    language: str = ""
    # External ids of accounts the message mentions (ingestion keeps those that are ours).
    mentioned_account_ids: tuple[str, ...] = ()
    is_repost: bool = False
    # A private message (Mastodon: a status of visibility "direct"), stored in `Message.private`:
    # the queues' "Containing private message" filter reads it.
    private: bool = False
    # Attention the message has had when fetched (triage's "a lot of attention" signal, TR7).
    likes: int = 0
    reposts: int = 0
    # Platform-neutral extras kept with the message and copied onto the conversation when the
    # conversation has a field of that name (see ingestion.metadata): "rating", "app_version",
    # "device", "android_version"; "our_reply" is a reply of ours the platform already shows.
    metadata: dict = field(default_factory=dict, compare=False, hash=False)
    raw: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Unreadable:
    """One item of a page that its connector could not normalise: kept as the platform sent it.

    Ingestion sets it aside (visible on the health page, retried by a community manager once the
    connector reads it), so one odd item never costs the rest of its page."""

    platform: str
    # The item in the shape of `InboundMessage.raw`, so the connector can read it again on a retry.
    raw: dict
    error: str
    # The platform's id of the message when it could be read; "" when not.
    platform_id: str = ""
    # The platform's answer left out what the message cannot be stored without (`Incomplete`):
    # it waits, and the next polls of its account read it again, asking the platform once more.
    waiting: bool = False
    # What could be read of a waiting message, shown with it while it waits.
    text: str = ""
    author: str = ""


@dataclass(frozen=True)
class FetchResult:
    messages: list[InboundMessage]
    # Where the next poll starts (since_id); unchanged when nothing new arrived.
    cursor: str
    # Epoch seconds until which the platform asks us not to call again, or None.
    wait_until: float | None = None
    # A page after the first failed: what came before it is here, the cursor points at it, and
    # this says why (shown on the health page).
    error: str = ""
    # Items of the pages read that the connector could not normalise; the cursor moves past them
    # only because ingestion keeps them.
    unreadable: list[Unreadable] = field(default_factory=list)


def read_each(
    items: Iterable, normalise: Callable, *, platform: str, raw: Callable, platform_id: Callable
) -> tuple[list[InboundMessage], list[Unreadable]]:
    """Normalise a page item by item: an item that cannot be read is kept raw, the others go on.

    `normalise(item)` returns an InboundMessage or None (not a customer message); `raw(item)` is
    what is kept of an unreadable item; `platform_id(item)` its id if it can be told."""
    messages: list[InboundMessage] = []
    unreadable: list[Unreadable] = []
    for item in items:
        try:
            message = normalise(item)
        except Incomplete as exc:
            unreadable.append(
                Unreadable(
                    platform=platform,
                    raw=_best_effort(raw, item, {"item": item}),
                    error=str(exc),
                    platform_id=_best_effort(platform_id, item, ""),
                    waiting=True,
                    text=exc.text,
                    author=exc.author,
                )
            )
            continue
        except Exception as exc:  # noqa: BLE001 - whatever breaks on this item stays with this item
            unreadable.append(
                Unreadable(
                    platform=platform,
                    raw=_best_effort(raw, item, {"item": item}),
                    error=f"{exc.__class__.__name__}: {exc}",
                    platform_id=_best_effort(platform_id, item, ""),
                )
            )
            continue
        if message is not None:
            messages.append(message)
    return messages, unreadable


def _best_effort(read, item, default):
    try:
        value = read(item)
    except Exception:  # noqa: BLE001 - only used to describe an item that is already broken
        return default
    return value if isinstance(value, type(default)) else default


# Optional fields arrive missing, null or of another type: these read them with an honest default
# instead of failing the message.


def mapping(value) -> dict:
    return value if isinstance(value, dict) else {}


def sequence(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else []


def text(value) -> str:
    """A string field: None is empty; numbers become their digits; containers and true/false are not text."""
    if value is None or isinstance(value, (bool, dict, list, tuple)):
        return ""
    return value if isinstance(value, str) else str(value)


def count(value) -> int:
    """A counter (followers, likes): a non-negative integer, 0 when the platform sends anything else."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value > 0 else 0
    if isinstance(value, str) and value.strip().isdecimal() and len(value) < 30:
        value = int(value)
    return value if isinstance(value, int) and value > 0 else 0


class Incomplete(ValueError):
    """The platform's answer left out something a message cannot be stored without (who wrote it,
    say), and asking again did not bring it: the message waits, with this as its reason, instead of
    being stored wrong. The message says what is missing and why, for the people who see it;
    `text` and `author` are what could be read of the message, shown with it while it waits."""

    def __init__(self, message: str, *, text: str = "", author: str = ""):
        super().__init__(message)
        self.text, self.author = text, author


class ConnectorError(Exception):
    """A platform call failed. `retryable` says whether trying again later may succeed."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        wait_until: float | None = None,
        status: int | None = None,
    ):
        super().__init__(message)
        self.retryable = retryable
        self.wait_until = wait_until
        self.status = status


class OutcomeUnknown(ConnectorError):
    """The platform may have performed the action: reconcile before trying again."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message, retryable=True, status=status)


class CredentialsRejected(ConnectorError):
    """The platform refused the account's credentials and renewing them did not help (or cannot):
    someone must reconnect the account. Until then the outbox keeps the account's actions waiting.

    `read_only`: the credentials work, but only for reading (an X app-only token asked to post)."""

    def __init__(self, message: str, *, read_only: bool = False, status: int | None = 401):
        super().__init__(message, retryable=False, status=status)
        self.read_only = read_only


class AlreadyPosted(ConnectorError):
    """The platform refused a post because it already has the same one from this account (X's
    "duplicate content"). After an attempt whose outcome was unknown, that attempt went through."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message, retryable=False, status=status)


class NotSupported(ConnectorError):
    """The platform has no such action (a Google Play review cannot be liked): never retried."""

    def __init__(self, message: str):
        super().__init__(message, retryable=False)


class Capability(StrEnum):
    """What a connector may do beyond reading its streams and replying. Each connector declares
    its own in `capabilities`; the rest of the desk asks `connector.can(...)`, never `hasattr`."""

    LIKES = "likes"  # like(target_id=...)
    REPOSTS = "reposts"  # repost(target_id=...); `repost_name` is what the platform calls one
    DMS = "dms"  # dm_link(recipient_id=...): a link that opens a private message to the account
    DELETION_CHECKS = "deletion_checks"  # deleted(platform_ids): which of them are gone
    RECONCILIATION = (
        "reconciliation"  # find_reply(...): a reply of an attempt whose outcome is unknown
    )
    MEDIA = "media"  # reply(..., media=[(path, content_type), ...])
    # reread(raws): messages the platform sent incomplete (set aside, waiting), asked for again
    REREADING = "rereading"


# The method each capability brings; MEDIA is an argument of `reply`.
CAPABILITY_METHODS = {
    Capability.LIKES: "like",
    Capability.REPOSTS: "repost",
    Capability.DMS: "dm_link",
    Capability.DELETION_CHECKS: "deleted",
    Capability.RECONCILIATION: "find_reply",
    Capability.REREADING: "reread",
}


class Connector(ABC):
    """A platform's connector: the only code that knows the platform (`connectors.registry`
    picks one for an account). Reading and replying are required; the rest is declared in
    `capabilities`, and a connector that declares one must implement its method (and one that
    implements a method declares it): checked when the class is defined."""

    platform: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    # What the platform calls a repost, as the UI says it ("Retweet", "Boost").
    repost_name: ClassVar[str] = "Repost"
    # How often the deletion check may run for one account (0: at every run of the job).
    deleted_check_seconds: ClassVar[int] = 0

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for capability, name in CAPABILITY_METHODS.items():
            implemented = inspect.getattr_static(cls, name) is not inspect.getattr_static(
                Connector, name
            )
            if implemented != (capability in cls.capabilities):
                raise TypeError(
                    f"{cls.__name__}: `{name}` is {'implemented' if implemented else 'missing'} "
                    f"but the capability {capability.value!r} is {'not ' if implemented else ''}declared"
                )

    @classmethod
    def can(cls, capability: Capability) -> bool:
        return capability in cls.capabilities

    @abstractmethod
    def streams(self) -> list[tuple[str, Callable[..., FetchResult]]]:
        """The account's polled streams: (name, fetch(cursor=...) -> FetchResult)."""

    @abstractmethod
    def check(self) -> None:
        """One call that proves the credentials; raises ConnectorError when they do not work."""

    @abstractmethod
    def reply(self, *, text: str, in_reply_to_id: str, idempotency_key: str, **media) -> str:
        """Post a reply; returns its platform id. Takes `media=` only with Capability.MEDIA."""

    def like(self, *, target_id: str) -> None:
        raise NotSupported(says.CANNOT_LIKE % {"connector": self._name()})

    def repost(self, *, target_id: str) -> None:
        raise NotSupported(says.CANNOT_REPOST % {"connector": self._name()})

    @classmethod
    def dm_link(cls, *, recipient_id: str) -> str:
        raise NotSupported(says.NO_DM_LINK % {"connector": cls._name()})

    def deleted(self, platform_ids: list[str]) -> list[str]:
        raise NotSupported(says.CANNOT_TELL_DELETED % {"connector": self._name()})

    def find_reply(self, *, in_reply_to_id: str, text: str) -> str | None:
        raise NotSupported(says.CANNOT_FIND_REPLY % {"connector": self._name()})

    def reread(self, raws: list[dict]) -> list:
        raise NotSupported(says.CANNOT_REREAD % {"connector": self._name()})

    @classmethod
    def _name(cls) -> str:
        return getattr(cls, "platform", cls.__name__)
