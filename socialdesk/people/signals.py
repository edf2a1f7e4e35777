"""Keeps the list of each agent's sessions current as they sign in and out."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from .models import SignedInSession
from .roles import sync_user


@receiver(user_logged_in)
def remember_session(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is None:
        return
    import time

    from .middleware import LAST_ACTIVE

    session[LAST_ACTIVE] = int(time.time())
    if session.session_key is None:
        session.save()
    SignedInSession.objects.update_or_create(
        session_key=session.session_key, defaults={"user": user}
    )


@receiver(user_logged_out)
def forget_session(sender, request, user, **kwargs):
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        SignedInSession.objects.filter(session_key=key).delete()


@receiver(user_logged_in)
def audit_sign_in(sender, request, user, **kwargs):
    from .audit import record

    record("signed_in", actor=user, request=request)


@receiver(user_logged_out)
def audit_sign_out(sender, request, user, **kwargs):
    from .audit import record

    if user is not None and user.pk:
        record("signed_out", actor=user, request=request)


@receiver(user_login_failed)
def audit_failed_sign_in(sender, credentials, request=None, **kwargs):
    from django.contrib.auth import get_user_model

    from .audit import record

    # Only for an account that exists: a mistyped username is nobody's personal data to keep.
    user = (
        get_user_model().objects.filter(username=(credentials or {}).get("username") or "").first()
    )
    if user is not None:
        record("sign_in_failed", subject=user, request=request)


def _locked_out(sender, request, username=None, ip_address=None, **kwargs):
    from django.contrib.auth import get_user_model

    from .audit import record

    user = get_user_model().objects.filter(username=username or "").first()
    record(
        "locked_out",
        subject=user,
        request=request,
        **({} if user else {"username": "(no such account)"}),
    )


def _connect_axes():
    from axes.signals import user_locked_out

    user_locked_out.connect(_locked_out, dispatch_uid="socialdesk_audit_locked_out")


_connect_axes()


@receiver(pre_save, sender="people.Profile")
def audit_role_change(sender, instance, **kwargs):
    """A role changed anywhere (the Django admin, a shell): the audit log says so. Roles given
    through the desk's own pages are logged there with who gave them."""
    from .audit import record

    if instance.pk is None:
        return
    before = sender.objects.filter(pk=instance.pk).values_list("role", flat=True).first()
    if before is not None and before != instance.role:
        record("role_changed", subject=instance.user, before=before, after=instance.role)


@receiver(post_save, sender="people.Profile")
def role_group(sender, instance, raw=False, **kwargs):
    """The person is in the Django group of their role (people.roles), whoever saved the profile."""
    if not raw:
        sync_user(instance.user, instance.role)


def _activity_logged(sender, instance, created, **kwargs):
    """Assignments and approval decisions notify the person they concern (people.notifications)."""
    if not created or instance.kind not in ("assigned", "reply_approved", "reply_returned"):
        return
    import logging

    from django.db import transaction

    from .notifications import activity_logged

    try:
        with transaction.atomic():
            activity_logged(instance)
    except Exception:  # noqa: BLE001 - a notification never undoes the action it is about
        logging.getLogger(__name__).exception("Could not notify about activity %s", instance.pk)


post_save.connect(
    _activity_logged, sender="conversations.Activity", dispatch_uid="people_notify_activity"
)
