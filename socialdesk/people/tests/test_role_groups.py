"""PE3: the roles are Django groups whose permissions are the seed's rights, and everyone is in the
group of their role, however the role was given."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from socialdesk.actions.policy import ACTION_ROLES
from socialdesk.people import services
from socialdesk.people.models import ROLE_RANK, Profile, Role
from socialdesk.people.roles import GROUPS, codenames_of, sync_groups

pytestmark = pytest.mark.django_db


def perms(user) -> set[str]:
    user = get_user_model().objects.get(pk=user.pk)  # Django caches a user's permissions
    return user.get_all_permissions()


def test_the_migration_made_the_four_groups_with_the_policys_rights():
    for role, name in GROUPS.items():
        group = Group.objects.get(name=name)
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        for action, needed in ACTION_ROLES.items():
            # Every check of the action layer has its permission, held from its role up.
            assert (f"people.{action}" in held) == (ROLE_RANK[role] >= ROLE_RANK[needed]), (
                role,
                action,
            )
    assert Group.objects.get(name="Admins").permissions.count() == Permission.objects.count()


def test_the_seeds_rights_exactly():
    def has(role, perm):
        return (
            ("people", perm) in codenames_of(role)
            if "." not in perm
            else (tuple(perm.split(".")) in codenames_of(role))
        )

    # Contributors answer, tag and escalate, but never retweet (escalate it to a CM) nor approve.
    for perm in ("reply", "hold", "close", "escalate", "tag", "user_tag", "note", "play"):
        assert has(Role.CONTRIBUTOR, perm), perm
    for perm in ("retweet", "approve", "moderate", "take_over", "manage_settings"):
        assert not has(Role.CONTRIBUTOR, perm), perm
    assert has(Role.CONTRIBUTOR, "clippings.view_clipping")
    assert not has(Role.CONTRIBUTOR, "clippings.change_clipping")
    # Moderators approve and moderate; settings and retweets stay with community managers.
    assert has(Role.MODERATOR, "approve") and has(Role.MODERATOR, "moderate")
    assert not has(Role.MODERATOR, "retweet") and not has(Role.MODERATOR, "manage_settings")
    # Community managers keep the settings a CM edits on the desk's pages.
    for perm in (
        "retweet",
        "take_over",
        "manage_settings",
        "clippings.change_clipping",
        "conversations.add_tag",
        "conversations.delete_tag",
        "triage.add_watchterm",
        "triage.change_kbarticle",
        "queues.delete_queue",
        "brands.change_brandaccount",
        "brands.add_routingrule",
        "people.view_auditentry",
    ):
        assert has(Role.COMMUNITY_MANAGER, perm), perm
    # …but not the accounts' secrets' creation nor deleting people: that is the admins'.
    assert not has(Role.COMMUNITY_MANAGER, "brands.add_brandaccount")
    assert not has(Role.COMMUNITY_MANAGER, "auth.delete_user")


def test_a_persons_group_follows_their_role_wherever_it_is_given(agents):
    admin, cm = agents["admin"], agents["cm"]
    user = get_user_model().objects.create_user("newbie", "n@example.org")
    Profile.objects.create(user=user, role=Role.CONTRIBUTOR)
    assert list(user.groups.values_list("name", flat=True)) == ["Contributors"]
    assert "people.reply" in perms(user) and "people.approve" not in perms(user)

    services.set_role(actor=cm, user=user, role=Role.MODERATOR)  # an .update(): no signal
    assert list(user.groups.values_list("name", flat=True)) == ["Moderators"]
    assert "people.approve" in perms(user)

    services.set_role(actor=admin, user=user, role=Role.COMMUNITY_MANAGER)
    assert "people.manage_settings" in perms(user) and "people.retweet" in perms(user)

    # As in the Django admin: the profile saved with another role.
    profile = Profile.objects.get(user=user)
    profile.role = Role.CONTRIBUTOR
    profile.save()
    assert list(user.groups.values_list("name", flat=True)) == ["Contributors"]
    assert "people.retweet" not in perms(user)

    # A group an admin made by hand stays.
    extra = Group.objects.create(name="Reviewers of the week")
    user.groups.add(extra)
    services.set_role(actor=cm, user=user, role=Role.MODERATOR)
    assert set(user.groups.values_list("name", flat=True)) == {
        "Moderators",
        "Reviewers of the week",
    }


def test_the_demo_team_is_in_the_groups_of_their_roles(agents):
    for username, group in (
        ("contributor", "Contributors"),
        ("moderator", "Moderators"),
        ("cm", "Community managers"),
        ("admin", "Admins"),
    ):
        assert list(agents[username].groups.values_list("name", flat=True)) == [group]


def test_syncing_again_corrects_a_group_changed_by_hand():
    group = Group.objects.get(name="Contributors")
    group.permissions.add(Permission.objects.get(codename="retweet"))
    from django.apps import apps

    sync_groups(apps)
    assert not group.permissions.filter(codename="retweet").exists()
