"""Notifications: in the app (the bell in the header, /notifications/) and, for the kinds each
person chooses in personal settings, by email through Django's email backend.

The places where things happen call one function each (or, for the conversations' actions, the
activity log they already write is read by a signal receiver, people/signals.py):

    notify(KIND, users=[...], text="...", url="...", key="...")
"""

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import TextChoices
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .mail import send_later
from .models import Notification, Profile, Role

log = logging.getLogger(__name__)


class Kind(TextChoices):
    REMINDER_DUE = "reminder_due", _("A reminder of mine is due")
    ASSIGNED = "assigned", _("A conversation was assigned to me")
    REPLY_APPROVED = "reply_approved", _("A reply of mine was approved")
    REPLY_RETURNED = "reply_returned", _("A reply of mine was sent back")
    APPLICATION_WAITING = "application_waiting", _("An application waits for review")
    CONNECTION_FAILED = "connection_failed", _("An account's connection failed")
    EMAIL_FAILED = "email_failed", _("An email could not be sent")


# Who may get each kind (the lowest role); the settings page only offers these.
FOR_ROLE = {
    Kind.APPLICATION_WAITING: Role.COMMUNITY_MANAGER,
    Kind.CONNECTION_FAILED: Role.COMMUNITY_MANAGER,
    Kind.EMAIL_FAILED: Role.ADMIN,
}
# Only under the bell, never emailed: the mail server is what failed (an email about it would
# fail too, and be retried, and fail again).
IN_APP_ONLY = frozenset({Kind.EMAIL_FAILED})
# Sent by email too unless the person turned it off (an approval is good news, not urgent).
EMAIL_BY_DEFAULT = frozenset(Kind) - {Kind.REPLY_APPROVED} - IN_APP_ONLY


def kinds_for(user) -> list[Kind]:
    """The kinds a person may choose to get by email too (their role's, emailable ones)."""
    from .models import has_role

    return [
        k
        for k in Kind
        if k not in IN_APP_ONLY and has_role(user, FOR_ROLE.get(k, Role.CONTRIBUTOR))
    ]


def email_kinds(user) -> set[str]:
    try:
        chosen = user.profile.email_notifications
    except (Profile.DoesNotExist, AttributeError):
        chosen = None
    if not isinstance(chosen, list):
        return set(EMAIL_BY_DEFAULT)
    return {k for k in chosen if k in Kind.values and k not in IN_APP_ONLY}


def set_email_kinds(*, user, kinds: Iterable[str]) -> None:
    chosen = sorted({k for k in kinds if k in Kind.values})
    Profile.objects.filter(user=user).update(email_notifications=chosen)


def notify(
    kind: Kind, *, users: Iterable, text: str | Callable[[], str], url: str = "", key: str = ""
) -> int:
    """Tell each of `users` (active ones; the same user once); by email too for those who chose
    it. With a `key`, a person already told about it is not told again. Returns how many were.
    `text` may be a function that writes it: it is then written in each person's language."""
    told = []
    seen = set()
    for user in users:
        if user is None or not user.is_active or user.pk in seen:
            continue
        seen.add(user.pk)
        if callable(text):
            with in_language_of(user):
                theirs = str(text())
        else:
            theirs = text
        try:
            with transaction.atomic():
                Notification.objects.create(
                    user=user, kind=kind, text=theirs[:300], url=url[:300], key=key[:100]
                )
        except IntegrityError:  # told already (same key)
            continue
        told.append((user, theirs))
    mailed = [
        (u, theirs) for u, theirs in told if u.email and kind in email_kinds(u) - IN_APP_ONLY
    ]
    if mailed:
        transaction.on_commit(lambda: _email(kind, mailed, url))
    return len(told)


def notify_role(
    kind: Kind, *, role: str, text: str | Callable[[], str], url: str = "", key: str = ""
) -> int:
    """Tell everyone with `role` or a higher one."""
    from .models import ROLE_RANK

    roles = [r for r, rank in ROLE_RANK.items() if rank >= ROLE_RANK[Role(role)]]
    users = get_user_model().objects.filter(is_active=True, profile__role__in=roles)
    return notify(kind, users=users.select_related("profile"), text=text, url=url, key=key)


def in_language_of(user):
    """Text written for `user` (a notification, an email) is in their language: the one they
    chose, else the desk's default (a background job has no browser to ask); its times in
    their zone."""
    from .languages import writing_to_user

    return writing_to_user(user)


def _email(kind: Kind, users: list, url: str) -> None:
    link = f"{settings.SOCIALDESK_PUBLIC_URL}{url}" if url else ""
    manage = f"{settings.SOCIALDESK_PUBLIC_URL}{reverse('personal_settings')}"
    for user, text in users:
        with in_language_of(user):
            why = gettext(
                "You get this email because “%(kind)s” is on in your settings: %(manage)s"
            )
            body = "\n\n".join(
                part
                for part in (text, link, why % {"kind": Kind(kind).label, "manage": manage})
                if part
            )
        # A mail server down fails the task (logged there); the bell still has it.
        send_later(f"Socialdesk: {text[:120]}", body, [user.email])


def mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    rows = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=timezone.now())


# --- The events ---------------------------------------------------------------------------------


def reminders_due(now=None) -> int:
    """The scheduler's job: each reminder that came due (in the last week) is told once to its
    person, with its time in their zone."""
    # cycle: people <-> conversations (conversations need brands, whose accounts need people)
    from socialdesk.conversations.models import Reminder

    now = now or timezone.now()
    due = list(
        Reminder.objects.filter(
            done=False, due_at__lte=now, due_at__gt=now - timedelta(days=7)
        ).select_related("user__profile", "conversation__author")[:500]
    )
    keys = {f"reminder:{r.pk}" for r in due}
    told = set(Notification.objects.filter(key__in=keys).values_list("key", flat=True))
    n = 0
    for r in due:
        key = f"reminder:{r.pk}"
        if key in told:
            continue
        zone = _zone(r.user)
        at = timezone.localtime(r.due_at, zone)
        with in_language_of(r.user):
            text = gettext("Reminder (%(time)s %(zone)s): %(conversation)s") % {
                "time": f"{at:%H:%M}",
                "zone": zone.key,
                "conversation": r.conversation,
            }
        if r.note:
            text += f" — {r.note}"
        n += notify(
            Kind.REMINDER_DUE,
            users=[r.user],
            text=text,
            url=reverse("conversation", args=[r.conversation_id]),
            key=key,
        )
    return n


def _zone(user) -> ZoneInfo:
    from .time_zones import is_zone, zone_of

    name = zone_of(user)
    return ZoneInfo(name if is_zone(name) else "UTC")


def application_submitted(application) -> None:
    notify_role(
        Kind.APPLICATION_WAITING,
        role=Role.COMMUNITY_MANAGER,
        # No name: the applicant's personal data goes when they leave; this stays with the CMs.
        text=lambda: gettext(
            "Someone applied to contribute: the team answers within 2 business days."
        ),
        url=reverse("applications"),
        key=f"application:{application.pk}",
    )


def connection_failed(account, reason: str) -> None:
    at = account.credentials_failed_at or timezone.now()
    notify_role(
        Kind.CONNECTION_FAILED,
        role=Role.COMMUNITY_MANAGER,
        text=lambda: (
            gettext(
                "%(account)s's connection failed: %(reason)s. Sending waits until it is connected again."
            )
            % {"account": account, "reason": reason[:150]}
        ),
        url=reverse("accounts"),
        key=f"connection:{account.pk}:{at.timestamp():.0f}",
    )


def email_failed(*, subject: str, attempts: int, error: str) -> None:
    """An email was given up on: the admins see it under the bell (never by email) and on the
    health page. Neither the address nor the text is repeated here."""
    notify_role(
        Kind.EMAIL_FAILED,
        role=Role.ADMIN,
        text=lambda: (
            ngettext(
                "An email could not be sent after %(count)d try: “%(subject)s” (%(error)s).",
                "An email could not be sent after %(count)d tries: “%(subject)s” (%(error)s).",
                attempts,
            )
            % {"count": attempts, "subject": subject[:80], "error": error[:100]}
        ),
        url=reverse("health") + "#failed-emails",
    )


def activity_logged(activity) -> None:
    """From the conversations' activity log: assignments and approval decisions."""
    kind = activity.kind
    conversation = activity.conversation
    if conversation is None:
        return
    url = reverse("conversation", args=[conversation.pk])
    # Texts name the customer, not the agent who acted: an agent who leaves leaves no trace here.
    actor = activity.actor
    if kind == "assigned":
        username = (activity.detail or {}).get("to_user") or ""
        if not username:
            return
        to = get_user_model().objects.filter(username=username).first()
        if to is None or to == actor:
            return
        with in_language_of(to):
            text = gettext("The conversation with %(author)s was assigned to you.") % {
                "author": conversation.author
            }
        notify(Kind.ASSIGNED, users=[to], text=text, url=url)
    elif kind in ("reply_approved", "reply_returned"):
        # cycle: people <-> outbox (the outbox's actions belong to conversations, see above)
        from socialdesk.outbox.models import OutboundAction

        action = (
            OutboundAction.objects.filter(pk=(activity.detail or {}).get("action"))
            .select_related("message__sent_by")
            .first()
        )
        author = action.message.sent_by if action and action.message else None
        if author is None or author == actor:
            return
        with in_language_of(author):
            if kind == "reply_approved":
                text = gettext("Your reply to %(author)s was approved.")
            else:
                text = gettext("Your reply to %(author)s was sent back: see the note.")
            text %= {"author": conversation.author}
        notify(
            Kind.REPLY_APPROVED if kind == "reply_approved" else Kind.REPLY_RETURNED,
            users=[author],
            text=text,
            url=url,
        )
