"""401 vs 403 everywhere: no or bad token -> 401 with a Bearer challenge; a valid token with the
wrong role -> 403. Every route but /healthz declares and enforces the bearer scheme."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from api.problems import PROBLEM_JSON
from gis.models import ApiToken, User
from tests.factories import bearer, make_operator, make_user

#: Open without a token: health, and the page session (its POST takes the token in the body).
PUBLIC_PATHS = {"/healthz", "/session"}
#: Protected GET routes probed with every kind of bad credential (those that exist now).
PROBED = ("/me", "/segments", "/users", "/audit")


def _operations(app) -> list[tuple[str, str]]:
    """Every (METHOD, path template) the app documents."""
    return [(method.upper(), path) for path, operations in app.openapi()["paths"].items()
            for method in operations]


def _probed_paths(app) -> list[str]:
    served = set(_operations(app))
    paths = [p for p in PROBED if ("GET", p) in served]
    assert "/me" in paths
    return paths


def assert_401(response, *, token_given: bool) -> None:
    """A 401 problem with an RFC 6750 Bearer challenge."""
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert ('error="invalid_token"' in challenge) is token_given
    body = response.json()
    assert body["status"] == 401 and body["title"] == "Not authenticated"


@pytest.fixture
def inspector(session):
    """An inspector and its token."""
    return make_user(session, "inspector")


def test_no_header_is_401(client, app):
    """No Authorization header at all."""
    for path in _probed_paths(app):
        response = client.get(path)
        assert_401(response, token_given=False)
        assert "bearer token" in response.json()["detail"]


def test_wrong_scheme_is_401(client, app, inspector):
    """Basic credentials (or any other scheme) are not a bearer token."""
    _, token = inspector
    for path in _probed_paths(app):
        assert_401(client.get(path, headers={"Authorization": f"Basic {token}"}),
                   token_given=False)


def test_unknown_token_is_401(client, app):
    """A well-formed token that was never issued."""
    for path in _probed_paths(app):
        response = client.get(path, headers=bearer("tg_" + "x" * 43))
        assert_401(response, token_given=True)
        assert response.json()["detail"] == "the bearer token is not known"


def test_expired_token_is_401(client, app, session, inspector):
    """A token past its expiry; the same token worked before it expired."""
    user, token = inspector
    assert client.get("/me", headers=bearer(token)).status_code == 200
    session.execute(update(ApiToken).where(ApiToken.user_id == user.id)
                    .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    for path in _probed_paths(app):
        response = client.get(path, headers=bearer(token))
        assert_401(response, token_given=True)
        assert response.json()["detail"] == "the bearer token has expired"


def test_revoked_token_is_401(client, app, session, inspector):
    """A token revoked through the API is refused on the next request."""
    _, admin_token = make_user(session, "admin")
    user, token = inspector
    token_id = session.query(ApiToken.id).filter(ApiToken.user_id == user.id).scalar()
    assert client.delete(f"/tokens/{token_id}", headers=bearer(admin_token)).status_code == 200
    for path in _probed_paths(app):
        response = client.get(path, headers=bearer(token))
        assert_401(response, token_given=True)
        assert response.json()["detail"] == "the bearer token was revoked"


def test_deactivated_user_is_401(client, app, session, inspector):
    """Every token of a deactivated user is refused."""
    user, token = inspector
    session.execute(update(User).where(User.id == user.id).values(active=False))
    for path in _probed_paths(app):
        response = client.get(path, headers=bearer(token))
        assert_401(response, token_given=True)
        assert response.json()["detail"] == "the user is deactivated"


def test_wrong_role_is_403(client, session):
    """A planner (valid token) may not create users: 403, not 401; nothing is created."""
    _, token = make_user(session, "planner")
    response = client.post("/users", headers=bearer(token),
                           json={"username": "sneaky", "full_name": "S", "role": "admin"})
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "www-authenticate" not in response.headers
    assert response.json()["detail"] == "this needs the role admin; you are planner"
    assert session.query(User).filter(User.username == "sneaky").count() == 0


def test_operator_user_is_403_on_admin_routes(client, session):
    """An operator's user is authenticated (GET /me works) but may not list users."""
    _, token = make_user(session, "operator", make_operator(session, "VNPT"))
    assert client.get("/me", headers=bearer(token)).status_code == 200
    assert client.get("/users", headers=bearer(token)).status_code == 403


def test_openapi_declares_bearer_on_every_route_but_healthz(app):
    """The bearer scheme is in components, and every operation except /healthz requires it."""
    document = app.openapi()
    schemes = document["components"]["securitySchemes"]
    assert schemes["HTTPBearer"] == {
        "type": "http", "scheme": "bearer",
        "description": "API token issued with `telecom-gis users token`.",
    }
    checked = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path in PUBLIC_PATHS:
                assert "security" not in operation, f"{method.upper()} {path}"
                continue
            assert operation.get("security") == [{"HTTPBearer": []}], f"{method.upper()} {path}"
            assert "401" in operation["responses"], f"{method.upper()} {path} documents no 401"
            checked += 1
    assert checked >= 9  # at least this helper's routes: /me, /users..., /tokens, /audit


def test_every_route_but_healthz_answers_401_without_token(app, client):
    """Walk the documented routes: without a token each one answers 401 (path ids set to 1)."""
    checked = []
    for method, template in _operations(app):
        if template in PUBLIC_PATHS:
            continue
        response = client.request(method, re.sub(r"\{[^}]+\}", "1", template))
        assert response.status_code == 401, f"{method} {template}: {response.text}"
        assert response.headers["www-authenticate"].startswith("Bearer")
        checked.append(f"{method} {template}")
    assert "DELETE /tokens/{token_id}" in checked and "GET /audit" in checked
