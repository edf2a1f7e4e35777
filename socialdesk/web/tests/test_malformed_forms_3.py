"""Bad input to the forms, part 3: every field of each form with each bad value
(`test_malformed_input.py` holds the forms' fields and the check)."""

import pytest

from .test_malformed_input import check_form, form_routes

PART = 3


@pytest.mark.parametrize("route", form_routes(PART))
def test_no_form_field_gets_a_500(world, db, route):
    check_form(world, route)
