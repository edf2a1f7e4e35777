"""What the operations code keeps: who leads the scheduler, and when each process was last seen."""

from django.db import models
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _


class Lease(models.Model):
    """A named lease held by one process until `expires_at` (the scheduler's leadership)."""

    name = models.CharField(max_length=64, primary_key=True)
    holder = models.CharField(max_length=200)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder} until {self.expires_at:%Y-%m-%d %H:%M:%S}"


class Heartbeat(models.Model):
    """A process (scheduler) or the task workers, last seen at `seen_at`; read by /readyz and /metrics."""

    class Kind(models.TextChoices):
        SCHEDULER = "scheduler", _("scheduler")
        WORKER = "worker", _("task worker")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=200, help_text=gettext_lazy("host:pid of the process"))
    seen_at = models.DateTimeField()
    is_leader = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="operations_heartbeat_once")
        ]
        indexes = [models.Index(fields=["kind", "seen_at"], name="operations_heartbeat_recent")]

    def __str__(self) -> str:
        return f"{self.kind} {self.name} seen {self.seen_at:%Y-%m-%d %H:%M:%S}"


def beat(kind: str, name: str, *, is_leader: bool = False) -> None:
    from django.utils import timezone

    Heartbeat.objects.update_or_create(
        kind=kind, name=name, defaults={"seen_at": timezone.now(), "is_leader": is_leader}
    )


class Throttle(models.Model):
    """How many times something was asked for under one key (an address, a hashed email) in one
    window of time: the public forms' rate limits (`throttle.allow`). Old windows are pruned."""

    key = models.CharField(max_length=100)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key", "window_start"], name="operations_throttle_once"
            )
        ]
        indexes = [models.Index(fields=["window_start"], name="operations_throttle_window")]

    def __str__(self) -> str:
        return f"{self.key} x{self.count} from {self.window_start:%Y-%m-%d %H:%M}"
