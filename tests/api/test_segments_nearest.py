"""GET /segments/nearest: nearest first, geodesic distances (checked against pyproj), radius and
limit, removed cable, bad input, operator isolation."""

from __future__ import annotations

import pytest
from pyproj import Geod
from sqlalchemy import text

from api.schemas.network import NearSegments
from gis.queries.nearest import nearest_query
from tests.factories import bearer, make_operator, make_segment, make_user

GEOD = Geod(ellps="WGS84")
LON, LAT = 106.34, 20.45


def geodesic_distance(lon: float, lat: float, line: list[tuple[float, float]]) -> float:
    """Metres from (lon, lat) to a two-point line, by densifying its geodesic (pyproj)."""
    (lon1, lat1), (lon2, lat2) = line
    points = [(lon1, lat1), *GEOD.npts(lon1, lat1, lon2, lat2, 2000), (lon2, lat2)]
    return min(GEOD.inv(lon, lat, x, y)[2] for x, y in points)


LINES = {
    # ~11 m north, running east-west across the point
    "north11": [(LON - 0.001, LAT + 0.0001), (LON + 0.001, LAT + 0.0001)],
    # ~21 m east, running north-south
    "east21": [(LON + 0.0002, LAT - 0.001), (LON + 0.0002, LAT + 0.001)],
    # ~33 m south-west: its nearest point is its end
    "sw": [(LON - 0.0005, LAT - 0.0002), (LON - 0.0002, LAT - 0.0002)],
    # ~45 m north
    "north45": [(LON - 0.001, LAT + 0.0004), (LON + 0.001, LAT + 0.0004)],
    # ~220 m away
    "far": [(LON + 0.002, LAT + 0.001), (LON + 0.003, LAT + 0.001)],
}


@pytest.fixture
def near(session):
    """VNPT segments around the point, a removed one at 5 m, and a Viettel one at 15 m."""
    vnpt = make_operator(session, "VNPT")
    viettel = make_operator(session, "VIETTEL")
    segs = {name: make_segment(session, vnpt, line) for name, line in LINES.items()}
    segs["removed"] = make_segment(session, vnpt, [(LON - 0.001, LAT - 0.00005),
                                                   (LON + 0.001, LAT - 0.00005)],
                                   lifecycle="removed")
    segs["viettel"] = make_segment(session, viettel, [(LON - 0.001, LAT + 0.000135),
                                                      (LON + 0.001, LAT + 0.000135)])
    _, staff = make_user(session, "inspector")
    _, vnpt_token = make_user(session, "operator", vnpt)
    return {"segs": segs, "staff": bearer(staff), "vnpt": bearer(vnpt_token)}


def _nearest(client, headers, **params) -> dict:
    response = client.get("/segments/nearest", params={"lon": LON, "lat": LAT, **params},
                          headers=headers)
    assert response.status_code == 200, response.text
    NearSegments.model_validate(response.json())
    return response.json()


def test_nearest_first_with_geodesic_distances(client, near):
    """Within the default 50 m: nearest first, distances within 0.5 m of pyproj's, removed
    cable left out, each with its GeoJSON geometry and state."""
    body = _nearest(client, near["staff"])
    by_id = {s.id: name for name, s in near["segs"].items()}
    names = [by_id[item["id"]] for item in body["items"]]
    assert names == ["north11", "viettel", "east21", "sw", "north45"]
    for item, name in zip(body["items"], names, strict=True):
        line = LINES.get(name)
        if line:
            assert item["distance_m"] == pytest.approx(geodesic_distance(LON, LAT, line),
                                                       abs=0.5)
            assert item["geometry"]["type"] == "LineString"
            assert item["geometry"]["coordinates"] == [
                pytest.approx(list(p), abs=1e-7) for p in line]
    first = body["items"][0]
    assert (first["operator"], first["placement"], first["placement_kind"], first["tidied"],
            first["lifecycle"]) == ("VNPT", "overhead", "aerial", False, "active")
    (lon1, lat1), (lon2, lat2) = LINES["north11"]
    assert first["length_m"] == pytest.approx(GEOD.inv(lon1, lat1, lon2, lat2)[2], abs=0.01)
    assert (body["lon"], body["lat"], body["radius_m"]) == (LON, LAT, 50)


