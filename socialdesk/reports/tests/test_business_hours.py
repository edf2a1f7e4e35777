"""RE1 business hours on a fixed history across a weekend and a night (Europe/Berlin, Monday to
Friday 09:00-17:00), with the figures worked out by hand:

  Fri 2026-03-06 16:00 CET customer writes (W); answered Mon 2026-03-09 10:00 CET
      -> 66 h on the clock; within business hours Fri 16-17 + Mon 9-10 = 7,200 s
  Tue 2026-03-10 20:00 CET customer writes (N); answered Wed 2026-03-11 09:30 CET
      -> 13.5 h on the clock; within business hours Wed 9:00-9:30 = 1,800 s
"""

from datetime import UTC, date, datetime, time

import pytest
from freezegun import freeze_time

from conftest import make_inbound
from socialdesk.actions import conversation as actions
from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import Conversation
from socialdesk.reports import selectors
from socialdesk.reports.models import BusinessHours
from socialdesk.reports.selectors import DateRange

RANGE = DateRange(first=date(2026, 3, 6), last=date(2026, 3, 11))
QUERY = {"start": "2026-03-06", "end": "2026-03-11"}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def history(agents):
    Conversation.objects.update(status="closed")
    cm = agents["cm"]
    for asked, answered, author in (
        (utc(2026, 3, 6, 15, 0), utc(2026, 3, 9, 9, 0), "601"),
        (utc(2026, 3, 10, 19, 0), utc(2026, 3, 11, 8, 30), "602"),
    ):
        with freeze_time(asked):
            ingest([make_inbound("Sync stopped", author_id=author, created_at=asked)])
        conversation = Conversation.objects.latest("pk")
        with freeze_time(answered):
            actions.reply(actor=cm, conversation=conversation, text="Try signing in again")
    BusinessHours.objects.create(
        enabled=True,
        time_zone="Europe/Berlin",
        start=time(9, 0),
        end=time(17, 0),
        weekdays=[0, 1, 2, 3, 4],
    )


def test_waits_count_only_within_business_hours(history):
    plain = selectors.response_times(period=RANGE)
    assert plain.overall.first.count == 2
    assert plain.overall.first.mean == (66 * 3600 + 13.5 * 3600) / 2
    hours = BusinessHours.load().hours()
    within = selectors.response_times(period=RANGE, hours=hours)
    assert within.overall.first.count == 2
    assert within.overall.first.mean == (7200 + 1800) / 2
    assert sorted(
        hours.seconds_between(r.waited_from, r.at) for r in selectors.responses(period=RANGE)
    ) == [1800, 7200]
    # Off: the toggle has nothing to count within.
    BusinessHours.objects.update(enabled=False)
    assert BusinessHours.load().hours() is None


def test_the_report_toggles_business_hours_and_its_csv_follows(history, agents, client):
    client.force_login(agents["cm"])
    page = client.get("/reports/response-times/", QUERY).content.decode()
    assert "within business hours" in page and "Europe/Berlin" in page
    rows = {
        tuple(line.split(",")[:2]): line.split(",")[2:6]
        for line in client.get(
            "/reports/response-times/", {**QUERY, "hours": "business", "format": "csv"}
        )
        .content.decode()
        .splitlines()[1:]
    }
    assert rows[("all", "All")][:2] == ["2", "4500.0"]
    rows = {
        tuple(line.split(",")[:2]): line.split(",")[2:6]
        for line in client.get("/reports/response-times/", {**QUERY, "format": "csv"})
        .content.decode()
        .splitlines()[1:]
    }
    assert rows[("all", "All")][:2] == ["2", "143100.0"]


def test_community_managers_set_the_hours(agents, client):
    client.force_login(agents["contributor"])
    assert client.get("/reports/business-hours/").status_code == 403
    client.force_login(agents["cm"])
    r = client.post(
        "/reports/business-hours/",
        {
            "enabled": "on",
            "time_zone": "America/New_York",
            "start": "08:00",
            "end": "16:30",
            "weekdays": ["0", "1", "2"],
        },
    )
    assert r.status_code == 302
    saved = BusinessHours.load()
    assert (saved.time_zone, saved.start, saved.end, saved.weekdays) == (
        "America/New_York",
        time(8, 0),
        time(16, 30),
        [0, 1, 2],
    )
    r = client.post(
        "/reports/business-hours/",
        {"time_zone": "Mars/Olympus", "start": "18:00", "end": "09:00", "weekdays": ["9"]},
    )
    assert r.status_code == 400
    assert BusinessHours.objects.count() == 1 and BusinessHours.load().start == time(8, 0)


