"""Row-level security, straight in SQL: an operator's transaction (role telecom_gis_operator,
scope = its operator id, as gis.auth.bind_principal sets it) sees only its own rows in every
table with a policy, nothing of another operator's when the scope is unset, and cannot write
what it must not. Staff transactions (the owner) see everything."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from geoalchemy2.shape import from_shape
from shapely import Point
from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from gis.auth import Principal, bind_principal
from gis.choices import Role
from gis.compliance.catalogue import items_for, version_in_force
from gis.models import (
    Campaign,
    Inspection,
    InspectionResult,
    PenaltyDecision,
    Photo,
    PlacementReport,
    Structure,
    UndergroundingPlan,
    Violation,
    campaign_communes,
    campaign_inspectors,
    campaign_operators,
    penalty_violations,
    plan_routes,
    structure_sharers,
)
from tests.factories import make_operator, make_route, make_segment, make_unit, make_user

#: Each table with a policy -> the SQL expression naming a row (fixed text, no user input).
KEYS = {
    "cable_routes": "code",
    "cable_segments": "source_fid",
    "segment_states": "(SELECT source_fid FROM cable_segments c WHERE c.id = segment_id)",
    "structures": "code",
    "structure_sharers": "(SELECT code FROM structures s WHERE s.id = structure_id)",
    "operators": "code",
    "inspections": "note",
    "inspection_results": "note",
    "photos": "storage_key",
    "violations": "remediation_note",
    "penalty_decisions": "number",
    "penalty_violations": "(SELECT number FROM penalty_decisions d WHERE d.id = decision_id)",
    "placement_reports": "evidence",
    "undergrounding_plans": "name",
    "plan_routes": "(SELECT name FROM undergrounding_plans p WHERE p.id = plan_id)",
    "users": "username",
    "campaign_operators": "(SELECT code FROM operators o WHERE o.id = operator_id)",
    "campaigns": "code",
    "campaign_inspectors": "(SELECT code FROM campaigns c WHERE c.id = campaign_id)",
    "campaign_communes": "(SELECT code FROM campaigns c WHERE c.id = campaign_id)",
}


def _photo_key(tag: str) -> str:
    digest = (tag.encode().hex() * 64)[:64]
    return f"{digest[:2]}/{digest}.jpg"


@pytest.fixture
def world(session):
    """Two operators' worth of rows in every table with a policy (inserted as the owner), plus
    EVN poles: one shared with VNPT, one shared with VIETTEL. Returns {code: operator}."""
    ops = {code: make_operator(session, code) for code in ("VNPT", "VIETTEL", "EVN")}
    commune = make_unit(session, "00001", (106.3, 20.4, 106.4, 20.5))
    make_user(session, "inspector")
    make_user(session, "admin")
    inspector_id = session.execute(text("SELECT id FROM users WHERE role = 'inspector'")).scalar()
    version = version_in_force(session, date(2025, 1, 1))
    item = items_for(version, "overhead")[0]
    campaign = Campaign(code="KT-1", name="Kiểm tra 1", legal_basis="KH 1",
                        starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31))
    session.add(campaign)
    session.flush()
    public_plan = UndergroundingPlan(year=2025, name="plan commune only", commune_id=commune.id)
    session.add(public_plan)
    for n, code in enumerate(("VNPT", "VIETTEL")):
        op = ops[code]
        tag = code.lower()
        route = make_route(session, op, code=f"route-{tag}")
        lat = 20.45 + n * 0.01
        segment = make_segment(session, op, [(106.33, lat), (106.34, lat)], route=route,
                               source_fid=f"seg-{tag}")
        point = from_shape(Point(106.33, lat), srid=4326)
        session.add(Structure(kind="pole", code=f"pole-{tag}", owner_id=op.id, geom=point))
        shared = Structure(kind="pole", code=f"evn-shared-{tag}", owner_id=ops["EVN"].id,
                           geom=point)
        session.add(shared)
        session.flush()
        session.execute(insert(structure_sharers).values(structure_id=shared.id,
                                                         operator_id=op.id))
        user, _ = make_user(session, "operator", op, username=f"op-{tag}")
        visit = Inspection(
            campaign_id=campaign.id, segment_id=segment.id, operator_id=op.id,
            inspector_id=inspector_id, visited_at=datetime(2025, 3, 1, tzinfo=UTC),
            placement="overhead", checklist_version_id=version.id, note=f"visit-{tag}",
            idempotency_key=uuid.uuid4(), request_sha256="0" * 64, photos_expected=1)
        session.add(visit)
        session.flush()
        session.add(InspectionResult(inspection_id=visit.id, item_id=item.id, result="fail",
                                     note=f"result-{tag}"))
        session.add(Photo(inspection_id=visit.id, slot=1, sha256=_photo_key(tag)[3:67],
                          media_type="image/jpeg", size_bytes=10, storage_key=_photo_key(tag)))
        violation = Violation(segment_id=segment.id, operator_id=op.id, inspection_id=visit.id,
                              item_id=item.id, found_at=visit.visited_at,
                              due_on=date(2025, 4, 1), remediation_note=f"violation-{tag}")
        decision = PenaltyDecision(number=f"QD-{tag}", decided_on=date(2025, 5, 1),
                                   operator_id=op.id, decree="15/2020/NĐ-CP", article="40",
                                   amount_vnd=4_000_000)
        session.add_all([violation, decision])
        session.add(PlacementReport(segment_id=segment.id, operator_id=op.id,
                                    reported_by=user.id, effective_on=date(2025, 6, 1),
                                    placement="underground", placement_kind="duct",
                                    tidied=True, evidence=f"report-{tag}"))
        own_plan = UndergroundingPlan(year=2025, name=f"plan-{tag}", operator_id=op.id)
        route_plan = UndergroundingPlan(year=2025, name=f"plan commune routes-{tag}",
                                        commune_id=commune.id)
        session.add_all([own_plan, route_plan])
        session.flush()
        session.execute(insert(penalty_violations).values(decision_id=decision.id,
                                                          violation_id=violation.id))
        session.execute(insert(plan_routes).values(plan_id=route_plan.id, route_id=route.id))
        session.execute(insert(campaign_operators).values(campaign_id=campaign.id,
                                                          operator_id=op.id))
        own = Campaign(code=f"KT-{tag}", name=f"Chỉ {code}", legal_basis="KH 2",
                       starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31))
        session.add(own)
        session.flush()
        session.execute(insert(campaign_operators).values(campaign_id=own.id,
                                                          operator_id=op.id))
    session.add(Campaign(code="KT-all", name="Toàn tỉnh", legal_basis="KH 3",
                         starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31)))
    session.flush()
    for campaign_id in session.execute(text("SELECT id FROM campaigns")).scalars():
        session.execute(insert(campaign_inspectors).values(campaign_id=campaign_id,
                                                           user_id=inspector_id))
        session.execute(insert(campaign_communes).values(campaign_id=campaign_id,
                                                         admin_unit_id=commune.id))
    session.flush()
    return ops


def _expected(tag: str) -> dict[str, set[str]]:
    """What the operator ``tag`` (vnpt / viettel) may see, table by table."""
    code = tag.upper()
    return {
        "cable_routes": {f"route-{tag}"},
        "cable_segments": {f"seg-{tag}"},
        "segment_states": {f"seg-{tag}"},
        "structures": {f"pole-{tag}", f"evn-shared-{tag}"},
        "structure_sharers": {f"evn-shared-{tag}"},
        "operators": {code},
        "inspections": {f"visit-{tag}"},
        "inspection_results": {f"result-{tag}"},
        "photos": {_photo_key(tag)},
        "violations": {f"violation-{tag}"},
        "penalty_decisions": {f"QD-{tag}"},
        "penalty_violations": {f"QD-{tag}"},
        "placement_reports": {f"report-{tag}"},
        "undergrounding_plans": {f"plan-{tag}", f"plan commune routes-{tag}",
                                 "plan commune only"},
        "plan_routes": {f"plan commune routes-{tag}"},
        "users": {f"op-{tag}", "inspector-dept"},
        "campaign_operators": {code},
        # campaigns naming it, and province-wide ones (no operator list)
        "campaigns": {"KT-1", f"KT-{tag}", "KT-all"},
        "campaign_inspectors": {"KT-1", f"KT-{tag}", "KT-all"},
        "campaign_communes": {"KT-1", f"KT-{tag}", "KT-all"},
    }


def _visible(session) -> dict[str, set[str]]:
    return {table: set(session.execute(text(f"SELECT {key} FROM {table}")).scalars())
            for table, key in KEYS.items()}


def _as_operator(session, operator) -> None:
    bind_principal(session, Principal(0, "op", Role.OPERATOR, operator.id))


def _as_owner(session) -> None:
    session.execute(text("RESET ROLE"))
    session.execute(text("SELECT set_config('telecom_gis.operator_scope', '', true)"))


def test_policies_cover_the_tables_tested(session):
    """Every table with row-level security on is checked here (and nothing else is)."""
    enabled = set(session.execute(text(
        "SELECT relname FROM pg_class WHERE relrowsecurity AND relkind = 'r'")).scalars())
    assert enabled == set(KEYS)


@pytest.mark.parametrize("tag", ["vnpt", "viettel"])
def test_operator_sees_only_its_own_rows(session, world, tag):
    """In every policy table the operator sees exactly its own rows (and shared poles)."""
    _as_operator(session, world[tag.upper()])
    assert _visible(session) == _expected(tag)


def test_staff_see_everything(session, world):
    """The owner (staff requests) is not confined: both operators' rows are visible."""
    bind_principal(session, Principal(0, "admin", Role.ADMIN, None))
    visible = _visible(session)
    for tag in ("vnpt", "viettel"):
        for table, keys in _expected(tag).items():
            assert keys <= visible[table], table
    assert "EVN" in visible["operators"]


