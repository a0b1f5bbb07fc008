"""POST/GET /inspections through HTTP: recording, snapping, field paths of every validation
rule, roles, corrections, verification, listing and operator isolation."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest

from gis.history import record_state_change
from tests.factories import bearer, make_operator, make_segment, make_user
from tests.visit_samples import ICT, VISITED_AT, body_for

NORTH = [(106.33, 20.4502), (106.3405, 20.4502)]  # ~22 m north of the default segment
VIETTEL_LINE = [(106.36, 20.46), (106.37, 20.46)]


@pytest.fixture
def w(session):
    """Two operators with a segment each; inspector, admin, planner and operator users."""
    vnpt = make_operator(session, "VNPT")
    viettel = make_operator(session, "VIETTEL")
    _, inspector = make_user(session, "inspector", username="thanh.tra")
    _, inspector2 = make_user(session, "inspector", username="dong.nghiep")
    _, admin = make_user(session, "admin", username="quan.tri")
    _, planner = make_user(session, "planner", username="quy.hoach")
    _, op_vnpt = make_user(session, "operator", vnpt)
    _, op_viettel = make_user(session, "operator", viettel)
    return SimpleNamespace(
        session=session, vnpt=vnpt, viettel=viettel,
        seg=make_segment(session, vnpt), theirs=make_segment(session, viettel, VIETTEL_LINE),
        inspector=inspector, inspector2=inspector2, admin=admin, planner=planner,
        op_vnpt=op_vnpt, op_viettel=op_viettel)


def post(client, token, body, key=None):
    """POST /inspections with a bearer token and an idempotency key."""
    headers = {**bearer(token), "Idempotency-Key": str(key or uuid.uuid4())}
    return client.post("/inspections", json=body, headers=headers)


def fields(response) -> dict[str, str]:
    """field -> detail of a problem response."""
    assert response.headers["content-type"] == "application/problem+json", response.text
    return {e["field"]: e["detail"] for e in response.json().get("errors") or []}


def test_record_by_segment_and_read_back(client, w):
    """201 with results, labels, photo slots, opened violation; GET returns the same body."""
    body = body_for(w.session, segment_id=w.seg.id, photos=2, note="Cột 12",
                    overrides={"C3": ("fail", "14.5")})
    response = post(client, w.inspector, body)
    assert response.status_code == 201, response.text
    visit = response.json()
    assert response.headers["location"] == f"/inspections/{visit['id']}"
    assert "idempotency-replayed" not in response.headers
    assert (visit["segment_id"], visit["operator"], visit["inspector"]) == (
        w.seg.id, "VNPT", "thanh.tra")
    assert visit["checklist_version"] == "QCVN33-2019/v1" and visit["placement"] == "overhead"
    c3 = next(r for r in visit["results"] if r["item"] == "C3")
    assert c3["result"] == "fail" and c3["result_label"] == {"vi": "Không đạt", "en": "Fail"}
    assert float(c3["measured_value"]) == 14.5 and c3["measure_unit"] == "m"
    assert [p["state"] for p in visit["photos"]] == ["missing", "missing"]
    assert visit["photos"][0]["url"] == f"/inspections/{visit['id']}/photos/1"
    assert visit["complete"] is False
    [opened] = visit["violations"]["opened"]
    assert (opened["item"], opened["state"], opened["due_on"]) == ("C3", "open", "2024-06-01")
    again = client.get(f"/inspections/{visit['id']}", headers=bearer(w.planner))
    assert again.status_code == 200 and again.json() == visit


def test_answer_is_what_get_reads(client, w):
    """The 201 body is built from what was written, not read back: GET gives the same for a
    snapped visit (REAL accuracy, measured values, note), a visit that closes and opens
    violations, and a correction that withdraws and opens."""
    later = (VISITED_AT + timedelta(days=20)).isoformat()
    bodies = [
        body_for(w.session, position={"lon": 106.335, "lat": 20.45003, "accuracy_m": 4.3},
                 note="Cột 7", overrides={"C2": "fail", "C3": ("fail", "14.50")}),
        body_for(w.session, segment_id=w.seg.id, visited_at=later, photos=1,
                 overrides={"C3": ("fail", "12.25"), "C4": "fail"}),
    ]
    answers = []
    for body in bodies:
        response = post(client, w.inspector, body)
        assert response.status_code == 201, response.text
        answers.append(response.json())
        again = client.get(f"/inspections/{answers[-1]['id']}", headers=bearer(w.inspector))
        assert again.json() == answers[-1]
    first, verify = answers
    assert first["position_accuracy_m"] == 4.3 and first["snapped_distance_m"] > 0
    assert [v["item"] for v in verify["violations"]["closed"]] == ["C2"]
    assert [v["item"] for v in verify["violations"]["opened"]] == ["C4"]
    correction = post(client, w.admin, body_for(
        w.session, segment_id=w.seg.id, visited_at=later, overrides={"C5": "fail"},
        corrects={"inspection_id": verify["id"], "reason": "C4 nhầm"}))
    assert correction.status_code == 201, correction.text
    fixed = correction.json()
    assert [v["item"] for v in fixed["violations"]["withdrawn"]] == ["C4"]
    assert [v["item"] for v in fixed["violations"]["opened"]] == ["C5"]
    assert client.get(f"/inspections/{fixed['id']}", headers=bearer(w.admin)).json() == fixed


def test_record_by_position_snaps(client, w):
    """A GPS fix is snapped to the nearest segment; position and distance are returned."""
    make_segment(w.session, w.vnpt, NORTH)
    body = body_for(w.session, position={"lon": 106.335, "lat": 20.45003, "accuracy_m": 5})
    response = post(client, w.inspector, body)
    assert response.status_code == 201, response.text
    visit = response.json()
    assert visit["segment_id"] == w.seg.id
    assert visit["snapped_distance_m"] == pytest.approx(3.3, abs=0.3)
    assert visit["position"] == {"type": "Point", "coordinates": [106.335, 20.45003]}
    assert visit["position_accuracy_m"] == 5


def test_snapping_refusals_name_the_position(client, w):
    """Ambiguous (two segments ~11 m away), nothing within the radius, outside Vietnam."""
    north = make_segment(w.session, w.vnpt, NORTH)
    ambiguous = post(client, w.inspector, body_for(
        w.session, position={"lon": 106.335, "lat": 20.4501}))
    assert ambiguous.status_code == 422
    assert ambiguous.json()["type"].endswith("/ambiguous-position")
    detail = fields(ambiguous)["body.position"]
    assert f"segment {w.seg.id} at 11." in detail and f"segment {north.id} at 11." in detail
    nothing = post(client, w.inspector, body_for(
        w.session, position={"lon": 106.335, "lat": 20.47}, snap_radius_m=50))
    assert nothing.status_code == 422
    assert "no active segment within 50 m" in fields(nothing)["body.position"]
    abroad = post(client, w.inspector, body_for(w.session, position={"lon": 2.35, "lat": 48.85}))
    assert abroad.status_code == 422 and "outside Vietnam" in fields(abroad)["body.position"]


def test_results_problems_have_field_paths(client, w):
    """Missing, unknown, duplicate, inapplicable items and contradicting measurements."""
    body = body_for(w.session, segment_id=w.seg.id)
    results = body["results"]
    results[0] = {"item": "C99", "result": "pass"}  # unknown, so C1 is missing
    results[1] = {"item": "C3", "result": "pass", "measured_value": 12}  # and C2 missing
    results[2] = {"item": "C4", "result": "pass", "measured_value": 1}
    results.append({"item": "C5", "result": "fail"})  # duplicate
    results.append({"item": "C12", "result": "pass"})  # underground only
    response = post(client, w.inspector, body)
    assert response.status_code == 422
    errors = fields(response)
    n = len(results)
    assert "unknown checklist item 'C99'" in errors["body.results[0].item"]
    assert "'pass' contradicts the measured 12 m" in errors["body.results[1].result"]
    assert "nothing to measure" in errors["body.results[2].measured_value"]
    assert "C5 is given twice" in errors[f"body.results[{n - 2}].item"]
    assert "C12 does not apply to overhead" in errors[f"body.results[{n - 1}].item"]
    missing = [e["detail"] for e in response.json()["errors"] if e["field"] == "body.results"]
    assert [d.split()[3] for d in missing] == ["C1", "C2"]


@pytest.mark.parametrize(("change", "field", "text"), [
    ({"visited_at": "2024-05-02T09:30:00"}, "body.visited_at", "timezone"),
    ({"visited_at": "yesterday"}, "body.visited_at", "datetime"),
    ({"visited_at": "0001-01-01T00:00:00+14:00"}, "body.visited_at", "out of range"),
    ({"segment_id": None}, "body", "segment_id, or a position"),
    ({"photos": 51}, "body.photos", "less than or equal to 50"),
    ({"position": {"lon": 106.3, "lat": 95}}, "body.position.lat", "less than or equal"),
    ({"results": [{"item": "C1", "result": "maybe"}]}, "body.results[0].result", "pass"),
    ({"corrects": {"inspection_id": 1, "reason": ""}}, "body.corrects.reason", "at least 1"),
    ({"note": "a\u0000b"}, "body.note", "NUL"),
    ({"unexpected": 1}, "body.unexpected", "Extra inputs"),
])
def test_body_problems_have_field_paths(client, w, change, field, text):
    """Malformed bodies are 422 problems naming the field, never a 500."""
    body = body_for(w.session, segment_id=w.seg.id)
    body.update(change)
    response = post(client, w.inspector, body)
    assert response.status_code == 422, response.text
    assert text in fields(response)[field]


def test_visit_time_problems(client, w):
    """Future visits, visits before the segment existed, of a removed segment."""
    future = (datetime.now(ICT) + timedelta(hours=2)).isoformat()
    response = post(client, w.inspector, body_for(w.session, segment_id=w.seg.id,
                                                  visited_at=future))
    assert response.status_code == 422 and "in the future" in fields(response)["body.visited_at"]
    early = post(client, w.inspector, body_for(w.session, segment_id=w.seg.id,
                                               visited_at="2018-03-01T08:00:00+07:00"))
    assert "did not exist yet" in fields(early)["body.visited_at"]
    record_state_change(w.session, w.seg.id, effective_date=date(2024, 1, 1),
                        lifecycle="removed", source="test")
    removed = post(client, w.inspector, body_for(w.session, segment_id=w.seg.id))
    assert "removed" in fields(removed)["body.segment_id"]


def test_unknown_references_are_404_with_field(client, w):
    """Unknown segment, campaign or corrected visit."""
    for change, field in (({"segment_id": 999_999}, "body.segment_id"),
                          ({"campaign_id": 999_999}, "body.campaign_id"),
                          ({"corrects": {"inspection_id": 999_999, "reason": "x"}},
                           "body.corrects.inspection_id")):
        body = body_for(w.session, segment_id=w.seg.id)
        body.update(change)
        response = post(client, w.inspector, body)
        assert response.status_code == 404, response.text
        assert field in fields(response)


def test_idempotency_key_header_is_required_and_a_uuid(client, w):
    """Missing or malformed Idempotency-Key -> 422 naming header.Idempotency-Key."""
    body = body_for(w.session, segment_id=w.seg.id)
    missing = client.post("/inspections", json=body, headers=bearer(w.inspector))
    assert missing.status_code == 422 and "header.Idempotency-Key" in fields(missing)
    bad = client.post("/inspections", json=body,
                      headers={**bearer(w.inspector), "Idempotency-Key": "not-a-uuid"})
    assert bad.status_code == 422 and "header.Idempotency-Key" in fields(bad)


def test_roles(client, w):
    """No token 401; planner and operator 403; admin and inspector 201."""
    body = body_for(w.session, segment_id=w.seg.id)
    anonymous = client.post("/inspections", json=body,
                            headers={"Idempotency-Key": str(uuid.uuid4())})
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert post(client, w.planner, body).status_code == 403
    assert post(client, w.op_vnpt, body).status_code == 403
    assert post(client, w.admin, body).status_code == 201
    assert post(client, w.inspector, body).status_code == 201
    assert client.get("/inspections").status_code == 401


def test_correction_withdraws_and_links(client, w):
    """A correction withdraws the violations of the visit it corrects; only once."""
    first = post(client, w.inspector, body_for(
        w.session, segment_id=w.seg.id, overrides={"C4": "fail"})).json()
    correction = body_for(w.session, segment_id=w.seg.id, overrides={"C6": "fail"},
                          corrects={"inspection_id": first["id"], "reason": "C4 nhầm"})
    response = post(client, w.inspector, correction)
    assert response.status_code == 201, response.text
    fixed = response.json()
    assert fixed["corrects_id"] == first["id"] and fixed["correction_reason"] == "C4 nhầm"
    assert [v["item"] for v in fixed["violations"]["withdrawn"]] == ["C4"]
    assert fixed["violations"]["withdrawn"][0]["state"] == "withdrawn"
    assert [v["item"] for v in fixed["violations"]["opened"]] == ["C6"]
    original = client.get(f"/inspections/{first['id']}", headers=bearer(w.inspector)).json()
    assert original["corrected_by_id"] == fixed["id"]
    twice = post(client, w.inspector, body_for(
        w.session, segment_id=w.seg.id,
        corrects={"inspection_id": first["id"], "reason": "again"}))
    assert twice.status_code == 409
    assert "already corrected" in fields(twice)["body.corrects.inspection_id"]
    elsewhere = post(client, w.admin, body_for(
        w.session, segment_id=make_segment(w.session, w.vnpt, NORTH).id,
        corrects={"inspection_id": fixed["id"], "reason": "wrong segment"}))
    assert elsewhere.status_code == 409
    not_mine = post(client, w.inspector2, body_for(
        w.session, segment_id=w.seg.id,
        corrects={"inspection_id": fixed["id"], "reason": "not mine"}))
    assert not_mine.status_code == 403


def test_pass_verifies_closed(client, w):
    """A later passing visit closes the violation and lists it as closed."""
    first = post(client, w.inspector, body_for(
        w.session, segment_id=w.seg.id, overrides={"C2": "fail"})).json()
    later = (VISITED_AT + timedelta(days=20)).isoformat()
    verify = post(client, w.inspector, body_for(w.session, segment_id=w.seg.id,
                                                visited_at=later)).json()
    assert verify["violations"]["closed"] == [
        {**first["violations"]["opened"][0], "state": "closed"}]


def test_list_filters_pagination_and_operator_isolation(client, w):
    """Filters, keyset pages with a next link; operators see only their own visits."""
    ids = []
    for day in range(3):
        visited = (VISITED_AT + timedelta(days=day)).isoformat()
        ids.append(post(client, w.inspector, body_for(
            w.session, segment_id=w.seg.id, visited_at=visited, photos=1)).json()["id"])
    theirs = post(client, w.admin, body_for(w.session, segment_id=w.theirs.id)).json()["id"]
    page = client.get("/inspections", params={"limit": 2}, headers=bearer(w.planner)).json()
    assert [i["id"] for i in page["items"]] == ids[:2] and page["number_returned"] == 2
    next_href = next(link["href"] for link in page["links"] if link["rel"] == "next")
    rest = client.get(next_href, headers=bearer(w.planner)).json()
    assert [i["id"] for i in rest["items"]] == [ids[2], theirs]
    assert not [link for link in rest["links"] if link["rel"] == "next"]
    summary = rest["items"][0]
    assert (summary["passed"], summary["failed"], summary["photos_expected"],
            summary["complete"]) == (12, 0, 1, False)

    def listed(token, **params):
        response = client.get("/inspections", params=params, headers=bearer(token))
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["items"]]

    assert listed(w.planner, inspector="quan.tri") == [theirs]
    assert listed(w.planner, segment_id=w.seg.id, **{"from": "2024-05-03"}) == ids[1:]
    assert listed(w.planner, to="2024-05-02") == [ids[0], theirs]
    assert listed(w.planner, complete="true") == [theirs]
    assert listed(w.planner, complete="false") == ids
    assert listed(w.planner, campaign="NONE") == []
    assert listed(w.op_vnpt) == ids
    assert listed(w.op_viettel) == [theirs]
    hidden = client.get(f"/inspections/{ids[0]}", headers=bearer(w.op_viettel))
    assert hidden.status_code == 404
    assert client.get(f"/inspections/{ids[0]}", headers=bearer(w.op_vnpt)).status_code == 200
    assert client.get("/inspections/987654", headers=bearer(w.planner)).status_code == 404
    bad = client.get("/inspections", params={"from": "May"}, headers=bearer(w.planner))
    assert bad.status_code == 422 and "query.from" in fields(bad)
