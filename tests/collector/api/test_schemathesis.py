"""Schemathesis against the OpenAPI document: no route answers 5xx, whatever it is sent.

Every operation of ``/api/v1/openapi.json`` gets generated requests, valid ones from its
schemas and schemathesis's negative cases (wrong types, missing fields, odd values), sent
in-process with real credentials (an admin API token; a node key for the agent routes) to
the app on the test database. A 5xx, or an error under ``/api/`` that is not JSON, fails the
test naming the request as a curl command.

Driven through hypothesis directly rather than schemathesis's pytest plugin, whose fixture
loader does not run under pytest 9.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

AGENT_ROUTES = ("/inventory", "/discovery", "/checkin")
PUBLIC_ROUTES = ("/api/v1/enroll", "/api/v1/health")
EXAMPLES = {schemathesis.GenerationMode.POSITIVE: 20, schemathesis.GenerationMode.NEGATIVE: 20}


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def _header(response, name: str) -> str:
    for key, value in response.headers.items():
        if key.lower() == name:
            return value[0] if isinstance(value, list) else value
    return ""


def _authorise(case, credentials) -> None:
    path = case.operation.full_path if hasattr(case.operation, "full_path") else case.operation.path
    if path.endswith(AGENT_ROUTES):
        case.headers = {**(case.headers or {}), "Authorization": credentials["agent"]}
    elif path not in PUBLIC_ROUTES:
        case.headers = {**(case.headers or {}), "Authorization": credentials["admin"]}


# schemathesis's WSGI transport never closes a response's iterable as a WSGI server must, so
# the XLSX export's temporary file (closed by the response under gunicorn) is reported unclosed.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("mode", list(EXAMPLES), ids=lambda mode: mode.value)
def test_no_route_answers_5xx(app, make_agent, make_token, mode):
    credentials = {"agent": f"Bearer {make_agent().node_key}", "admin": make_token("admin")["Authorization"]}
    operations = _operations(app)
    assert len(operations) >= 15  # the document lists every route (test_openapi checks it matches the URL map)
    problems: dict[tuple, str] = {}
    for operation in operations:

        @given(operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES[mode], deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            _authorise(case, credentials)
            response = case.call()
            content_type = _header(response, "content-type")
            if response.status_code >= 500 or (response.status_code >= 400 and "json" not in content_type):
                problems.setdefault((operation.label, response.status_code), f"{response.status_code} {content_type}: "
                                    f"{case.as_curl_command()[:600]}\n  {response.text[:300]}")

        try:
            check()
        except Unsatisfiable:  # nothing negative to say about it (no parameters, no body)
            assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
    assert not problems, "\n".join(problems.values())
