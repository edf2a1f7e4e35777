"""PE6: the desk in the person's language. The browser's Accept-Language decides until the person
chooses a language in personal settings (kept on their profile, whatever browser they use);
visitors choose one on the sign-in page. Numbers, dates and plurals follow the language; ids
never get a thousands separator."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from conftest import make_inbound
from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import Conversation
from socialdesk.people.audit import search
from socialdesk.people.models import Profile

pytestmark = pytest.mark.django_db


def _client(user=None, **headers):
    client = Client(headers=headers)
    if user is not None:
        client.force_login(user)
    return client


def _next_id(model, value: int) -> None:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)", [table, value]
            )
        else:
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, value - 1]
            )


def test_english_stays_the_default():
    page = Client().get("/login/").content.decode()
    assert '<html lang="en"' in page and "<h1>Sign in</h1>" in page


def test_the_browsers_language_is_taken_until_the_person_chooses_one(contributor):
    page = _client(accept_language="de-DE,de;q=0.9,en;q=0.5").get("/login/").content.decode()
    assert '<html lang="de"' in page and "<h1>Anmelden</h1>" in page

    client = _client(contributor, accept_language="de")
    page = client.get("/").content.decode()
    assert "<h1>Queues</h1>" in page and "Wartet auf Antwort" in page
    assert "Meine Einstellungen" in page

    # Chosen in settings, kept on the profile: another browser's language does not replace it.
    response = client.post("/settings/language", {"language": "fr"})
    assert response.status_code == 302
    assert Profile.objects.get(user=contributor).language == "fr"
    assert [e.kind for e in search(kind="language_changed")] == ["language_changed"]
    page = _client(contributor, accept_language="de").get("/settings/").content.decode()
    assert '<html lang="fr"' in page and "Mes paramètres" in page
    assert '<option value="fr" lang="fr" selected>' in page

    # Back to the browser's.
    _client(contributor).post("/settings/language", {"language": ""})
    assert Profile.objects.get(user=contributor).language == ""
    page = _client(contributor, accept_language="es").get("/settings/").content.decode()
    assert '<html lang="es"' in page


@pytest.mark.parametrize("bad", ["xx", "de\x00", "EN-GB-x-very-long", "../de"])
def test_a_language_not_offered_is_refused_with_a_message(contributor, bad):
    client = _client(contributor)
    response = client.post("/settings/language", {"language": bad}, follow=True)
    assert response.status_code == 200
    assert "Choose a language from the list." in response.content.decode()
    assert Profile.objects.get(user=contributor).language == ""


def test_visitors_choose_a_language_on_the_sign_in_page():
    client = Client()
    page = client.get("/login/").content.decode()
    assert (
        'action="/i18n/setlang/"' in page
        and '<option value="tr" lang="tr">Türkçe</option>' in page
    )
    response = client.post("/i18n/setlang/", {"language": "tr", "next": "/login/"})
    assert response.status_code == 302 and response["Location"] == "/login/"
    page = client.get("/login/").content.decode()
    assert '<html lang="tr"' in page and "<h1>Oturum aç</h1>" in page


def test_plurals_dates_and_counts_follow_the_language_and_ids_get_no_separator(contributor):
    # An id large enough for a thousands separator, and one conversation (a singular).
    _next_id(Conversation, 12345)
    ingest([make_inbound(text="@FirefoxSupport sync lost my tabs")])
    conversation = Conversation.objects.get()
    assert conversation.pk == 12345
    client = _client(contributor, accept_language="de")
    page = client.get("/queues/twitter-conversations-moderated/?status=open").content.decode()
    assert 'value="12345"' in page and "/c/12345/" in page
    assert "12.345" not in page and "12,345" not in page
    # The totals arrive as the page's summary fragment (htmx), in the same language.
    summary = client.get(
        "/queues/twitter-conversations-moderated/summary?status=open"
    ).content.decode()
    assert "1 Unterhaltung passt;" in summary

    page = client.get(f"/c/{conversation.pk}/").content.decode()
    # "1. Dez., 09:00": the day first in German (the month's name is Django's own catalogue's).
    local = timezone.localtime(conversation.messages.get().created_at)
    assert re.search(rf">{local.day}\. \w+\.?, {local:%H:%M}</time>", page), page
    assert 'name="conversation" value="12345"' in page or "/c/12345/" in page


def test_a_reminder_is_told_in_the_language_its_person_chose(
    contributor, conversation, django_capture_on_commit_callbacks
):
    from django.core import mail
    from freezegun import freeze_time

    from socialdesk.operations.schedule import JOBS, Scheduler
    from socialdesk.people.models import Notification

    Profile.objects.filter(user=contributor).update(
        time_zone="Europe/Berlin", language="de", email_notifications=["reminder_due"]
    )
    with freeze_time("2027-01-10 05:00:00"):
        # Signed in at the frozen time: a session idle since today would have ended by then.
        client = _client(contributor)
        response = client.post(
            f"/c/{conversation.pk}/reminder", {"due_at": "2027-01-10T09:00", "note": "Nachfragen"}
        )
        assert response.status_code == 302
    from socialdesk.conversations.models import Reminder

    assert Reminder.objects.get().due_at.isoformat() == "2027-01-10T08:00:00+00:00"
    # 09:00 in Berlin is 08:00 UTC in winter.
    with freeze_time("2027-01-10 08:00:00"), django_capture_on_commit_callbacks(execute=True):
        Scheduler(name="test", jobs=[j for j in JOBS if j.name == "reminders"]).tick()
    note = Notification.objects.get(user=contributor)
    assert note.text.startswith("Erinnerung (09:00 Europe/Berlin): ")
    assert note.text.endswith("— Nachfragen")
    # The email too, down to why it came.
    assert [m.to for m in mail.outbox] == [[contributor.email]]
    assert "Erinnerung (09:00 Europe/Berlin)" in mail.outbox[0].subject
    assert "Du bekommst diese E-Mail, weil" in mail.outbox[0].body
