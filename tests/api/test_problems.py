"""One error shape (RFC 9457 problem+json) for every failure, with the field path at fault."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel
from sqlalchemy import select, text

from api.problems import PROBLEM_JSON, TYPE_BASE
from gis.models import User
from tests.factories import bearer, make_user

ONE_MIB = 1024 * 1024


def assert_problem(response, status: int, path: str) -> dict:
    """The response is a problem document of ``status`` about ``path``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith(TYPE_BASE)
    assert body["title"] and body["detail"]
    assert body["instance"] == path
    return body


@pytest.fixture
def admin(session):
    """Headers of an administrator."""
    _, token = make_user(session, "admin")
    return bearer(token)


def test_unknown_path_is_404(client):
    """A path no route serves answers 404 as a problem."""
    assert_problem(client.get("/no-such-thing"), 404, "/no-such-thing")


def test_wrong_method_is_405_with_allow(client, admin):
    """A known path with a method it does not serve answers 405 and says what is allowed."""
    response = client.put("/me", headers=admin, json={})
    assert_problem(response, 405, "/me")
    assert "GET" in response.headers["allow"]


def test_text_body_is_415(client, admin):
    """A text/plain body to a JSON route is refused before it is read."""
    response = client.post("/users", headers={**admin, "Content-Type": "text/plain"},
                           content=b"username=x")
    body = assert_problem(response, 415, "/users")
    assert "text/plain" in body["detail"]


def _big_user() -> bytes:
    return json.dumps({"username": "big", "full_name": "x" * (ONE_MIB + 10),
                       "role": "planner"}).encode()


def test_body_over_1_mib_is_413(client, admin):
    """A declared Content-Length over 1 MiB is refused with 413."""
    response = client.post("/users", headers={**admin, "Content-Type": "application/json"},
                           content=_big_user())
    body = assert_problem(response, 413, "/users")
    assert "1,048,576 bytes" in body["detail"]


def test_chunked_body_over_1_mib_is_413(client, admin, session):
    """A chunked body without Content-Length is counted as it streams: 413, nothing written."""
    data = _big_user()

    def chunks():
        for start in range(0, len(data), 64 * 1024):
            yield data[start:start + 64 * 1024]

    response = client.post("/users", headers={**admin, "Content-Type": "application/json"},
                           content=chunks())
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert_problem(response, 413, "/users")
    assert client.get("/users/big", headers=admin).status_code == 404


def test_malformed_json_is_400(client, admin):
    """A body that is not JSON at all answers 400, not 422 or 500."""
    response = client.post("/users", headers={**admin, "Content-Type": "application/json"},
                           content=b'{"username": "x", ')
    body = assert_problem(response, 400, "/users")
    assert body["type"] == TYPE_BASE + "malformed-json"


def test_wrong_type_is_422_naming_the_field(client, admin):
    """A field of the wrong type or value answers 422 naming ``body.<field>``."""
    response = client.post("/users", headers=admin,
                           json={"username": "x.y", "full_name": 5, "role": "boss"})
    body = assert_problem(response, 422, "/users")
    fields = {e["field"]: e["detail"] for e in body["errors"]}
    assert set(fields) == {"body.full_name", "body.role"}
    assert "string" in fields["body.full_name"]


def test_duplicate_is_409(client, admin):
    """Creating a user that exists is a conflict."""
    user = {"username": "dup.user", "full_name": "Dup", "role": "planner"}
    assert client.post("/users", headers=admin, json=user).status_code == 201
    body = assert_problem(client.post("/users", headers=admin, json=user), 409, "/users")
    assert "already exists" in body["detail"]


class _Inner(BaseModel):
    y: int


class _Outer(BaseModel):
    x: list[_Inner]


def test_nested_field_path(app, client):
    """Nested errors are named ``body.x[0].y`` (list index in brackets)."""

    @app.post("/_test/nested", summary="test only")
    def nested(body: _Outer) -> dict:
        return {"n": len(body.x)}

    response = client.post("/_test/nested", json={"x": [{"y": "not a number"}]})
    body = assert_problem(response, 422, "/_test/nested")
    assert [e["field"] for e in body["errors"]] == ["body.x[0].y"]
    assert client.post("/_test/nested", json={"x": [{"y": 1}]}).json() == {"n": 1}


