"""The access matrix for admins: every route in every state a conversation can be in
(`test_access.py` holds the table, the world's rules and the check)."""

import pytest

from .test_access import cases, check

ROLE = "admin"


@pytest.mark.parametrize(("name", "state"), list(cases(ROLE)))
def test_access(world, db, name, state):
    check(world, name, ROLE, state)
