"""PE6: a time zone per person. The browser's zone is taken on the first visit, the person can
change it in personal settings, every time is shown in it, and a reminder typed as 09:00 in
Berlin is due at 09:00 Berlin (07:00 UTC in summer, 08:00 UTC in winter), not 09:00 UTC."""

from datetime import UTC, datetime

import pytest
from django.test import Client
from freezegun import freeze_time

from socialdesk.conversations.models import Reminder
from socialdesk.people.audit import search
from socialdesk.people.models import Profile
from socialdesk.people.time_zones import BROWSER_COOKIE

pytestmark = pytest.mark.django_db


def _client(user, **cookies):
    client = Client()
    client.force_login(user)
    for name, value in cookies.items():
        client.cookies[name] = value
    return client


def test_the_browsers_zone_is_taken_on_the_first_visit_and_kept(contributor):
    assert Profile.objects.get(user=contributor).time_zone == ""
    client = _client(contributor, **{BROWSER_COOKIE: "America/Sao_Paulo"})
    assert client.get("/settings/").status_code == 200
    assert Profile.objects.get(user=contributor).time_zone == "America/Sao_Paulo"

    # A zone the person chose is theirs: another browser's zone does not replace it.
    client.cookies[BROWSER_COOKIE] = "Asia/Tokyo"
    page = client.get("/settings/").content.decode()
    assert Profile.objects.get(user=contributor).time_zone == "America/Sao_Paulo"
    assert '<option value="America/Sao_Paulo" selected>' in page


def test_a_made_up_browser_zone_is_ignored(contributor):
    client = _client(contributor, **{BROWSER_COOKIE: "Mars/Olympus_Mons"})
    assert client.get("/settings/").status_code == 200
    assert Profile.objects.get(user=contributor).time_zone == ""


def test_the_zone_is_changed_in_personal_settings_and_audited(contributor):
    client = _client(contributor)
    response = client.post("/settings/time-zone", {"time_zone": "Europe/Istanbul"}, follow=True)
    assert "Times are now shown in Europe/Istanbul." in response.content.decode()
    assert Profile.objects.get(user=contributor).time_zone == "Europe/Istanbul"
    entry = search(kind="time_zone_changed").get()
    assert entry.actor == contributor and entry.detail["to"] == "Europe/Istanbul"


@pytest.mark.parametrize("bad", ["", "Berlin", "Europe/Berlin\x00", "x" * 500, "UTC; DROP"])
def test_a_zone_not_in_the_list_gets_a_clear_message(contributor, bad):
    Profile.objects.filter(user=contributor).update(time_zone="Europe/Madrid")
    response = _client(contributor).post("/settings/time-zone", {"time_zone": bad}, follow=True)
    assert response.status_code == 200
    assert "Choose a time zone from the list" in response.content.decode()
    assert Profile.objects.get(user=contributor).time_zone == "Europe/Madrid"


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [("2027-07-01", 7), ("2027-01-14", 8)],  # summer time (CEST), winter time (CET)
)
def test_a_reminder_typed_as_nine_in_berlin_is_due_at_nine_in_berlin(
    contributor, conversation, day, utc_hour
):
    Profile.objects.filter(user=contributor).update(time_zone="Europe/Berlin")
    # Signed in again under each frozen clock: a session from the real today would have expired.
    with freeze_time(f"{day} 05:00:00"):
        response = _client(contributor).post(
            f"/c/{conversation.pk}/reminder", {"due_at": f"{day}T09:00", "note": "Ask again"}
        )
        assert response.status_code == 302
    reminder = Reminder.objects.get()
    assert reminder.due_at == datetime.fromisoformat(f"{day}T{utc_hour:02d}:00:00").replace(
        tzinfo=UTC
    )

    # Shown as typed, in Berlin's time, on the conversation.
    with freeze_time(f"{day} 05:00:00"):
        page = _client(contributor).get(f"/c/{conversation.pk}/").content.decode()
    assert "09:00 — " in page
    assert 'aria-label="Remind me at (Europe/Berlin time)"' in page

    # Not due at 08:59 Berlin, due at 09:00 Berlin: the header's badge and the home page.
    with freeze_time(f"{day} {utc_hour - 1:02d}:59:00"):
        assert "reminder-badge" not in _client(contributor).get("/").content.decode()
    with freeze_time(f"{day} {utc_hour:02d}:00:00"):
        home = _client(contributor).get("/").content.decode()
    assert 'aria-label="1 reminder due"' in home and "Ask again" in home


def test_without_a_zone_times_stay_utc(contributor, conversation):
    with freeze_time("2027-07-01 05:00:00"):
        _client(contributor).post(f"/c/{conversation.pk}/reminder", {"due_at": "2027-07-01T09:00"})
    assert Reminder.objects.get().due_at == datetime(2027, 7, 1, 9, tzinfo=UTC)
