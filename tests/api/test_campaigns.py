"""POST/GET /campaigns: validation with field paths, roles, scope, progress, and operators
seeing only the campaigns that name them."""

from __future__ import annotations

import uuid
from datetime import date
from types import SimpleNamespace

import pytest

from gis.history import record_state_change
from tests.factories import bearer, make_operator, make_segment, make_unit, make_user
from tests.visit_samples import body_for

CAMPAIGN = {
    "code": "KT-2024-03", "name": "Kiểm tra cáp treo", "legal_basis": "QĐ 45/QĐ-SKHCN",
    "starts_on": "2024-04-01", "ends_on": "2024-05-31",
}


@pytest.fixture
def w(session):
    """Two operators, two communes (west/east), segments, users of every role."""
    vnpt = make_operator(session, "VNPT")
    viettel = make_operator(session, "VIETTEL")
    make_unit(session, "11111", (106.30, 20.40, 106.35, 20.50), name="Phường Tây",
              valid_from=date(2004, 1, 1))
    make_unit(session, "22222", (106.35, 20.40, 106.40, 20.50), name="Phường Đông",
              valid_from=date(2004, 1, 1))
    west = make_segment(session, vnpt, [(106.31, 20.45), (106.32, 20.45)])
    make_segment(session, vnpt, [(106.36, 20.45), (106.37, 20.45)])  # east, out of scope
    make_segment(session, viettel, [(106.31, 20.46), (106.32, 20.46)])  # other operator
    users = {}
    for role, operator, name in (("inspector", None, "thanh.tra"), ("admin", None, "quan.tri"),
                                 ("planner", None, "quy.hoach"), ("operator", vnpt, None),
                                 ("operator", viettel, None)):
        user, token = make_user(session, role, operator, username=name)
        users[user.username] = token
    return SimpleNamespace(session=session, vnpt=vnpt, west=west, tokens=users)


def create(client, token, **changes):
    """POST /campaigns with CAMPAIGN updated by ``changes``."""
    return client.post("/campaigns", json={**CAMPAIGN, **changes}, headers=bearer(token))


def test_create_read_and_progress(client, w):
    """Scope is echoed with names; progress counts segments in scope, visits, violations."""
    t = w.tokens
    response = create(client, t["thanh.tra"], communes=["11111"], operators=["vnpt"],
                      inspectors=["thanh.tra"], checklist_version="QCVN33-2019/v1")
    assert response.status_code == 201, response.text
    campaign = response.json()
    assert response.headers["location"] == f"/campaigns/{campaign['id']}"
    assert campaign["scope"] == {
        "communes": [{"code": "11111", "name": "Phường Tây"}],
        "operators": [{"code": "VNPT", "name": "VNPT Thái Bình"}],
        "inspectors": [{"username": "thanh.tra", "full_name": "Thanh.Tra"}],
    }
    assert campaign["created_by"] == "user:thanh.tra"
    assert campaign["progress"] == {"segments_in_scope": 1, "km_in_scope": pytest.approx(1.043,
                                                                                         abs=0.01),
                                    "segments_visited": 0, "visits": 0, "violations_opened": 0}
    visit = client.post("/inspections", json=body_for(
        w.session, segment_id=w.west.id, campaign_id=campaign["id"],
        overrides={"C1": "fail", "C9": "fail"}),
        headers={**bearer(t["thanh.tra"]), "Idempotency-Key": str(uuid.uuid4())})
    assert visit.status_code == 201, visit.text
    assert visit.json()["campaign"] == "KT-2024-03"
    read = client.get(f"/campaigns/{campaign['id']}", headers=bearer(t["quy.hoach"])).json()
    assert read["progress"]["segments_visited"] == 1 and read["progress"]["visits"] == 1
    assert read["progress"]["violations_opened"] == 2
    listed = client.get("/inspections", params={"campaign": "KT-2024-03"},
                        headers=bearer(t["quy.hoach"])).json()
    assert [i["id"] for i in listed["items"]] == [visit.json()["id"]]


def test_validation_names_each_field(client, w):
    """Period, unknown commune/operator/inspector/version, non-inspector users, bad shapes."""
    t = w.tokens
    response = create(client, t["quan.tri"], ends_on="2024-03-01",
                      communes=["11111", "99999"], operators=["VNPT", "MOBIFONE"],
                      inspectors=["quy.hoach", "nobody"], checklist_version="v9")
    assert response.status_code == 422
    errors = {e["field"]: e["detail"] for e in response.json()["errors"]}
    assert set(errors) == {"body.ends_on", "body.communes[1]", "body.operators[1]",
                           "body.inspectors[0]", "body.inspectors[1]", "body.checklist_version"}
    assert "not an active inspector" in errors["body.inspectors[0]"]
    shape = create(client, t["quan.tri"], communes=["1234"], code="")
    assert shape.status_code == 422
    assert {"body.communes[0]", "body.code"} <= {e["field"] for e in shape.json()["errors"]}
    assert create(client, t["quan.tri"], note="x\u0000").status_code == 422
    nul = create(client, t["quan.tri"], operators=["VNPT", "V\u0000"], inspectors=["a\u0000b"],
                 checklist_version="\u0000")
    assert nul.status_code == 422, nul.text  # was a 500: the NULs reached PostgreSQL
    assert {e["field"] for e in nul.json()["errors"]} == {
        "body.operators[1]", "body.inspectors[0]", "body.checklist_version"}


