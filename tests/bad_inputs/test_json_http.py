"""Bad HTTP bodies on every route that takes one (found in the app's OpenAPI document, so a new
route is covered the day it is added): oversized (413), deeply nested or not an object, wrong
media types (415), broken JSON, NaN in numbers. Each answers a 4xx problem, never a 5xx, and
the database (as the test's transaction sees it) is unchanged."""

from __future__ import annotations

import json
import re

import pytest

from tests.bad_inputs.conftest import assert_problem

TWENTY_MB = 20 * 1024 * 1024


def body_routes(paths: dict) -> list[tuple[str, str]]:
    """(method, path template) of every route whose request body is JSON."""
    return sorted((method.upper(), path)
                  for path, operations in paths.items()
                  for method, operation in operations.items()
                  if "application/json" in operation.get("requestBody", {}).get("content", {}))


def _concrete(path: str, world) -> str:
    """``path`` with its parameters filled: a real user name, else a real violation id."""
    path = path.replace("{username}", world.users["inspector"].username)
    return re.sub(r"\{[^}]+\}", str(world.violations["open"].id), path)


def _send(client, world, method, path, content: bytes, media: str, **headers):
    return client.request(method, _concrete(path, world), content=content,
                          headers={**world.auth("admin"), "Content-Type": media,
                                   "Idempotency-Key": "6b1d4e0c-8f0a-4b8e-9d39-0c1a2b3c4d5e",
                                   **headers})


def _deep(depth: int, leaf: str = "1") -> bytes:
    return ('{"note": ' + "[" * depth + leaf + "]" * depth + "}").encode()


#: name -> (body bytes, media type, expected status(es))
BODIES = {
    "20 MB JSON": (b'{"note": "' + b"x" * TWENTY_MB + b'"}', "application/json", 413),
    "10,000-deep nested arrays": (_deep(10_000), "application/json", (400, 422)),
    "100,000-deep nested objects": (b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
                                    "application/json", (400, 422)),
    "deep nesting around a NUL": (_deep(10_000, '"\\u0000"'), "application/json", (400, 422)),
    "text/plain": (b"note=hello", "text/plain", 415),
    "application/xml": (b"<visit><note>x</note></visit>", "application/xml", 415),
    "XML declared as JSON": (b"<?xml version='1.0'?><visit/>", "application/json", 400),
    "form-urlencoded": (b"note=hello&photos=1", "application/x-www-form-urlencoded", 415),
    "no content type": (b'{"note": "x"}', "", 415),
    "truncated JSON": (b'{"note": "x", "results": [{"item": "C1"', "application/json", 400),
    "a JSON array": (b"[1, 2, 3]", "application/json", 422),
    "a JSON string": (b'"hello"', "application/json", 422),
    "NaN everywhere": (b'{"note": NaN, "photos": NaN, "target_km": NaN, "amount_vnd": NaN,'
                       b' "username": NaN}', "application/json", 422),
    "not UTF-8 (Latin-1 bytes)": ('{"note": "Cột số 12"}'.encode("cp1258", "replace")
                                  .replace(b"?", b"\xe9\xff"), "application/json", (400, 422)),
    "JSON with a BOM and garbage after": (b'\xef\xbb\xbf{"note": "x"} trailing',
                                          "application/json", 400),
    "multipart to a JSON route": (b"--b\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n"
                                  b"x\r\n--b--\r\n", "multipart/form-data; boundary=b",
                                  (400, 415, 422)),
}


@pytest.fixture
def routes(api_paths) -> list[tuple[str, str]]:
    found = body_routes(api_paths)
    assert len(found) >= 10, found
    return found


@pytest.mark.parametrize("case", list(BODIES))
def test_bad_body_refused_on_every_route(client, world, unchanged, routes, case):
    content, media, status = BODIES[case]
    with unchanged():
        for method, path in routes:
            response = _send(client, world, method, path, content, media)
            assert 400 <= response.status_code < 500, (method, path, response.status_code,
                                                       response.text[:300])
            assert_problem(response, status)


def test_huge_list_of_results_is_422_naming_it(client, world, unchanged):
    """Under the 1 MiB limit but 20,000 checklist results: refused by count, not stored."""
    body = {"segment_id": world.seg_a.id, "visited_at": "2024-05-02T09:30:00+07:00",
            "results": [{"item": "C1", "result": "pass"}] * 20_000}
    content = json.dumps(body).encode()
    assert len(content) < 1024 * 1024
    with unchanged():
        response = _send(client, world, "POST", "/inspections", content, "application/json")
        assert_problem(response, 422, "body.results")


#: Numbers no numeric parameter takes: out of every column's range, not finite, not decimal.
BAD_NUMBERS = ["-1", "99999999999999999999", "nan", "inf", "1e308", "0x10", "1,000", "½"]


def numeric_parameters(paths: dict) -> list[tuple[str, str]]:
    """(GET path template, name) of every integer or number query parameter."""
    found = []
    for path, operations in paths.items():
        for parameter in operations.get("get", {}).get("parameters", []):
            schema = parameter.get("schema", {})
            kinds = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
            if parameter["in"] == "query" and kinds & {"integer", "number"}:
                found.append((path, parameter["name"]))
    return sorted(found)


def test_bad_numbers_in_every_numeric_query_parameter(api_paths, client, world, unchanged):
    """Refused naming ``query.<name>``, or (a cursor past the end) answered with nothing."""
    from tests.bad_inputs.test_injection import _matched_nothing, concrete

    parameters = numeric_parameters(api_paths)
    assert len(parameters) >= 20, parameters
    failures = []
    with unchanged():
        for path, name in parameters:
            for value in BAD_NUMBERS:
                response = client.get(concrete(path, world),
                                      params={**BASE_PARAMS.get(path, {}), name: value},
                                      headers=world.auth("admin"))
                if response.status_code == 200 and _matched_nothing(response):
                    continue
                try:
                    assert_problem(response, None, f"query.{name}")
                except AssertionError as exc:
                    failures.append((path, name, value, str(exc)[:200]))
    assert failures == []


#: Parameters a route needs besides the one under test.
BASE_PARAMS = {"/segments/nearest": {"lon": "106.33", "lat": "20.45"}}
