"""Bad geometries wherever one enters: the importer's files (GeoJSON read by GDAL; the CSV/WKT
path is in tests/importers/test_validation.py), a visit's GPS position, ``/segments/nearest``,
every ``bbox``, the OGC ``S_INTERSECTS`` filter and the tile address.

Coordinates are WGS 84 longitude/latitude (EPSG:4326) unless a case says otherwise; Thái Bình
lies near 106.33 E, 20.45 N. Each case is refused with a 4xx naming the parameter or a CLI
error naming the row and the ``geometry`` field, and leaves the database unchanged."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.bad_inputs.conftest import assert_problem
from tests.visit_samples import body_for

GOOD_LINE = [[106.330, 20.440], [106.335, 20.442]]


def _geojson_file(folder, geometries: list, crs: str | None = None) -> object:
    """A FeatureCollection whose first feature is good and the others carry ``geometries``
    (written with ``allow_nan`` so NaN / Infinity reach the reader as JavaScript spells them)."""
    features = [
        {"type": "Feature", "geometry": geometry,
         "properties": {"ma_doan": f"G{i + 1}", "placement": "overhead", "tidied": "false",
                        "lifecycle": "active"}}
        for i, geometry in enumerate([{"type": "LineString", "coordinates": GOOD_LINE},
                                      *geometries])
    ]
    document: dict = {"type": "FeatureCollection", "features": features}
    if crs:
        document["crs"] = {"type": "name", "properties": {"name": crs}}
    path = folder / f"bad-{uuid.uuid4().hex[:6]}.geojson"
    path.write_text(json.dumps(document, allow_nan=True), encoding="utf-8")
    return path


def _line(*coords) -> dict:
    return {"type": "LineString", "coordinates": [list(c) for c in coords]}


#: name -> (geometry of feature 2, words of the reason)
IMPORTED = {
    "NaN coordinate": (_line((106.33, 20.44), (float("nan"), 20.45)), ""),
    "Infinity coordinate": (_line((106.33, 20.44), (float("inf"), 20.45)), ""),
    "1e308 coordinate": (_line((106.33, 20.44), (1e308, 1e308)), "projected metres"),
    "latitude 95": (_line((106.33, 94.9), (106.34, 95.0)), "outside Vietnam"),
    "longitude 200": (_line((200.0, 20.44), (200.1, 20.45)), "outside Vietnam"),
    "lat/lon swapped": (_line((20.44, 106.33), (20.45, 106.34)), "swapped"),
    "3D riser: a vertical line": (_line((106.33, 20.44, 0.0), (106.33, 20.44, 9.5)),
                                  "invalid geometry"),
    "empty LineString": ({"type": "LineString", "coordinates": []}, ""),
    "null geometry": (None, "geometry is missing"),
    "one-point line": (_line((106.33, 20.44)), ""),
    "line folding back on one point": (_line((106.33, 20.44), (106.33, 20.44),
                                             (106.33, 20.44)), "invalid geometry"),
    "bowtie polygon": ({"type": "Polygon", "coordinates": [[[106.33, 20.44], [106.34, 20.45],
                                                            [106.34, 20.44], [106.33, 20.45],
                                                            [106.33, 20.44]]]},
                       "not a line"),
    "point": ({"type": "Point", "coordinates": [106.33, 20.44]}, "Point is not a line"),
    "GeometryCollection": ({"type": "GeometryCollection", "geometries": [
        _line((106.33, 20.44), (106.34, 20.45)),
        {"type": "Point", "coordinates": [106.33, 20.44]}]}, "not a line"),
    "unknown geometry type": ({"type": "Curve", "coordinates": [[106.33, 20.44]]}, ""),
}


@pytest.mark.parametrize("case", sorted(IMPORTED))
def test_import_refuses_bad_geometry_naming_row_and_field(import_cli, tmp_path, case):
    geometry, reason = IMPORTED[case]
    path = _geojson_file(tmp_path, [geometry])
    output, problems = import_cli.refused(path, "--crs", "EPSG:4326")
    if problems:  # a row problem: row 2, field geometry
        assert [(p["row"], p["field"]) for p in problems] == [("2", "geometry")], problems
        assert reason in problems[0]["reason"], problems
        assert "nothing was written" in output
    else:  # the file as a whole cannot be read: the error names it
        assert path.name in output, output


def test_import_refuses_mixed_geometry_types_listing_every_bad_row(import_cli, tmp_path):
    path = _geojson_file(tmp_path, [
        {"type": "Point", "coordinates": [106.33, 20.44]},
        {"type": "MultiPolygon", "coordinates": [[[[106.33, 20.44], [106.34, 20.44],
                                                   [106.34, 20.45], [106.33, 20.44]]]]},
        _line((106.34, 20.45), (106.35, 20.46)),
        {"type": "MultiPoint", "coordinates": [[106.33, 20.44], [106.34, 20.45]]},
    ])
    output, problems = import_cli.refused(path, "--crs", "EPSG:4326")
    assert [(p["row"], p["field"]) for p in problems] == [
        ("2", "geometry"), ("3", "geometry"), ("5", "geometry")]
    assert "3 rows of" in output


def test_import_refuses_web_mercator_metres_declared_as_wgs84(import_cli, tmp_path):
    """EPSG:3857 metres (x ~ 11.8e6, y ~ 2.3e6 in Thái Bình) in a file that says EPSG:4326."""
    path = _geojson_file(tmp_path, [_line((11_836_800.0, 2_325_400.0),
                                          (11_837_300.0, 2_325_600.0))],
                         crs="urn:ogc:def:crs:OGC:1.3:CRS84")
    _, problems = import_cli.refused(path)
    assert [(p["row"], p["field"]) for p in problems] == [("2", "geometry")]
    assert "projected metres, not degrees" in problems[0]["reason"]


def test_import_refuses_a_file_whose_crs_contradicts_the_declared_one(import_cli, tmp_path):
    path = _geojson_file(tmp_path, [], crs="EPSG:3857")
    output, _ = import_cli.refused(path, "--crs", "EPSG:4326")
    assert "EPSG:3857" in output and "--force-crs" in output


# --- the API ---------------------------------------------------------------------------------

#: A visit's GPS fix (``position``): raw JSON text so NaN / Infinity go out as written.
POSITIONS = {
    "NaN": ('{"lon": NaN, "lat": 20.45}', "body.position.lon"),
    "Infinity": ('{"lon": 106.33, "lat": Infinity}', "body.position.lat"),
    "1e308": ('{"lon": 1e308, "lat": 20.45}', "body.position.lon"),
    "1e400 (overflows a double)": ('{"lon": 106.33, "lat": 1e400}', "body.position.lat"),
    "latitude 95": ('{"lon": 106.33, "lat": 95}', "body.position.lat"),
    "lat/lon swapped": ('{"lon": 20.45, "lat": 106.33}', "body.position.lat"),
    "3D (an altitude)": ('{"lon": 106.33, "lat": 20.45, "alt": 12}', "body.position.alt"),
    "GeoJSON point instead of lon/lat": (
        '{"type": "Point", "coordinates": [106.33, 20.45]}', "body.position"),
    "coordinates as text": ('{"lon": "106.33E", "lat": "20.45N"}', "body.position.lon"),
    "negative accuracy": ('{"lon": 106.33, "lat": 20.45, "accuracy_m": -1}',
                          "body.position.accuracy_m"),
    "outside Vietnam (Paris)": ('{"lon": 2.35, "lat": 48.85}', "body.position"),
    "not an object": ('[106.33, 20.45]', "body.position"),
}


def test_visit_position_refused(client, world, session, unchanged):
    body = body_for(session)
    body.pop("segment_id", None)
    failures = []
    with unchanged():
        for case, (position, field) in POSITIONS.items():
            text = json.dumps({**body, "position": "@@"}).replace('"@@"', position)
            headers = {**world.auth("inspector"), "Content-Type": "application/json",
                       "Idempotency-Key": str(uuid.uuid4())}
            response = client.post("/inspections", content=text.encode(), headers=headers)
            _check(failures, case, response, (400, 422), field)
    assert failures == []


def _check(failures: list, case: str, response, status, field=None) -> None:
    """Note ``case`` in ``failures`` unless ``response`` is the expected problem."""
    try:
        assert_problem(response, status, field)
    except AssertionError as exc:
        failures.append((case, str(exc)[:300]))


NEAREST = {
    "lon NaN": ({"lon": "nan", "lat": 20.45}, "query.lon"),
    "lat Infinity": ({"lon": 106.33, "lat": "inf"}, "query.lat"),
    "lon -Infinity": ({"lon": "-inf", "lat": 20.45}, "query.lon"),
    "lon 1e308": ({"lon": "1e308", "lat": 20.45}, "query.lon"),
    "lat 95": ({"lon": 106.33, "lat": 95}, "query.lat"),
    "swapped": ({"lon": 20.45, "lat": 106.33}, "query.lat"),
    "radius NaN": ({"lon": 106.33, "lat": 20.45, "radius_m": "nan"}, "query.radius_m"),
    "radius Infinity": ({"lon": 106.33, "lat": 20.45, "radius_m": "inf"}, "query.radius_m"),
    "radius 1e308": ({"lon": 106.33, "lat": 20.45, "radius_m": "1e308"}, "query.radius_m"),
    "lon as DMS text": ({"lon": "106°19'48\"E", "lat": 20.45}, "query.lon"),
}


def test_nearest_refuses_bad_point(client, world, unchanged):
    failures = []
    with unchanged():
        for case, (params, field) in NEAREST.items():
            response = client.get("/segments/nearest", params=params,
                                  headers=world.auth("admin"))
            _check(failures, case, response, (400, 422), field)
    assert failures == []


BBOXES = {
    "NaN": "nan,nan,nan,nan",
    "Infinity": "106,20,inf,21",
    "1e308": "-1e308,-1e308,1e308,1e308",
    "latitude 95": "106,20,107,95",
    "longitude 200": "106,20,200,21",
    "swapped lat/lon": "20,106,21,107",
    "min above max": "107,21,106,20",
    "three numbers": "106,20,107",
    "five numbers": "106,20,107,21,5",
    "words": "north,east,south,west",
    "empty": "",
    "hex floats": "0x1p6,20,107,21",
}

#: Routes that take a ``bbox`` (W,S,E,N in EPSG:4326).
BBOX_ROUTES = ["/segments", "/structures", "/exports/segments.geojson",
               "/ogc/collections/segments/items"]


@pytest.mark.parametrize("route", BBOX_ROUTES)
def test_bbox_refused(client, world, unchanged, route):
    failures = []
    with unchanged():
        for case, bbox in BBOXES.items():
            response = client.get(route, params={"bbox": bbox}, headers=world.auth("admin"))
            _check(failures, case, response, (400, 422), "query.bbox")
    assert failures == []


#: ``S_INTERSECTS`` geometries of an OGC filter (CQL2 text, WKT in CRS84).
CQL_GEOMETRIES = {
    "bowtie polygon": "POLYGON((106.3 20.4, 106.4 20.5, 106.4 20.4, 106.3 20.5, 106.3 20.4))",
    "NaN point": "POINT(NaN NaN)",
    "Infinity point": "POINT(Infinity 20)",
    "latitude 95": "POINT(106.3 95)",
    "longitude 1e308": "POINT(1e308 20.4)",
    "3D point": "POINT Z(106.3 20.4 5)",
    "empty polygon": "POLYGON EMPTY",
    "one-point line": "LINESTRING(106.3 20.4)",
    "unclosed ring": "POLYGON((106.3 20.4, 106.4 20.4, 106.4 20.5))",
    "bare coordinates": "106.3 20.4",
}


def test_ogc_spatial_filter_geometry_refused(client, world, unchanged):
    failures = []
    with unchanged():
        for case, geometry in CQL_GEOMETRIES.items():
            response = client.get("/ogc/collections/segments/items",
                                  params={"filter": f"S_INTERSECTS(geometry, {geometry})"},
                                  headers=world.auth("admin"))
            _check(failures, case, response, 400, "query.filter")
    assert failures == []


TILES = {
    "zoom 99": "/tiles/99/0/0.pbf",
    "negative zoom": "/tiles/-1/0/0.pbf",
    "column past the grid": "/tiles/3/8/0.pbf",
    "negative row": "/tiles/3/0/-1.pbf",
    "row 2^40": f"/tiles/14/0/{2 ** 40}.pbf",
    "row past int64": f"/tiles/14/0/{2 ** 70}.pbf",
    "fractional zoom": "/tiles/1.5/0/0.pbf",
}


def test_tile_address_out_of_range_refused(client, world, unchanged):
    failures = []
    with unchanged():
        for case, url in TILES.items():
            _check(failures, case, client.get(url, headers=world.auth("admin")),
                   (400, 404, 422))
    assert failures == []


#: CRS values no route takes: unknown codes, a vertical CRS, PROJ strings, URIs that are not
#: CRS, a projected CRS outside the supported list.
WRONG_CRS = ["EPSG:99999", "EPSG:5773", "+proj=longlat +datum=WGS84",
             "http://www.opengis.net/def/crs/EPSG/0/999999", "file:///etc/passwd", "EPSG:-1",
             "EPSG:4326'--"]

#: (route, CRS parameter, what else the parameter needs to take effect)
CRS_PARAMETERS = [
    ("/exports/segments.geojson", "crs", {}),
    ("/ogc/collections/segments/items", "crs", {}),
    ("/ogc/collections/segments/items", "bbox-crs", {"bbox": "106,20,107,21"}),
    ("/ogc/collections/segments/items", "filter-crs",
     {"filter": "S_INTERSECTS(geometry, POINT(106.33 20.45))"}),
]


def test_wrong_crs_refused_naming_the_parameter(client, world, unchanged):
    failures = []
    with unchanged():
        for route, parameter, companions in CRS_PARAMETERS:
            for crs in WRONG_CRS:
                response = client.get(route, params={**companions, parameter: crs},
                                      headers=world.auth("admin"))
                _check(failures, f"{route} {parameter}={crs}", response, (400, 422),
                       f"query.{parameter}")
    assert failures == []
