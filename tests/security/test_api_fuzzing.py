"""Property-based fuzzing of every operation of the OpenAPI schema (schemathesis): no input, valid or
not, makes the API answer with a server error. Bounded so that CI stays fast."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.security.conftest import record

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
EXAMPLES = 6
TRIED = {"operations": 0, "inputs": 0, "server_errors": 0}


@pytest.fixture
def in_process_requests():
    """As Django's test client does: a request must not close the test's database connection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def superuser_token(db, in_process_requests):
    """The widest caller: every staff, authority and citizen endpoint lets it past the permission check."""
    from rest_framework.authtoken.models import Token

    from conftest import make_person

    user = make_person(name="超级管理员", is_superuser=True, is_staff=True)
    return Token.objects.create(user=user).key


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_input_makes_a_server_error(case, superuser_token):
    TRIED["inputs"] += 1
    try:
        case.call_and_validate(headers={"Authorization": f"Token {superuser_token}"}, checks=[not_a_server_error])
    except Exception:
        TRIED["server_errors"] += 1
        raise
    finally:
        record(
            "API fuzzing (schemathesis, every operation)",
            f"{TRIED['inputs']} inputs tried, {TRIED['server_errors']} server errors",
        )
