"""Applying to contribute (PE1), the community managers' review (PE2) and invitations.

The criteria are the seed's, word for word but for the hashtag, which is configuration."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify
from django.utils.translation import gettext

from socialdesk.errors import (
    ActionConflict,
    ActionError,
    ActionNotFound,
    ActionRefused,
)

from . import audit, notifications
from .languages import language_codes, writing_to
from .mail import send_later
from .models import ROLE_RANK, Application, ApplicationStatus, Profile, Role, has_role, role_of

EXPERIENCE_DAYS = 14
RESPONSE_BUSINESS_DAYS = 2


def hashtag() -> str:
    return settings.SOCIALDESK_INCUBATION_HASHTAG


def criteria() -> list[tuple[str, str]]:
    """(key, the statement the applicant confirms), in the seed's order, in the reader's language."""
    return [
        (
            "experience",
            gettext(
                "I have at least 2 weeks of experience responding to Social Support inquiries using %(hashtag)s"
            )
            % {"hashtag": hashtag()},
        ),
        ("respect", gettext("I demonstrate good instincts and respect for others")),
        (
            "clarity",
            gettext("I provide clear instructions and objective responses to user inquiries"),
        ),
        (
            "collaboration",
            gettext(
                "I collaborate well with contributors and seek feedback to improve my responses"
            ),
        ),
        (
            "judgement",
            gettext("I show good judgement across my personal and professional social networks"),
        ),
        ("nda", gettext("I have signed a Non-Disclosure Agreement (NDA)")),
    ]


def add_business_days(start: datetime, days: int) -> datetime:
    """`days` working days (Monday to Friday) after `start`, at the same time of day; a start on
    a weekend counts from the Monday after."""
    moment = start
    while moment.weekday() >= 5:
        moment = (moment + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    added = 0
    while added < days:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            added += 1
    return moment


def answer_due(application: Application) -> datetime:
    return add_business_days(timezone.localtime(application.submitted_at), RESPONSE_BUSINESS_DAYS)


def experience_days(application: Application) -> int:
    return (timezone.localdate(application.submitted_at) - application.started_on).days


def already_applied(email: str) -> str | None:
    """Why this address cannot apply now, or None."""
    email = (email or "").strip()
    if get_user_model().objects.filter(email__iexact=email).exists():
        return gettext(
            "This email address already has an account: sign in, or reset your password if you forgot it."
        )
    if Application.objects.filter(email__iexact=email, status=ApplicationStatus.PENDING).exists():
        return gettext(
            "An application from this email address is waiting for review already: the team answers within 2 business days."
        )
    return None


def submit(
    *,
    name: str,
    email: str,
    handle: str,
    started_on: date,
    confirmed: list[str],
    base_url: str,
    language: str = "",
) -> Application:
    """Keep an application and tell the applicant it arrived and when to expect an answer.
    `language` is the one they applied in: the emails about it are written in it."""
    keys = [key for key, _ in criteria()]
    missing = [key for key in keys if key not in confirmed]
    if missing:
        raise ActionError(
            gettext("Every criterion has to be confirmed to apply."), field=missing[0]
        )
    if started_on > timezone.localdate():
        raise ActionError(
            gettext("The start date is in the future: give the day you first answered."),
            field="started_on",
        )
    reason = already_applied(email)
    if reason:
        raise ActionError(reason, field="email")
    with transaction.atomic():
        application = Application.objects.create(
            name=name.strip(),
            email=email.strip(),
            handle=handle.strip().lstrip("@"),
            started_on=started_on,
            confirmed_criteria=keys,
            privacy_accepted=True,
            contact_accepted=True,
            language=language if language in language_codes() else "",
        )
    notifications.application_submitted(application)
    # Sent while they wait for the page: the request's zone is their browser's.
    _mail(
        application.email,
        "people/emails/application_received",
        {"application": application, "due": answer_due(application), "base_url": base_url},
        language=application.language,
    )
    return application


def pending() -> list[Application]:
    """Waiting applications, the overdue ones first, then by deadline (PE2)."""
    now = timezone.now()
    rows = list(Application.objects.filter(status=ApplicationStatus.PENDING))
    for a in rows:
        a.due = answer_due(a)
        a.overdue = a.due < now
        a.days = experience_days(a)
        a.enough_experience = a.days >= EXPERIENCE_DAYS
    return sorted(rows, key=lambda a: (not a.overdue, a.due))


def _require_cm(actor) -> None:
    if not has_role(actor, Role.COMMUNITY_MANAGER):
        raise ActionRefused(gettext("Only community managers and admins review applications."))


def approve(*, actor, application_id: int, base_url: str, role: str = Role.CONTRIBUTOR):
    """Make the applicant a contributor (or a moderator) and email them a link to set a password."""
    _require_cm(actor)
    if role not in (Role.CONTRIBUTOR, Role.MODERATOR):
        raise ActionError(
            gettext("An applicant becomes a contributor or a moderator."), field="role"
        )
    with transaction.atomic():
        application = _pending(application_id)
        if get_user_model().objects.filter(email__iexact=application.email).exists():
            raise ActionError(gettext("Someone already has an account with this email address."))
        # Their desk starts in the language they applied in (they can change it in My settings).
        user = create_account(
            name=application.name,
            email=application.email,
            handle=application.handle,
            role=role,
            language=application.language,
        )
        Application.objects.filter(pk=application.pk).update(
            status=ApplicationStatus.APPROVED,
            decided_at=timezone.now(),
            decided_by=actor,
            user=user,
        )
    audit.record(
        "application_approved", actor=actor, subject=user, application=application.pk, role=role
    )
    _mail(
        user.email,
        "people/emails/application_approved",
        {"user": user, "link": set_password_link(user, base_url), "role": Role(role).label},
        language=application.language,
    )
    return user


def reject(*, actor, application_id: int, reason: str) -> Application:
    """Turn an application down; the reason is emailed to the applicant."""
    _require_cm(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ActionError(
            gettext("Say why: the reason is emailed to the applicant."), field="reason"
        )
    if len(reason) > 2000:
        raise ActionError(gettext("Keep the reason under 2000 characters."), field="reason")
    with transaction.atomic():
        application = _pending(application_id)
        Application.objects.filter(pk=application.pk).update(
            status=ApplicationStatus.REJECTED,
            decided_at=timezone.now(),
            decided_by=actor,
            reason=reason,
        )
        application.refresh_from_db()
    audit.record("application_rejected", actor=actor, application=application.pk)
    _mail(
        application.email,
        "people/emails/application_rejected",
        {"application": application},
        language=application.language,
    )
    return application


def invitable_roles(actor) -> list[tuple[str, str]]:
    """Roles a person may invite into: below their own; an admin any."""
    mine = role_of(actor)
    if mine is None:
        return []
    rank = ROLE_RANK[Role(mine)]
    return [(r.value, r.label) for r in Role if ROLE_RANK[r] < rank or mine == Role.ADMIN]


def invite(*, actor, name: str, email: str, role: str, base_url: str, language: str = ""):
    """An account for someone the community manager already knows, with an email to set a
    password. `language` is theirs, as the community manager knows it ("": the desk's default
    until they choose): the email is written in it, and their desk starts in it."""
    _require_cm(actor)
    if role not in dict(invitable_roles(actor)):
        raise ActionError(gettext("You cannot invite someone into that role."), field="role")
    if language and language not in language_codes():
        raise ActionError(gettext("Choose a language from the list."), field="language")
    email = (email or "").strip()
    if get_user_model().objects.filter(email__iexact=email).exists():
        raise ActionError(
            gettext("Someone already has an account with this email address."), field="email"
        )
    with transaction.atomic():
        user = create_account(
            name=name, email=email, handle=email.split("@", 1)[0], role=role, language=language
        )
        Application.objects.filter(email__iexact=email, status=ApplicationStatus.PENDING).update(
            status=ApplicationStatus.APPROVED,
            decided_at=timezone.now(),
            decided_by=actor,
            user=user,
        )
    audit.record("invited", actor=actor, subject=user, role=role)
    _mail(
        user.email,
        "people/emails/invitation",
        {
            "user": user,
            "link": set_password_link(user, base_url),
            "by": actor,
            "role": Role(role).label,
        },
        language=language,
    )
    return user


def create_account(*, name: str, email: str, handle: str, role: str, language: str = ""):
    """A user with no password yet (they set one from the email) and a profile of that role."""
    User = get_user_model()
    base = slugify(handle or email.split("@", 1)[0]).replace("-", "_")[:30] or "agent"
    username, n = base, 1
    while User.objects.filter(username__iexact=username).exists():
        n += 1
        username = f"{base}{n}"
    first, _, last = (name or "").strip().partition(" ")
    user = User(username=username, email=email, first_name=first[:150], last_name=last[:150])
    user.set_unusable_password()
    user.save()
    Profile.objects.create(user=user, role=role, language=language)
    return user


def set_password_link(user, base_url: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return base_url.rstrip("/") + reverse(
        "password_reset_confirm",
        kwargs={"uidb64": uid, "token": default_token_generator.make_token(user)},
    )


def _pending(application_id) -> Application:
    application = (
        Application.objects.select_for_update().filter(pk=application_id).first()
        if isinstance(application_id, int)
        else None
    )
    if application is None:
        raise ActionNotFound(gettext("There is no such application."))
    if application.status != ApplicationStatus.PENDING:
        raise ActionConflict(
            gettext("This application was decided already (%(get_status_display)s).")
            % {"get_status_display": application.get_status_display().lower()}
        )
    return application


def _mail(to: str, template: str, context: dict, *, language: str) -> None:
    """Written in the recipient's language, not that of the community manager who acts."""
    with writing_to(language):
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        body = render_to_string(f"{template}.txt", context)
    send_later(subject, body, [to])
