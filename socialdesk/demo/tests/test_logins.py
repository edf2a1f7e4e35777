"""The demo's logins pass the desk's password policy and work, in a new demo database and in one
made before the policy."""

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.test import RequestFactory

from socialdesk.demo.logins import DEMO_USERS, OLD_DEMO_PASSWORDS
from socialdesk.demo.seed import load_demo_configuration


@pytest.mark.parametrize(("username", "password", "role", "signature"), DEMO_USERS)
def test_each_demo_password_passes_the_policy(username, password, role, signature):
    validate_password(
        password, get_user_model()(username=username, email=f"{username}@example.org")
    )


def test_a_demo_database_with_the_old_passwords_gets_the_new_ones(db):
    User = get_user_model()
    for username, old in OLD_DEMO_PASSWORDS.items():
        User.objects.create_user(username, email=f"{username}@example.org", password=old)
    kept = User.objects.create_user("cm2", password="chosen-by-the-cm-2026")
    load_demo_configuration()
    for username, password, _, _ in DEMO_USERS:
        assert authenticate(
            RequestFactory().post("/login/"), username=username, password=password
        ), username
    kept.refresh_from_db()
    assert kept.check_password("chosen-by-the-cm-2026")
