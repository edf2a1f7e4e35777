"""The access audit log (PE5): one function writes it, one reads it for the audit page."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry

LABELS = {
    "signed_in": _("Signed in"),
    "signed_out": _("Signed out"),
    "sign_in_failed": _("Wrong password"),
    "locked_out": _("Sign-in paused after too many wrong passwords"),
    "password_changed": _("Changed their password"),
    "password_reset": _("Set a password from an email link"),
    "signed_out_everywhere": _("Signed out everywhere"),
    "two_factor_on": _("Turned two-factor sign-in on"),
    "two_factor_off": _("Turned two-factor sign-in off"),
    "recovery_codes": _("Made new recovery codes"),
    "role_given": _("Gave a role"),
    "role_changed": _("Role changed"),
    "application_approved": _("Approved an application"),
    "application_rejected": _("Rejected an application"),
    "invited": _("Invited someone"),
    "time_zone_changed": _("Changed their time zone"),
    "language_changed": _("Changed their language"),
    "notifications_changed": _("Changed which notifications they get by email"),
    "clipping_saved": _("Saved a clipping"),
    "clipping_deleted": _("Deleted a clipping"),
    "respond_from_changed": _("Changed the respond-from table"),
    "webhook_saved": _("Saved a webhook"),
    "webhook_secret_rotated": _("Made a new secret for a webhook"),
    "webhook_deleted": _("Deleted a webhook"),
    "setting_added": _("Added a setting (a tag, a queue, a paid product…)"),
    "setting_changed": _("Changed a setting"),
    "setting_deleted": _("Deleted a setting"),
    "left": _("An account was deleted (stopped contributing)"),
}
# Kept only while the person has an account: when they leave, these entries about them go.
PERSONAL_KINDS = ("signed_in", "signed_out", "sign_in_failed", "locked_out")


def record(kind: str, *, actor=None, subject=None, request=None, **detail) -> AuditEntry:
    if request is not None:
        detail.setdefault("ip", request.META.get("REMOTE_ADDR", ""))
    actor = actor if getattr(actor, "pk", None) else None
    subject = subject if getattr(subject, "pk", None) else None
    return AuditEntry.objects.create(kind=kind, actor=actor, subject=subject, detail=detail)


def search(q: str = "", kind: str = ""):
    """Entries matching a username, an address or a word of the detail; newest first."""
    rows = AuditEntry.objects.select_related("actor", "subject")
    if kind in LABELS:
        rows = rows.filter(kind=kind)
    q = (q or "").strip()[:100]
    if q:
        rows = rows.filter(
            Q(actor__username__icontains=q)
            | Q(subject__username__icontains=q)
            | Q(detail__icontains=q)
        )
    return rows
