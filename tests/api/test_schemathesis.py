"""Schemathesis against the API, in process, as each role: no server errors, every status code
documented, every response as the schema says (docs/api.md). Not in the default run: CI runs it
on SQLite with ``pytest -m schemathesis -p no:xdist`` (a few minutes); the examples per
operation are bounded by ``KAM_SCHEMATHESIS_EXAMPLES`` (default 10).

Each role's run writes to the test database of that test only, rolled back afterwards.
``scripts/api_fuzz.py`` runs the full Schemathesis CLI against a live demo server.
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from kam.core.models import ApiToken
from kam.wsgi import application

pytestmark = pytest.mark.schemathesis

EXAMPLES = int(os.environ.get("KAM_SCHEMATHESIS_EXAMPLES", "10"))
ROLES = ["director", "kam", "assistant", "member"]

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Calls through the WSGI app end with ``request_finished``, which closes the connection the
    test's transaction lives on (PostgreSQL); Django's test client disconnects it the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(params=ROLES)
def bearer(request, world) -> dict:
    _token, key = ApiToken.issue(user=getattr(world, request.param), name="schemathesis")
    return {"Authorization": f"Bearer {key}"}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_published_schema(case, bearer):
    case.call_and_validate(
        headers=bearer,
        checks=[
            not_a_server_error,
            status_code_conformance,
            response_schema_conformance,
            negative_data_rejection,
        ],
    )
