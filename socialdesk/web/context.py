"""Template context every page needs."""

from django.utils import timezone

from socialdesk.conversations.drafts import SENT_DRAFTS


def due_reminders(request) -> dict:
    """How many of the agent's reminders are due: shown in the header on every page (AG5)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from socialdesk.conversations.models import Reminder

    return {
        "due_reminders": Reminder.objects.filter(
            user=user, done=False, due_at__lte=timezone.now()
        ).count()
    }


def sent_drafts(request) -> dict:
    """Conversations whose drafts the browser should forget (composer.js reads them off <body>).

    Read once: the list is emptied by the page that tells the browser."""
    session = getattr(request, "session", None)
    if session is None or SENT_DRAFTS not in session:
        return {}
    return {"sent_drafts": ",".join(str(pk) for pk in session.pop(SENT_DRAFTS))}
