"""Violations API: listing with states at a date and filters, one violation with its history,
and the operator's remediation report (roles, row-level security, conflicts, bad input)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from api.schemas.violations import ViolationDetailPublic, ViolationPage
from gis.models import AuditEntry, PenaltyDecision, Violation, penalty_violations
from tests.compliance_data import make_world


@pytest.fixture
def world(session):
    """Two operators, users of every role, violations in every state."""
    return make_world(session)


def _ids(body) -> set[int]:
    return {item["id"] for item in body["items"]}


def test_list_needs_a_token(client, world):
    """No token is 401 with a Bearer challenge."""
    response = client.get("/violations")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_staff_see_every_violation(client, world):
    """Staff roles list every operator's violations."""
    for who in ("admin", "inspector", "planner"):
        response = client.get("/violations", params={"as_of": "2024-06-01"},
                              headers=world.auth(who))
        assert response.status_code == 200, who
        assert _ids(response.json()) == {v.id for v in world.violations.values()}, who


def test_operator_sees_only_its_own(client, world):
    """Row-level security: each operator lists only its own violations."""
    vnpt = client.get("/violations", params={"as_of": "2024-06-01"}, headers=world.auth("vnpt"))
    assert _ids(vnpt.json()) == {v.id for k, v in world.violations.items() if k != "viettel"}
    viettel = client.get("/violations", params={"as_of": "2024-06-01"},
                         headers=world.auth("viettel"))
    assert _ids(viettel.json()) == {world.violations["viettel"].id}
    # Asking for the other operator by code gives nothing.
    other = client.get("/violations", params={"operator": "VIETTEL", "as_of": "2024-06-01"},
                       headers=world.auth("vnpt"))
    assert other.json()["items"] == []


def test_states_as_of_a_date(client, world):
    """States come from the stored timestamps as of the date asked, with labels."""
    def states(as_of):
        body = client.get("/violations", params={"as_of": as_of},
                          headers=world.auth("admin")).json()
        ViolationPage.model_validate(body)
        return {i["id"]: (i["state"], i["overdue"]) for i in body["items"]}

    v = world.violations
    assert states("2024-02-29") == {}  # nothing found yet
    assert states("2024-03-01") == {
        v["open"].id: ("open", False), v["reported"].id: ("open", False),
        v["closed"].id: ("open", False), v["withdrawn"].id: ("open", False),
    }
    on_20 = states("2024-03-20")
    assert on_20[v["reported"].id] == ("remediation_reported", False)
    assert on_20[v["withdrawn"].id] == ("withdrawn", False)
    assert on_20[v["viettel"].id] == ("open", False)
    on_apr = states("2024-04-01")
    assert on_apr[v["open"].id] == ("open", True)
    assert on_apr[v["reported"].id] == ("remediation_reported", True)
    assert on_apr[v["closed"].id] == ("closed", False)
    item = client.get("/violations", params={"as_of": "2024-04-01", "item": "c3"},
                      headers=world.auth("admin")).json()["items"][0]
    assert item["state_label"] == {"vi": "Đã xác minh khắc phục", "en": "Verified closed"}
    assert item["item"]["code"] == "C3" and item["item"]["clause"].startswith("QCVN 33")


FILTERS = [
    ({"state": "open"}, {"open", "viettel"}),
    ({"state": "remediation_reported"}, {"reported"}),
    ({"state": "closed"}, {"closed"}),
    ({"state": "withdrawn"}, {"withdrawn"}),
    ({"state": "overdue"}, {"open", "reported"}),  # Viettel's is due 30 April
    ({"operator": "viettel"}, {"viettel"}),
    ({"item": "C1"}, {"open", "viettel"}),
    ({"found_from": "2024-03-02"}, {"viettel"}),
    ({"found_to": "2024-03-01"}, {"open", "reported", "closed", "withdrawn"}),
]


def test_filters(client, world):
    """Each filter, as of 10 April 2024."""
    for params, expected in FILTERS:
        response = client.get("/violations", params={"as_of": "2024-04-10", **params},
                              headers=world.auth("inspector"))
        assert response.status_code == 200, params
        assert _ids(response.json()) == {world.violations[k].id for k in expected}, params


