"""Ingestion filters (CH8): decide what stays out of the queues, and keep it, with the reason."""

import re
from dataclasses import asdict
from datetime import datetime

from socialdesk.connectors.base import InboundAuthor, InboundMessage

from .models import FilteredMessage, FilterReason, FilterSettings

LINK = re.compile(r"https?://\S+", re.I)
HASHTAG = re.compile(r"#(\w+)")


class Rules:
    """The settings read once per page, so a change applies from the next poll on."""

    def __init__(self, settings: FilterSettings):
        self.s = settings
        self.allowed_hashtags = set(settings.lines(settings.allowed_hashtags))
        self.banned = set(settings.lines(settings.banned_authors))
        self.brand_words = settings.lines(settings.brand_words_in_handles)
        self.muted = settings.lines(settings.muted_words)

    @classmethod
    def load(cls) -> "Rules":
        return cls(FilterSettings.current())

    def reason(
        self, msg: InboundMessage, *, mentions_us: bool, replies_to_known: bool
    ) -> tuple[str, str] | None:
        handle = (msg.author.handle or "").lower()
        text = msg.text.lower()
        if msg.is_repost and self.s.drop_reposts:
            return FilterReason.REPOST, ""
        if handle and handle in self.banned:
            return FilterReason.BANNED_AUTHOR, handle
        word = next((w for w in self.brand_words if w and w in handle), None)
        if word:
            return FilterReason.FAN_ACCOUNT, word
        muted = next((w for w in self.muted if w in text), None)
        if muted:
            return FilterReason.MUTED, muted
        if (
            self.s.drop_unrelated_replies
            and msg.in_reply_to_id
            and not mentions_us
            and not replies_to_known
        ):
            return FilterReason.UNRELATED_REPLY, ""
        if self.s.drop_links and LINK.search(msg.text):
            tags = {t.lower() for t in HASHTAG.findall(msg.text)}
            if not tags & self.allowed_hashtags:
                return FilterReason.LINK, ""
        return None


def keep_out(msg: InboundMessage, reason: str, detail: str) -> bool:
    """Keep a filtered message (once); True when it was new. `msg` is storable already (ingestion.boundary)."""
    from .boundary import fit

    data = asdict(msg)
    data["created_at"] = msg.created_at.isoformat()
    _, created = FilteredMessage.objects.get_or_create(
        platform=msg.platform,
        platform_id=msg.platform_id,
        defaults=dict(
            reason=reason,
            detail=fit(detail, FilteredMessage, "detail"),
            author_handle=fit(msg.author.handle, FilteredMessage, "author_handle"),
            text=msg.text,
            normalised=data,
        ),
    )
    return created


def restore(filtered: FilteredMessage) -> InboundMessage:
    data = dict(filtered.normalised)
    data["author"] = InboundAuthor(**data["author"])
    data["created_at"] = datetime.fromisoformat(data["created_at"])
    data["mentioned_account_ids"] = tuple(data.get("mentioned_account_ids") or ())
    return InboundMessage(**data)