def test_a_team_with_hours_of_its_own_counts_its_replies_within_them(history):
    """Both answers were sent from @FirefoxSupport. Its team's own hours, 08:00-18:00 Berlin,
    Monday to Friday: W waited Fri 16-18 + Mon 8-10 = 14,400 s, N Wed 8:00-9:30 = 5,400 s."""
    from socialdesk.brands.models import BrandAccount

    support = BrandAccount.objects.get(platform="twitter", handle="FirefoxSupport")
    other = BrandAccount.objects.get(platform="twitter", handle="mozilla_germany")
    own = BusinessHours.objects.create(
        account=support,
        enabled=True,
        time_zone="Europe/Berlin",
        start=time(8, 0),
        end=time(18, 0),
        weekdays=[0, 1, 2, 3, 4],
    )
    # Another account's hours change nothing for replies sent from @FirefoxSupport.
    BusinessHours.objects.create(
        account=other,
        enabled=True,
        time_zone="UTC",
        start=time(0, 0),
        end=time(0, 1),
        weekdays=[6],
    )
    within = selectors.response_times(period=RANGE, hours=BusinessHours.book())
    assert within.overall.first.mean == (14400 + 5400) / 2
    (row,) = within.by_account
    assert row.label == str(support) and row.first.mean == (14400 + 5400) / 2
    # Its own hours switched off: its replies count round the clock, whatever the desk's.
    own.enabled = False
    own.save()
    within = selectors.response_times(period=RANGE, hours=BusinessHours.book())
    assert within.overall.first.mean == (66 * 3600 + 13.5 * 3600) / 2
    # Without its own, the desk's hours (the fixture's 09:00-17:00 Berlin) count.
    own.delete()
    within = selectors.response_times(period=RANGE, hours=BusinessHours.book())
    assert within.overall.first.mean == (7200 + 1800) / 2


def test_community_managers_give_an_account_its_own_hours_and_take_them_back(agents, client):
    from socialdesk.brands.models import BrandAccount

    support = BrandAccount.objects.get(platform="twitter", handle="FirefoxSupport")
    client.force_login(agents["contributor"])
    assert client.get(f"/reports/business-hours/?account={support.pk}").status_code == 403
    client.force_login(agents["cm"])
    page = client.get(f"/reports/business-hours/?account={support.pk}").content.decode()
    assert "@FirefoxSupport" in page and "Use the desk&#x27;s hours" not in page
    hours = {
        "account": support.pk,
        "enabled": "on",
        "time_zone": "America/Sao_Paulo",
        "start": "08:00",
        "end": "16:00",
        "weekdays": ["0", "1", "2", "3", "4"],
    }
    r = client.post("/reports/business-hours/", hours)
    assert r.status_code == 302 and r["Location"].endswith(f"?account={support.pk}")
    saved = BusinessHours.load(support)
    assert (saved.account, saved.time_zone) == (support, "America/Sao_Paulo")
    assert BusinessHours.load().pk is None, "the desk's own hours are untouched"
    # Bad input keeps what was saved.
    r = client.post("/reports/business-hours/", {**hours, "end": "07:00"})
    assert r.status_code == 400 and BusinessHours.load(support).end == time(16, 0)
    for bad in ("999999", "abc", "-1"):
        assert client.get(f"/reports/business-hours/?account={bad}").status_code == 404
        assert (
            client.post("/reports/business-hours/", {**hours, "account": bad}).status_code == 404
        )
    page = client.get("/reports/business-hours/").content.decode()
    assert "own hours" in page
    r = client.post("/reports/business-hours/", {"account": support.pk, "use_default": "1"})
    assert r.status_code == 302
    assert not BusinessHours.objects.filter(account=support).exists()
