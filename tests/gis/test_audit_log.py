"""The audit trigger: every INSERT/UPDATE/DELETE on an audited table is one audit_log row with
actor, table, row key and before/after images; token hashes are never in an image. And the
reading side, gis.audit."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, insert, select, text, update

from gis.audit import AUDITED_TABLES, AuditCursor, list_audit
from gis.auth import Principal, bind_principal, issue_token, revoke_token
from gis.choices import Role
from gis.db import set_actor
from gis.errors import ValidationFailed
from gis.models import (
    ApiToken,
    AuditEntry,
    PenaltyDecision,
    UndergroundingPlan,
    User,
    plan_routes,
)
from tests.factories import make_operator, make_route, make_user


def _log(session, table: str, row_key: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.table_name == table).order_by(AuditEntry.id)
    if row_key is not None:
        query = query.where(AuditEntry.row_key == row_key)
    return list(session.scalars(query))


def test_audited_tables_match_the_triggers(session):
    """gis.audit.AUDITED_TABLES lists exactly the tables that carry the audit trigger."""
    triggered = set(session.execute(text(
        "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
        " JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname = 'audit_row'")).scalars())
    assert triggered == set(AUDITED_TABLES)


def test_user_insert_update_delete(session):
    """Each write is one row naming the actor, the row's id and its images."""
    set_actor(session, "cli:tester")
    user, _ = make_user(session, "planner", username="p.one")
    key = str(user.id)
    session.execute(update(User).where(User.id == user.id).values(full_name="Renamed"))
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    session.execute(delete(User).where(User.id == user.id))
    entries = _log(session, "users", key)
    assert [(e.action, e.actor) for e in entries] == [
        ("INSERT", "cli:tester"), ("UPDATE", "cli:tester"), ("DELETE", "cli:tester")]
    inserted, updated, deleted = entries
    assert inserted.before is None and inserted.after["username"] == "p.one"
    assert updated.before["full_name"] == "P.One" and updated.after["full_name"] == "Renamed"
    assert deleted.before["full_name"] == "Renamed" and deleted.after is None
    assert all(e.at is not None for e in entries)


def test_actor_is_the_bound_user_or_the_database_user(session):
    """Without an actor the database user is recorded; a bound principal is ``user:<name>``."""
    operator = make_operator(session, "VNPT")
    database_user = session.execute(text("SELECT session_user")).scalar()
    assert _log(session, "operators", str(operator.id))[0].actor == database_user
    bind_principal(session, Principal(1, "thanhtra.an", Role.ADMIN, None))
    operator.name = "VNPT Hưng Yên"
    session.flush()
    assert _log(session, "operators", str(operator.id))[-1].actor == "user:thanhtra.an"


def test_plans_and_link_rows(session):
    """Plans are audited by id; a link row (plan_routes) by its ids joined by commas."""
    set_actor(session, "cli:planner")
    operator = make_operator(session, "VNPT")
    route = make_route(session, operator)
    plan = UndergroundingPlan(year=2026, name="Hạ ngầm 2026", operator_id=operator.id,
                              target_km=12.5)
    session.add(plan)
    session.flush()
    session.execute(insert(plan_routes).values(plan_id=plan.id, route_id=route.id))
    plan.target_km = 15
    session.flush()
    entries = _log(session, "undergrounding_plans", str(plan.id))
    assert [e.action for e in entries] == ["INSERT", "UPDATE"]
    assert entries[1].before["target_km"] == 12.5 and entries[1].after["target_km"] == 15
    link = _log(session, "plan_routes")
    assert [(e.action, e.row_key) for e in link] == [("INSERT", f"{plan.id},{route.id}")]
    assert link[0].after == {"plan_id": plan.id, "route_id": route.id}


def test_penalty_decision(session):
    """A penalty decision's insert records its amount and legal basis."""
    set_actor(session, "user:chanh.thanhtra")
    operator = make_operator(session, "VIETTEL")
    decision = PenaltyDecision(number="07/QĐ-XPVPHC", decided_on=date(2023, 11, 20),
                               operator_id=operator.id, decree="15/2020/NĐ-CP", article="40",
                               clause="3", amount_vnd=4_000_000)
    session.add(decision)
    session.flush()
    (entry,) = _log(session, "penalty_decisions", str(decision.id))
    assert entry.actor == "user:chanh.thanhtra"
    assert entry.after["amount_vnd"] == 4_000_000 and entry.after["decree"] == "15/2020/NĐ-CP"


def test_token_hash_never_in_an_image(session):
    """Issuing and revoking a token are audited without the hash (nor the plaintext)."""
    make_user(session, "inspector", username="i.one")
    plaintext, token = issue_token(session, "i.one", 7, "phone")
    revoke_token(session, token.id)
    entries = _log(session, "api_tokens", str(token.id))
    assert [e.action for e in entries] == ["INSERT", "UPDATE"]
    assert entries[0].after["label"] == "phone" and entries[1].after["revoked_at"]
    for entry in _log(session, "api_tokens"):
        for image in (entry.before, entry.after):
            if image is not None:
                assert "token_sha256" not in image
                assert token.token_sha256 not in str(image) and plaintext not in str(image)
    leaked = session.execute(text(
        "SELECT count(*) FROM audit_log WHERE before::text LIKE '%' || :h || '%'"
        " OR after::text LIKE '%' || :h || '%'"), {"h": token.token_sha256}).scalar()
    assert leaked == 0


def test_list_audit_filters_and_pages(session):
    """list_audit: newest first, filters, and cursors that continue where a page ended."""
    set_actor(session, "cli:a")
    for code in ("AAA", "BBB", "CCC"):
        make_operator(session, code)
    set_actor(session, "cli:b")
    make_operator(session, "DDD")
    page = list_audit(session, table="operators", limit=2)
    assert [e.after["code"] for e in page.entries] == ["DDD", "CCC"]
    rest = list_audit(session, table="operators", limit=2, cursor=page.next_cursor)
    assert [e.after["code"] for e in rest.entries] == ["BBB", "AAA"]
    assert rest.next_cursor is None
    assert [e.after["code"] for e in list_audit(session, actor="cli:b").entries] == ["DDD"]
    now = session.execute(text("SELECT now()")).scalar()
    assert len(list_audit(session, table="operators", since=now).entries) == 4
    assert list_audit(session, table="operators", until=now).entries == []


def test_cursor_round_trip_and_bad_input():
    """A cursor survives encoding; garbage, unknown tables and bad limits name their field."""
    cursor = AuditCursor(datetime(2025, 7, 1, 1, 2, 3, 456789, tzinfo=UTC), 42)
    assert AuditCursor.decode(cursor.encode()) == cursor
    for bad in ("", "!!!", "bm90IGEgY3Vyc29y", AuditCursor(datetime(2025, 1, 1), 1).encode()):
        with pytest.raises(ValidationFailed) as caught:
            AuditCursor.decode(bad)
        assert caught.value.problems[0].field == "cursor"


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"table": "cable_segments"}, "table"), ({"limit": 0}, "limit"), ({"limit": 1001}, "limit"),
])
def test_list_audit_refuses_bad_arguments(session, kwargs, field):
    """An unaudited table or a limit outside 1..1000 is refused, naming the argument."""
    with pytest.raises(ValidationFailed) as caught:
        list_audit(session, **kwargs)
    assert caught.value.problems[0].field == field
