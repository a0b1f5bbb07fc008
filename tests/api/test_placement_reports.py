"""Placement-change reports API: an operator reports, an inspector confirms (the segment's
history gets the row, the cache follows, the audit log has the report's update) or rejects;
roles, row-level security, conflicts, date order and bad input."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from api.schemas.placement_reports import PlacementReportPage, PlacementReportPublic
from gis.compliance.rules import local_today
from gis.history import record_state_change
from gis.models import AuditEntry, CableSegment, PlacementReport, SegmentState
from tests.compliance_data import make_world


@pytest.fixture
def world(session):
    """Two operators with one overhead segment each (state since 2019), users of every role."""
    return make_world(session, with_violations=False)


def _report(client, world, who="vnpt", segment=None, **changes):
    body = {"segment_id": (segment or world.seg_a).id, "effective_on": "2024-06-30",
            "placement": "underground", "tidied": True,
            "evidence": "Biên bản nghiệm thu 45/BB-VNPT"}
    body.update(changes)
    return client.post("/placement-reports", json=body, headers=world.auth(who))


def _states(session, segment_id):
    return session.scalars(select(SegmentState).where(SegmentState.segment_id == segment_id)
                           .order_by(SegmentState.id)).all()


def test_operator_reports_its_segment(client, world, session):
    """201 pending, kind defaulted to duct; the segment's state does not change yet."""
    response = _report(client, world)
    assert response.status_code == 201, response.text
    body = PlacementReportPublic.model_validate(response.json())
    assert (body.status, body.placement, body.placement_kind, body.operator) == (
        "pending", "underground", "duct", "VNPT")
    assert body.status_label.en == "Pending" and body.state_id is None
    assert body.reported_by == world.users["vnpt"].id
    session.expire_all()
    assert session.get(CableSegment, world.seg_a.id).placement == "overhead"
    assert len(_states(session, world.seg_a.id)) == 1


def test_admin_may_report(client, world):
    """An admin may file a report for any operator's segment."""
    response = _report(client, world, who="admin", segment=world.seg_b)
    assert response.status_code == 201
    assert response.json()["operator"] == "VIETTEL"


def test_staff_may_not_report(client, world):
    """Inspectors and planners do not file reports: 403."""
    for who in ("inspector", "planner"):
        assert _report(client, world, who=who).status_code == 403, who


def test_no_token_is_401(client, world):
    """No token: 401."""
    assert client.post("/placement-reports", json={}).status_code == 401


def test_another_operators_segment_is_invisible(client, world, session):
    """Viettel cannot report VNPT's segment: the segment does not exist for it."""
    response = _report(client, world, who="viettel")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body.segment_id"]
    assert session.scalar(select(PlacementReport.id)) is None


BAD_REPORTS = [
    ({"placement_kind": "aerial"}, "body.placement_kind"),
    ({"placement": "overhead", "placement_kind": "duct"}, "body.placement_kind"),
    ({"placement": "sky"}, "body.placement"),
    ({"effective_on": (local_today() + timedelta(days=1)).isoformat()}, "body.effective_on"),
    ({"effective_on": "2018-12-31"}, "body.effective_on"),  # before the state of 2019
    ({"effective_on": "30/06/2024"}, "body.effective_on"),
    ({"evidence": " "}, "body.evidence"),
    ({"tidied": "maybe"}, "body.tidied"),
    ({"segment_id": 987654321}, "body.segment_id"),
    ({"placement": "overhead", "tidied": False}, "body.placement"),  # changes nothing
]


def test_bad_reports_name_the_field(client, world, session):
    """422 naming the field at fault; nothing is written."""
    for changes, field in BAD_REPORTS:
        response = _report(client, world, **changes)
        assert response.status_code == 422, (changes, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field], changes
    assert session.scalar(select(PlacementReport.id)) is None


