"""Compliance API: the summary per state (grouped by operator or commune, with labels) and one
segment's state with its facts; operators see only their own segments."""

from __future__ import annotations

import pytest

from api.schemas.compliance import ComplianceSummary, SegmentCompliancePublic
from tests.compliance_data import make_world
from tests.factories import make_segment


@pytest.fixture
def world(session):
    """VNPT's segment with violations in every state, Viettel's with one open violation, and a
    third (VNPT) segment never inspected."""
    world = make_world(session)
    world.extra = make_segment(session, world.vnpt, [(106.33, 20.47), (106.335, 20.47)])
    return world


def _summary(client, world, who="admin", **params):
    response = client.get("/compliance/summary", params=params, headers=world.auth(who))
    assert response.status_code == 200, response.text
    return ComplianceSummary.model_validate(response.json())


def test_summary_whole_network(client, world):
    """Counts and km per state, with vi/en labels and colours."""
    body = _summary(client, world, as_of="2024-04-10")
    assert body.as_of.isoformat() == "2024-04-10" and body.stale_after_days == 365
    rows = {r.state: r for r in body.rows}
    assert {s: r.segments for s, r in rows.items()} == {
        "overdue": 1, "non_compliant": 1, "not_inspected": 1}
    assert rows["overdue"].label.vi == "Quá hạn khắc phục" and rows["overdue"].group is None
    assert rows["overdue"].colour.startswith("#")
    assert rows["overdue"].km == pytest.approx(world.seg_a.length_m / 1000, abs=1e-3)


def test_summary_per_operator(client, world):
    """Grouped by operator code and name."""
    body = _summary(client, world, who="planner", as_of="2024-04-10", group_by="operator")
    got = {(r.group.code, r.state): r.segments for r in body.rows}
    assert got == {("VIETTEL", "non_compliant"): 1, ("VNPT", "not_inspected"): 1,
                   ("VNPT", "overdue"): 1}


def test_summary_per_commune(client, world):
    """Grouped by commune; segments outside every commune have a null code."""
    body = _summary(client, world, as_of="2024-04-10", group_by="commune")
    assert body.group_by == "commune"
    assert {r.group.code for r in body.rows} == {None}
    assert sum(r.segments for r in body.rows) == 3


def test_summary_for_an_operator_counts_only_its_own(client, world):
    """Row-level security: Viettel's summary has only its segment."""
    body = _summary(client, world, who="viettel", as_of="2024-04-10", group_by="operator")
    assert [(r.group.code, r.state, r.segments) for r in body.rows] == [
        ("VIETTEL", "non_compliant", 1)]


def test_summary_before_anything_happened(client, world):
    """On a date before every visit all segments are not inspected."""
    body = _summary(client, world, as_of="2024-01-01")
    assert [(r.state, r.segments) for r in body.rows] == [("not_inspected", 3)]


def test_summary_bad_query(client, world):
    """Bad parameters: 422 naming them."""
    for params, field in [({"group_by": "district"}, "query.group_by"),
                          ({"as_of": "2024-13-01"}, "query.as_of")]:
        response = client.get("/compliance/summary", params=params, headers=world.auth("admin"))
        assert response.status_code == 422, params
        assert [e["field"] for e in response.json()["errors"]] == [field]


def test_summary_needs_a_token(client, world):
    """No token: 401."""
    assert client.get("/compliance/summary").status_code == 401


def test_segment_state_with_facts(client, world):
    """The state, the last visit and the unresolved violations with due dates."""
    response = client.get(f"/compliance/segments/{world.seg_a.id}",
                          params={"as_of": "2024-03-20"}, headers=world.auth("vnpt"))
    assert response.status_code == 200
    body = SegmentCompliancePublic.model_validate(response.json())
    assert (body.state, body.label.en, body.operator, body.lifecycle) == (
        "non_compliant", "Non-compliant", "VNPT", "active")
    assert body.last_visit_on.isoformat() == "2024-03-01" and body.visits == 1
    assert [(u.item_code, u.state, u.due_on.isoformat(), u.overdue)
            for u in body.unresolved_violations] == [
        ("C1", "open", "2024-03-31", False), ("C2", "remediation_reported", "2024-03-31", False),
        ("C3", "open", "2024-03-31", False)]  # closed on 1 April; C4 withdrawn on 2 March
    later = client.get(f"/compliance/segments/{world.seg_a.id}", params={"as_of": "2024-04-10"},
                       headers=world.auth("inspector")).json()
    assert later["state"] == "overdue" and later["last_visit_on"] == "2024-04-01"
    assert all(u["overdue"] for u in later["unresolved_violations"])


def test_segment_never_inspected(client, world):
    """No visit: not inspected, no facts."""
    body = client.get(f"/compliance/segments/{world.extra.id}",
                      headers=world.auth("planner")).json()
    assert body["state"] == "not_inspected" and body["last_visit_on"] is None
    assert body["unresolved_violations"] == []


def test_segment_of_another_operator_is_404(client, world):
    """Another operator's segment (or a missing one) is 404; no token is 401."""
    url = f"/compliance/segments/{world.seg_a.id}"
    assert client.get(url, headers=world.auth("viettel")).status_code == 404
    assert client.get("/compliance/segments/987654321",
                      headers=world.auth("admin")).status_code == 404
    assert client.get(url).status_code == 401
    bad = client.get(url, params={"as_of": "soon"}, headers=world.auth("admin"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.as_of"
