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


@dataclass(frozen=True)
class HoursBook:
    """The desk's business hours and the accounts' own (a team that works other hours): a reply
    sent from an account counts within that account's hours, else within the desk's. An account
    whose own hours are switched off (None) counts round the clock."""

    default: Hours | None
    by_account: dict  # the account's name as the log writes it -> Hours | None

    def for_account(self, account: str) -> Hours | None:
        return self.by_account.get(account, self.default)

    def __bool__(self) -> bool:
        return self.default is not None or any(self.by_account.values())