def test_bad_query_parameter_is_422_naming_it(client, admin):
    """A query parameter of the wrong type names ``query.<name>``."""
    body = assert_problem(client.get("/audit?limit=lots", headers=admin), 422, "/audit")
    assert [e["field"] for e in body["errors"]] == ["query.limit"]


def test_bad_path_parameter_is_422_naming_it(client, admin):
    """A path parameter of the wrong type names ``path.<name>``."""
    body = assert_problem(client.delete("/tokens/abc", headers=admin), 422, "/tokens/abc")
    assert [e["field"] for e in body["errors"]] == ["path.token_id"]


def test_nul_in_query_or_path_is_422_naming_it(client, admin):
    """PostgreSQL cannot store NUL in text: a NUL in a query parameter or the path answers 422
    naming it (it was a 500 when it reached the database)."""
    body = assert_problem(client.get("/violations?operator=VN%00PT&item=C1", headers=admin),
                          422, "/violations")
    assert [e["field"] for e in body["errors"]] == ["query.operator"]
    assert "NUL" in body["errors"][0]["detail"]
    body = assert_problem(client.get("/users/a%00b", headers=admin), 422, "/users/a\u0000b")
    assert [e["field"] for e in body["errors"]] == ["path"]


def test_nul_in_json_body_is_422_naming_the_field(client, admin, session):
    """A NUL anywhere in a JSON body (``\\u0000``) answers 422 naming each field; nothing is
    written. An escaped backslash followed by ``u0000`` is ordinary text."""
    response = client.post("/users", headers=admin, json={
        "username": "nul.user", "full_name": "A\u0000B", "role": "planner"})
    body = assert_problem(response, 422, "/users")
    assert [e["field"] for e in body["errors"]] == ["body.full_name"]
    assert session.scalar(select(User).where(User.username == "nul.user")) is None
    ok = client.post("/users", headers=admin, json={
        "username": "nul.user", "full_name": "A\\u0000B", "role": "planner"})
    assert ok.status_code == 201 and ok.json()["full_name"] == "A\\u0000B"


def test_nul_in_nested_json_body_names_the_path(app, client):
    """Fields inside lists and objects are named like validation errors: ``body.x[1].y``."""

    @app.post("/_test/nul", summary="test only")
    def nul(body: dict) -> dict:
        return body

    response = client.post("/_test/nul", json={"x": [{"y": "ok"}, {"y": "a\u0000"}]})
    body = assert_problem(response, 422, "/_test/nul")
    assert [e["field"] for e in body["errors"]] == ["body.x[1].y"]


def test_text_the_driver_refuses_is_422_not_500(app, client, session):
    """A value the database driver refuses before sending it (a NUL that arrived some other way
    than JSON, path or query) is bad input: 422, not 500."""
    @app.get("/_test/driver", summary="test only")
    def driver() -> dict:
        session.execute(text("SELECT :x"), {"x": "a\x00b"})
        return {}

    body = assert_problem(client.get("/_test/driver"), 422, "/_test/driver")
    assert "NUL" in body["detail"]


@pytest.mark.parametrize(("path", "field", "limit"), [
    ("/penalty-decisions/3000000000", "path.decision_id", 2**31 - 1),
    ("/campaigns/3000000000", "path.campaign_id", 2**31 - 1),
    ("/plans/3000000000", "path.plan_id", 2**31 - 1),
    ("/violations/99999999999999999999", "path.violation_id", 2**63 - 1),
    ("/compliance/segments/99999999999999999999", "path.segment_id", 2**63 - 1),
])
def test_id_out_of_its_column_range_is_422_naming_the_parameter(client, admin, path, field,
                                                                 limit):
    """An id beyond its key's type is refused before the database sees it (it used to be an
    unnamed 'integer out of range' from PostgreSQL)."""
    body = assert_problem(client.get(path, headers=admin), 422, path)
    assert body["errors"][0]["field"] == field
    assert str(limit) in body["errors"][0]["detail"]
