"""Notifications: the bell (unread count in the header, the list, mark read) and the emails each
person chooses, from the places where things happen: the scheduler's reminder job, assignments,
approval decisions, applications, an account's connection failing."""

import pytest
import requests
from django.core import mail
from django.test import Client
from freezegun import freeze_time

from socialdesk.actions import conversation as actions
from socialdesk.actions.delivery import perform
from socialdesk.operations.schedule import JOBS, Scheduler
from socialdesk.people.models import Notification, Profile

pytestmark = pytest.mark.django_db


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def bell(client) -> str:
    page = client.get("/").content.decode()
    start = page.index('class="bell')
    return page[start : page.index("</a>", start)]


def run_reminder_job() -> list[str]:
    """One turn of the scheduler with its real reminder job (a fresh scheduler: the job is due)."""
    return Scheduler(name="test", jobs=[j for j in JOBS if j.name == "reminders"]).tick()


def test_a_reminder_for_nine_in_berlin_notifies_at_nine_in_berlin_once(
    contributor, conversation, django_capture_on_commit_callbacks
):
    Profile.objects.filter(user=contributor).update(time_zone="Europe/Berlin")
    with freeze_time("2027-07-01 05:00:00"):
        r = as_user(contributor).post(
            f"/c/{conversation.pk}/reminder", {"due_at": "2027-07-01T09:00", "note": "Ask again"}
        )
        assert r.status_code == 302
    with freeze_time("2027-07-01 06:59:30"), django_capture_on_commit_callbacks(execute=True):
        assert run_reminder_job() == ["reminders"]
    assert not Notification.objects.exists() and not mail.outbox

    with freeze_time("2027-07-01 07:00:00"), django_capture_on_commit_callbacks(execute=True):
        run_reminder_job()
        run_reminder_job()  # a second turn (or a second scheduler) tells nobody twice
    note = Notification.objects.get()
    assert (note.user, note.kind, note.url) == (
        contributor,
        "reminder_due",
        f"/c/{conversation.pk}/",
    )
    assert "09:00 Europe/Berlin" in note.text and "Ask again" in note.text
    assert [m.to for m in mail.outbox] == [[contributor.email]]
    assert "09:00 Europe/Berlin" in mail.outbox[0].body

    with freeze_time("2027-07-01 07:00:10"):
        client = as_user(contributor)
        assert "1 unread" in bell(client)
        page = client.get("/notifications/").content.decode()
        assert "Ask again" in page and "09:00" in page
        opened = client.post("/notifications/read", {"id": note.pk, "open": "1"})
        assert opened["Location"] == f"/c/{conversation.pk}/"
        assert "unread" not in bell(client)


def test_being_assigned_a_conversation_notifies_and_emails(
    agents, conversation, django_capture_on_commit_callbacks
):
    contributor, moderator = agents["contributor"], agents["moderator"]
    with django_capture_on_commit_callbacks(execute=True):
        actions.assign(actor=moderator, conversation=conversation, to_user=contributor)
        actions.assign(actor=moderator, conversation=conversation, to_user=moderator)  # oneself
    note = Notification.objects.get()
    assert note.user == contributor and note.kind == "assigned"
    assert note.text.startswith("The conversation with @") and "assigned to you" in note.text
    assert "moderator" not in note.text  # no agent's name: it would outlive their leaving
    assert [m.to for m in mail.outbox] == [[contributor.email]]


def test_email_is_sent_only_for_the_kinds_chosen(
    agents, conversation, django_capture_on_commit_callbacks
):
    contributor, moderator = agents["contributor"], agents["moderator"]
    client = as_user(contributor)
    page = client.get("/settings/").content.decode()
    assert 'value="assigned" checked' in page
    assert "application_waiting" not in page  # a contributor is never told about applications
    # Nothing ticked but a kind a contributor cannot get: no email at all.
    r = client.post("/settings/notifications", {"email": ["application_waiting"]}, follow=True)
    assert "Notification settings saved." in r.content.decode()
    assert Profile.objects.get(user=contributor).email_notifications == []
    with django_capture_on_commit_callbacks(execute=True):
        actions.assign(actor=moderator, conversation=conversation, to_user=contributor)
    assert Notification.objects.filter(user=contributor).count() == 1 and not mail.outbox


