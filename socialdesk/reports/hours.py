"""Business hours (RE1, optional): the team's working week in its time zone, and how much of a
wait fell inside it. Response times counted "within business hours" leave out nights, weekends
and whatever else the team does not work."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Hours:
    zone: ZoneInfo
    start: time
    end: time
    weekdays: frozenset  # 0 = Monday … 6 = Sunday

    def seconds_between(self, a: datetime, b: datetime) -> float:
        """Seconds of [a, b] that fall within the business hours."""
        if b <= a or self.end <= self.start or not self.weekdays:
            return 0.0
        a_local, b_local = a.astimezone(self.zone), b.astimezone(self.zone)
        total = 0.0
        day = a_local.date()
        while day <= b_local.date():
            if day.weekday() in self.weekdays:
                # Wall-clock opening and closing on that day (daylight saving time included).
                opens = datetime.combine(day, self.start, tzinfo=self.zone)
                closes = datetime.combine(day, self.end, tzinfo=self.zone)
                lo, hi = max(a_local, opens), min(b_local, closes)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total
