"""PE1 applying and PE2 the community managers' review: the seed's form, its refusals, the
business-day deadline, approving into an account, rejecting with a reason, inviting."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone

from socialdesk.people import applications
from socialdesk.people.models import Application, ApplicationStatus, Profile, Role


def form(**override):
    data = {
        "name": "Lena Kraus",
        "email": "lena@example.org",
        "handle": "@lena_k",
        "started_on": (timezone.localdate() - timedelta(days=20)).isoformat(),
        "privacy": "on",
        "contact": "on",
        **{f"criterion_{key}": "on" for key, _ in applications.criteria()},
    }
    data.update(override)
    return {k: v for k, v in data.items() if v is not None}


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# Emails leave through a task enqueued on commit: this test commits.
@pytest.mark.django_db(transaction=True)
def test_someone_applies_and_gets_a_confirmation_with_the_answer_date(db):
    r = Client().post("/apply/", form())
    assert r.status_code == 302 and r["Location"] == "/apply/sent"
    a = Application.objects.get()
    assert (a.name, a.email, a.handle, a.status) == (
        "Lena Kraus",
        "lena@example.org",
        "lena_k",
        "pending",
    )
    assert (
        a.confirmed_criteria == [key for key, _ in applications.criteria()]
        and a.privacy_accepted
        and a.contact_accepted
    )
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["lena@example.org"]
    assert "within 2 business days" in mail.outbox[0].body
    page = Client().get("/apply/").content.decode()
    for _, statement in applications.criteria():
        assert statement in page
    assert "#fxhelp" in page


@pytest.mark.parametrize(
    ("override", "field", "message"),
    [
        ({"name": ""}, "name", "Give your name."),
        ({"email": "not-an-address"}, "email", "This is not an email address"),
        (
            {"started_on": (date.today() + timedelta(days=3)).isoformat()},
            "started_on",
            "in the future",
        ),
        (
            {"started_on": (date.today() - timedelta(days=5)).isoformat()},
            "started_on",
            "two weeks",
        ),
        ({"started_on": "yesterday-ish"}, "started_on", "Give a date"),
        ({"criterion_nda": None}, "criterion_nda", "Confirm this criterion"),
        ({"privacy": None}, "privacy", "privacy terms"),
        ({"contact": None}, "contact", "agree to be contacted"),
        ({"handle": "two words"}, "handle", "one word"),
    ],
)
def test_bad_answers_get_a_clear_message_and_keep_what_was_typed(db, override, field, message):
    r = Client().post("/apply/", form(**override))
    assert r.status_code == 400
    assert message in " ".join(r.context["form"].errors[field])
    html = r.content.decode()
    assert 'value="Lena Kraus"' in html or field == "name"
    assert "checked" in html
    assert not Application.objects.exists() and mail.outbox == []


def test_an_email_that_already_applied_or_has_an_account_is_refused(db):
    Client().post("/apply/", form())
    r = Client().post("/apply/", form(email="LENA@example.org", name="Lena again"))
    assert (
        r.status_code == 400
        and "waiting for review already" in r.context["form"].errors["email"][0]
    )
    assert 'value="Lena again"' in r.content.decode()
    get_user_model().objects.create_user("sam", email="sam@example.org")
    r = Client().post("/apply/", form(email="sam@example.org"))
    assert "already has an account" in r.context["form"].errors["email"][0]


def test_the_answer_is_due_two_business_days_later():
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    assert applications.add_business_days(friday, 2) == datetime(
        2026, 12, 1, 15, 0, tzinfo=UTC
    )  # Tuesday
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert applications.add_business_days(saturday, 2) == datetime(
        2026, 12, 2, 0, 0, tzinfo=UTC
    )  # from Monday
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert applications.add_business_days(monday, 2) == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_community_managers_see_overdue_applications_first_with_the_experience_computed(agents):
    Client().post(
        "/apply/",
        form(
            name="New Nina",
            email="nina@example.org",
            started_on=(timezone.localdate() - timedelta(days=15)).isoformat(),
        ),
    )
    Client().post("/apply/", form(name="Old Otto", email="otto@example.org"))
    Application.objects.filter(name="Old Otto").update(
        submitted_at=timezone.now() - timedelta(days=7)
    )
    r = as_user(agents["cm"]).get("/manage/applications/")
    html = r.content.decode()
    assert r.status_code == 200
    assert html.index("Old Otto") < html.index("New Nina")
    assert "Overdue" in html and "15 days (two weeks or more)" in html
    for role in ("contributor", "moderator"):
        assert as_user(agents[role]).get("/manage/applications/").status_code == 403


# Emails leave through a task enqueued on commit: this test commits.
@pytest.mark.django_db(transaction=True)
def test_approving_makes_a_contributor_who_sets_a_password_from_the_email_and_signs_in(agents):
    Client().post("/apply/", form())
    a = Application.objects.get()
    mail.outbox.clear()
    r = as_user(agents["cm"]).post(
        f"/manage/applications/{a.pk}/decide", {"decision": "approve", "role": "contributor"}
    )
    assert r.status_code == 302
    a.refresh_from_db()
    user = a.user
    assert a.status == ApplicationStatus.APPROVED and a.decided_by == agents["cm"]
    assert (user.username, user.email, user.first_name, user.profile.role) == (
        "lena_k",
        "lena@example.org",
        "Lena",
        Role.CONTRIBUTOR,
    )
    assert not user.has_usable_password()
    body = mail.outbox[0].body
    assert mail.outbox[0].to == ["lena@example.org"] and "lena_k" in body
    link = re.search(r"http://testserver(/password-reset/\S+/)", body).group(1)
    client = Client()
    r = client.get(link)
    client.post(
        r["Location"],
        {"new_password1": "quiet-harbour-lanterns", "new_password2": "quiet-harbour-lanterns"},
    )
    r = Client().post("/login/", {"username": "lena_k", "password": "quiet-harbour-lanterns"})
    assert r.status_code == 302 and r["Location"] == "/"
    # Decided once.
    r = as_user(agents["cm"]).post(
        f"/manage/applications/{a.pk}/decide", {"decision": "reject", "reason": "x"}, follow=True
    )
    assert "decided already" in r.content.decode()


def test_an_applicant_can_be_made_a_moderator(agents):
    Client().post("/apply/", form())
    a = Application.objects.get()
    as_user(agents["admin"]).post(
        f"/manage/applications/{a.pk}/decide", {"decision": "approve", "role": "moderator"}
    )
    assert Profile.objects.get(user__email="lena@example.org").role == Role.MODERATOR


# Emails leave through a task enqueued on commit: this test commits.
@pytest.mark.django_db(transaction=True)
def test_rejecting_needs_a_reason_and_emails_it(agents):
    Client().post("/apply/", form())
    a = Application.objects.get()
    mail.outbox.clear()
    cm = as_user(agents["cm"])
    r = cm.post(
        f"/manage/applications/{a.pk}/decide", {"decision": "reject", "reason": "  "}, follow=True
    )
    assert "Say why" in r.content.decode()
    assert Application.objects.get().status == ApplicationStatus.PENDING and mail.outbox == []
    cm.post(
        f"/manage/applications/{a.pk}/decide",
        {"decision": "reject", "reason": "We need a few more weeks of answers on #fxhelp first."},
    )
    a.refresh_from_db()
    assert a.status == ApplicationStatus.REJECTED and a.user is None
    assert "a few more weeks of answers" in mail.outbox[0].body
    assert not get_user_model().objects.filter(email="lena@example.org").exists()
    # After a rejection one may apply again.
    assert Client().post("/apply/", form()).status_code == 302


def test_contributors_and_moderators_cannot_decide(agents):
    Client().post("/apply/", form())
    a = Application.objects.get()
    for role in ("contributor", "moderator"):
        r = as_user(agents[role]).post(
            f"/manage/applications/{a.pk}/decide", {"decision": "approve"}
        )
        assert r.status_code == 403
    assert Application.objects.get().status == ApplicationStatus.PENDING


# Emails leave through a task enqueued on commit: this test commits.
@pytest.mark.django_db(transaction=True)
def test_a_community_manager_invites_someone_they_know(agents):
    cm = as_user(agents["cm"])
    r = cm.post(
        "/manage/applications/invite",
        {"name": "Ana Souza", "email": "ana@example.org", "role": "moderator"},
    )
    assert r.status_code == 302
    user = get_user_model().objects.get(email="ana@example.org")
    assert user.profile.role == Role.MODERATOR and "/password-reset/" in mail.outbox[0].body
    # Not into a role as high as their own; not twice; a bad address is said so, with what was typed kept.
    r = cm.post(
        "/manage/applications/invite", {"name": "Carl", "email": "carl@example.org", "role": "cm"}
    )
    assert (
        r.status_code == 400
        and not get_user_model().objects.filter(email="carl@example.org").exists()
    )
    r = cm.post(
        "/manage/applications/invite",
        {"name": "Ana again", "email": "ANA@example.org", "role": "contributor"},
    )
    assert (
        r.status_code == 400
        and "already has an account" in r.content.decode()
        and 'value="Ana again"' in r.content.decode()
    )
    r = cm.post(
        "/manage/applications/invite", {"name": "Bo", "email": "bo@", "role": "contributor"}
    )
    assert r.status_code == 400 and "not an email address" in r.content.decode()
