"""First run: `create_first_admin` makes the one admin a fresh install needs, once."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from socialdesk.people.models import role_of


def test_the_first_admin_is_created_from_the_environment_and_can_sign_in(db, monkeypatch, capsys):
    monkeypatch.setenv("SOCIALDESK_ADMIN_PASSWORD", "a long enough passphrase")
    call_command(
        "create_first_admin", "--username", "alice", "--email", "alice@example.org", "--no-input"
    )
    alice = get_user_model().objects.get(username="alice")
    assert alice.is_superuser and role_of(alice) == "admin"
    client = Client()
    assert (
        client.post(
            "/login/", {"username": "alice", "password": "a long enough passphrase"}
        ).status_code
        == 302
    )
    assert client.get("/manage/accounts/").status_code == 200
    # Run again (a container restart): nothing happens.
    call_command("create_first_admin", "--username", "bob", "--no-input")
    assert "An admin exists already" in capsys.readouterr().out
    assert not get_user_model().objects.filter(username="bob").exists()


def test_a_weak_or_missing_password_is_refused_with_the_reason(db, monkeypatch):
    with pytest.raises(CommandError, match="SOCIALDESK_ADMIN_PASSWORD"):
        call_command("create_first_admin", "--username", "alice", "--no-input")
    monkeypatch.setenv("SOCIALDESK_ADMIN_PASSWORD", "password")
    with pytest.raises(CommandError, match="The password is refused: .*too common"):
        call_command("create_first_admin", "--username", "alice", "--no-input")
    assert not get_user_model().objects.exists()
