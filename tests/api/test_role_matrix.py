"""The role matrix in one place: every write route against every role, and an operator against
another operator's data.

Each allowed role gets a valid request and must succeed (2xx); each other role gets 403 and
nothing is written. A test walks the OpenAPI document so a new write route cannot be left out
of the matrix.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, select, text

from gis.compliance.rules import local_today
from gis.models import AuditEntry, Inspection, PlacementReport, UndergroundingPlan
from tests.compliance_data import World, make_visit, make_world
from tests.photo_samples import jpeg
from tests.visit_samples import body_for

ROLES = ("admin", "inspector", "planner", "vnpt", "viettel")
STAFF_WRITERS = {"admin", "inspector"}
PLANNERS = {"admin", "planner"}
OPERATORS_AND_ADMIN = {"admin", "vnpt", "viettel"}


@dataclass(frozen=True)
class Case:
    """A write route: who may call it, and how to build a valid call for a given user."""

    method: str
    path: str  # as in the OpenAPI document
    allowed: set[str]
    call: Callable  # (client, world, session, who) -> response


def _post_visit(client, world, session, who, photos=0):
    body = body_for(session, segment_id=world.seg_a.id, photos=photos)
    return client.post("/inspections", json=body, headers={
        **world.auth(who), "Idempotency-Key": str(uuid.uuid4())})


def _upload(client, world, session, who):
    visit = _post_visit(client, world, session, "inspector", photos=1).json()
    files = {"file": ("pole.jpg", jpeg(), "image/jpeg")}
    return client.put(f"/inspections/{visit['id']}/photos/1", files=files,
                      headers=world.auth(who))


def _penalty(client, world, session, who):
    return client.post("/penalty-decisions", headers=world.auth(who), json={
        "number": f"QD-{who}", "decided_on": "2024-05-10", "operator": "VNPT",
        "decree": "15/2020/NĐ-CP", "article": "40", "clause": "1", "amount_vnd": 4_000_000,
        "violation_ids": [world.violations["open"].id]})


def _own_segment(world: World, who: str):
    return world.seg_b if who == "viettel" else world.seg_a


def _report(client, world, session, who):
    return client.post("/placement-reports", headers=world.auth(who), json={
        "segment_id": _own_segment(world, who).id, "effective_on": "2024-06-30",
        "placement": "underground", "tidied": True, "evidence": "Biên bản nghiệm thu"})


def _pending_report(session, world: World) -> int:
    report = PlacementReport(
        segment_id=world.seg_a.id, operator_id=world.vnpt.id,
        reported_by=world.users["vnpt"].id, effective_on=date(2024, 6, 30),
        placement="underground", placement_kind="duct", tidied=True, evidence="BB 1")
    session.add(report)
    session.flush()
    return report.id


def _decide(action: str):
    def call(client, world, session, who):
        report_id = _pending_report(session, world)
        return client.post(f"/placement-reports/{report_id}/{action}",
                           json={"note": "Đã kiểm tra thực địa"}, headers=world.auth(who))
    return call


def world_operator(session) -> int:
    return session.execute(text("SELECT id FROM operators WHERE code = 'VNPT'")).scalar_one()


def _plan(session) -> int:
    plan = UndergroundingPlan(year=2025, name="Ngầm hóa thử", target_km=1,
                              operator_id=world_operator(session))
    session.add(plan)
    session.flush()
    return plan.id


PLAN_BODY = {"year": 2026, "name": "Ngầm hóa 2026", "operator": "VNPT", "target_km": 1.5}


def _remediation(client, world, session, who):
    violation = world.violations["viettel" if who == "viettel" else "open"]
    return client.post(f"/violations/{violation.id}/remediation", headers=world.auth(who),
                       json={"note": "Đã khắc phục"})


def _token_id(client, world, session) -> int:
    user = world.users["inspector"].username
    return session.execute(text(
        "SELECT t.id FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.username = :u"),
        {"u": user}).scalar_one()


def _edit_state(client, world, session, who):
    path = f"/segments/{world.seg_a.id}"
    seen = client.get(path, headers=world.auth("admin")).headers["etag"]
    return client.post(f"{path}/states", headers={**world.auth(who), "If-Match": seen}, json={
        "effective_on": local_today().isoformat(), "tidied": True, "note": "tidied on site"})


CASES = [
    Case("POST", "/campaigns", STAFF_WRITERS, lambda c, w, s, who: c.post(
        "/campaigns", headers=w.auth(who), json={
            "code": f"KT-{who}", "name": "Kiểm tra", "legal_basis": "QĐ 1",
            "starts_on": "2024-04-01", "ends_on": "2024-05-31"})),
    Case("POST", "/inspections", STAFF_WRITERS, _post_visit),
    Case("PUT", "/inspections/{inspection_id}/photos/{slot}", STAFF_WRITERS, _upload),
    Case("POST", "/penalty-decisions", STAFF_WRITERS, _penalty),
    Case("POST", "/placement-reports", OPERATORS_AND_ADMIN, _report),
    Case("POST", "/segments/{segment_id}/states", STAFF_WRITERS, _edit_state),
    Case("POST", "/placement-reports/{report_id}/confirm", STAFF_WRITERS, _decide("confirm")),
    Case("POST", "/placement-reports/{report_id}/reject", STAFF_WRITERS, _decide("reject")),
    Case("POST", "/plans", PLANNERS,
         lambda c, w, s, who: c.post("/plans", json=PLAN_BODY, headers=w.auth(who))),
    Case("PUT", "/plans/{plan_id}", PLANNERS, lambda c, w, s, who: c.put(
        f"/plans/{_plan(s)}", json=PLAN_BODY, headers=w.auth(who))),
    Case("DELETE", "/plans/{plan_id}", PLANNERS, lambda c, w, s, who: c.delete(
        f"/plans/{_plan(s)}", headers=w.auth(who))),
    Case("POST", "/violations/{violation_id}/remediation", OPERATORS_AND_ADMIN, _remediation),
    Case("POST", "/users", {"admin"}, lambda c, w, s, who: c.post("/users", headers=w.auth(who),
         json={"username": f"new.{who}", "full_name": "Người mới", "role": "inspector"})),
    Case("PATCH", "/users/{username}", {"admin"}, lambda c, w, s, who: c.patch(
        f"/users/{w.users['planner'].username}", json={"full_name": "Tên mới"},
        headers=w.auth(who))),
    Case("POST", "/users/{username}/tokens", {"admin"}, lambda c, w, s, who: c.post(
        f"/users/{w.users['planner'].username}/tokens", json={"days": 5},
        headers=w.auth(who))),
    Case("DELETE", "/tokens/{token_id}", {"admin"}, lambda c, w, s, who: c.delete(
        f"/tokens/{_token_id(c, w, s)}", headers=w.auth(who))),
]


@pytest.fixture
def world(session) -> World:
    return make_world(session)


def _writes(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry))


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.path}")
def test_role_matrix(client, world, session, case, who):
    """Allowed roles succeed with a valid request; the others get 403 and write nothing."""
    before = _writes(session)  # after the world, before the call and its set-up
    if who in case.allowed:
        response = case.call(client, world, session, who)
        assert 200 <= response.status_code < 300, (who, response.text)
        assert _writes(session) > before  # audited
        return
    # Set-up rows (a visit to upload to, a report to decide, a plan) are written by others;
    # what matters is that nothing is written as the forbidden user.
    response = case.call(client, world, session, who)
    assert response.status_code == 403, (who, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    forbidden_writes = session.scalar(
        select(func.count()).select_from(AuditEntry)
        .where(AuditEntry.actor == f"user:{world.users[who].username}"))
    assert forbidden_writes == 0


def test_matrix_lists_every_write_route(app):
    """Every POST/PUT/PATCH/DELETE in the OpenAPI document has a row in the matrix (but the
    page session's, which writes nothing: it sets or clears a cookie)."""
    writes = {(method.upper(), path)
              for path, operations in app.openapi()["paths"].items()
              for method in operations if method in ("post", "put", "patch", "delete")
              and path != "/session"}
    assert writes == {(case.method, case.path) for case in CASES}


# ------------------------------------------------------------------ another operator's data

def _viettel_rows(session, world: World) -> dict[str, int]:
    visit = make_visit(session, world.seg_b, world.users["inspector"],
                       world.violations["viettel"].found_at)
    report = PlacementReport(
        segment_id=world.seg_b.id, operator_id=world.viettel.id,
        reported_by=world.users["viettel"].id, effective_on=date(2024, 6, 30),
        placement="underground", placement_kind="duct", tidied=True, evidence="BB 2")
    session.add(report)
    session.flush()
    return {"visit": visit.id, "report": report.id}


def test_operator_cannot_touch_another_operators_data(client, world, session):
    """VNPT's user gets 404 (as if absent) for Viettel's objects, reads and writes alike, and
    a 422 naming the field when it files a report on Viettel's segment; nothing changes."""
    rows = _viettel_rows(session, world)
    vnpt = world.auth("vnpt")
    violation = world.violations["viettel"].id
    for path in (f"/segments/{world.seg_b.id}", f"/violations/{violation}",
                 f"/inspections/{rows['visit']}", f"/placement-reports/{rows['report']}",
                 f"/compliance/segments/{world.seg_b.id}",
                 f"/inspections/{rows['visit']}/photos/1"):
        response = client.get(path, headers=vnpt)
        assert response.status_code == 404, (path, response.text)
    response = client.post(f"/violations/{violation}/remediation", headers=vnpt,
                           json={"note": "Không phải của tôi"})
    assert response.status_code == 404
    response = client.post("/placement-reports", headers=vnpt, json={
        "segment_id": world.seg_b.id, "effective_on": "2024-06-30",
        "placement": "underground", "tidied": True, "evidence": "BB"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.segment_id"
    listed = client.get("/violations", headers=vnpt).json()
    assert violation not in {v["id"] for v in listed["items"]}
    segments = client.get("/segments", headers=vnpt).json()
    assert {f["id"] for f in segments["features"]} == {world.seg_a.id}
    visits = client.get("/inspections", headers=vnpt).json()
    assert rows["visit"] not in {v["id"] for v in visits["items"]}
    state = session.scalar(select(Inspection.id).where(Inspection.id == rows["visit"]))
    assert state == rows["visit"]
    assert session.execute(text("SELECT state FROM violations WHERE id = :v"),
                           {"v": violation}).scalar_one() == "open"
