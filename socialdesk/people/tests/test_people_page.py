"""PE3/PE4 from the people page: community managers promote contributors to moderators, admins
give any role and delete an account for someone who asked; each logged with who did it."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from socialdesk.people.models import AuditEntry, Profile, Role


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_community_manager_promotes_a_contributor_to_moderator_and_no_further(agents):
    cm = as_user(agents["cm"])
    assert "contributor" in cm.get("/manage/people/").content.decode()
    cm.post(
        "/manage/people/", {"op": "role", "user": agents["contributor"].pk, "role": "moderator"}
    )
    assert Profile.objects.get(user=agents["contributor"]).role == Role.MODERATOR
    entry = AuditEntry.objects.get(kind="role_given")
    assert (entry.actor, entry.subject, entry.detail["after"]) == (
        agents["cm"],
        agents["contributor"],
        "moderator",
    )
    assert not AuditEntry.objects.filter(kind="role_changed").exists()  # once, with who did it
    r = cm.post(
        "/manage/people/", {"op": "role", "user": agents["contributor"].pk, "role": "admin"}
    )
    assert (
        r.status_code == 403
        and Profile.objects.get(user=agents["contributor"]).role == Role.MODERATOR
    )
    r = cm.post(
        "/manage/people/", {"op": "role", "user": agents["admin"].pk, "role": "contributor"}
    )
    assert r.status_code == 403 and Profile.objects.get(user=agents["admin"]).role == Role.ADMIN
    assert (
        cm.post(
            "/manage/people/",
            {"op": "delete", "user": agents["moderator"].pk, "confirm": "moderator"},
        ).status_code
        == 403
    )
    for role in ("contributor", "moderator"):
        assert as_user(agents[role]).get("/manage/people/").status_code == 403


# Emails leave through a task enqueued on commit: this test commits.
@pytest.mark.django_db(transaction=True)
def test_an_admin_makes_a_community_manager_and_deletes_an_account_once_confirmed(agents):
    admin = as_user(agents["admin"])
    admin.post("/manage/people/", {"op": "role", "user": agents["moderator"].pk, "role": "cm"})
    assert Profile.objects.get(user=agents["moderator"]).role == Role.COMMUNITY_MANAGER
    r = admin.post(
        "/manage/people/",
        {"op": "delete", "user": agents["contributor"].pk, "confirm": "contrib"},
        follow=True,
    )
    assert (
        "type its username" in r.content.decode()
        and get_user_model().objects.filter(username="contributor").exists()
    )
    admin.post(
        "/manage/people/",
        {"op": "delete", "user": agents["contributor"].pk, "confirm": "contributor"},
    )
    assert not get_user_model().objects.filter(username="contributor").exists()
    assert "an admin deleted your Socialdesk account" in mail.outbox[-1].body
    r = admin.post(
        "/manage/people/", {"op": "role", "user": agents["admin"].pk, "role": "cm"}, follow=True
    )
    assert "last admin" in r.content.decode()
