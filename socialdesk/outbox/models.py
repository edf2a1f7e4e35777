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
