"""Keep what a connector's platform-neutral `metadata` says about the conversation (CH3, CH6).

A review's star rating, device and app version go onto the conversation (the latest version of
the review wins), so queues and filters can use them. A reply of ours the platform already shows
(e.g. a developer reply written in the Play Console) is stored once as an outbound message
marked `existing`, so agents see it before they answer.
"""

from datetime import datetime

from socialdesk.connectors.base import InboundMessage
from socialdesk.conversations.models import Activity, Conversation, Direction, Message

CONVERSATION_FIELDS = ("rating", "app_version", "device", "android_version")


def apply_metadata(*, conversation: Conversation, message: Message, msg: InboundMessage) -> None:
    # Checked and fitted to the columns already, at the boundary (ingestion.boundary).
    meta = msg.metadata or {}
    updates = {}
    for name in CONVERSATION_FIELDS:
        value = meta.get(name)
        if value is None or value == "":
            continue
        if getattr(conversation, name) != value:
            updates[name] = value
    our_reply = meta.get("our_reply")
    if our_reply and our_reply.get("platform_id") and our_reply.get("text"):
        if _store_existing_reply(conversation=conversation, message=message, reply=our_reply):
            updates["awaiting_reply"] = False
    if updates:
        Conversation.objects.filter(pk=conversation.pk).update(**updates)
        for name, value in updates.items():
            setattr(conversation, name, value)


def _store_existing_reply(*, conversation: Conversation, message: Message, reply: dict) -> bool:
    """Store the platform's copy of our reply once; True when it answers the customer's message."""
    if Message.objects.filter(platform=message.platform, platform_id=reply["platform_id"]).exists():
        # Known already: it is the platform's copy of a reply sent from here, or seen before.
        return False
    created_at = reply.get("created_at") or message.created_at
    if isinstance(created_at, str):
        created_at = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    existing = Message.objects.create(
        conversation=conversation, direction=Direction.OUTBOUND, platform=message.platform,
        platform_id=reply["platform_id"], in_reply_to_platform_id=message.platform_id,
        account=conversation.respond_from or conversation.account, text=reply["text"],
        created_at=created_at, metadata={"existing": True},
    )
    Activity.objects.create(conversation=conversation, kind="existing_reply_found", detail={"message": existing.pk})
    return created_at >= message.created_at
