"""PE5: password policy, reset by email, change, login throttling, idle sessions, signing out everywhere."""

import logging
import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from socialdesk.people.middleware import LAST_ACTIVE
from socialdesk.people.models import Profile, Role, SignedInSession

PASSWORD = "fxhelp-volunteer-2026"


@pytest.fixture
def agent(db):
    user = get_user_model().objects.create_user(
        "lena", email="lena@example.org", password=PASSWORD
    )
    Profile.objects.create(user=user, role=Role.CONTRIBUTOR)
    return user


def sign_in(username="lena", password=PASSWORD) -> Client:
    client = Client()
    r = client.post("/login/", {"username": username, "password": password})
    assert r.status_code == 302 and r["Location"] == "/", r.status_code
    return client


def signed_in(client: Client) -> bool:
    return client.get("/settings/").status_code == 200


@pytest.mark.parametrize(
    "weak", ["admin-admin", "31415926535", "password1234", "lena@example.org1"]
)
def test_weak_passwords_are_refused_with_the_reason(agent, weak):
    client = sign_in()
    r = client.post(
        "/settings/password/",
        {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak},
    )
    assert r.status_code == 200
    assert r.context["form"].errors["new_password2"]
    agent.refresh_from_db()
    assert agent.check_password(PASSWORD)


def test_every_agent_changes_their_password_and_their_other_sessions_end(agent):
    elsewhere = sign_in()
    here = sign_in()
    r = here.post(
        "/settings/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "quiet-harbour-lanterns",
            "new_password2": "quiet-harbour-lanterns",
        },
    )
    assert r.status_code == 302 and r["Location"] == "/settings/"
    assert signed_in(here)
    assert not signed_in(elsewhere)
    sign_in(password="quiet-harbour-lanterns")


def test_a_wrong_current_password_keeps_what_was_typed_and_says_so(agent):
    client = sign_in()
    r = client.post(
        "/settings/password/",
        {
            "old_password": "nope",
            "new_password1": "quiet-harbour-lanterns",
            "new_password2": "quiet-harbour-lanterns",
        },
    )
    assert r.status_code == 200 and "old_password" in r.context["form"].errors


