"""Fuzz the whole OpenAPI document with schemathesis: every operation, as each role and with no
token, a bounded number of examples each (the documented examples first, then generated ones,
valid and invalid). No answer may be a 5xx, and every answer must be documented: its status
code, its content type, and its body against the response's schema (problems included).

The cases are derandomized (the same on every run: CI does not flake) and the app is called in
process (ASGI) on a copy of the demo province, so the documented examples reach real rows. With
5 examples: 69 operations x 5 callers, about 1,800 requests in about 35 s on 2 cores. Nothing is
excluded; the fixtures undo the fuzzer's damage to its own users and tokens (conftest.py).
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.routing import Match

from api.main import create_app
from gis.settings import Settings
from tests.fuzz.answers import ANSWERS

#: Generated examples per operation and caller (the documented examples come on top).
#: ``TELECOM_GIS_FUZZ_EXAMPLES=80`` digs deeper locally (about 23,500 requests, 5 min).
EXAMPLES = int(os.environ.get("TELECOM_GIS_FUZZ_EXAMPLES", "5"))

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]

CONFIG = schemathesis.Config.from_dict({
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    # Only the fixture's Authorization header: none at all for the anonymous caller.
    "generation": {"mode": "all", "with-security-parameters": False},
})

#: The document is built without a database: the fuzz cases are generated from it at import.
SCHEMA = schemathesis.openapi.from_dict(create_app(Settings()).openapi(), config=CONFIG)

#: Seconds before a request is given up (schemathesis's default, 10 s, is a timed assertion on
#: a shared CI machine): a hung request fails the run instead of hanging it.
REQUEST_TIMEOUT = 120

#: Operations after which the fuzzer's own users and tokens may need restoring.
TOUCHES_CALLERS = ("/users", "/tokens")

#: What a caller without a token may get from an operation that needs one: 401, or the refusal
#: of a malformed request (400 not JSON, 413, 415, 422), which some routes check first (the
#: request guard of api/limits.py; the tile and OGC items routes read the token in their own
#: thread, after FastAPI has validated the parameters). Never data, 403 or 404.
WITHOUT_TOKEN = {401, 400, 413, 415, 422}


@pytest.mark.parametrize("role", ["admin", "inspector", "planner", "operator", None],
                         ids=lambda r: r or "anonymous")
@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_openapi(case, role, fuzz_app, callers):
    """One operation as one caller: documented answers only, never a 5xx; a role's token is
    always accepted (so the role is really fuzzed); without a token, no data."""
    response = case.call(app=fuzz_app, headers=callers.headers(role), timeout=REQUEST_TIMEOUT)
    ANSWERS.note(role or "anonymous", f"{case.method} {case.path}", response.status_code)
    if case.method != "GET" and case.path.startswith(TOUCHES_CALLERS):
        callers.restore()
    case.validate_response(response, checks=CHECKS, headers=callers.headers(role))
    if role is not None and case.path != "/session":  # /session signs in with a body token
        assert response.status_code != 401, f"the {role}'s token was refused: {response.text}"
    if role is None and case.operation.definition.raw.get("security"):
        assert response.status_code in WITHOUT_TOKEN or (
            response.status_code == 404 and not routed(fuzz_app, response)), response.text


def routed(app, response) -> bool:
    """Whether some route of ``app`` serves the URL of ``response``'s request (a URL that none
    serves is 404 for anyone, e.g. a newline in ``/checklists/{code:path}``)."""
    path = unquote(urlsplit(response.request.url).path)
    scope = {"type": "http", "method": response.request.method, "path": path, "root_path": ""}
    return any(route.matches(scope)[0] is not Match.NONE for route in app.router.routes)