def test_a_reply_approved_or_returned_tells_its_author(
    agents, demo, inbound, django_capture_on_commit_callbacks
):
    from socialdesk.actions.inbound import ingest
    from socialdesk.conversations.models import Conversation

    contributor, moderator = agents["contributor"], agents["moderator"]
    actions.set_requires_approval(actor=moderator, agent=contributor, on=True)
    contributor.profile.refresh_from_db()
    ingest([inbound(), inbound()])
    first, second = Conversation.objects.order_by("pk")
    m1 = actions.reply(actor=contributor, conversation=first, text="Try a refresh")
    m2 = actions.reply(actor=contributor, conversation=second, text="Dunno")
    with django_capture_on_commit_callbacks(execute=True):
        actions.approve_reply(actor=moderator, action=m1.outbound_action)
        actions.return_reply(actor=moderator, action=m2.outbound_action, note="Offer a KB link")
    kinds = dict(Notification.objects.filter(user=contributor).values_list("kind", "url"))
    assert kinds == {"reply_approved": f"/c/{first.pk}/", "reply_returned": f"/c/{second.pk}/"}
    # Approvals come only in the app by default; a reply sent back is emailed.
    assert len(mail.outbox) == 1 and "was sent back" in mail.outbox[0].subject


def test_an_application_tells_the_community_managers_and_admins(
    agents, django_capture_on_commit_callbacks
):
    from .test_applications import form

    with django_capture_on_commit_callbacks(execute=True):
        assert Client().post("/apply/", form()).status_code == 302
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {"cm", "admin"}
    assert {m.to[0] for m in mail.outbox} == {
        agents["cm"].email,
        agents["admin"].email,
        "lena@example.org",
    }
    assert Notification.objects.filter(url="/manage/applications/").count() == 2


def test_a_failed_connection_tells_the_community_managers_and_admins(
    demo, twitter_sim, agents, customer_tweet, client, settings, django_capture_on_commit_callbacks
):
    from socialdesk.brands.tests.flows import PUBLIC_URL, connect_with_platform
    from socialdesk.brands.tests.test_connect_x import mention, reply, support

    settings.SOCIALDESK_PUBLIC_URL = PUBLIC_URL
    client.force_login(agents["cm"])
    connect_with_platform(client, support(), as_account="FirefoxSupport")
    conversation = mention(customer_tweet, "videos do not play")
    # X stops renewing the account's token (revoked on X's side) and the access token expires.
    requests.post(
        f"{twitter_sim.base_url}/2/oauth2/revoke",
        auth=("sim-client-id", "sim-client-secret"),
        data={"token": support().credentials["refresh_token"]},
        timeout=5,
    ).raise_for_status()
    requests.post(f"{twitter_sim.base_url}/_sim/oauth/expire", timeout=5).raise_for_status()
    action = reply(agents["contributor"], conversation, "Which site?")
    with django_capture_on_commit_callbacks(execute=True):
        assert perform(action.pk) == "account"
    told = set(Notification.objects.values_list("user__username", "kind"))
    assert told == {("cm", "connection_failed"), ("admin", "connection_failed")}
    assert "@FirefoxSupport's connection failed" in Notification.objects.first().text
    assert len(mail.outbox) == 2


def test_marking_read_is_ones_own_and_customer_text_is_escaped(agents, demo, inbound):
    from socialdesk.actions.inbound import ingest
    from socialdesk.conversations.models import Conversation

    contributor, moderator = agents["contributor"], agents["moderator"]
    ingest([inbound(handle="<img src=x onerror=alert(1)>")])
    actions.assign(actor=moderator, conversation=Conversation.objects.get(), to_user=contributor)
    note = Notification.objects.get()
    page = as_user(contributor).get("/notifications/").content.decode()
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page

    other = as_user(moderator)
    r = other.post("/notifications/read", {"id": note.pk}, follow=True)
    assert "not yours" in r.content.decode()
    note.refresh_from_db()
    assert note.read_at is None
    for bad in ["", "abc", "-1", "1" * 40, "\x00"]:
        assert other.post("/notifications/read", {"id": bad}).status_code == 302
    as_user(contributor).post("/notifications/read", {"id": "all"})
    note.refresh_from_db()
    assert note.read_at is not None