def test_confirm_writes_history_cache_and_audit(client, world, session):
    """Confirming appends the state row (source and note say where it came from), the segment's
    current columns follow, and the audit log holds the report's update."""
    report = _report(client, world).json()
    response = client.post(f"/placement-reports/{report['id']}/confirm",
                           json={"note": "Đã kiểm tra thực địa"}, headers=world.auth("inspector"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "confirmed" and body["decided_by"] == world.users["inspector"].id
    assert body["decision_note"] == "Đã kiểm tra thực địa"
    session.expire_all()
    states = _states(session, world.seg_a.id)
    assert len(states) == 2
    new = states[-1]
    assert body["state_id"] == new.id
    assert (new.effective_date, new.placement, new.placement_kind, new.tidied, new.lifecycle) == (
        date(2024, 6, 30), "underground", "duct", True, "active")
    assert new.source == f"placement-report:{report['id']}"
    assert new.note == "Biên bản nghiệm thu 45/BB-VNPT"
    assert new.recorded_by == "user:inspector-dept"
    segment = session.get(CableSegment, world.seg_a.id)
    assert (segment.placement, segment.placement_kind, segment.tidied, segment.state_since) == (
        "underground", "duct", True, date(2024, 6, 30))
    audits = session.scalars(select(AuditEntry).where(
        AuditEntry.table_name == "placement_reports", AuditEntry.row_key == str(report["id"]))
        .order_by(AuditEntry.id)).all()
    assert [a.action for a in audits] == ["INSERT", "UPDATE"]
    assert audits[0].actor == "user:operator-vnpt"
    assert audits[1].actor == "user:inspector-dept"
    assert (audits[1].before["status"], audits[1].after["status"]) == ("pending", "confirmed")
    assert audits[1].after["state_id"] == new.id


def test_confirm_without_body(client, world):
    """The confirmation note is optional."""
    report = _report(client, world).json()
    response = client.post(f"/placement-reports/{report['id']}/confirm",
                           headers=world.auth("admin"))
    assert response.status_code == 200 and response.json()["decision_note"] is None


def test_reject_leaves_the_segment_alone(client, world, session):
    """Rejecting records the note; no history row is added."""
    report = _report(client, world).json()
    response = client.post(f"/placement-reports/{report['id']}/reject",
                           json={"note": "Cáp treo vẫn còn"}, headers=world.auth("inspector"))
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["decision_note"] == "Cáp treo vẫn còn"
    session.expire_all()
    assert len(_states(session, world.seg_a.id)) == 1
    assert session.get(CableSegment, world.seg_a.id).placement == "overhead"


def test_reject_needs_a_note(client, world):
    """422 naming body.note."""
    report = _report(client, world).json()
    response = client.post(f"/placement-reports/{report['id']}/reject", json={},
                           headers=world.auth("inspector"))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body.note"]


@pytest.mark.parametrize("first", ["confirm", "reject"])
@pytest.mark.parametrize("second", ["confirm", "reject"])
def test_deciding_twice_is_409(client, world, first, second):
    """A decided report cannot be decided again."""
    report = _report(client, world).json()
    url = f"/placement-reports/{report['id']}"
    assert client.post(f"{url}/{first}", json={"note": "x"},
                       headers=world.auth("inspector")).status_code == 200
    again = client.post(f"{url}/{second}", json={"note": "y"}, headers=world.auth("admin"))
    assert again.status_code == 409
    assert again.json()["type"].endswith("conflict")


def test_only_inspectors_and_admins_decide(client, world, session):
    """Operators (even the reporting one) and planners get 403."""
    report = _report(client, world).json()
    for who in ("vnpt", "viettel", "planner"):
        for action in ("confirm", "reject"):
            response = client.post(f"/placement-reports/{report['id']}/{action}",
                                   json={"note": "x"}, headers=world.auth(who))
            assert response.status_code == 403, (who, action)
    assert session.get(PlacementReport, report["id"]).status == "pending"


def test_deciding_a_missing_report_is_404(client, world):
    """Unknown report: 404."""
    response = client.post("/placement-reports/987654/confirm", headers=world.auth("inspector"))
    assert response.status_code == 404


def test_confirm_refused_when_history_moved_on(client, world, session):
    """A later-dated state recorded meanwhile makes the report out of order: 422, no change."""
    report = _report(client, world).json()
    record_state_change(session, world.seg_a.id, effective_date=date(2024, 7, 15),
                        source="import", tidied=True)
    response = client.post(f"/placement-reports/{report['id']}/confirm",
                           headers=world.auth("inspector"))
    assert response.status_code == 422
    assert "date order" in response.json()["detail"]
    session.expire_all()
    assert session.get(PlacementReport, report["id"]).status == "pending"
    assert len(_states(session, world.seg_a.id)) == 2


def test_list_get_and_isolation(client, world):
    """Operators list and read only their own reports; filters by status, segment, operator."""
    a = _report(client, world).json()
    b = _report(client, world, who="viettel", segment=world.seg_b).json()
    client.post(f"/placement-reports/{a['id']}/confirm", headers=world.auth("inspector"))

    def ids(who, **params):
        response = client.get("/placement-reports", params=params, headers=world.auth(who))
        assert response.status_code == 200
        return [r.id for r in PlacementReportPage.model_validate(response.json()).items]

    assert ids("planner") == [a["id"], b["id"]]
    assert ids("admin", status="pending") == [b["id"]]
    assert ids("admin", segment_id=world.seg_a.id) == [a["id"]]
    assert ids("admin", operator="viettel") == [b["id"]]
    assert ids("vnpt") == [a["id"]]
    assert ids("viettel") == [b["id"]]
    assert client.get(f"/placement-reports/{b['id']}", headers=world.auth("vnpt")).status_code \
        == 404
    mine = client.get(f"/placement-reports/{a['id']}", headers=world.auth("vnpt"))
    assert mine.status_code == 200 and mine.json()["status"] == "confirmed"
    bad = client.get("/placement-reports", params={"status": "done"}, headers=world.auth("admin"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.status"
    assert client.get("/placement-reports").status_code == 401
