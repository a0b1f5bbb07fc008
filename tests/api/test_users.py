"""GET /me for every role; users and tokens (administrators only), their errors, role matrix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from gis.auth import hash_token
from gis.choices import LABELS, Role
from gis.models import ApiToken, AuditEntry, User
from tests.factories import bearer, make_operator, make_user

#: Every administrator-only operation, with a body that would be valid.
ADMIN_ROUTES = [
    ("GET", "/users", None),
    ("POST", "/users", {"username": "new.one", "full_name": "New One", "role": "planner"}),
    ("GET", "/users/inspector-dept", None),
    ("PATCH", "/users/inspector-dept", {"full_name": "Renamed"}),
    ("POST", "/users/inspector-dept/tokens", {"days": 5}),
    ("GET", "/users/inspector-dept/tokens", None),
    ("DELETE", "/tokens/{token_id}", None),
    ("GET", "/audit", None),
]


@pytest.fixture
def people(session):
    """An admin, an inspector, a planner and a VNPT user: {role: (user, headers)}."""
    vnpt = make_operator(session, "VNPT")
    made = {}
    for role in Role:
        user, token = make_user(session, role.value, vnpt if role is Role.OPERATOR else None)
        made[role] = (user, bearer(token))
    return made


@pytest.fixture
def admin(people):
    """Headers of the administrator."""
    return people[Role.ADMIN][1]


def _fields(response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {e["field"]: e["detail"] for e in response.json()["errors"]}


@pytest.mark.parametrize("role", list(Role))
def test_me_for_every_role(client, people, role):
    """Any authenticated user gets its name, role with both labels, and operator code."""
    user, headers = people[role]
    response = client.get("/me", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "username": user.username, "full_name": user.full_name, "role": role.value,
        "role_label": {"vi": LABELS[role].vi, "en": LABELS[role].en},
        "operator": "VNPT" if role is Role.OPERATOR else None,
    }


@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.PLANNER, Role.OPERATOR])
def test_admin_routes_refuse_other_roles(client, session, people, role):
    """Each administrator route answers 403 to every other role, and changes nothing."""
    token_id = session.scalar(select(ApiToken.id).where(
        ApiToken.user_id == people[Role.INSPECTOR][0].id))
    headers = people[role][1]
    for method, path, body in ADMIN_ROUTES:
        response = client.request(method, path.format(token_id=token_id), headers=headers,
                                  json=body)
        assert response.status_code == 403, f"{role} {method} {path}: {response.text}"
    assert session.scalar(select(User.full_name).where(User.username == "inspector-dept")) == (
        "Inspector-Dept")
    assert session.get(ApiToken, token_id).revoked_at is None


def test_admin_routes_allow_admin(client, session, people, admin):
    """The same requests succeed for an administrator."""
    token_id = session.scalar(select(ApiToken.id).where(
        ApiToken.user_id == people[Role.INSPECTOR][0].id))
    for method, path, body in ADMIN_ROUTES:
        response = client.request(method, path.format(token_id=token_id), headers=admin,
                                  json=body)
        assert response.status_code in (200, 201), f"{method} {path}: {response.text}"


def test_create_operator_user(client, session, admin):
    """An operator user is created with its operator; the write is audited under the admin."""
    make_operator(session, "FPT")
    response = client.post("/users", headers=admin, json={
        "username": "fpt.tb", "full_name": "FPT Thái Bình", "role": "operator",
        "operator": "fpt"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["operator"] == "FPT" and body["active"] is True and body["active_tokens"] == 0
    assert body["role_label"] == {"vi": "Doanh nghiệp", "en": "Operator"}
    entry = session.scalars(select(AuditEntry).where(
        AuditEntry.table_name == "users", AuditEntry.row_key == str(body["id"]))).one()
    assert (entry.action, entry.actor) == ("INSERT", "user:admin-dept")


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"role": "operator"}, "body.operator", "needs its operator"),
    ({"role": "planner", "operator": "VNPT"}, "body.operator", "does not belong"),
    ({"role": "operator", "operator": "MOBIFONE"}, "body.operator", "unknown operator"),
    ({"role": "planner", "username": "Has Space"}, "body.username", "pattern"),
    ({"role": "planner", "full_name": ""}, "body.full_name", "at least 1"),
    ({"role": "planner", "password": "x"}, "body.password", "not permitted"),
])
def test_create_user_names_the_bad_field(client, session, admin, body, field, words):
    """Bad input answers 422 naming the field; nothing is created."""
    payload = {"username": "someone", "full_name": "Someone"} | body
    fields = _fields(client.post("/users", headers=admin, json=payload))
    assert list(fields) == [field]
    assert words in fields[field]
    assert session.scalar(select(User).where(User.username == payload["username"])) is None


def test_list_users_counts_valid_tokens(client, session, people, admin):
    """The list shows each user once with tokens neither revoked nor expired; filters work."""
    inspector = people[Role.INSPECTOR][0]
    for label in ("spare", "old"):
        assert client.post(f"/users/{inspector.username}/tokens", headers=admin,
                           json={"label": label}).status_code == 201
    old = session.scalar(select(ApiToken).where(ApiToken.label == "old"))
    old.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    session.flush()
    users = client.get("/users", headers=admin).json()
    assert [u["username"] for u in users] == sorted(u.username for u, _ in people.values())
    counts = {u["username"]: u["active_tokens"] for u in users}
    assert counts["inspector-dept"] == 2 and counts["admin-dept"] == 1
    planners = client.get("/users?role=planner", headers=admin).json()
    assert [u["username"] for u in planners] == ["planner-dept"]
    assert client.get("/users?active=false", headers=admin).json() == []
    assert "query.role" in _fields(client.get("/users?role=boss", headers=admin))


def test_deactivate_and_reactivate(client, people, admin):
    """A deactivated user's token is refused at once and works again after reactivation."""
    user, headers = people[Role.PLANNER]
    response = client.patch(f"/users/{user.username}", headers=admin, json={"active": False})
    assert response.status_code == 200 and response.json()["active"] is False
    assert client.get("/me", headers=headers).status_code == 401
    client.patch(f"/users/{user.username}", headers=admin, json={"active": True})
    assert client.get("/me", headers=headers).status_code == 200


