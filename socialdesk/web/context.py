"""Template context every page needs."""

from django.contrib.auth import get_user_model
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from socialdesk.conversations.drafts import SENT_DRAFTS
from socialdesk.conversations.models import Reminder
from socialdesk.people.models import Notification


class HeaderCounts:
    """The header's two figures, the agent's reminders due (AG5) and unread notifications: read
    together in one statement, and only if the page shows them (the header of a full page; an
    htmx fragment or a redirect never asks)."""

    def __init__(self, user):
        self.user = user
        self.counts = None

    def _read(self) -> tuple[int, int]:
        if self.counts is None:

            def counted(qs):
                n = qs.order_by().values("user").annotate(n=Count("pk")).values("n")
                return Coalesce(Subquery(n, output_field=IntegerField()), 0)

            self.counts = (
                get_user_model()
                .objects.filter(pk=self.user.pk)
                .values_list(
                    counted(
                        Reminder.objects.filter(
                            user=OuterRef("pk"), done=False, due_at__lte=timezone.now()
                        )
                    ),
                    counted(
                        Notification.objects.filter(user=OuterRef("pk"), read_at__isnull=True)
                    ),
                )
                .first()
            ) or (0, 0)
        return self.counts

    def due_reminders(self) -> int:
        return self._read()[0]

    def unread_notifications(self) -> int:
        return self._read()[1]


def due_reminders(request) -> dict:
    """How many of the agent's reminders are due and how many notifications are unread: shown in
    the header on every page (AG5), counted when the template first asks (`HeaderCounts`)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    counts = HeaderCounts(user)
    return {
        "due_reminders": counts.due_reminders,
        "unread_notifications": counts.unread_notifications,
    }


def sent_drafts(request) -> dict:
    """Conversations whose drafts the browser should forget (composer.js reads them off <body>).

    Read once: the list is emptied by the page that tells the browser."""
    session = getattr(request, "session", None)
    if session is None or SENT_DRAFTS not in session:
        return {}
    return {"sent_drafts": ",".join(str(pk) for pk in session.pop(SENT_DRAFTS))}
