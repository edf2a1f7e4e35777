"""What every connector hands to ingestion and what it can do: nothing platform-specific leaks out."""

from dataclasses import dataclass, field
from datetime import datetime

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
    # Attention the message has had when fetched (triage's "a lot of attention" signal, TR7).
    likes: int = 0
    reposts: int = 0
    # Platform-neutral extras kept with the message and copied onto the conversation when the
    # conversation has a field of that name (see ingestion.metadata): "rating", "app_version",
    # "device", "android_version"; "our_reply" is a reply of ours the platform already shows.
    metadata: dict = field(default_factory=dict, compare=False, hash=False)
    raw: dict = field(default_factory=dict, compare=False, hash=False)


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


class ConnectorError(Exception):
    """A platform call failed. `retryable` says whether trying again later may succeed."""

    def __init__(self, message: str, *, retryable: bool, wait_until: float | None = None, status: int | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.wait_until = wait_until
        self.status = status


class OutcomeUnknown(ConnectorError):
    """The platform may have performed the action: reconcile before trying again."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message, retryable=True, status=status)