def test_patch_errors(client, admin):
    """Self-deactivation is a 409; unknown user 404; an empty change 422."""
    response = client.patch("/users/admin-dept", headers=admin, json={"active": False})
    assert response.status_code == 409
    assert "yourself" in response.json()["detail"]
    assert client.get("/me", headers=admin).status_code == 200
    assert client.patch("/users/nobody", headers=admin, json={"active": False}).status_code == 404
    assert "body" in _fields(client.patch("/users/planner-dept", headers=admin, json={}))
    renamed = client.patch("/users/planner-dept", headers=admin, json={"full_name": " Lê Văn C "})
    assert renamed.json()["full_name"] == "Lê Văn C"


def test_issue_token_shown_once(client, session, settings, people, admin):
    """The plaintext works as a bearer token, is stored only hashed, and is never listed."""
    response = client.post("/users/planner-dept/tokens", headers=admin, json={"label": "tab 3"})
    assert response.status_code == 201, response.text
    issued = response.json()
    token = issued["token"]
    assert token.startswith("tg_") and issued["label"] == "tab 3" and issued["active"] is True
    expires = datetime.fromisoformat(issued["expires_at"])
    expected = datetime.now(UTC) + timedelta(days=settings.token_days)
    assert abs((expires - expected).total_seconds()) < 120
    assert client.get("/me", headers=bearer(token)).json()["username"] == "planner-dept"
    row = session.get(ApiToken, issued["id"])
    assert row.token_sha256 == hash_token(token) and token not in row.token_sha256
    listing = client.get("/users/planner-dept/tokens", headers=admin)
    assert [t["id"] for t in listing.json()][0] == issued["id"]
    assert all(set(t) == set(issued) - {"token"} for t in listing.json())
    assert token not in listing.text and row.token_sha256 not in listing.text


def test_issue_token_errors(client, people, admin):
    """days outside 1..365 -> 422 naming body.days; unknown user 404; deactivated user 409."""
    for days in (0, 366):
        fields = _fields(client.post("/users/planner-dept/tokens", headers=admin,
                                     json={"days": days}))
        assert list(fields) == ["body.days"]
    assert client.post("/users/nobody/tokens", headers=admin, json={}).status_code == 404
    client.patch("/users/planner-dept", headers=admin, json={"active": False})
    response = client.post("/users/planner-dept/tokens", headers=admin, json={"days": 3})
    assert response.status_code == 409
    assert client.get("/users/nobody/tokens", headers=admin).status_code == 404


def test_revoke_token(client, session, people, admin):
    """DELETE /tokens/{id} revokes (the token stops working); twice -> 409; unknown -> 404."""
    user, headers = people[Role.INSPECTOR]
    token_id = session.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))
    response = client.delete(f"/tokens/{token_id}", headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["revoked_at"] is not None and response.json()["active"] is False
    assert response.json()["username"] == user.username
    assert client.get("/me", headers=headers).status_code == 401
    assert client.delete(f"/tokens/{token_id}", headers=admin).status_code == 409
    assert client.delete("/tokens/999999", headers=admin).status_code == 404