# Emails leave through a task enqueued on commit: this test commits.
@pytest.mark.django_db(transaction=True)
def test_a_password_is_reset_through_the_link_in_the_email(agent):
    client = Client()
    r = client.post("/password-reset/", {"email": "LENA@example.org"})
    assert r.status_code == 302 and r["Location"] == "/password-reset/sent"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["lena@example.org"]
    link = re.search(r"https?://\S+/password-reset/\S+/", mail.outbox[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    r = client.get("/" + path)
    assert r.status_code == 302  # Django hides the token from the page's URL
    r = client.post(
        r["Location"], {"new_password1": "admin-admin", "new_password2": "admin-admin"}
    )
    assert r.status_code == 200 and r.context["form"].errors
    r = client.post(
        r.request["PATH_INFO"],
        {"new_password1": "quiet-harbour-lanterns", "new_password2": "quiet-harbour-lanterns"},
    )
    assert r.status_code == 302 and r["Location"] == "/password-reset/complete"
    sign_in(password="quiet-harbour-lanterns")
    # The link works once.
    r = Client().get("/" + path, follow=True)
    assert "This link no longer works" in r.content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_email(agent):
    r = Client().post("/password-reset/", {"email": "nobody@example.org"})
    assert r.status_code == 302 and r["Location"] == "/password-reset/sent"
    assert mail.outbox == []


# Emails leave through a task enqueued on commit: this test commits.
@pytest.mark.django_db(transaction=True)
def test_thirty_wrong_passwords_pause_the_account_with_a_clear_message_and_a_log_entry(
    agent, caplog, settings
):
    assert settings.AXES_FAILURE_LIMIT == 30
    client = Client()
    with caplog.at_level(logging.WARNING, logger="axes"):
        for n in range(29):
            r = client.post("/login/", {"username": "lena", "password": f"wrong-{n}"})
            assert r.status_code == 200
        r = client.post("/login/", {"username": "lena", "password": "wrong-30"})
    assert r.status_code == 429
    assert "Too many wrong passwords" in r.content.decode() and "15 minutes" in r.content.decode()
    assert any(
        "Locking out" in rec.getMessage() and "lena" in rec.getMessage() for rec in caplog.records
    )
    # Even the right password is refused while the pause lasts, from another browser too.
    r = Client().post("/login/", {"username": "lena", "password": PASSWORD})
    assert r.status_code == 429
    # Another account is not affected.
    other = get_user_model().objects.create_user("sam", password="quiet-harbour-lanterns")
    Profile.objects.create(user=other, role=Role.CONTRIBUTOR)
    sign_in("sam", "quiet-harbour-lanterns")
    # Proving one owns the mailbox lifts the pause.
    Client().post("/password-reset/", {"email": "lena@example.org"})
    link = re.search(r"/password-reset/\S+/", mail.outbox[-1].body).group(0)
    client = Client()
    r = client.get(link)
    client.post(
        r["Location"],
        {"new_password1": "quiet-harbour-lanterns", "new_password2": "quiet-harbour-lanterns"},
    )
    sign_in("lena", "quiet-harbour-lanterns")


def test_an_idle_session_ends_and_the_pages_own_timers_do_not_keep_it_alive(agent, settings):
    settings.SOCIALDESK_IDLE_SECONDS = 600
    client = sign_in()
    session = client.session
    session[LAST_ACTIVE] = int(time.time()) - 500
    session.save()
    assert signed_in(client)  # a real request: active again
    session = client.session
    assert session[LAST_ACTIVE] >= int(time.time()) - 5
    # The page's own timers are not the agent at work: they do not make the session active again.
    session[LAST_ACTIVE] = before = int(time.time()) - 500
    session.save()
    client.post("/play/renew", {}, HTTP_HX_REQUEST="true")
    client.post("/c/1/presence", {}, HTTP_HX_REQUEST="true")
    assert client.session[LAST_ACTIVE] == before
    session = client.session
    session[LAST_ACTIVE] = int(time.time()) - 700
    session.save()
    # The lease heartbeat finds the session over.
    client.post("/play/renew", {}, HTTP_HX_REQUEST="true")
    r = client.get("/settings/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")
    r = client.get(r["Location"])
    assert "without activity" in r.content.decode()


def test_sign_out_everywhere_ends_every_session_of_the_agent_only(agent):
    phone, laptop = sign_in(), sign_in()
    other = get_user_model().objects.create_user("sam", password="quiet-harbour-lanterns")
    Profile.objects.create(user=other, role=Role.CONTRIBUTOR)
    sams = sign_in("sam", "quiet-harbour-lanterns")
    assert SignedInSession.objects.filter(user=agent).count() == 2
    r = laptop.post("/settings/sign-out-everywhere")
    assert r.status_code == 302 and r["Location"] == "/login/"
    assert not signed_in(laptop) and not signed_in(phone)
    assert signed_in(sams)
    assert not SignedInSession.objects.filter(user=agent).exists()


def test_signing_out_forgets_the_session(agent):
    client = sign_in()
    assert SignedInSession.objects.filter(user=agent).count() == 1
    client.post("/logout/")
    assert not SignedInSession.objects.exists()


def test_an_over_long_username_is_a_wrong_username_not_an_error(agent):
    # Longer than any account's (150) and than axes' record of attempts (255): PostgreSQL refused
    # to store it and the sign-in answered 500.
    from axes.models import AccessAttempt

    client = Client(raise_request_exception=False)
    for length in (151, 256, 300, 100_000):
        r = client.post("/login/", {"username": "x" * length, "password": "nope"})
        assert r.status_code == 200, (length, r.status_code)
        assert "Your username and password didn" in r.content.decode()
    assert not AccessAttempt.objects.filter(username__startswith="x").exists()
    sign_in()


def test_axes_keeps_at_most_what_its_table_holds_from_any_sign_in_form(agent):
    # The admin's sign-in form is Django's own: the username still reaches axes, cut to 255.
    from axes.models import AccessAttempt

    r = Client(raise_request_exception=False).post(
        "/admin/login/", {"username": "y" * 300, "password": "nope"}
    )
    assert r.status_code == 200
    assert [len(u) for u in AccessAttempt.objects.values_list("username", flat=True)] == [255]
