"""Bad input to the API: every field and path parameter of each operation in its
OpenAPI schema with each bad value (`test_malformed_input.py` holds the check)."""

import pytest

from .test_malformed_input import api_operations, check_api_operation

PART = 1


@pytest.mark.parametrize(("method", "path", "params", "body"), api_operations(PART))
def test_no_api_field_gets_a_500(world, db, method, path, params, body):
    check_api_operation(world, method, path, params, body)
