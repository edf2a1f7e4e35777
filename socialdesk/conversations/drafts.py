"""Replies' drafts live in the browser (composer.js); the server tells it which ones were sent."""

# The session key under which the reply view lists conversations whose reply the server accepted.
SENT_DRAFTS = "sent_drafts"


def draft_sent(request, conversation_id: int) -> None:
    """The reply to this conversation was accepted: the browser may forget its draft."""
    sent = request.session.get(SENT_DRAFTS, [])
    request.session[SENT_DRAFTS] = [*sent[-9:], conversation_id]
