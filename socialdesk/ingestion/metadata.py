"""Keep what a connector's platform-neutral `metadata` says about the conversation (CH3, CH6).

A review's star rating, device and app version go onto the conversation (the latest version of
the review wins), so queues and filters can use them. A reply of ours the platform already shows
(e.g. a developer reply written in the Play Console) is stored once as an outbound message
marked `existing`, so agents see it before they answer.

Nothing here writes: ingestion stores a page with a few bulk statements, so these functions
change the conversation in memory and hand back the reply to store; ingestion writes both.
"""

from datetime import datetime

from socialdesk.connectors.base import InboundMessage
from socialdesk.conversations.models import Conversation, Direction, Message

CONVERSATION_FIELDS = ("rating", "app_version", "device", "android_version")


def apply_metadata(
    *, conversation: Conversation, message: Message, msg: InboundMessage
) -> Message | None:
    """Set the metadata's fields on `conversation` (in memory) and return the reply of ours the
    platform shows with the message, as an unsaved outbound message, or None. Ingestion stores the
    reply unless a message with its platform id exists already (the platform's copy of a reply
    sent from here, or one seen before); see `answers`."""
    # Checked and fitted to the columns already, at the boundary (ingestion.boundary).
    meta = msg.metadata or {}
    for name in CONVERSATION_FIELDS:
        value = meta.get(name)
        if value is None or value == "":
            continue
        if getattr(conversation, name) != value:
            setattr(conversation, name, value)
    reply = meta.get("our_reply")
    if not (reply and reply.get("platform_id") and reply.get("text")):
        return None
    created_at = reply.get("created_at") or message.created_at
    if isinstance(created_at, str):
        created_at = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    return Message(
        conversation=conversation,
        direction=Direction.OUTBOUND,
        platform=message.platform,
        platform_id=reply["platform_id"],
        in_reply_to_platform_id=message.platform_id,
        account_id=conversation.respond_from_id or conversation.account_id,
        text=reply["text"],
        created_at=created_at,
        metadata={"existing": True},
    )


def answers(reply: Message, message: Message) -> bool:
    """Whether our reply on the platform answers the customer's message (it is not older)."""
    return reply.created_at >= message.created_at
