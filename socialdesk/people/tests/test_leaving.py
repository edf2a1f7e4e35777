"""PE4: a contributor stops contributing; their personal data is gone from every table, while
what they did for the customers stays, attributed to "a former contributor"."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import models
from django.test import Client
from django.utils import timezone, translation

from conftest import make_inbound
from socialdesk.actions import conversation as actions
from socialdesk.actions import deal as play
from socialdesk.actions.inbound import ingest
from socialdesk.actions.leaving import FORMER_CONTRIBUTOR, stop_contributing
from socialdesk.actions.triage import confirm_or_correct
from socialdesk.conversations.models import Conversation, Message
from socialdesk.people import applications
from socialdesk.people.models import ApiToken, Application, Profile
from socialdesk.queues.models import Queue, SavedFilter

USERNAME, EMAIL, SURNAME, PASSWORD = (
    "lena_kraus_7",
    "lena.kraus@example.org",
    "Krausberg",
    "quiet-harbour-lanterns",
)
PERSONAL = (USERNAME, EMAIL, SURNAME)


def _every_row():
    """(table, row as text) for every row of every table the project's models know."""
    for model in apps.get_models(include_auto_created=True):
        fields = [f.attname for f in model._meta.concrete_fields]
        for row in model._base_manager.values_list(*fields):
            yield model._meta.db_table, " | ".join(map(str, row))


def _user_references():
    """(model, field) for every foreign key to the user model."""
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if isinstance(field, models.ForeignKey) and field.related_model is get_user_model():
                yield model, field


def _busy_contributor(agents):
    """A contributor who applied, was approved, signed in, and did a bit of everything."""
    Client().post(
        "/apply/",
        {
            "name": f"Lena {SURNAME}",
            "email": EMAIL,
            "handle": USERNAME,
            "started_on": (timezone.localdate() - timedelta(days=30)).isoformat(),
            "privacy": "on",
            "contact": "on",
            **{f"criterion_{k}": "on" for k, _ in applications.criteria()},
        },
    )
    user = applications.approve(
        actor=agents["cm"], application_id=Application.objects.get().pk, base_url="http://desk"
    )
    assert user.username == USERNAME
    user.set_password(PASSWORD)
    user.save()
    Client().post("/login/", {"username": USERNAME, "password": "wrong password"})
    browser = Client()
    assert browser.post("/login/", {"username": USERNAME, "password": PASSWORD}).status_code == 302
    browser.post("/settings/", {"op": "add", "signature": "^LK", "make_default": "on"})
    ApiToken.issue(user, "my script")

    ingest(
        [
            make_inbound("sync lost my passwords"),
            make_inbound("tabs crash on start"),
            make_inbound("where are my bookmarks"),
        ]
    )
    replied, noted, dealt = Conversation.objects.order_by("pk")
    Conversation.objects.update(moderated=True)
    actions.reply(actor=user, conversation=replied, text="Hi! Try signing in to sync again.")
    actions.add_note(actor=user, conversation=noted, text="Looks like the 126 crash")
    actions.set_reminder(
        actor=user,
        conversation=noted,
        due_at=timezone.now() + timedelta(days=1),
        note="check back",
    )
    actions.add_tag(actor=user, conversation=noted, tag="Sync")
    actions.assign(actor=user, conversation=noted, to_user=user)
    confirm_or_correct(actor=user, conversation=noted, field="sentiment", chosen="negative")
    browser.post(f"/c/{noted.pk}/presence")
    queue = Queue.objects.get(slug="twitter-conversations-moderated")
    SavedFilter.objects.create(user=user, queue=queue, name="Mine", params={"tag": "sync"})
    play.start(agent=user, queue=queue)
    got = play.deal_next(agent=user, queue=queue)
    actions.take_over(actor=agents["cm"], conversation=got)
    got = play.deal_next(agent=user, queue=queue)
    actions.set_requires_approval(actor=agents["moderator"], agent=user, on=True)
    return user, browser, replied, noted, got


