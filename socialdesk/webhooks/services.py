"""Managing subscriptions, for the page (`/manage/webhooks/`) and the API alike: community
managers and admins only, the URL checked (`addresses`), the secret made here and shown once."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from socialdesk.conversations.limits import unsafe_character
from socialdesk.errors import ActionError, ActionRefused
from socialdesk.people import audit
from socialdesk.people.models import Role, has_role

from . import addresses
from .models import MAX_SUBSCRIPTIONS, Event, WebhookSubscription, new_secret


def require_manager(user) -> None:
    if not has_role(user, Role.COMMUNITY_MANAGER):
        raise ActionRefused(_("Only community managers and admins manage webhooks."))


def clean(*, name: str, url: str, events) -> tuple[str, str, list[str]]:
    name = (name or "").strip()
    if not name or len(name) > 100 or unsafe_character(name) is not None:
        raise ActionError(_("Give the webhook a name of at most 100 characters."), field="name")
    url = (url or "").strip()
    if len(url) > 500 or unsafe_character(url) is not None:
        raise ActionError(_("The URL is too long, or not a URL."), field="url")
    try:
        addresses.check(url)
    except addresses.Refused as exc:
        raise ActionError(str(exc), field="url") from None
    known = set(Event.values)
    events = list(dict.fromkeys(events or []))
    unknown = [e for e in events if e not in known]
    if unknown or not events:
        raise ActionError(
            _("Choose one or more events among: %(events)s.")
            % {"events": ", ".join(Event.values)},
            field="events",
        )
    return name, url, events


def create(*, actor, name: str, url: str, events) -> tuple[WebhookSubscription, str]:
    """A new subscription and its secret (shown to the caller this once)."""
    require_manager(actor)
    name, url, events = clean(name=name, url=url, events=events)
    if WebhookSubscription.objects.count() >= MAX_SUBSCRIPTIONS:
        raise ActionError(
            _("There are %(n)s webhooks already: delete one first.") % {"n": MAX_SUBSCRIPTIONS}
        )
    secret = new_secret()
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            name=name, url=url, events=events, signing={"secret": secret}, created_by=actor
        )
        audit.record("webhook_saved", actor=actor, webhook=name, url=url, new=True)
    return subscription, secret


def update(
    *, actor, subscription: WebhookSubscription, name=None, url=None, events=None, active=None
) -> WebhookSubscription:
    require_manager(actor)
    name, url, events = clean(
        name=subscription.name if name is None else name,
        url=subscription.url if url is None else url,
        events=subscription.events if events is None else events,
    )
    subscription.name, subscription.url, subscription.events = name, url, events
    if active is not None:
        subscription.active = bool(active)
    with transaction.atomic():
        subscription.save(update_fields=["name", "url", "events", "active"])
        audit.record(
            "webhook_saved", actor=actor, webhook=name, url=url, active=subscription.active
        )
    return subscription


def rotate_secret(*, actor, subscription: WebhookSubscription) -> str:
    """A new secret, at once: deliveries from now on (retries included) are signed with it, and
    also with the previous one for `SOCIALDESK_WEBHOOK_SECRET_OVERLAP_HOURS`, so the receiver
    can be updated without refusing deliveries meanwhile (a second renewal ends the overlap of
    the first: only the secret just replaced is kept)."""
    require_manager(actor)
    secret = new_secret()
    now = timezone.now()
    with transaction.atomic():
        signing = {"secret": secret}
        overlap = settings.SOCIALDESK_WEBHOOK_SECRET_OVERLAP_HOURS * 3600
        if overlap > 0 and subscription.secret:
            signing["previous"] = subscription.secret
            signing["previous_until"] = now.timestamp() + overlap
        subscription.signing = signing
        subscription.secret_rotated_at = now
        subscription.save(update_fields=["signing", "secret_rotated_at"])
        audit.record("webhook_secret_rotated", actor=actor, webhook=subscription.name)
    return secret


def delete(*, actor, subscription: WebhookSubscription) -> None:
    require_manager(actor)
    with transaction.atomic():
        name = subscription.name
        subscription.delete()
        audit.record("webhook_deleted", actor=actor, webhook=name)
