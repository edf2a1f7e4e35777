"""Every email sent while someone else acts is written in the recipient's language, not in the
language of the person acting: a German community manager approving an English applicant
writes English, an English one rejecting a German applicant writes German; the same for
invitations, an admin removing an account, password resets and the community managers' notices."""

import re

from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from socialdesk.actions.leaving import stop_contributing
from socialdesk.people.models import Application, Notification, Profile

from .test_applications import form

APPLICATION_SUBJECT = "Your application to help on social support"
APPROVED_SUBJECT = "Welcome to social support: set your password"
INVITED_SUBJECT = "You are invited to Socialdesk"
LEFT_SUBJECT = "Your Socialdesk account is deleted"
RESET_SUBJECT = "Your Socialdesk password"


def in_language(code: str, message: str) -> str:
    """`message` as the catalogue of `code` has it; a test of it fails if it was not translated."""
    with translation.override(code):
        theirs = gettext(message)
    assert theirs != message, f"{message!r} is not translated into {code}"
    return theirs


def speaking(user, code: str):
    Profile.objects.filter(user=user).update(language=code)
    user.refresh_from_db()


def signed_in(user, accept_language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=accept_language)
    client.force_login(user)
    return client


def test_an_application_is_answered_in_the_language_it_was_made_in_whoever_decides(
    agents, django_capture_on_commit_callbacks
):
    german_cm, english_cm = agents["cm"], agents["admin"]
    speaking(german_cm, "de")
    speaking(english_cm, "en")
    with django_capture_on_commit_callbacks(execute=True):
        r = Client(HTTP_ACCEPT_LANGUAGE="en").post("/apply/", form())
        assert r.status_code == 302
        r = Client(HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").post(
            "/apply/", form(name="Jonas Weber", email="jonas@example.org", handle="jonas_w")
        )
        assert r.status_code == 302
    english, german = Application.objects.order_by("pk")
    assert (english.language, german.language) == ("en", "de")
    # Each got the confirmation in the language they applied in.
    received = {m.to[0]: m.subject for m in mail.outbox if m.to[0].endswith("example.org")}
    assert received["lena@example.org"] == APPLICATION_SUBJECT
    assert received["jonas@example.org"] == in_language("de", APPLICATION_SUBJECT)
    # The community managers were told in their own languages, whoever applied.
    told = dict(Notification.objects.values_list("user__username", "text").distinct())
    waiting = "Someone applied to contribute: the team answers within 2 business days."
    assert told == {"cm": in_language("de", waiting), "admin": waiting}

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        # The German community manager approves the English applicant...
        r = signed_in(german_cm, "de").post(
            f"/manage/applications/{english.pk}/decide",
            {"decision": "approve", "role": "contributor"},
        )
        assert r.status_code == 302
        # ... and the English one turns the German applicant down.
        r = signed_in(english_cm).post(
            f"/manage/applications/{german.pk}/decide",
            {"decision": "reject", "reason": "Bitte noch ein paar Wochen auf #fxhelp antworten."},
        )
        assert r.status_code == 302
    approved, rejected = mail.outbox
    assert approved.to == ["lena@example.org"] and approved.subject == APPROVED_SUBJECT
    # Her desk starts in the language she applied in, not the deciding manager's.
    english.refresh_from_db()
    assert english.user.profile.language == "en"
    assert "your application is approved" in approved.body and "as a contributor" in approved.body
    assert rejected.to == ["jonas@example.org"]
    assert rejected.subject == in_language("de", APPLICATION_SUBJECT)
    assert rejected.body.startswith("Hallo Jonas Weber,")
    assert "Bitte noch ein paar Wochen" in rejected.body
    assert "thank you" not in rejected.body


def test_an_invitation_is_written_in_the_language_the_inviter_gives_for_them(
    agents, django_capture_on_commit_callbacks
):
    german_cm = agents["cm"]
    speaking(german_cm, "de")
    with django_capture_on_commit_callbacks(execute=True):
        r = signed_in(german_cm, "de").post(
            "/manage/applications/invite",
            {
                "name": "Ana Souza",
                "email": "ana@example.org",
                "role": "moderator",
                "language": "en",
            },
        )
        assert r.status_code == 302
    invited = mail.outbox[-1]
    assert invited.subject == INVITED_SUBJECT and "invited you to help" in invited.body
    assert "as a moderator" in invited.body
    # Their desk starts in that language too.
    assert Profile.objects.get(user__email="ana@example.org").language == "en"

    with django_capture_on_commit_callbacks(execute=True):
        r = signed_in(agents["admin"]).post(
            "/manage/applications/invite",
            {
                "name": "Jonas",
                "email": "jonas@example.org",
                "role": "contributor",
                "language": "de",
            },
        )
        assert r.status_code == 302
    assert mail.outbox[-1].subject == in_language("de", INVITED_SUBJECT)
    assert mail.outbox[-1].body.startswith("Hallo Jonas,")

    # A language the desk does not have is refused with what was typed kept; no account made.
    r = signed_in(agents["admin"]).post(
        "/manage/applications/invite",
        {"name": "Bo", "email": "bo@example.org", "role": "contributor", "language": "xx"},
    )
    page = r.content.decode()
    assert r.status_code == 400 and "Choose a language from the list." in page
    assert 'value="bo@example.org"' in page
    assert not get_user_model().objects.filter(email="bo@example.org").exists()


def test_an_account_an_admin_removes_is_confirmed_in_its_owners_language(
    agents, django_capture_on_commit_callbacks
):
    User = get_user_model()
    english = User.objects.create_user("sam", email="sam@example.org")
    german = User.objects.create_user("jonas", email="jonas@example.org")
    Profile.objects.create(user=english, role="contributor", language="en")
    Profile.objects.create(user=german, role="contributor", language="de")
    with django_capture_on_commit_callbacks(execute=True):
        # The admin reads the desk in German, then in English (their request's language).
        with translation.override("de"):
            stop_contributing(actor=agents["admin"], user=english)
        with translation.override("en"):
            stop_contributing(actor=agents["admin"], user=german)
    to_sam, to_jonas = mail.outbox
    assert to_sam.to == ["sam@example.org"] and to_sam.subject == LEFT_SUBJECT
    assert "an admin deleted your Socialdesk account" in to_sam.body
    assert to_jonas.subject == in_language("de", LEFT_SUBJECT)
    assert to_jonas.body.startswith("Hallo jonas,")


def test_a_password_reset_is_in_the_language_of_the_profile_else_of_the_page(
    agents, django_capture_on_commit_callbacks
):
    User = get_user_model()
    german = User.objects.create_user("jonas", email="jonas@example.org", password="x" * 20)
    Profile.objects.create(user=german, role="contributor", language="de")
    chooses_none = User.objects.create_user(
        "amelie", email="amelie@example.org", password="y" * 20
    )
    Profile.objects.create(user=chooses_none, role="contributor")
    with django_capture_on_commit_callbacks(execute=True):
        # Asked from an English browser: the profile's German wins.
        Client(HTTP_ACCEPT_LANGUAGE="en").post("/password-reset/", {"email": "jonas@example.org"})
        # No language chosen: the page's (a French browser).
        Client(HTTP_ACCEPT_LANGUAGE="fr").post("/password-reset/", {"email": "amelie@example.org"})
    to_jonas, to_amelie = mail.outbox
    assert to_jonas.subject == in_language("de", RESET_SUBJECT)
    assert to_amelie.subject == in_language("fr", RESET_SUBJECT)
    # The link works the same whatever the language.
    assert re.search(r"/password-reset/\S+/", to_jonas.body)
