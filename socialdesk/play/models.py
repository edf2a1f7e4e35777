"""A play session is the time an agent spends in Play Mode on one queue (seed: Stop matters)."""

from django.conf import settings
from django.db import models


class PlaySession(models.Model):
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="play_sessions")
    queue = models.ForeignKey("queues.Queue", on_delete=models.CASCADE, related_name="play_sessions")
    filter = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    dealt = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["agent", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.agent} on {self.queue} from {self.started_at:%Y-%m-%d %H:%M}"
