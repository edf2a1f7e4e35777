"""The access audit log (PE5): sign-ins, lock-outs, passwords, roles and applications are written
down, and community managers and admins search them."""

from django.test import Client

from socialdesk.people.models import AuditEntry, Profile, Role


def test_sign_ins_failures_lock_outs_and_role_changes_are_logged_and_searchable(agents, settings):
    settings.AXES_FAILURE_LIMIT = 3
    Client().post("/login/", {"username": "contributor", "password": "fxhelp-volunteer-2026"})
    for n in range(3):
        Client().post("/login/", {"username": "moderator", "password": f"wrong-{n}"})
    Client().post("/login/", {"username": "nobody-at-all", "password": "x"})
    profile = Profile.objects.get(user=agents["contributor"])
    profile.role = Role.MODERATOR
    profile.save()

    kinds = list(AuditEntry.objects.values_list("kind", flat=True))
    assert (
        "signed_in" in kinds
        and kinds.count("sign_in_failed") == 3
        and "locked_out" in kinds
        and "role_changed" in kinds
    )
    assert not AuditEntry.objects.filter(detail__icontains="nobody-at-all").exists()

    cm = Client()
    cm.force_login(agents["cm"])
    html = cm.get("/manage/audit/", {"q": "moderator"}).content.decode()
    assert (
        "<td>Sign-in paused after too many wrong passwords</td>" in html
        and "<td>Wrong password</td>" in html
    )
    html = cm.get("/manage/audit/", {"kind": "role_changed"}).content.decode()
    # The role by its name.
    assert "after: Moderator" in html and "<td>Wrong password</td>" not in html
    for role in ("contributor", "moderator"):
        c = Client()
        c.force_login(agents[role])
        assert c.get("/manage/audit/").status_code == 403
