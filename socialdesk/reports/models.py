"""The teams' business hours (RE1, optional), edited by community managers on
`/reports/business-hours/`: the desk's (the row without an account) and, for a team that works
other hours (the German team in Berlin, the Brazilian one in São Paulo), a brand account's own."""

from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import models

from .hours import Hours, HoursBook


class BusinessHours(models.Model):
    enabled = models.BooleanField(default=False)
    time_zone = models.CharField(max_length=64, default="UTC")
    start = models.TimeField(default=time(9, 0))
    end = models.TimeField(default=time(17, 0))
    # 0 = Monday … 6 = Sunday
    weekdays = models.JSONField(default=list)
    # None: the desk's hours; else the hours of the team that answers from this account, used
    # for the replies sent from it.
    account = models.OneToOneField(
        "brands.BrandAccount",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="business_hours",
    )

    class Meta:
        verbose_name_plural = "business hours"

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M} {self.time_zone}"

    @classmethod
    def load(cls, account=None) -> "BusinessHours":
        """The desk's hours, or `account`'s own; unsaved defaults (Monday to Friday) when none."""
        rows = cls.objects.filter(account=account) if account else cls.objects.filter(account=None)
        row = rows.order_by("pk").first()
        return row or cls(weekdays=[0, 1, 2, 3, 4], account=account)

    @classmethod
    def book(cls) -> HoursBook:
        """Every team's hours at once, for the report: the desk's, and each account's own keyed
        by the name the activity log writes for it (a reply's `from`)."""
        default, own = None, {}
        for row in cls.objects.select_related("account").order_by("pk"):
            if row.account_id is None:
                default = default or row.hours()
            else:
                own[str(row.account)] = row.hours()
        return HoursBook(default=default, by_account=own)

    def hours(self) -> Hours | None:
        """The hours to count within, or None when the team has none set."""
        if not self.enabled:
            return None
        try:
            zone = ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            return None
        return Hours(zone=zone, start=self.start, end=self.end, weekdays=frozenset(self.weekdays))