def test_unset_scope_fails_closed(session, world):
    """Under the operator role with no scope, no operator's data is visible (only inspectors'
    names and a commune plan naming no operator and no route)."""
    session.execute(text("SET LOCAL ROLE telecom_gis_operator"))
    session.execute(text("SELECT set_config('telecom_gis.operator_scope', '', true)"))
    visible = _visible(session)
    assert visible.pop("users") == {"inspector-dept"}
    assert visible.pop("undergrounding_plans") == {"plan commune only"}
    for table in ("campaigns", "campaign_inspectors", "campaign_communes"):
        assert visible.pop(table) == {"KT-all"}, table  # province-wide: no operator named
    assert {table: rows for table, rows in visible.items() if rows} == {}


@pytest.mark.parametrize("table", ["api_tokens", "audit_log", "import_runs"])
def test_operator_cannot_read_secrets(session, world, table):
    """Tokens, the audit log and import runs are not readable at all by an operator."""
    _as_operator(session, world["VNPT"])
    with pytest.raises(ProgrammingError, match="permission denied"), session.begin_nested():
        session.execute(text(f"SELECT count(*) FROM {table}"))


def test_operator_cannot_record_a_visit(session, world):
    """Inserting into inspections is refused outright."""
    _as_operator(session, world["VNPT"])
    with pytest.raises(ProgrammingError, match="permission denied"), session.begin_nested():
        session.execute(text(
            "INSERT INTO inspections (segment_id, operator_id, inspector_id, visited_at,"
            " placement, checklist_version_id, idempotency_key, request_sha256)"
            " SELECT segment_id, operator_id, inspector_id, visited_at, placement,"
            " checklist_version_id, gen_random_uuid(), request_sha256 FROM inspections"))


