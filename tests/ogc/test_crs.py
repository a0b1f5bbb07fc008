"""Part 2: CRS84 (default, lon/lat), EPSG:4326 (lat/lon) and EPSG:9209 (VN-2000 / TM-3,
metres) for the response (``crs``), the bbox (``bbox-crs``) and the filter (``filter-crs``)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.ogc.helpers import ids, items_url, problem_field

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG_9209 = "http://www.opengis.net/def/crs/EPSG/0/9209"


def _feature(client, ogc, crs: str | None, segment_id: int):
    params = {"crs": crs} if crs else {}
    response = client.get(f"{items_url('segments')}/{segment_id}", params=params,
                          headers=ogc.auth("admin"))
    assert response.status_code == 200
    return response


def test_default_is_crs84_longitude_first(client, ogc):
    response = _feature(client, ogc, None, ogc.seg_c.id)
    assert response.headers["content-crs"] == f"<{CRS84}>"
    assert response.json()["geometry"]["coordinates"] == [[106.5, 20.55], [106.505, 20.55]]


def test_epsg_4326_is_latitude_first(client, ogc):
    response = _feature(client, ogc, EPSG_4326, ogc.seg_c.id)
    assert response.headers["content-crs"] == f"<{EPSG_4326}>"
    assert response.json()["geometry"]["coordinates"] == [[20.55, 106.5], [20.55, 106.505]]


def test_epsg_9209_coordinates_are_postgis_transform_in_metres(client, ogc, session):
    response = client.get(items_url("segments"), params={"crs": EPSG_9209},
                          headers=ogc.auth("admin"))
    assert response.headers["content-crs"] == f"<{EPSG_9209}>"
    for feature in response.json()["features"]:
        expected = session.execute(text(
            "SELECT (ST_DumpPoints(ST_Transform(geom, 'EPSG:9209'))).geom"
            " FROM cable_segments WHERE id = :id"), {"id": feature["id"]}).scalars().all()
        served = feature["geometry"]["coordinates"]
        assert len(served) == len(expected)
        for (x, y), point in zip(served, expected, strict=True):
            px, py = session.execute(text("SELECT ST_X(:p), ST_Y(:p)"), {"p": point}).one()
            assert abs(x - px) < 0.001 and abs(y - py) < 0.001
            assert 500_000 < x < 700_000 and 2_200_000 < y < 2_300_000  # easting, northing


def test_bbox_crs_orders_axes_as_the_crs_does(client, ogc, session):
    headers = ogc.auth("admin")
    seg_c = [ogc.seg_c.id]
    assert ids(client, "segments", headers, bbox="106.49,20.54,106.51,20.56") == seg_c
    assert ids(client, "segments", headers, bbox="20.54,106.49,20.56,106.51",
               **{"bbox-crs": EPSG_4326}) == seg_c
    x0, y0, x1, y1 = session.execute(text(
        "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT ST_Transform("
        "ST_MakeEnvelope(106.49, 20.54, 106.51, 20.56, 4326), 'EPSG:9209')::box2d AS b) t"
    )).one()
    assert ids(client, "segments", headers, bbox=f"{x0},{y0},{x1},{y1}",
               **{"bbox-crs": EPSG_9209}) == seg_c
    # Lat/lon numbers read as lon/lat are outside the latitude range: refused.
    wrong = client.get(items_url("segments"), params={"bbox": "20.54,106.49,20.56,106.51"},
                       headers=headers)
    assert problem_field(wrong) == "query.bbox"


@pytest.mark.parametrize("parameter", ["crs", "bbox-crs", "filter-crs"])
def test_unsupported_crs_is_400_naming_the_parameter(client, ogc, parameter):
    params = {parameter: "http://www.opengis.net/def/crs/EPSG/0/3857",
              "bbox": "106,20,107,21", "filter": "S_INTERSECTS(geometry, POINT(106.5 20.55))"}
    response = client.get(items_url("segments"), params=params, headers=ogc.auth("admin"))
    assert problem_field(response) == f"query.{parameter}"
    assert EPSG_9209 in response.json()["detail"]


def test_filter_crs_reads_the_geometry_in_that_crs(client, ogc, session):
    headers = ogc.auth("admin")
    x, y = session.execute(text(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform("
        "ST_SetSRID(ST_MakePoint(106.5025, 20.55), 4326), 'EPSG:9209') AS p) t")).one()
    corners = [(x - 5, y - 5), (x + 5, y - 5), (x + 5, y + 5), (x - 5, y + 5), (x - 5, y - 5)]
    box = "POLYGON((" + ",".join(f"{cx} {cy}" for cx, cy in corners) + "))"
    assert ids(client, "segments", headers, filter=f"S_INTERSECTS(geometry, {box})",
               **{"filter-crs": EPSG_9209}) == [ogc.seg_c.id]
    lat_lon = "S_INTERSECTS(geometry, LINESTRING(20.54 106.5025, 20.56 106.5025))"
    assert ids(client, "segments", headers, filter=lat_lon,
               **{"filter-crs": EPSG_4326}) == [ogc.seg_c.id]
    # In CRS84 (the default) the same text puts latitude 106.5: refused, not searched.
    swapped = client.get(items_url("segments"), params={"filter": lat_lon}, headers=headers)
    assert problem_field(swapped) == "query.filter"
    assert "latitude -90..90" in swapped.json()["detail"]