def test_radius_limit_and_removed(client, near):
    """radius_m bounds the search; limit keeps the nearest; removed cable on request."""
    names = {s.id: n for n, s in near["segs"].items()}

    def found(**params) -> list[str]:
        return [names[i["id"]] for i in _nearest(client, near["staff"], **params)["items"]]

    assert found(radius_m=25) == ["north11", "viettel", "east21"]
    assert found(radius_m=5) == []
    assert found(limit=2) == ["north11", "viettel"]
    assert found(radius_m=300, limit=50)[-1] == "far"
    assert found(include_removed="true", limit=1) == ["removed"]


def test_geodesic_order_not_degree_order(client, session, near):
    """At latitude 20.45 a degree of longitude is ~104 km and one of latitude ~110.7 km: a line
    0.0003 deg east (31.3 m) is nearer than one 0.00029 deg north (32.1 m), though farther in
    degrees; limit=1 must still return the east one."""
    vnpt = near["segs"]["far"].operator
    lon, lat = 106.36, 20.45
    east = make_segment(session, vnpt, [(lon + 0.0003, lat - 0.001), (lon + 0.0003, lat + 0.001)])
    north = make_segment(session, vnpt, [(lon - 0.001, lat + 0.00029),
                                         (lon + 0.0001, lat + 0.00029)])
    body = client.get("/segments/nearest", params={"lon": lon, "lat": lat, "limit": 1},
                      headers=near["staff"]).json()
    assert [i["id"] for i in body["items"]] == [east.id]
    both = client.get("/segments/nearest", params={"lon": lon, "lat": lat},
                      headers=near["staff"]).json()["items"]
    assert [i["id"] for i in both] == [east.id, north.id]
    assert both[0]["distance_m"] < both[1]["distance_m"]


def test_operator_sees_only_its_own(client, near):
    """An operator user never gets another operator's segment."""
    ids = {i["id"] for i in _nearest(client, near["vnpt"], limit=50)["items"]}
    assert near["segs"]["viettel"].id not in ids and near["segs"]["north11"].id in ids


def test_bad_input_and_no_token(client, near):
    """Bad coordinates, radius or limit are 422 naming the parameter; no token is 401."""
    cases = [
        ({"lon": 200, "lat": LAT}, "query.lon"),
        ({"lon": LON, "lat": -91}, "query.lat"),
        ({"lon": "east", "lat": LAT}, "query.lon"),
        ({"lat": LAT}, "query.lon"),
        ({"lon": LON, "lat": LAT, "radius_m": 0}, "query.radius_m"),
        ({"lon": LON, "lat": LAT, "radius_m": 5000}, "query.radius_m"),
        ({"lon": LON, "lat": LAT, "limit": 0}, "query.limit"),
        ({"lon": LON, "lat": LAT, "limit": 51}, "query.limit"),
    ]
    for params, field in cases:
        response = client.get("/segments/nearest", params=params, headers=near["staff"])
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field], params
    response = client.get("/segments/nearest", params={"lon": LON, "lat": LAT})
    assert response.status_code == 401


def test_operator_gets_the_staff_answer_for_its_own_segments(client, session, near):
    """An operator's nearest segments are the staff's nearest without the other operators'
    (same order and distances), found through tile_segments: under row-level security a plain
    query could not use the spatial index and would scan the operator's whole network."""
    vnpt = near["segs"]["north11"].operator_id
    staff = [i for i in _nearest(client, near["staff"], limit=50)["items"]
             if i["id"] != near["segs"]["viettel"].id]
    assert _nearest(client, near["vnpt"], limit=50)["items"] == staff
    sql, params = nearest_query(LON, LAT, 50, 5, confined=True)
    session.execute(text("SELECT set_config('telecom_gis.operator_scope', :scope, true)"),
                    {"scope": str(vnpt)})
    session.execute(text("SET LOCAL ROLE telecom_gis_operator"))
    try:
        plan = "\n".join(session.execute(text("EXPLAIN " + sql), params).scalars())
    finally:
        session.execute(text("RESET ROLE"))
    assert "Function Scan on tile_segments" in plan and "cable_segments" not in plan, plan