def test_duplicate_code_is_409_and_roles(client, w):
    """Admins and inspectors create; planners and operators may not; codes are unique."""
    t = w.tokens
    assert client.post("/campaigns", json=CAMPAIGN).status_code == 401
    assert create(client, t["quy.hoach"]).status_code == 403
    assert create(client, t["operator-vnpt"]).status_code == 403
    assert create(client, t["quan.tri"]).status_code == 201
    again = create(client, t["thanh.tra"])
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "body.code"


def test_listing_pagination_and_operator_visibility(client, w):
    """Operators see the campaigns naming their operator and the province-wide ones (no
    operator list); campaigns naming only other operators are 404 to them."""
    t = w.tokens
    both = create(client, t["quan.tri"], code="A", operators=["VNPT", "VIETTEL"]).json()
    viettel_only = create(client, t["quan.tri"], code="B", operators=["VIETTEL"]).json()
    everyone = create(client, t["quan.tri"], code="C", starts_on="2025-01-01",
                      ends_on="2025-12-31").json()

    def codes(token, **params):
        response = client.get("/campaigns", params=params, headers=bearer(token))
        assert response.status_code == 200, response.text
        return [c["code"] for c in response.json()["items"]]

    assert codes(t["quy.hoach"]) == ["A", "B", "C"]
    assert codes(t["quy.hoach"], active_on="2025-06-01") == ["C"]
    first = client.get("/campaigns", params={"limit": 2}, headers=bearer(t["quy.hoach"])).json()
    href = next(link["href"] for link in first["links"] if link["rel"] == "next")
    assert [c["code"] for c in client.get(href, headers=bearer(t["quy.hoach"])).json()[
        "items"]] == ["C"]
    assert codes(t["operator-vnpt"]) == ["A", "C"]
    assert codes(t["operator-viettel"]) == ["A", "B", "C"]
    seen = client.get(f"/campaigns/{both['id']}", headers=bearer(t["operator-vnpt"])).json()
    assert seen["scope"]["operators"] == [{"code": "VNPT", "name": "VNPT Thái Bình"}]
    assert seen["progress"]["segments_in_scope"] == 2  # its own two segments only
    response = client.get(f"/campaigns/{viettel_only['id']}", headers=bearer(t["operator-vnpt"]))
    assert response.status_code == 404
    seen = client.get(f"/campaigns/{everyone['id']}", headers=bearer(t["operator-vnpt"])).json()
    assert seen["scope"]["operators"] == []
    assert client.get("/campaigns/424242", headers=bearer(t["quy.hoach"])).status_code == 404


def test_progress_counts_segments_active_at_the_end_of_the_period(client, w):
    """In scope: active on the period's last day, by the history (a segment removed after the
    period still counts, one removed during it or built after it does not), once each even when
    its midpoint lies on the boundary of two communes of the scope."""
    t = w.tokens
    later = make_segment(w.session, w.vnpt, [(106.31, 20.47), (106.32, 20.47)])
    record_state_change(w.session, later.id, effective_date=date(2025, 1, 10),
                        lifecycle="removed", source="test")
    during = make_segment(w.session, w.vnpt, [(106.31, 20.48), (106.32, 20.48)])
    record_state_change(w.session, during.id, effective_date=date(2024, 4, 15),
                        lifecycle="removed", source="test")
    make_segment(w.session, w.vnpt, [(106.31, 20.49), (106.32, 20.49)],
                 state_since=date(2024, 7, 1))  # built after the period
    make_segment(w.session, w.vnpt, [(106.34, 20.43), (106.36, 20.43)])  # midpoint on 106.35

    def in_scope(code, **scope):
        response = create(client, t["quan.tri"], code=code, **scope)
        assert response.status_code == 201, response.text
        return response.json()["progress"]["segments_in_scope"]

    # west, east, the VIETTEL one, ``later`` and the boundary one
    assert in_scope("WE", communes=["11111", "22222"]) == 5
    assert in_scope("WEV", communes=["11111", "22222"], operators=["VNPT"]) == 4
    assert in_scope("W", communes=["11111"]) == 4
    assert in_scope("ALL") == 5
