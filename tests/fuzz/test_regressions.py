"""Plain regression tests of what the API fuzzing (test_openapi_fuzz.py) found: answers the app
sends but its OpenAPI document did not declare, so a generated client would take them for
errors of the server."""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pydantic import TypeAdapter

from api.main import create_app
from api.problems import PROBLEM_JSON
from api.schemas.network import SegmentFeature
from gis.exports import FORMATS
from gis.ogc import documents
from gis.settings import Settings

PROBLEM = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}


@pytest.fixture(scope="module")
def document() -> dict:
    return create_app(Settings()).openapi()


@pytest.fixture(scope="module")
def client(live_database_url: str, tmp_path_factory) -> Iterator[TestClient]:
    """The app on this module's copy of the demo province."""
    settings = Settings(database_url=live_database_url,
                        photo_dir=tmp_path_factory.mktemp("photos"))
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def _operations(document: dict):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


def _documented(document: dict, method: str, path: str, status: int) -> dict:
    responses = document["paths"][path][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {path} does not document {status}"
    return responses[str(status)]["content"]


def test_problems_are_documented_as_problem_json(document):
    """Every error response is documented as what the app sends: application/problem+json with
    the Problem schema (was: the schema under application/json, or FastAPI's
    HTTPValidationError, neither of which the app ever sends)."""
    wrong = [f"{name} {status}: {sorted(response.get('content', {}))}"
             for name, operation in _operations(document)
             for status, response in operation["responses"].items()
             if status[0] in "45" and response.get("content") != PROBLEM]
    assert wrong == []
    assert "HTTPValidationError" not in document["components"]["schemas"]


@pytest.mark.parametrize(("method", "path", "headers", "body", "status"), [
    # Not JSON: FastAPI's body parser answers before any route (malformed-json).
    ("POST", "/plans", {"Content-Type": "application/json"}, b"\x00{", 400),
    ("POST", "/placement-reports/3/reject", {"Content-Type": "application/json"}, b"]", 400),
    # A multipart body that is not one.
    ("PUT", "/inspections/57/photos/1",
     {"Content-Type": "multipart/form-data; boundary=x"}, b"--x\r\nNone--x--\r\n", 400),
    # The request guard (api/limits.py): media type, size, NUL.
    ("POST", "/users", {"Content-Type": "text/plain"}, b"name", 415),
    ("POST", "/users", {"Content-Type": "application/json"}, b" " * (1024 * 1024 + 1), 413),
    ("GET", "/me?x=%00", {}, None, 422),
    ("GET", "/healthz?x=%00", {}, None, 422),
])
def test_refusals_before_any_route_are_documented(client, document, method, path, headers,
                                                  body, status):
    """Refusals that come before the route (and before the token is read) are problems, and
    every operation that can get them documents them."""
    response = client.request(method, path, headers=headers, content=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    route = path.split("?")[0].replace("/3/", "/{report_id}/").replace(
        "/57/photos/1", "/{inspection_id}/photos/{slot}")
    assert _documented(document, method, route, status) == PROBLEM


def test_every_operation_documents_the_refusals_it_can_get(document):
    """422 (a NUL in the path or query) on every operation; 400, 413, 415 on every operation
    that takes a body."""
    missing = [f"{name} {status}" for name, operation in _operations(document)
               for status in ("422",) + (("400", "413", "415") if "requestBody" in operation
                                         else ())
               if status not in operation["responses"]]
    assert missing == []


@pytest.mark.parametrize(("path", "media_type"), [
    ("/ogc/api", documents.OPENAPI),
    ("/ogc/collections/segments/queryables", documents.SCHEMA),
])
def test_ogc_documents_are_documented_with_their_media_type(client, callers, document, path,
                                                           media_type):
    """The OGC API definition and the queryables are sent as OpenAPI and JSON Schema media
    types; the document said application/json."""
    response = client.get(path, headers=callers.headers("planner"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type
    route = path.replace("/segments/", "/{collectionId}/")
    assert list(_documented(document, "GET", route, 200)) == [media_type]


def test_geojson_export_is_documented_as_a_feature_collection(client, callers, document):
    """A GeoJSON export is JSON, a FeatureCollection of ``GET /segments`` features; the
    document said a binary string."""
    response = client.get("/exports/segments.geojson?operator=VNPT",
                          headers=callers.headers("planner"))
    assert response.status_code == 200, response.text
    content = _documented(document, "GET", "/exports/segments.{format}", 200)
    schema = content[FORMATS["geojson"].media_type]["schema"]
    assert schema["properties"]["features"]["items"] == {
        "$ref": "#/components/schemas/SegmentFeature"}
    collection = response.json()
    assert collection["type"] == "FeatureCollection" and collection["features"]
    TypeAdapter(list[SegmentFeature]).validate_python(collection["features"])


def test_annual_workbook_holds_text_with_control_characters(client, callers):
    """A plan named with a control character (accepted: PostgreSQL stores it) made the annual
    .xlsx report fail with a 500 (openpyxl refuses such characters); it is written with
    U+FFFD in their place."""
    planner = callers.headers("planner")
    created = client.post("/plans", headers=planner, json={
        "year": 2023, "name": "Ngầm hóa\x0b2023 - VNPT", "operator": "VNPT", "target_km": 1})
    assert created.status_code == 201, created.text
    response = client.get("/reports/annual/2023.xlsx", headers=planner)
    assert response.status_code == 200, response.text
    book = load_workbook(BytesIO(response.content))
    names = [row[0] for row in book["Kế hoạch"].iter_rows(min_row=3, values_only=True)]
    assert "Ngầm hóa\ufffd2023 - VNPT" in names
