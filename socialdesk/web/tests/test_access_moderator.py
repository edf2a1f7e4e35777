"""The access matrix for moderators: every route in every state a conversation can be in
(`test_access.py` holds the table, the world's rules and the check)."""

import pytest

from .test_access import cases, check

ROLE = "moderator"


@pytest.mark.parametrize(("name", "state"), list(cases(ROLE)))
def test_access(world, db, name, state):
    check(world, name, ROLE, state)