# Emails leave through a task enqueued on commit: this test commits.
@pytest.mark.django_db(transaction=True)
def test_a_contributor_leaves_and_their_personal_data_is_gone_from_every_table(agents):
    user, browser, replied, noted, dealt = _busy_contributor(agents)
    user_id = user.pk
    # The world above really holds their data in many tables, by name or by reference.
    named = {t for t, row in _every_row() if any(p in row for p in PERSONAL)}
    referring = {
        t
        for t, field in _user_references()
        if t._base_manager.filter(**{field.attname: user_id}).exists()
    }
    assert len(named) >= 4 and len(referring) >= 14, (named, referring)
    mail.outbox.clear()

    # A wrong password or no confirmation: nothing happens, and the page says why.
    r = browser.post("/settings/leave", {"password": "nope", "confirm": "on"})
    assert r.status_code == 400 and "not your password" in r.content.decode()
    r = browser.post("/settings/leave", {"password": PASSWORD})
    assert r.status_code == 400 and "Tick the box" in r.content.decode()
    assert get_user_model().objects.filter(pk=user_id).exists()

    r = browser.post("/settings/leave", {"password": PASSWORD, "confirm": "on"})
    assert r.status_code == 302 and r["Location"] == "/left"

    leftovers = [(t, row[:200]) for t, row in _every_row() if any(p in row for p in PERSONAL)]
    assert not leftovers, leftovers
    for model, field in _user_references():
        assert not model._base_manager.filter(**{field.attname: user_id}).exists(), (
            f"{model.__name__}.{field.name}"
        )
    for session in Session.objects.all():
        assert str(session.get_decoded().get("_auth_user_id")) != str(user_id)
    assert browser.get("/settings/").status_code == 302

    # What they did for the customers stays, by "a former contributor".
    sent = Message.objects.get(conversation=replied, direction="out")
    assert (
        sent.text.startswith("Hi! Try signing in to sync again.")
        and sent.sent_by.username == FORMER_CONTRIBUTOR
    )
    assert noted.notes.get().author.username == FORMER_CONTRIBUTOR
    noted.refresh_from_db()
    dealt.refresh_from_db()
    assert noted.assignee is None and dealt.dealt_to is None  # back to the queues
    page = Client()
    page.force_login(agents["cm"])
    html = page.get(f"/c/{replied.pk}/").content.decode()
    assert "a former contributor" in html
    # In the reader's language, wherever a page names a person (str(user)), not as the username.
    Profile.objects.filter(user=agents["cm"]).update(language="de")
    html = page.get(f"/c/{replied.pk}/").content.decode()
    Profile.objects.filter(user=agents["cm"]).update(language="")  # the agents are shared
    translation.deactivate()  # the page left German active in this thread
    assert "a former contributor" not in html
    assert html.count("einer ehemaligen Person aus dem Team") >= 2  # the reply's and the note's
    # Told by email.
    assert mail.outbox[-1].to == [EMAIL] and "account is deleted" in mail.outbox[-1].subject
    # The placeholder cannot sign in.
    assert not get_user_model().objects.get(username=FORMER_CONTRIBUTOR).has_usable_password()


# Emails leave through a task enqueued on commit: this test commits.
@pytest.mark.django_db(transaction=True)
def test_the_last_admin_cannot_leave_and_only_admins_remove_others(agents):
    with pytest.raises(Exception, match="last admin"):
        stop_contributing(actor=agents["admin"], user=agents["admin"])
    with pytest.raises(Exception, match="Only an admin"):
        stop_contributing(actor=agents["cm"], user=agents["contributor"])
    stop_contributing(actor=agents["admin"], user=agents["contributor"])
    assert not get_user_model().objects.filter(username="contributor").exists()
    assert "an admin deleted your Socialdesk account" in mail.outbox[-1].body
