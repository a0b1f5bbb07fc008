"""Items: every collection, keyset paging, limits, datetime, one item, and bad parameters
refused by name."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from tests.ogc.helpers import GEOJSON, all_pages, ids, items_url, problem_field


@pytest.mark.parametrize(("collection", "geometry"), [
    ("segments", "LineString"), ("routes", "MultiLineString"), ("structures", "Point"),
    ("communes", "MultiPolygon"), ("violations", "LineString")])
def test_every_collection_serves_geojson_features(client, ogc, collection, geometry):
    response = client.get(items_url(collection), headers=ogc.auth("admin"))
    assert response.status_code == 200
    assert response.headers["content-type"] == GEOJSON
    assert response.headers["content-crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberReturned"] == len(body["features"]) > 0
    assert body["timeStamp"].endswith("Z")
    assert {f["geometry"]["type"] for f in body["features"]} == {geometry}
    assert [f["id"] for f in body["features"]] == sorted(f["id"] for f in body["features"])
    rels = {link["rel"] for link in body["links"]}
    assert {"self", "collection"} <= rels


def test_segment_properties_are_its_state_today(client, ogc):
    body = client.get(items_url("segments"), headers=ogc.auth("admin")).json()
    by_id = {f["id"]: f for f in body["features"]}
    seg_c = by_id[ogc.seg_c.id]
    assert seg_c["geometry"]["coordinates"] == [[106.5, 20.55], [106.505, 20.55]]
    assert seg_c["properties"] == {
        "route": "VNPT-01", "operator": "VNPT", "commune_code": None, "commune_name": None,
        "placement": "underground", "placement_kind": "duct", "tidied": False,
        "lifecycle": "active", "state_since": "2023-06-01",
        "length_m": round(ogc.seg_c.length_m, 2)}


def test_visits_without_a_fix_have_a_null_geometry(client, ogc):
    body = client.get(items_url("visits"), headers=ogc.auth("admin")).json()
    assert body["numberReturned"] == 3
    assert all(f["geometry"] is None for f in body["features"])
    assert body["features"][0]["properties"]["visited_at"] == "2024-03-01T10:00:00+07:00"


def test_paging_by_next_links_serves_every_feature_once(client, ogc):
    headers = ogc.auth("admin")
    first = client.get(items_url("violations"), params={"limit": 2}, headers=headers).json()
    assert first["numberReturned"] == 2
    following = [link for link in first["links"] if link["rel"] == "next"]
    assert following[0]["type"] == GEOJSON
    assert "limit=2" in following[0]["href"] and "after=" in following[0]["href"]
    paged = ids(client, "violations", headers, limit=2)
    assert paged == sorted(set(paged))
    assert paged == [v.id for v in sorted(ogc.world.violations.values(), key=lambda v: v.id)]
    assert paged == ids(client, "violations", headers, limit=1000)


def _link(body: dict, rel: str) -> str | None:
    return next((link["href"] for link in body["links"] if link["rel"] == rel), None)


def test_prev_links_walk_back_through_the_same_pages(client, ogc):
    headers = ogc.auth("admin")
    forward = []
    response = client.get(items_url("violations"), params={"limit": 2}, headers=headers)
    while True:
        body = response.json()
        forward.append([f["id"] for f in body["features"]])
        if _link(body, "next") is None:
            break
        response = client.get(_link(body, "next"), headers=headers)
    assert [len(page) for page in forward] == [2, 2, 1]
    assert _link(client.get(items_url("violations"), params={"limit": 2},
                            headers=headers).json(), "prev") is None
    backward = [forward[-1]]
    while _link(body, "prev") is not None:
        assert "after=" not in _link(body, "prev") and "limit=2" in _link(body, "prev")
        body = client.get(_link(body, "prev"), headers=headers).json()
        backward.append([f["id"] for f in body["features"]])
        assert _link(body, "next") is not None  # from a prev page, forward again
    assert backward[::-1] == forward
    again = client.get(_link(body, "next"), headers=headers).json()
    assert [f["id"] for f in again["features"]] == forward[1]


def test_last_page_has_no_next_link(client, ogc):
    body = client.get(items_url("segments"), params={"limit": 3},
                      headers=ogc.auth("admin")).json()
    assert body["numberReturned"] == 3
    assert "next" not in {link["rel"] for link in body["links"]}


def test_limit_above_the_maximum_is_the_maximum(client, ogc):
    response = client.get(items_url("segments"), params={"limit": 20000},
                          headers=ogc.auth("admin"))
    assert response.status_code == 200
    assert response.json()["numberReturned"] == 3


@pytest.mark.parametrize(("params", "field"), [
    ({"limit": "0"}, "query.limit"), ({"limit": "ten"}, "query.limit"),
    ({"bbox": "106,20,107"}, "query.bbox"), ({"bbox": "107,20,106,21"}, "query.bbox"),
    ({"bbox": "a,b,c,d"}, "query.bbox"), ({"bbox": "106,20,107,NaN"}, "query.bbox"),
    ({"bbox": "106,-95,107,21"}, "query.bbox"),
    ({"datetime": "yesterday"}, "query.datetime"), ({"datetime": "../.."}, "query.datetime"),
    ({"datetime": "2024-05-01/2024-01-01"}, "query.datetime"),
    ({"after": "x"}, "query.after"), ({"before": "x"}, "query.before"),
    ({"after": "1", "before": "5"}, "query.before"), ({"crs": "EPSG:3857"}, "query.crs"),
    ({"filter-lang": "cql2-json", "filter": "{}"}, "query.filter-lang"),
])
def test_bad_parameters_are_400_naming_the_parameter(client, ogc, params, field):
    response = client.get(items_url("segments"), params=params, headers=ogc.auth("admin"))
    assert problem_field(response) == field


def test_bbox_selects_what_it_meets(client, ogc):
    headers = ogc.auth("admin")
    # Around seg_a and seg_b (20.45 and 20.46), not seg_c (106.5, 20.55).
    assert ids(client, "segments", headers, bbox="106.32,20.44,106.34,20.47") == [
        ogc.world.seg_a.id, ogc.world.seg_b.id]
    assert ids(client, "segments", headers, bbox="106.32,20.455,106.34,20.465") == [
        ogc.world.seg_b.id]
    # 6 numbers: heights ignored.
    assert ids(client, "segments", headers, bbox="106.49,20.54,0,106.51,20.56,100") == [
        ogc.seg_c.id]
    assert ids(client, "structures", headers, bbox="106.335,20.44,106.345,20.46") == [
        ogc.structures["viettel"].id]
    routes = ids(client, "routes", headers, bbox="106.49,20.54,106.51,20.56")
    assert routes == [ogc.world.seg_a.route_id]
    assert ids(client, "violations", headers, bbox="106.32,20.455,106.34,20.465") == [
        ogc.world.violations["viettel"].id]


def _placements(client, headers, **params) -> dict[int, str]:
    return {f["id"]: f["properties"]["placement"]
            for f in all_pages(client, "segments", headers, **params)}


def test_datetime_is_the_state_as_of_that_date_from_the_history(client, ogc, session):
    headers = ogc.auth("admin")
    seg_c = ogc.seg_c.id
    assert _placements(client, headers, datetime="2023-05-31")[seg_c] == "overhead"
    assert _placements(client, headers, datetime="2023-06-01")[seg_c] == "underground"
    # An instant: the state on its date in Vietnam (2023-05-31T18:00Z is June 1st there).
    assert _placements(client, headers, datetime="2023-05-31T18:00:00Z")[seg_c] == "underground"
    assert _placements(client, headers, datetime="2023-05-31T16:00:00Z")[seg_c] == "overhead"
    # Before its first state the segment did not exist yet.
    assert seg_c not in _placements(client, headers, datetime="2018-12-31")
    # The same rule as the history module.
    for day in (date(2023, 5, 31), date(2023, 6, 1)):
        expected = session.execute(text(
            "SELECT placement FROM segment_states WHERE segment_id = :id"
            " AND effective_date <= :d ORDER BY effective_date DESC, id DESC LIMIT 1"),
            {"id": seg_c, "d": day}).scalar()
        assert _placements(client, headers, datetime=day.isoformat())[seg_c] == expected


def test_datetime_for_segments_is_one_date_not_in_the_future(client, ogc):
    headers = ogc.auth("admin")
    future = client.get(items_url("segments"), params={"datetime": "2999-01-01"},
                        headers=headers)
    assert problem_field(future) == "query.datetime"
    interval = client.get(items_url("segments"), params={"datetime": "2023-01-01/.."},
                          headers=headers)
    assert problem_field(interval) == "query.datetime"


@pytest.mark.parametrize(("collection", "when"), [
    ("visits", "0001-01-01"), ("segments", "9999-12-31T23:59:59Z"),
    ("communes", "9999-12-31T23:59:59Z"), ("violations", "0001-01-01T00:00:00/.."),
])
def test_datetime_at_the_ends_of_the_calendar_is_a_400(client, ogc, collection, when):
    response = client.get(items_url(collection), params={"datetime": when},
                          headers=ogc.auth("admin"))
    assert problem_field(response) == "query.datetime"


def test_datetime_selects_visits_violations_and_communes_by_their_dates(client, ogc):
    headers = ogc.auth("admin")
    visits = all_pages(client, "visits", headers, datetime="2024-03-02/2024-04-30")
    assert sorted(f["properties"]["visited_at"] for f in visits) == [
        "2024-03-05T10:00:00+07:00", "2024-04-01T10:00:00+07:00"]
    assert len(ids(client, "visits", headers, datetime="2024-03-01")) == 1
    assert len(ids(client, "visits", headers, datetime="../2024-03-01T02:59:59Z")) == 0
    assert len(ids(client, "visits", headers, datetime="../2024-03-01T03:00:00Z")) == 1
    found_march_5 = ids(client, "violations", headers, datetime="2024-03-05")
    assert found_march_5 == [ogc.world.violations["viettel"].id]
    # The commune is in force from 2025-07-01.
    assert ids(client, "communes", headers, datetime="2025-06-30") == []
    assert len(ids(client, "communes", headers, datetime="2025-07-01")) == 1
    assert len(ids(client, "communes", headers, datetime="2024-01-01/2025-07-01")) == 1
    # Routes have no date: datetime does not select them.
    assert len(ids(client, "routes", headers, datetime="2000-01-01")) == 2


def test_one_item_by_id(client, ogc):
    headers = ogc.auth("inspector")
    response = client.get(f"{items_url('segments')}/{ogc.seg_c.id}", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == GEOJSON
    feature = response.json()
    assert feature["type"] == "Feature" and feature["id"] == ogc.seg_c.id
    assert feature["properties"]["placement"] == "underground"
    rels = {link["rel"]: link["href"] for link in feature["links"]}
    assert rels["collection"] == "http://testserver/ogc/collections/segments"
    for collection in ("routes", "structures", "communes", "visits", "violations"):
        first = client.get(items_url(collection), headers=headers).json()["features"][0]
        one = client.get(f"{items_url(collection)}/{first['id']}", headers=headers)
        assert one.status_code == 200, collection
        assert {k: v for k, v in one.json().items() if k != "links"} == first


@pytest.mark.parametrize("feature_id", ["999999", "abc", "-1", "99999999999999999999"])
def test_missing_items_are_404(client, ogc, feature_id):
    response = client.get(f"{items_url('segments')}/{feature_id}", headers=ogc.auth("admin"))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_items_of_an_unknown_collection_are_404(client, ogc):
    headers = ogc.auth("admin")
    assert client.get(items_url("poles"), headers=headers).status_code == 404
    assert client.get(f"{items_url('poles')}/1", headers=headers).status_code == 404


def test_pages_are_never_server_side_prepared(client, ogc, session):
    """psycopg prepares a statement on its fifth use; PostgreSQL would then keep one generic
    plan for every bbox (the plan of a street-sized box sorts a whole province)."""
    for _ in range(7):
        response = client.get(items_url("segments"), params={"bbox": "106.32,20.44,106.34,20.47"},
                              headers=ogc.auth("admin"))
        assert response.json()["numberReturned"] == 2
    prepared = session.execute(text(
        "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%WITH page AS%'"
    )).scalar()
    assert prepared == 0
