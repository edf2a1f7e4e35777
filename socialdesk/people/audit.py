"""The access audit log (PE5): one function writes it, one reads it for the audit page."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
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
# The detail's keys as the audit page names them; a key not here is shown as it is.
DETAIL_LABELS = {
    "ip": _("address"),
    "username": _("username"),
    "sessions": _("sessions ended"),
    "before": _("before"),
    "after": _("after"),
    "from": _("from"),
    "to": _("to"),
    "role": _("role"),
    "by": _("by"),
    "by_admin": _("by an admin"),
    "application": _("application"),
    "status": _("status"),
    "email": _("by email"),
    "clipping": _("clipping"),
    "new": _("new"),
    "added": _("added"),
    "removed": _("removed"),
    "setting": _("setting"),
    "name": _("name"),
    "changed": _("changed"),
    "webhook": _("webhook"),
    "url": _("address"),
    "active": _("active"),
}
# Values that are codes, shown by their label.
_CODES = {
    "before": "role",
    "after": "role",
    "role": "role",
}


def _shown(key: str, value) -> str:
    from .models import Role

    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if _CODES.get(key) == "role" and value in Role.values:
        return str(Role(value).label)
    if key == "email" and isinstance(value, list):
        from .notifications import Kind

        return ", ".join(str(Kind(k).label) if k in Kind.values else str(k) for k in value) or "—"
    if isinstance(value, dict):  # a setting's fields changed: {field: [before, after]}
        return "; ".join(
            f"{k}: {v[0] or '—'} → {v[1] or '—'}"
            if isinstance(v, list | tuple) and len(v) == 2
            else f"{k}: {v}"
            for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def details(entry: AuditEntry) -> list[tuple[str, str]]:
    """The entry's detail as (label, value) pairs in the reader's language."""
    detail = entry.detail if isinstance(entry.detail, dict) else {}
    return [(str(DETAIL_LABELS.get(k, k)), _shown(k, v)) for k, v in detail.items()]


# Kept only while the person has an account: when they leave, these entries about them go.
PERSONAL_KINDS = ("signed_in", "signed_out", "sign_in_failed", "locked_out")


def prune(older_than: timedelta) -> int:
    """Forget sign-in records older than `older_than`: the audit log's entries about someone's
    sign-ins (PERSONAL_KINDS, with their address) and django-axes' logs of sign-ins and failures.
    Role changes, settings and decisions stay: they are the desk's history, not a person's
    whereabouts. Returns how many rows went."""
    from axes.models import AccessFailureLog, AccessLog

    cutoff = timezone.now() - older_than
    deleted, _ = AuditEntry.objects.filter(kind__in=PERSONAL_KINDS, at__lt=cutoff).delete()
    for model in (AccessLog, AccessFailureLog):
        count, _ = model.objects.filter(attempt_time__lt=cutoff).delete()
        deleted += count
    return deleted


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
