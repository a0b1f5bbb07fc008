"""GET /segments and GET /segments/{id}: GeoJSON, every filter, the state on a date from the
history, compliance, keyset pagination through `next` links, bad input, operator isolation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from pyproj import Geod

from api.schemas.network import SegmentCollection, SegmentDetail
from gis.compliance.catalogue import version_in_force
from gis.compliance.rules import local_today
from gis.history import record_state_change
from gis.models import CableSegment, Inspection, InspectionResult, Photo
from gis.models.inspections import Campaign
from tests.compliance_data import checklist_item, local, make_violation, make_visit
from tests.factories import bearer, make_operator, make_route, make_segment, make_unit, make_user

GEOD = Geod(ellps="WGS84")


@dataclass
class Net:
    """Two operators, two communes, three routes, six segments and users by role."""

    segs: dict[str, CableSegment]
    tokens: dict[str, str]
    users: dict

    def auth(self, who: str = "inspector") -> dict[str, str]:
        """Authorization header of ``who`` (admin, inspector, planner, vnpt, viettel)."""
        return bearer(self.tokens[who])


def _line(lon: float, lat: float) -> list[tuple[float, float]]:
    return [(lon, lat), (lon + 0.002, lat)]


@pytest.fixture
def net(session) -> Net:
    """The small network every test reads."""
    vnpt = make_operator(session, "VNPT")
    viettel = make_operator(session, "VIETTEL")
    make_unit(session, "97001", (106.30, 20.40, 106.35, 20.50), name="Phường Một")
    make_unit(session, "97002", (106.35, 20.40, 106.40, 20.50), name="Xã Hai")
    r_vnpt = make_route(session, vnpt, "VNPT-01", tier="trunk")
    r_vnpt2 = make_route(session, vnpt, "VNPT-02")
    r_vt = make_route(session, viettel, "VT-01")
    segs = {
        "a": make_segment(session, vnpt, _line(106.31, 20.41), route=r_vnpt),
        "b": make_segment(session, vnpt, _line(106.32, 20.42), route=r_vnpt, tidied=True),
        "c": make_segment(session, vnpt, _line(106.36, 20.43), placement="underground",
                          route=r_vnpt2),
        "d": make_segment(session, viettel, _line(106.37, 20.44), route=r_vt),
        "e": make_segment(session, viettel, _line(106.38, 20.45), lifecycle="removed"),
        "f": make_segment(session, vnpt, _line(106.33, 20.46), state_since=date(2024, 5, 1)),
    }
    users, tokens = {}, {}
    for name, role, operator in (("admin", "admin", None), ("inspector", "inspector", None),
                                 ("planner", "planner", None), ("vnpt", "operator", vnpt),
                                 ("viettel", "operator", viettel)):
        users[name], tokens[name] = make_user(session, role, operator)
    return Net(segs, tokens, users)


def _get(client, net: Net, who: str = "inspector", **params):
    response = client.get("/segments", params=params, headers=net.auth(who))
    assert response.status_code == 200, response.text
    return response.json()


def _names(client, net: Net, who: str = "inspector", **params) -> set[str]:
    by_id = {s.id: name for name, s in net.segs.items()}
    return {by_id[f["id"]] for f in _get(client, net, who, **params)["features"]}


def test_feature_collection_is_rfc7946(client, net):
    """application/geo+json, lon/lat rounded to 7 decimals, no crs, properties as documented."""
    response = client.get("/segments", headers=net.auth())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert "crs" not in body and body["type"] == "FeatureCollection"
    collection = SegmentCollection.model_validate(body)
    assert collection.numberReturned == 6
    assert [link.rel for link in collection.links] == ["self"]
    a = next(f for f in body["features"] if f["id"] == net.segs["a"].id)
    assert a["geometry"] == {"type": "LineString",
                             "coordinates": [[106.31, 20.41], [106.312, 20.41]]}
    props = a["properties"]
    expected_m = GEOD.inv(106.31, 20.41, 106.312, 20.41)[2]
    assert props["length_m"] == pytest.approx(expected_m, abs=0.01)
    assert {k: props[k] for k in ("route", "operator", "commune_code", "commune_name",
                                  "placement", "placement_kind", "tidied", "lifecycle",
                                  "state_since", "compliance")} == {
        "route": "VNPT-01", "operator": "VNPT", "commune_code": "97001",
        "commune_name": "Phường Một", "placement": "overhead", "placement_kind": "aerial",
        "tidied": False, "lifecycle": "active", "state_since": "2019-01-01",
        "compliance": "not_inspected"}


def test_coordinates_are_rounded_to_7_decimals(client, session, net):
    """A coordinate with 12 decimals comes out with 7."""
    seg = make_segment(session, net.segs["a"].operator,
                       [(106.312345678912, 20.4123456789), (106.3131, 20.413)])
    body = _get(client, net, bbox="106.3123,20.4123,106.3124,20.4124")
    coordinates = next(f for f in body["features"] if f["id"] == seg.id)["geometry"]["coordinates"]
    assert coordinates[0] == [106.3123457, 20.4123457]


def test_needs_a_token(client, net):
    """No token: 401 problem."""
    response = client.get("/segments")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


FILTER_CASES = [
    ({"bbox": "106.305,20.405,106.325,20.425"}, {"a", "b"}),
    ({"bbox": "106.311,20.409,106.3115,20.411"}, {"a"}),
    ({"operator": "VIETTEL"}, {"d", "e"}),
    ({"operator": "viettel"}, {"d", "e"}),
    ({"operator": ["VIETTEL", "VNPT"]}, {"a", "b", "c", "d", "e", "f"}),
    ({"route": "VNPT-01"}, {"a", "b"}),
    ({"commune": "97002"}, {"c", "d", "e"}),
    ({"placement": "underground"}, {"c"}),
    ({"placement": "overhead", "tidied": "true"}, {"b"}),
    ({"tidied": "false", "operator": "VNPT"}, {"a", "c", "f"}),
    ({"lifecycle": "removed"}, {"e"}),
    ({"lifecycle": "active", "commune": "97002"}, {"c", "d"}),
    ({"operator": "VNPT", "route": "VNPT-02", "placement": "overhead"}, set()),
]


def test_each_filter_filters(client, net):
    """Every filter keeps exactly the matching segments; filters combine with AND."""
    for params, expected in FILTER_CASES:
        assert _names(client, net, **params) == expected, params


def test_as_of_takes_states_from_history(client, session, net):
    """On a date, each segment is in its state of that date; segments with no state yet then
    are left out."""
    seg = net.segs["a"]
    record_state_change(session, seg.id, effective_date=date(2022, 3, 1), source="test",
                        tidied=True)
    record_state_change(session, seg.id, effective_date=date(2024, 6, 1), source="test",
                        placement="underground", placement_kind="tunnel")

    def props(as_of: str) -> dict | None:
        body = _get(client, net, as_of=as_of)
        return next((f["properties"] for f in body["features"] if f["id"] == seg.id), None)

    assert (props("2021-12-31")["tidied"], props("2021-12-31")["state_since"]) == (
        False, "2019-01-01")
    assert (props("2022-03-01")["tidied"], props("2022-03-01")["placement"]) == (True, "overhead")
    after = props("2024-06-01")
    assert (after["placement"], after["placement_kind"], after["state_since"]) == (
        "underground", "tunnel", "2024-06-01")
    assert _names(client, net, placement="underground", as_of="2024-05-31") == {"c"}
    assert _names(client, net, placement="underground", as_of="2024-06-01") == {"a", "c"}
    assert _names(client, net, placement="underground") == {"a", "c"}
    # "f" has its first state on 2024-05-01.
    assert "f" not in _names(client, net, as_of="2024-04-30")
    assert "f" in _names(client, net, as_of="2024-05-01")
    assert _names(client, net, as_of="2018-12-31") == set()


def test_compliance_on_a_date(client, session, net):
    """The compliance filter and property follow the rules on the `as_of` date."""
    inspector = net.users["inspector"]
    visit_b = make_visit(session, net.segs["b"], inspector, local(2024, 3, 1))
    visit_c = make_visit(session, net.segs["c"], inspector, local(2024, 3, 1))
    make_violation(session, visit_c, "C11", due_on=date(2024, 3, 31))

    def by_state(as_of: str) -> dict[str, set[str]]:
        return {state: _names(client, net, compliance=state, as_of=as_of)
                for state in ("compliant", "non_compliant", "overdue", "not_inspected", "stale")}

    assert by_state("2024-02-29") == {
        "compliant": set(), "non_compliant": set(), "overdue": set(),
        "not_inspected": {"a", "b", "c", "d", "e"}, "stale": set()}
    assert by_state("2024-03-15") == {
        "compliant": {"b"}, "non_compliant": {"c"}, "overdue": set(),
        "not_inspected": {"a", "d", "e"}, "stale": set()}
    assert by_state("2024-04-01")["overdue"] == {"c"}
    # stale_after_days is 365 by default
    assert by_state("2025-03-02")["stale"] == {"b"}
    body = _get(client, net, as_of="2024-03-15", operator="VNPT")
    states = {f["id"]: f["properties"]["compliance"] for f in body["features"]}
    assert states[net.segs["b"].id] == "compliant" and states[net.segs["c"].id] == "non_compliant"
    assert visit_b.id


@pytest.mark.parametrize("filters", [{}, {"operator": "VNPT"}, {"placement": "overhead",
                                                                 "commune": "97001"}])
def test_pagination_walks_every_segment_once(client, session, net, filters):
    """Following `next` links visits every matching segment exactly once; each `next` keeps the
    filters; the last page has no `next`."""
    vnpt = net.segs["a"].operator
    for i in range(7):
        make_segment(session, vnpt, _line(106.301 + 0.0025 * i, 20.48))
    everything = {f["id"] for f in _get(client, net, limit=5000, **filters)["features"]}
    seen: list[int] = []
    url, pages = "/segments", 0
    params = {"limit": 3, **filters}
    while url:
        response = client.get(url, params=params, headers=net.auth())
        assert response.status_code == 200
        body = response.json()
        assert body["numberReturned"] == len(body["features"]) <= 3
        seen += [f["id"] for f in body["features"]]
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        if nxt:
            query = parse_qs(urlsplit(nxt[0]).query)
            assert query["limit"] == ["3"] and query["after"] == [str(seen[-1])]
            for key, value in filters.items():
                assert query[key] == [value]
        url, params = (nxt[0] if nxt else None), None
        pages += 1
    assert sorted(seen) == seen and len(seen) == len(set(seen))
    assert set(seen) == everything and len(everything) >= 4
    assert pages == -(-len(everything) // 3)


BAD_INPUT = [
    ({"bbox": "106.3,20.4,106.4"}, "query.bbox"),
    ({"bbox": "106.4,20.4,106.3,20.5"}, "query.bbox"),
    ({"bbox": "106.3,20.5,106.4,20.4"}, "query.bbox"),
    ({"bbox": "a,20.4,106.4,20.5"}, "query.bbox"),
    ({"bbox": "106.3,20.4,200,20.5"}, "query.bbox"),
    ({"bbox": "106.3,-95,106.4,20.5"}, "query.bbox"),
    ({"bbox": "nan,20.4,106.4,20.5"}, "query.bbox"),
    ({"limit": 0}, "query.limit"),
    ({"limit": 100000}, "query.limit"),
    ({"after": -1}, "query.after"),
    ({"after": "x"}, "query.after"),
    ({"placement": "sideways"}, "query.placement"),
    ({"compliance": "great"}, "query.compliance"),
    ({"tidied": "maybe"}, "query.tidied"),
    ({"as_of": "yesterday"}, "query.as_of"),
    ({"as_of": "2999-01-01"}, "query.as_of"),
    ({"commune": "99999"}, "query.commune"),
    ({"route": "NOPE"}, "query.route"),
    ({"operator": "MOBIFONE"}, "query.operator"),
    ({"operator": ["VNPT", "MOBIFONE"]}, "query.operator[1]"),
]


def test_bad_input_is_422_naming_the_field(client, net):
    """Bad query parameters are 422 problems naming the parameter."""
    for params, field in BAD_INPUT:
        response = client.get("/segments", params=params, headers=net.auth())
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field], params


def test_commune_filter_takes_only_commune_codes(client, session, net):
    """A district or province code is refused naming the field: segments belong to communes
    only, so such a filter could only ever answer an empty list (it used to, silently)."""
    make_unit(session, "336", (106.30, 20.40, 106.40, 20.50), level="district",
              valid_from=date(2000, 1, 1))
    make_unit(session, "33", (106.30, 20.40, 106.40, 20.50), level="province",
              valid_from=date(2000, 1, 1))
    for code in ("336", "33"):
        response = client.get("/segments", params={"commune": code}, headers=net.auth())
        assert response.status_code == 422, response.text
        [error] = response.json()["errors"]
        assert error["field"] == "query.commune" and "unknown commune code" in error["detail"]
    assert _names(client, net, commune="97001") == {"a", "b", "f"}


def test_operator_sees_only_its_own_segments(client, net):
    """An operator user lists only its operator's segments, and another operator's code is
    unknown to it."""
    assert _names(client, net, "vnpt") == {"a", "b", "c", "f"}
    assert _names(client, net, "viettel") == {"d", "e"}
    assert _names(client, net, "viettel", bbox="106.30,20.40,106.40,20.50") == {"d", "e"}
    response = client.get("/segments", params={"operator": "VNPT"}, headers=net.auth("viettel"))
    assert response.status_code == 422


def _visit(session, segment, inspector, at, **columns) -> Inspection:
    """A visit inserted with extra columns (campaign, photos expected, correction)."""
    visit = Inspection(segment_id=segment.id, operator_id=segment.operator_id,
                       inspector_id=inspector.id, visited_at=at, placement=segment.placement,
                       checklist_version_id=version_in_force(session, at.date()).id,
                       idempotency_key=uuid.uuid4(), request_sha256="0" * 64, **columns)
    session.add(visit)
    session.flush()
    return visit


def test_detail_has_history_visits_and_open_violations(client, session, net):
    """One segment: today's state, its history, visits with counts and photo completeness,
    corrections, and open violations with the overdue flag."""
    seg, inspector = net.segs["b"], net.users["inspector"]
    record_state_change(session, seg.id, effective_date=date(2023, 1, 2), source="survey",
                        placement="underground", note="moved into duct")
    campaign = Campaign(code="KT-2024-01", name="Kiểm tra 2024", legal_basis="QĐ 1/QĐ-STTTT",
                        starts_on=date(2024, 3, 1), ends_on=date(2024, 3, 31))
    session.add(campaign)
    session.flush()
    first = _visit(session, seg, inspector, local(2024, 3, 2), campaign_id=campaign.id,
                   photos_expected=2)
    for code, result in {"C1": "pass", "C2": "fail", "C3": "not_checked",
                         "C4": "pass"}.items():
        session.add(InspectionResult(inspection_id=first.id,
                                     item_id=checklist_item(session, code).id, result=result))
    session.add(Photo(inspection_id=first.id, slot=1, sha256="a" * 64, media_type="image/jpeg",
                      size_bytes=100, storage_key="aa/" + "a" * 64 + ".jpg"))
    session.flush()
    correction = _visit(session, seg, inspector, local(2024, 3, 3), corrects_id=first.id,
                        correction_reason="wrong item")
    overdue = make_violation(session, first, "C2", due_on=date(2024, 4, 1))
    not_due = make_violation(session, correction, "C1",
                             due_on=date(local_today().year + 1, 1, 1))
    make_violation(session, first, "C3", due_on=date(2024, 4, 1),
                   closed_at=local(2024, 3, 20))

    response = client.get(f"/segments/{seg.id}", headers=net.auth("vnpt"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    detail = SegmentDetail.model_validate(body)
    assert detail.id == seg.id and detail.geometry.coordinates[0] == [106.32, 20.42]
    props = body["properties"]
    assert (props["placement"], props["placement_kind"], props["state_since"]) == (
        "underground", "duct", "2023-01-02")
    assert props["compliance"] == "overdue"
    assert [(h["effective_date"], h["placement"], h["tidied"], h["source"], h["note"])
            for h in props["history"]] == [
        ("2019-01-01", "overhead", True, "test", "initial state"),
        ("2023-01-02", "underground", True, "survey", "moved into duct")]
    assert all(h["recorded_by"] and h["recorded_at"] for h in props["history"])
    visits = props["visits"]
    assert [v["id"] for v in visits] == [first.id, correction.id]
    assert visits[0] == {
        "id": first.id, "visited_at": visits[0]["visited_at"], "inspector": "inspector-dept",
        "campaign": "KT-2024-01", "results": {"pass": 2, "fail": 1, "not_checked": 1},
        "photos_expected": 2, "photos_received": 1, "complete": False, "corrects_id": None,
        "corrected_by_id": correction.id}
    assert (visits[1]["corrects_id"], visits[1]["complete"], visits[1]["campaign"]) == (
        first.id, True, None)
    violations = {v["id"]: v for v in props["open_violations"]}
    assert set(violations) == {overdue.id, not_due.id}
    assert violations[overdue.id]["overdue"] is True
    assert violations[not_due.id]["overdue"] is False
    assert (violations[overdue.id]["item"], violations[overdue.id]["state"],
            violations[overdue.id]["severity"]) == ("C2", "open", "major")
    assert violations[overdue.id]["text_en"].startswith("Height warning sign")


def test_detail_404_and_422(client, net):
    """Unknown id and another operator's segment are 404 problems; a non-integer id is 422."""
    missing = client.get("/segments/987654321", headers=net.auth())
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    other = client.get(f"/segments/{net.segs['d'].id}", headers=net.auth("vnpt"))
    assert other.status_code == 404
    own = client.get(f"/segments/{net.segs['d'].id}", headers=net.auth("viettel"))
    assert own.status_code == 200
    bad = client.get("/segments/abc", headers=net.auth())
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["path.segment_id"]
    assert client.get(f"/segments/{net.segs['a'].id}").status_code == 401


def test_extreme_values_are_answered(client, net):
    """Huge ids and cursors, and points at the poles or on the antimeridian, never fail."""
    huge = 10**20
    assert client.get(f"/segments/{huge}", headers=net.auth()).status_code == 404
    body = _get(client, net, after=huge)
    assert body["features"] == [] and [link["rel"] for link in body["links"]] == ["self"]
    for lon, lat in ((180, 90), (-180, -90), (0, 0)):
        response = client.get("/segments/nearest", params={"lon": lon, "lat": lat,
                                                           "radius_m": 1000},
                              headers=net.auth())
        assert response.status_code == 200 and response.json()["items"] == []
    assert _names(client, net, bbox="-180,-90,180,90") == set(net.segs)
