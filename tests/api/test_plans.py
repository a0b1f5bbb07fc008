"""Undergrounding plans: reading with progress from the state history, and writing (planners and
administrators only), with field-named errors, conflicts, audit rows and operator isolation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from pyproj import Geod
from sqlalchemy import func, select

from api.schemas.network import PlanDetail, PlanList
from gis.compliance.rules import local_today
from gis.history import record_state_change
from gis.models import AuditEntry, UndergroundingPlan, plan_routes
from tests.factories import bearer, make_operator, make_route, make_segment, make_unit, make_user

GEOD = Geod(ellps="WGS84")
BOX = (106.30, 20.40, 106.40, 20.50)
LINES = {
    "a": [(106.31, 20.41), (106.32, 20.41)],
    "b": [(106.32, 20.42), (106.33, 20.42)],
    "c": [(106.33, 20.43), (106.335, 20.43)],
    "d": [(106.36, 20.44), (106.37, 20.44)],
    "outside": [(106.45, 20.44), (106.46, 20.44)],
}


def _km(*names: str) -> float:
    total = 0.0
    for name in names:
        (lon1, lat1), (lon2, lat2) = LINES[name]
        total += GEOD.inv(lon1, lat1, lon2, lat2)[2]
    return total / 1000.0


@dataclass
class World:
    """Operators, an old and a new commune, routes, segments with history, users by role."""

    tokens: dict[str, str]

    def auth(self, who: str = "planner") -> dict[str, str]:
        """Authorization header of ``who``."""
        return bearer(self.tokens[who])


@pytest.fixture
def world(session) -> World:
    """VNPT-01 (a, b: a undergrounded 1/3/2025), VNPT-02 (c, underground), VT-01 (d:
    undergrounded 1/6/2024), and a VNPT segment outside the communes."""
    vnpt = make_operator(session, "VNPT")
    viettel = make_operator(session, "VIETTEL")
    make_unit(session, "12345", BOX, name="Phường Cũ", valid_from=date(2000, 1, 1),
              valid_to=date(2025, 7, 1))
    make_unit(session, "97001", BOX, name="Phường Mới")
    r1 = make_route(session, vnpt, "VNPT-01")
    r2 = make_route(session, vnpt, "VNPT-02")
    r3 = make_route(session, viettel, "VT-01")
    a = make_segment(session, vnpt, LINES["a"], route=r1)
    make_segment(session, vnpt, LINES["b"], route=r1)
    make_segment(session, vnpt, LINES["c"], route=r2, placement="underground")
    d = make_segment(session, viettel, LINES["d"], route=r3)
    make_segment(session, vnpt, LINES["outside"], route=r2)
    record_state_change(session, a.id, effective_date=date(2025, 3, 1), source="test",
                        placement="underground")
    record_state_change(session, d.id, effective_date=date(2024, 6, 1), source="test",
                        placement="underground")
    tokens = {}
    for name, role, operator in (("planner", "planner", None), ("admin", "admin", None),
                                 ("inspector", "inspector", None), ("vnpt", "operator", vnpt),
                                 ("viettel", "operator", viettel)):
        tokens[name] = make_user(session, role, operator)[1]
    return World(tokens)


VNPT_PLAN = {"year": 2025, "name": "Ngầm hóa 2025 - VNPT", "operator": "VNPT",
             "target_km": 1.5, "legal_basis": "KH 1/KH-UBND", "routes": ["VNPT-02", "VNPT-01"]}
COMMUNE_PLAN = {"year": 2024, "name": "Ngầm hóa 2024 - Phường Cũ", "commune": "12345",
                "target_km": 0.5}


def _create(client, world, body, who="planner") -> dict:
    response = client.post("/plans", json=body, headers=world.auth(who))
    assert response.status_code == 201, response.text
    return response.json()


def _count_plans(session) -> int:
    return session.scalar(select(func.count()).select_from(UndergroundingPlan))


def test_create_read_and_progress(client, world):
    """A route plan: its routes, and progress at the end of its year from the history."""
    created = _create(client, world, VNPT_PLAN)
    detail = PlanDetail.model_validate(created)
    assert (detail.year, detail.operator, detail.commune_code, detail.target_km) == (
        2025, "VNPT", None, 1.5)
    assert detail.routes == ["VNPT-01", "VNPT-02"]
    progress = detail.progress
    assert progress.as_of == date(2025, 12, 31)
    assert progress.scope_km == pytest.approx(_km("a", "b", "c", "outside"), abs=1e-6)
    assert progress.underground_km == pytest.approx(_km("a", "c"), abs=1e-6)
    assert progress.achieved_km == pytest.approx(_km("a"), abs=1e-6)
    again = client.get(f"/plans/{detail.id}", headers=world.auth("inspector"))
    assert again.status_code == 200 and again.json() == created


def test_commune_plan_uses_the_commune_of_its_year(client, world):
    """A 2024 plan for the old commune: the segments whose midpoint lies in it; what 2024 moved
    underground is d; a plan for a future year is measured today and achieved nothing yet."""
    detail = PlanDetail.model_validate(_create(client, world, COMMUNE_PLAN))
    assert (detail.commune_code, detail.commune_name) == ("12345", "Phường Cũ")
    assert detail.progress.scope_km == pytest.approx(_km("a", "b", "c", "d"), abs=1e-6)
    assert detail.progress.underground_km == pytest.approx(_km("c", "d"), abs=1e-6)
    assert detail.progress.achieved_km == pytest.approx(_km("d"), abs=1e-6)
    future_year = local_today().year + 1
    future = PlanDetail.model_validate(_create(client, world, {
        "year": future_year, "name": "Sau này", "commune": "97001", "operator": "VIETTEL"}))
    assert future.progress.as_of == local_today()
    assert future.progress.achieved_km == 0
    assert future.progress.underground_km == pytest.approx(_km("d"), abs=1e-6)


def test_list_filters(client, world):
    """Plans by year and name, filtered by year, commune and operator."""
    vnpt = _create(client, world, VNPT_PLAN)["id"]
    commune = _create(client, world, COMMUNE_PLAN)["id"]

    def ids(**params) -> list[int]:
        response = client.get("/plans", params=params, headers=world.auth())
        assert response.status_code == 200, response.text
        return [p["id"] for p in PlanList.model_validate(response.json()).model_dump()["items"]]

    assert ids() == [commune, vnpt]
    assert ids(year=2025) == [vnpt]
    assert ids(commune="12345") == [commune]
    assert ids(operator="vnpt") == [vnpt]
    assert ids(year=2026) == []
    for params, field in (({"commune": "99999"}, "query.commune"),
                          ({"operator": "NOPE"}, "query.operator"), ({"year": 1}, "query.year")):
        response = client.get("/plans", params=params, headers=world.auth())
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == [field]


def test_list_filter_by_commune_takes_only_commune_codes(client, session, world):
    """A district code in the commune filter is a 422 naming it, not an empty list."""
    make_unit(session, "336", BOX, level="district", valid_from=date(2000, 1, 1))
    _create(client, world, COMMUNE_PLAN)
    response = client.get("/plans", params={"commune": "336"}, headers=world.auth())
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["query.commune"]


def test_replace_and_delete_are_audited(client, session, world):
    """PUT replaces fields and routes, DELETE removes the plan; the audit log names the planner."""
    plan_id = _create(client, world, VNPT_PLAN)["id"]
    body = {**VNPT_PLAN, "name": "Ngầm hóa 2025 - VNPT (sửa)", "target_km": 2,
            "routes": ["VNPT-02"], "note": "bỏ VNPT-01"}
    response = client.put(f"/plans/{plan_id}", json=body, headers=world.auth())
    assert response.status_code == 200, response.text
    replaced = response.json()
    assert (replaced["name"], replaced["target_km"], replaced["routes"], replaced["note"]) == (
        "Ngầm hóa 2025 - VNPT (sửa)", 2.0, ["VNPT-02"], "bỏ VNPT-01")
    assert replaced["progress"]["achieved_km"] == 0
    routes = session.scalars(select(plan_routes.c.route_id)
                             .where(plan_routes.c.plan_id == plan_id)).all()
    assert len(routes) == 1
    assert client.delete(f"/plans/{plan_id}", headers=world.auth("admin")).status_code == 204
    assert client.get(f"/plans/{plan_id}", headers=world.auth()).status_code == 404
    audit = session.execute(
        select(AuditEntry.action, AuditEntry.actor, AuditEntry.after)
        .where(AuditEntry.table_name == "undergrounding_plans",
               AuditEntry.row_key == str(plan_id)).order_by(AuditEntry.id)).all()
    assert [(a.action, a.actor) for a in audit] == [
        ("INSERT", "user:planner-dept"), ("UPDATE", "user:planner-dept"),
        ("DELETE", "user:admin-dept")]
    assert audit[1].after["name"] == "Ngầm hóa 2025 - VNPT (sửa)"
    link_actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.table_name == "plan_routes")
        .order_by(AuditEntry.id)).all()
    assert link_actions == ["INSERT", "INSERT", "DELETE", "DELETE"]


def test_only_planners_and_admins_write(client, session, world):
    """Inspectors and operator users get 403 on every write, and nobody without a token 401."""
    plan_id = _create(client, world, VNPT_PLAN)["id"]
    before = _count_plans(session)
    for who, status in (("inspector", 403), ("vnpt", 403), ("viettel", 403), (None, 401)):
        headers = world.auth(who) if who else {}
        responses = [
            client.post("/plans", json={**VNPT_PLAN, "name": "x"}, headers=headers),
            client.put(f"/plans/{plan_id}", json=VNPT_PLAN, headers=headers),
            client.delete(f"/plans/{plan_id}", headers=headers),
        ]
        assert [r.status_code for r in responses] == [status] * 3, who
        assert all(r.headers["content-type"] == "application/problem+json" for r in responses)
    assert _count_plans(session) == before


BAD_BODIES = [
    ({"routes": ["VNPT-01", "NOPE", "ALSO-NOPE"]}, ["body.routes[1]", "body.routes[2]"]),
    ({"routes": ["VNPT-01", "VNPT-01"]}, ["body.routes[1]"]),
    ({"routes": ["VT-01"]}, ["body.routes[0]"]),
    ({"commune": "54321"}, ["body.commune"]),
    ({"commune": "97001", "year": 2024}, ["body.commune"]),  # in force from 1/7/2025
    ({"operator": "MOBIFONE", "routes": []}, ["body.operator"]),
    ({"operator": None, "routes": []}, ["body.commune"]),
    ({"target_km": -1}, ["body.target_km"]),
    ({"target_km": 1.23456}, ["body.target_km"]),
    ({"year": 1999}, ["body.year"]),
    ({"name": ""}, ["body.name"]),
    ({"name": "   "}, ["body.name"]),
    ({"colour": "red"}, ["body.colour"]),
]


def test_bad_input_is_422_and_writes_nothing(client, session, world):
    """Each bad field is named; nothing is written, by POST or PUT."""
    plan_id = _create(client, world, COMMUNE_PLAN)["id"]
    before = _count_plans(session)
    for change, fields in BAD_BODIES:
        response = client.post("/plans", json={**VNPT_PLAN, **change}, headers=world.auth())
        assert response.status_code == 422, (change, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == fields, change
    response = client.put(f"/plans/{plan_id}", json={**COMMUNE_PLAN, "routes": ["NOPE"]},
                          headers=world.auth())
    assert [e["field"] for e in response.json()["errors"]] == ["body.routes[0]"]
    assert _count_plans(session) == before
    assert client.get(f"/plans/{plan_id}", headers=world.auth()).json()["routes"] == []


def test_conflicts_and_missing(client, world):
    """A second plan with the year and name of another is 409; unknown ids are 404."""
    plan_id = _create(client, world, VNPT_PLAN)["id"]
    other_id = _create(client, world, {**VNPT_PLAN, "name": "Khác"})["id"]
    again = client.post("/plans", json=VNPT_PLAN, headers=world.auth())
    assert again.status_code == 409
    clash = client.put(f"/plans/{other_id}", json=VNPT_PLAN, headers=world.auth())
    assert clash.status_code == 409
    same = client.put(f"/plans/{plan_id}", json=VNPT_PLAN, headers=world.auth())
    assert same.status_code == 200
    for response in (client.put("/plans/999999", json=VNPT_PLAN, headers=world.auth()),
                     client.delete("/plans/999999", headers=world.auth()),
                     client.get("/plans/999999", headers=world.auth())):
        assert response.status_code == 404
    bad = client.get("/plans/seven", headers=world.auth())
    assert [e["field"] for e in bad.json()["errors"]] == ["path.plan_id"]


def test_operator_users_see_their_plans_only(client, world):
    """Viettel's user sees commune-only plans and its own, never VNPT's."""
    vnpt = _create(client, world, VNPT_PLAN)["id"]
    commune = _create(client, world, COMMUNE_PLAN)["id"]
    viettel = _create(client, world, {"year": 2025, "name": "VT", "operator": "VIETTEL",
                                      "routes": ["VT-01"]})["id"]
    body = client.get("/plans", headers=world.auth("viettel")).json()
    assert [p["id"] for p in body["items"]] == [commune, viettel]
    assert client.get(f"/plans/{vnpt}", headers=world.auth("viettel")).status_code == 404
    mine = client.get(f"/plans/{viettel}", headers=world.auth("viettel")).json()
    assert mine["progress"]["achieved_km"] == 0  # d went underground in 2024
    assert mine["progress"]["underground_km"] == pytest.approx(_km("d"), abs=1e-6)
