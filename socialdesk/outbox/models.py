"""An outbound action is a reply, like or retweet waiting to be performed on the platform."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _


class ActionKind(models.TextChoices):
    REPLY = "reply", _("Reply")
    LIKE = "like", _("Like")
    RETWEET = "retweet", _("Retweet")


class ActionState(models.TextChoices):
    AWAITING_APPROVAL = "approval", _("Waiting for a moderator's approval")
    RETURNED = "returned", _("Sent back by a moderator")
    PENDING = "pending", _("Waiting to be sent")
    # The account's connection stopped working (or cannot do this): the action waits, untried,
    # until a community manager connects the account again, then goes (outbox.services).
    WAITING_FOR_ACCOUNT = "account", _("Waiting for the account to be reconnected")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Delivered")
    FAILED = "failed", _("Failed")


class OutboundAction(models.Model):
    kind = models.CharField(max_length=10, choices=ActionKind.choices)
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="outbound_actions"
    )
    message = models.OneToOneField(
        "conversations.Message",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outbound_action",
        help_text=gettext_lazy("For a reply: the outbound message it delivers."),
    )
    account = models.ForeignKey("brands.BrandAccount", on_delete=models.PROTECT, related_name="+")
    # The platform id of the message replied to, liked or retweeted.
    target_platform_id = models.CharField(max_length=200)
    text = models.TextField(blank=True)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(
        max_length=10, choices=ActionState.choices, default=ActionState.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # When it was last claimed for sending: the account's sends within a rate-limit window are
    # counted from it (outbox.limits).
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    result_platform_id = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["account", "last_attempt_at"], name="outbox_account_attempts")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.account} ({self.get_state_display()})"


class WebhookState(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event for one webhook subscription, sent like any outbound action: scheduled in the
    transaction of the change it is about, claimed before the call, retried with backoff
    (`actions.webhooks`). `event_id` is the same on every attempt: receivers dedupe on it."""

    subscription = models.ForeignKey(
        "webhooks.WebhookSubscription", on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40)
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The JSON body exactly as sent (and signed) on every attempt.
    body = models.TextField()
    state = models.CharField(
        max_length=10, choices=WebhookState.choices, default=WebhookState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="webhook_due"),
            models.Index(fields=["subscription", "-created_at"], name="webhook_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.subscription_id} ({self.get_state_display()})"


class WebhookAttempt(models.Model):
    """One try of a delivery: the delivery log's lines."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    response_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"Attempt {self.number} of delivery {self.delivery_id}"