def test_operator_updates_only_its_own_violations(session, world):
    """Reporting remediation on another operator's violation touches no row; its own works."""
    _as_operator(session, world["VNPT"])
    report = text("UPDATE violations SET state = 'remediation_reported',"
                  " remediation_reported_at = now() WHERE operator_id = :op")
    assert session.execute(report, {"op": world["VIETTEL"].id}).rowcount == 0
    assert session.execute(report, {"op": world["VNPT"].id}).rowcount == 1
    with pytest.raises(ProgrammingError, match="permission denied"), session.begin_nested():
        session.execute(text("UPDATE violations SET due_on = due_on + 365"))
    _as_owner(session)
    states = dict(session.execute(text(
        "SELECT remediation_note, state FROM violations")).all())
    assert states == {"violation-vnpt": "remediation_reported", "violation-viettel": "open"}


def test_operator_cannot_report_for_another_operator(session, world):
    """A placement report naming another operator fails the policy's check; its own passes."""
    ids = {fid: sid for fid, sid in session.execute(text(
        "SELECT source_fid, id FROM cable_segments"))}
    user_id = session.execute(text("SELECT id FROM users WHERE username = 'op-vnpt'")).scalar()
    report = text(
        "INSERT INTO placement_reports (segment_id, operator_id, reported_by, effective_on,"
        " placement, placement_kind, tidied, evidence) VALUES (:s, :o, :u, DATE '2025-06-02',"
        " 'underground', 'duct', true, 'new report')")
    _as_operator(session, world["VNPT"])
    with pytest.raises(DBAPIError, match="row-level security"), session.begin_nested():
        session.execute(report, {"s": ids["seg-viettel"], "o": world["VIETTEL"].id,
                                 "u": user_id})
    session.execute(report, {"s": ids["seg-vnpt"], "o": world["VNPT"].id, "u": user_id})
    assert "new report" in _visible(session)["placement_reports"]