def test_filter_by_segment(client, world):
    """segment_id keeps that segment's violations."""
    response = client.get("/violations", params={"segment_id": world.seg_b.id,
                                                 "as_of": "2024-04-10"},
                          headers=world.auth("admin"))
    assert _ids(response.json()) == {world.violations["viettel"].id}


def test_keyset_pagination(client, world):
    """Pages of 2 follow ``next`` links until the end, each id once, in id order."""
    url, seen = "/violations?limit=2&as_of=2024-06-01", []
    for _ in range(5):
        body = client.get(url, headers=world.auth("admin")).json()
        seen += [i["id"] for i in body["items"]]
        links = [link["href"] for link in body["links"] if link["rel"] == "next"]
        if not links:
            break
        assert len(body["items"]) == 2
        url = links[0]
    assert seen == sorted(v.id for v in world.violations.values())


def test_bad_query_names_the_field(client, world):
    """Bad query parameters are 422 naming the parameter."""
    for params, field in [({"state": "fixed"}, "query.state"),
                          ({"as_of": "yesterday"}, "query.as_of"),
                          ({"limit": 0}, "query.limit"),
                          ({"segment_id": "abc"}, "query.segment_id")]:
        response = client.get("/violations", params=params, headers=world.auth("admin"))
        assert response.status_code == 422, params
        assert [e["field"] for e in response.json()["errors"]] == [field]


def test_detail_with_history_and_penalties(client, world, session):
    """One violation: item texts, segment, visit, due date, overdue flag, history, decisions."""
    v = world.violations["reported"]
    decision = PenaltyDecision(number="7/QĐ-XPHC", decided_on=datetime(2024, 5, 1).date(),
                               operator_id=world.vnpt.id, decree="15/2020/NĐ-CP", article="40",
                               clause="3", amount_vnd=55_000_000)
    session.add(decision)
    session.flush()
    session.execute(penalty_violations.insert().values(decision_id=decision.id,
                                                        violation_id=v.id))
    response = client.get(f"/violations/{v.id}", params={"as_of": "2024-04-01"},
                          headers=world.auth("vnpt"))
    assert response.status_code == 200
    body = ViolationDetailPublic.model_validate(response.json())
    assert (body.segment_id, body.inspection_id, body.operator) == (
        world.seg_a.id, v.inspection_id, "VNPT")
    assert body.item.code == "C2" and body.item.text_en.startswith("Height warning sign")
    assert body.item.severity_label.en == "Major"
    assert (body.state, body.overdue, body.due_on.isoformat()) == (
        "remediation_reported", True, "2024-03-31")
    assert [(e.state, e.label.en) for e in body.history] == [
        ("open", "Open"), ("remediation_reported", "Remediation reported")]
    assert body.penalty_decisions == ["7/QĐ-XPHC"]
    closed = client.get(f"/violations/{world.violations['closed'].id}",
                        headers=world.auth("admin")).json()
    assert [e["state"] for e in closed["history"]] == ["open", "closed"]
    assert closed["closed_by_inspection_id"] is not None and closed["overdue"] is False
    withdrawn = client.get(f"/violations/{world.violations['withdrawn'].id}",
                           headers=world.auth("admin")).json()
    assert [e["state"] for e in withdrawn["history"]] == ["open", "withdrawn"]
    before = client.get(f"/violations/{v.id}", params={"as_of": "2024-01-01"},
                        headers=world.auth("admin")).json()
    assert before["state"] is None and before["state_label"] is None


def test_detail_of_another_operators_violation_is_404(client, world):
    """Another operator's violation does not exist for you; a missing id neither."""
    other = world.violations["viettel"].id
    assert client.get(f"/violations/{other}", headers=world.auth("vnpt")).status_code == 404
    assert client.get(f"/violations/{other}", headers=world.auth("viettel")).status_code == 200
    missing = client.get("/violations/987654321", headers=world.auth("admin"))
    assert missing.status_code == 404
    assert missing.json()["type"].endswith("not-found")


def _report(client, world, key="open", who="vnpt", **body):
    payload = {"note": "Đã treo lại nhãn", **body}
    return client.post(f"/violations/{world.violations[key].id}/remediation", json=payload,
                       headers=world.auth(who))


