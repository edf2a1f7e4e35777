"""Stop contributing (PE4): the account and the person's data go; what they did for the customers
stays, attributed to "a former contributor".

Every row that says who *did* something (a reply sent, a note, an entry in the activity log, a
triage choice) is handed to one shared placeholder account, so the log stays whole and nothing
links the departed person's rows to each other. Rows that say who *has* something now (an
assignment, a deal, a follow-up reserved for them) are cleared, so the work goes back to the queues.
Everything else that belongs to them (profile, signatures, API tokens, reminders, saved filters,
play sessions, presence, sessions, sign-in records, applications) is deleted.
"""

import json

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from socialdesk.actions import deal as play
from socialdesk.conversations.models import Activity
from socialdesk.errors import ActionError, ActionRefused
from socialdesk.ingestion.models import SetAsideMessage
from socialdesk.outbox.models import WebhookDelivery
from socialdesk.people.audit import PERSONAL_KINDS, record
from socialdesk.people.languages import language_of, writing_to
from socialdesk.people.mail import send_later
from socialdesk.people.models import (
    FORMER_CONTRIBUTOR,
    Application,
    AuditEntry,
    Profile,
    Role,
    has_role,
    role_of,
)
from socialdesk.people.services import end_all_sessions

# (app label, model, field): who holds the conversation now, not who did something. Cleared.
HOLDING_FIELDS = {
    ("conversations", "conversation", "assignee"),
    ("conversations", "conversation", "dealt_to"),
    ("conversations", "conversation", "last_agent"),
    ("conversations", "conversation", "reserved_for"),
}


def former_contributor():
    """The one placeholder account departed people's work is attributed to: it cannot sign in."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=FORMER_CONTRIBUTOR, defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def stop_contributing(*, actor, user) -> None:
    """Delete `user`'s account and personal data; `actor` is them, or an admin doing it for them."""
    check_may_leave(actor=actor, user=user)
    _delete(actor=actor, user=user)


def check_may_leave(*, actor, user) -> None:
    """Raise when `actor` may not delete `user`'s account (run before signing them out)."""
    if actor.pk != user.pk and not has_role(actor, Role.ADMIN):
        raise ActionRefused(_("Only an admin can remove someone else's account."))
    if user.get_username() == FORMER_CONTRIBUTOR:
        raise ActionError(
            _("This is the placeholder for former contributors; it has no person behind it.")
        )
    if role_of(user) == Role.ADMIN and not _other_admins(user):
        raise ActionError(
            _(
                "You are the last admin: make someone else an admin first, or the desk has nobody to run it."
            )
        )


def _delete(*, actor, user) -> None:
    email, username, name = (
        user.email,
        user.get_username(),
        user.get_full_name() or user.get_username(),
    )
    by_admin = actor.pk != user.pk
    # Read before their profile goes. Leaving themselves, the page's language is theirs too; an
    # admin's is not.
    language = language_of(user) or ("" if by_admin else translation.get_language())
    play.stop(agent=user)
    role = role_of(user)
    with transaction.atomic():
        AuditEntry.objects.filter(
            models.Q(actor=user) | models.Q(subject=user), kind__in=PERSONAL_KINDS
        ).delete()
        placeholder = former_contributor()
        _hand_over(user, placeholder)
        _scrub_names(username)
        Application.objects.filter(
            models.Q(user=user) | models.Q(email__iexact=email) if email else models.Q(user=user)
        ).delete()
        _forget_sign_ins(username)
        end_all_sessions(user=user)
        user.delete()
        record("left", actor=actor if by_admin else None, role=role, by_admin=by_admin)
    if email:
        with writing_to(language):
            subject = _("Your Socialdesk account is deleted")
            body = render_to_string("people/emails/left.txt", {"name": name, "by_admin": by_admin})
        send_later(subject, body, [email])


def _other_admins(user) -> bool:
    return (
        Profile.objects.filter(role=Role.ADMIN, user__is_active=True).exclude(user=user).exists()
    )


def _hand_over(user, placeholder) -> None:
    for relation in user._meta.related_objects:
        field = relation.field
        if (
            not isinstance(field, models.ForeignKey)
            or field.remote_field.on_delete is not models.SET_NULL
        ):
            continue  # CASCADE rows go with the account; many-to-many links (groups) too
        model = relation.related_model
        key = (model._meta.app_label, model._meta.model_name, field.name)
        value = None if key in HOLDING_FIELDS else placeholder
        # .update(): the activity log is append-only for saves; this rewrites only who did it.
        model._base_manager.filter(**{field.name: user}).update(**{field.name: value})


def _scrub_names(username: str) -> None:
    """Log entries that name the person in their details (assigned to, taken over from, approval
    for, a set-aside message's history)."""

    def scrub(value):
        if value == username:
            return FORMER_CONTRIBUTOR
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value

    for model, field in (
        (Activity, "detail"),
        (SetAsideMessage, "history"),
        (AuditEntry, "detail"),
    ):
        for pk, value in model._base_manager.filter(
            **{f"{field}__icontains": username}
        ).values_list("pk", field):
            cleaned = scrub(value)
            if cleaned != value:
                model._base_manager.filter(pk=pk).update(**{field: cleaned})
    # Webhook deliveries keep the JSON they sent (and may send again), naming the agent.
    for pk, body in WebhookDelivery.objects.filter(body__icontains=username).values_list(
        "pk", "body"
    ):
        try:
            sent = json.loads(body)
        except ValueError:
            continue
        cleaned = scrub(sent)
        if cleaned != sent:
            WebhookDelivery.objects.filter(pk=pk).update(
                body=json.dumps(cleaned, ensure_ascii=False, sort_keys=True)
            )


def _forget_sign_ins(username: str) -> None:
    """django-axes keeps sign-ins and failed attempts by username (with address and browser)."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username=username).delete()
