"""Fixtures of the web tests."""

import pytest
from django.test import override_settings

from tests.factories import rolled_back

from .world import build_world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once, inside a transaction that is rolled back when the module is done; every case
    runs in a savepoint of it (the `db` fixture), so no case sees another's changes."""
    media_root = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=media_root,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
    ):
        with rolled_back():
            yield build_world(media_root)
