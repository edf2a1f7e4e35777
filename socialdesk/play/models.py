"""A play session is the time an agent spends in Play Mode on one queue (seed: Stop matters)."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EndedBy(models.TextChoices):
    """How a play session ended: the response-time figures count play time only up to a real end."""

    STOP = "stop", _("Stopped")
    SWITCH = "switch", _("Played another queue")
    SIGN_OUT = "sign_out", _("Signed out")
    # No sign of life for longer than the lease: the browser was closed or left. The session ends
    # at the last sign of life, so the idle time is not counted as play time.
    IDLE = "idle", _("Idle")


class PlaySession(models.Model):
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="play_sessions"
    )
    queue = models.ForeignKey(
        "queues.Queue", on_delete=models.CASCADE, related_name="play_sessions"
    )
    filter = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    # The last sign of life: a deal, a skip, the pages' heartbeat.
    last_seen_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=20, choices=EndedBy.choices, blank=True)
    dealt = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["agent", "ended_at"]),
            # The idle sweep: open sessions by their last sign of life.
            models.Index(fields=["ended_at", "last_seen_at"], name="play_session_idle"),
        ]

    def __str__(self) -> str:
        return f"{self.agent} on {self.queue} from {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def play_time(self) -> timedelta:
        return (self.ended_at or timezone.now()) - self.started_at


class PlaySkip(models.Model):
    """A conversation the agent skipped in this play session: it is not dealt to them again in it
    (until the customer writes again, or SOCIALDESK_SKIP_SECONDS pass if that is set)."""

    session = models.ForeignKey(PlaySession, on_delete=models.CASCADE, related_name="skips")
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    skipped_at = models.DateTimeField()

    class Meta:
        # Also the index the deal's NOT EXISTS looks up, one row per dealt candidate.
        constraints = [
            models.UniqueConstraint(fields=["session", "conversation"], name="unique_play_skip")
        ]

    def __str__(self) -> str:
        return f"#{self.conversation_id} skipped in session {self.session_id}"
