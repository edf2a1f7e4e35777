"""A webhook subscription: where to POST which conversation events, and the secret that signs them.

The deliveries themselves are outbound items like replies: `outbox.models.WebhookDelivery`."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from socialdesk.brands.secrets import EncryptedJSONField


class Event(models.TextChoices):
    """What a subscription may ask for. The stored values are what receivers read in `type`:
    add events, never rename one."""

    CONVERSATION_OPENED = "conversation.opened", _("Conversation opened (or reopened)")
    CONVERSATION_REPLIED = "conversation.replied", _("Replied")
    CONVERSATION_HELD = "conversation.held", _("Put on hold")
    CONVERSATION_CLOSED = "conversation.closed", _("Closed")
    CONVERSATION_ESCALATED = "conversation.escalated", _("Escalated")
    CONVERSATION_ASSIGNED = "conversation.assigned", _("Assigned")
    MESSAGE_RECEIVED = "message.received", _("Customer message received")


# The test button's event: sent only to the subscription it was pressed for.
PING = "ping"

MAX_SUBSCRIPTIONS = 50


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookSubscription(models.Model):
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    # Event values (`Event`); a list, matched in Python (subscriptions are few).
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    # {"secret": "whsec_…"}, encrypted at rest like the accounts' credentials; shown once.
    signing = EncryptedJSONField(default=dict)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def secret(self) -> str:
        return (self.signing or {}).get("secret", "")

    def signing_secrets(self, now=None) -> list[str]:
        """The secrets a delivery is signed with: the current one, and the one it replaced until
        the overlap after a renewal ends (`SOCIALDESK_WEBHOOK_SECRET_OVERLAP_HOURS`)."""
        signing = self.signing or {}
        secrets = [signing.get("secret", "")]
        previous, until = signing.get("previous"), signing.get("previous_until")
        now = timezone.now() if now is None else now
        if previous and until and now.timestamp() < float(until):
            secrets.append(previous)
        return secrets

    def wants(self, event: str) -> bool:
        return self.active and event in (self.events or [])