def test_operator_reports_remediation_under_rls(client, world, session):
    """The operator's own violation: state remediation_reported, reporter and note stored,
    the update audited (as the operator's user, through its restricted database role)."""
    response = _report(client, world, reported_at="2024-04-02T08:00:00+07:00",
                       evidence="https://example.vn/anh/1.jpg")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "remediation_reported"
    assert datetime.fromisoformat(body["remediation_reported_at"]) == datetime(
        2024, 4, 2, 1, tzinfo=UTC)
    assert body["remediation_reported_by"] == world.users["vnpt"].id
    assert body["remediation_note"] == "Đã treo lại nhãn\nEvidence: https://example.vn/anh/1.jpg"
    assert [e["state"] for e in body["history"]] == ["open", "remediation_reported"]
    row = session.scalars(select(Violation).where(
        Violation.id == world.violations["open"].id).execution_options(
        populate_existing=True)).one()
    assert row.state == "remediation_reported"
    audit = session.scalars(select(AuditEntry).where(
        AuditEntry.table_name == "violations", AuditEntry.action == "UPDATE",
        AuditEntry.row_key == str(row.id))).one()
    assert audit.actor == "user:operator-vnpt"
    assert audit.before["state"] == "open" and audit.after["state"] == "remediation_reported"


def test_remediation_defaults_to_now(client, world):
    """Without reported_at the report is dated now."""
    before = datetime.now(UTC)
    body = _report(client, world).json()
    at = datetime.fromisoformat(body["remediation_reported_at"])
    assert before - timedelta(seconds=5) <= at <= datetime.now(UTC) + timedelta(seconds=5)


def test_admin_may_report_for_an_operator(client, world):
    """An admin may record the operator's report."""
    response = _report(client, world, who="admin")
    assert response.status_code == 200
    assert response.json()["remediation_reported_by"] == world.users["admin"].id


def test_staff_other_than_admin_may_not_report(client, world):
    """Inspectors and planners get 403."""
    for who in ("inspector", "planner"):
        assert _report(client, world, who=who).status_code == 403, who


def test_another_operators_violation_is_404(client, world, session):
    """Viettel cannot report (or learn about) VNPT's violation; nothing changes."""
    response = _report(client, world, who="viettel")
    assert response.status_code == 404
    session.expire_all()
    assert session.get(Violation, world.violations["open"].id).state == "open"


def test_no_token_is_401(client, world):
    """No token: 401 before anything else."""
    response = client.post(f"/violations/{world.violations['open'].id}/remediation",
                           json={"note": "x"})
    assert response.status_code == 401


def test_conflicts(client, world):
    """Closed, withdrawn or already reported: 409."""
    for key in ("closed", "withdrawn", "reported"):
        response = _report(client, world, key=key)
        assert response.status_code == 409, key
        assert response.json()["type"].endswith("conflict")


def test_missing_violation_is_404(client, world):
    """An unknown id is 404."""
    response = client.post("/violations/987654321/remediation", json={"note": "x"},
                           headers=world.auth("vnpt"))
    assert response.status_code == 404


BAD_REMEDIATIONS = [
    ({"note": ""}, "body.note"),
    ({"note": "   "}, "body.note"),
    ({"note": None}, "body.note"),
    ({"reported_at": "2024-04-02T08:00:00"}, "body.reported_at"),  # no time zone
    ({"reported_at": "2999-01-01T00:00:00+07:00"}, "body.reported_at"),
    ({"reported_at": "2024-02-01T00:00:00+07:00"}, "body.reported_at"),  # before found
    ({"extra": 1}, "body.extra"),
]


def test_bad_remediation_names_the_field(client, world, session):
    """Bad input is 422 naming the field; nothing is written."""
    for body, field in BAD_REMEDIATIONS:
        payload = {"note": "ok", **body}
        if payload["note"] is None:
            del payload["note"]
        response = client.post(f"/violations/{world.violations['open'].id}/remediation",
                               json=payload, headers=world.auth("vnpt"))
        assert response.status_code == 422, (body, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field], body
        session.expire_all()
        assert session.get(Violation, world.violations["open"].id).state == "open"
