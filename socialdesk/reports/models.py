"""The team's business hours (RE1, optional): one row, edited by community managers on
`/reports/business-hours/`."""

from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import models

from .hours import Hours


class BusinessHours(models.Model):
    enabled = models.BooleanField(default=False)
    time_zone = models.CharField(max_length=64, default="UTC")
    start = models.TimeField(default=time(9, 0))
    end = models.TimeField(default=time(17, 0))
    # 0 = Monday … 6 = Sunday
    weekdays = models.JSONField(default=list)

    class Meta:
        verbose_name_plural = "business hours"

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M} {self.time_zone}"

    @classmethod
    def load(cls) -> "BusinessHours":
        row = cls.objects.order_by("pk").first()
        return row or cls(weekdays=[0, 1, 2, 3, 4])

    def hours(self) -> Hours | None:
        """The hours to count within, or None when the team has none set."""
        if not self.enabled:
            return None
        try:
            zone = ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            return None
        return Hours(zone=zone, start=self.start, end=self.end, weekdays=frozenset(self.weekdays))
