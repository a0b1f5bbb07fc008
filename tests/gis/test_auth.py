"""gis.auth without HTTP: users, tokens (stored hashed), authentication, roles."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from gis import auth
from gis.auth import AuthError, ForbiddenError, Principal
from gis.choices import Role
from gis.errors import ConflictError, FieldIssue, NotFoundError, ValidationFailed
from gis.models import ApiToken
from tests.factories import make_operator


def _issue(exc_info) -> FieldIssue:
    (issue,) = exc_info.value.problems
    return issue


def test_token_is_random_and_stored_only_hashed(session):
    """The plaintext is tg_ + 43 URL-safe characters; the row holds its SHA-256 only."""
    auth.create_user(session, "an.nguyen", "Nguyễn Văn An", Role.INSPECTOR)
    first, row = auth.issue_token(session, "an.nguyen", 30, "phone")
    second, _ = auth.issue_token(session, "an.nguyen", 30)
    assert re.fullmatch(r"tg_[A-Za-z0-9_-]{43}", first) and first != second
    stored = session.execute(text("SELECT token_sha256 FROM api_tokens WHERE id = :i"),
                             {"i": row.id}).scalar()
    assert stored == auth.hash_token(first) and first not in stored
    assert (row.expires_at - datetime.now(UTC)).days in (29, 30)


def test_authenticate(session):
    """A valid token gives the principal; each kind of bad token says why, as a given token."""
    vnpt = make_operator(session, "VNPT")
    user = auth.create_user(session, "vnpt.tb", "VNPT TB", Role.OPERATOR, "vnpt")
    token, row = auth.issue_token(session, "vnpt.tb", 1)
    assert auth.authenticate(session, token) == Principal(user.id, "vnpt.tb", Role.OPERATOR,
                                                          vnpt.id)
    with pytest.raises(AuthError, match="not known") as caught:
        auth.authenticate(session, token + "x")
    assert caught.value.token_given is True
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.flush()
    with pytest.raises(AuthError, match="expired"):
        auth.authenticate(session, token)
    token, row = auth.issue_token(session, "vnpt.tb", 1)
    auth.set_active(session, "vnpt.tb", False)
    with pytest.raises(AuthError, match="deactivated"):
        auth.authenticate(session, token)
    auth.set_active(session, "vnpt.tb", True)
    assert auth.authenticate(session, token).username == "vnpt.tb"
    auth.revoke_token(session, row.id)
    with pytest.raises(AuthError, match="revoked"):
        auth.authenticate(session, token)


def _bound(session) -> tuple[str, str, str]:
    return tuple(session.execute(text(
        "SELECT current_setting('telecom_gis.actor', true),"
        " current_setting('telecom_gis.operator_scope', true), current_user")).one())


def test_sign_in_authenticates_and_binds_in_one_statement(session):
    """sign_in = authenticate + bind_principal: the actor, the operator scope and (for an
    operator's user) the confined role; a bad token binds nothing."""
    owner = session.execute(text("SELECT current_user")).scalar_one()
    vnpt = make_operator(session, "VNPT")
    auth.create_user(session, "thanh.tra", "Thanh Tra", Role.INSPECTOR)
    staff, _ = auth.issue_token(session, "thanh.tra", 1)
    auth.create_user(session, "vnpt.tb", "VNPT TB", Role.OPERATOR, "vnpt")
    operator, row = auth.issue_token(session, "vnpt.tb", 1)
    with pytest.raises(AuthError, match="not known"):
        auth.sign_in(session, staff + "x")
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.flush()
    with pytest.raises(AuthError, match="expired"):
        auth.sign_in(session, operator)
    assert _bound(session)[:2] in ((None, None), ("", ""))
    assert auth.sign_in(session, staff) == auth.authenticate(session, staff)
    assert _bound(session) == ("user:thanh.tra", "", owner)
    operator, _ = auth.issue_token(session, "vnpt.tb", 1)
    principal = auth.sign_in(session, operator)
    try:
        assert principal == Principal(principal.user_id, "vnpt.tb", Role.OPERATOR, vnpt.id)
        assert _bound(session) == ("user:vnpt.tb", str(vnpt.id), auth.OPERATOR_DB_ROLE)
    finally:
        session.execute(text("RESET ROLE"))


@pytest.mark.parametrize(("args", "field", "words"), [
    (("Bad Name", "X", Role.PLANNER, None), "username", "lower-case"),
    (("x", "X", Role.PLANNER, None), "username", "2 to 64"),
    (("ok.name", "   ", Role.PLANNER, None), "full_name", "1 to 200"),
    (("ok.name", "X" * 201, Role.PLANNER, None), "full_name", "1 to 200"),
    (("ok.name", "X", Role.OPERATOR, None), "operator", "needs"),
    (("ok.name", "X", Role.OPERATOR, "MOBIFONE"), "operator", "known operators: VNPT"),
    (("ok.name", "X", Role.INSPECTOR, "VNPT"), "operator", "does not belong"),
])
def test_create_user_refuses_bad_input(session, args, field, words):
    """Bad input is a ValidationFailed naming the field; nothing is written."""
    make_operator(session, "VNPT")
    with pytest.raises(ValidationFailed) as caught:
        auth.create_user(session, *args)
    issue = _issue(caught)
    assert issue.field == field and words in issue.reason
    assert session.execute(text("SELECT count(*) FROM users")).scalar() == 0


def test_duplicate_username_is_a_conflict(session):
    """A taken username is a ConflictError (HTTP 409), not a database error."""
    auth.create_user(session, "dup", "A", Role.PLANNER)
    with pytest.raises(ConflictError, match="already exists"):
        auth.create_user(session, "dup", "B", Role.ADMIN)


def test_tokens_and_state_changes(session):
    """Bad days, unknown users and tokens, repeated revocation and self-deactivation."""
    admin = auth.create_user(session, "admin1", "Admin", Role.ADMIN)
    with pytest.raises(ValidationFailed) as caught:
        auth.issue_token(session, "admin1", 0)
    assert _issue(caught).field == "days"
    with pytest.raises(NotFoundError):
        auth.issue_token(session, "ghost", 5)
    with pytest.raises(NotFoundError):
        auth.revoke_token(session, 123456)
    _, row = auth.issue_token(session, "admin1", 5)
    assert auth.revoke_token(session, row.id).revoked_at is not None
    with pytest.raises(ConflictError, match="already revoked"):
        auth.revoke_token(session, row.id)
    with pytest.raises(ConflictError, match="yourself"):
        auth.update_user(session, "admin1", active=False, acting_user_id=admin.id)
    auth.deactivate_user(session, "admin1")
    with pytest.raises(ConflictError, match="already deactivated"):
        auth.deactivate_user(session, "admin1")
    with pytest.raises(ConflictError, match="deactivated"):
        auth.issue_token(session, "admin1", 5)


def test_list_users_counts_only_valid_tokens(session):
    """Revoked and expired tokens are not counted; filters by role and activity."""
    auth.create_user(session, "p1", "P", Role.PLANNER)
    auth.create_user(session, "i1", "I", Role.INSPECTOR)
    for _ in range(3):
        auth.issue_token(session, "p1", 5)
    rows = list(session.scalars(select(ApiToken).order_by(ApiToken.id)))
    auth.revoke_token(session, rows[0].id)
    rows[1].expires_at = datetime.now(UTC) - timedelta(hours=1)
    session.flush()
    counts = {u.username: u.active_tokens for u in auth.list_users(session)}
    assert counts == {"i1": 0, "p1": 1}
    assert [u.username for u in auth.list_users(session, role=Role.INSPECTOR)] == ["i1"]
    auth.set_active(session, "i1", False)
    assert [u.username for u in auth.list_users(session, active=False)] == ["i1"]
    assert auth.user_info(session, "p1").active_tokens == 1
    with pytest.raises(NotFoundError):
        auth.user_info(session, "nobody")


def test_require_role():
    """require_role passes the listed roles and names them when refusing."""
    planner = Principal(1, "p", Role.PLANNER, None)
    auth.require_role(planner, Role.ADMIN, Role.PLANNER)
    with pytest.raises(ForbiddenError, match="needs the role admin, inspector; you are planner"):
        auth.require_role(planner, Role.ADMIN, Role.INSPECTOR)
