"""schemathesis against /api/v1/openapi.json: requests generated from the schema, through the
whole Django stack (WSGI), as a community manager with an `act` token over the test world.
No answer may be a server error, and every answer must be one the document describes (status,
content type and body schema, the error shape included)."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from socialdesk.people.models import ApiToken
from socialdesk.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def token(agents, conversation):
    # As Django's test client does: the test's transaction is the requests' connection, so the
    # end of a request must not close it.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield ApiToken.issue(agents["cm"], "schemathesis")[1]
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_answers_as_documented(case, token, db):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        # A schema-valid request may still be refused with a documented 400/404/409: a reason
        # the action does not know, a conversation that does not exist or is someone else's.
        excluded_checks=[positive_data_acceptance],
    )
