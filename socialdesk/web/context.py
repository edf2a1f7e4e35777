"""Template context every page needs."""

from django.utils import timezone


def due_reminders(request) -> dict:
    """How many of the agent's reminders are due: shown in the header on every page (AG5)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from socialdesk.conversations.models import Reminder

    return {"due_reminders": Reminder.objects.filter(user=user, done=False, due_at__lte=timezone.now()).count()}
