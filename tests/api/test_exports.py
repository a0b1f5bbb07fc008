"""GET /exports/segments.{format}: every format through the API, read back and compared with
GET /segments; streamed GeoJSON and CSV; the file name; filters and as_of; operator isolation
on the streamed path and the file path; bad input as 422 problems naming the field."""

from __future__ import annotations

import glob
import json
import os
import tempfile
from contextlib import contextmanager
from datetime import date, timedelta

import pyogrio
import pytest
from sqlalchemy.orm import Session

from api.deps import get_session
from api.routers.exports import export_sessions
from gis.compliance.rules import local_today
from gis.exports.rfc7946 import check_bytes
from tests.exports.network import ExportNet, make_export_net, reference
from tests.factories import bearer, make_operator, make_segment, make_user

TODAY = local_today().isoformat()
MEDIA = {"geojson": "application/geo+json", "csv": "text/csv; charset=utf-8",
         "gpkg": "application/geopackage+sqlite3", "shp.zip": "application/zip",
         "kml": "application/vnd.google-earth.kml+xml"}


@pytest.fixture
def net(session) -> ExportNet:
    return make_export_net(session)


@pytest.fixture
def api(app, client):
    """``client``, with the streamed exports' own sessions joined to the test's transaction
    like the request's (in production they open their own connection from the app's
    engine)."""
    joined = contextmanager(app.dependency_overrides[get_session])
    app.dependency_overrides[export_sessions] = lambda: joined
    return client


def _get(api, net, fmt: str, who: str = "planner", **params):
    response = api.get(f"/exports/segments.{fmt}", params=params, headers=net.auth(who))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MEDIA[fmt]
    return response


def _ids(api, net, tmp_path, fmt: str, who: str = "planner", **params) -> set[int]:
    response = _get(api, net, fmt, who, **params)
    if fmt == "geojson":
        return {f["id"] for f in response.json()["features"]}
    path = tmp_path / f"read.{fmt}"
    path.write_bytes(response.content)
    frame = pyogrio.read_dataframe(path, **({"GEOM_POSSIBLE_NAMES": "geometry"}
                                            if fmt == "csv" else {}))
    return {int(v) for v in frame["id2" if fmt == "kml" else "id"]}


def test_geojson_is_streamed_rfc7946_and_equals_get_segments(api, session, net):
    response = _get(api, net, "geojson")
    assert "content-length" not in response.headers
    assert response.headers["content-disposition"] == \
        f'attachment; filename="segments-{TODAY}.geojson"'
    assert check_bytes(response.content) == []
    features = {f["id"]: f for f in response.json()["features"]}
    assert features == reference(session)


@pytest.mark.parametrize("fmt", ["gpkg", "shp.zip", "kml", "csv"])
def test_every_format_holds_every_segment(api, session, net, tmp_path, fmt):
    response = _get(api, net, fmt)
    assert f'filename="segments-{TODAY}.{fmt}"' in response.headers["content-disposition"]
    assert response.headers["content-disposition"].startswith("attachment;")
    if fmt == "csv":
        assert "content-length" not in response.headers
        assert response.content.startswith(b"\xef\xbb\xbf")
    else:
        assert int(response.headers["content-length"]) == len(response.content)
    assert _ids(api, net, tmp_path, fmt) == set(reference(session))


def test_file_exports_leave_no_temporary_file(api, net):
    pattern = os.path.join(tempfile.gettempdir(), "telecom-gis-export-*")
    before = set(glob.glob(pattern))
    _get(api, net, "gpkg")
    _get(api, net, "shp.zip")
    assert set(glob.glob(pattern)) == before


def test_output_crs(api, net, tmp_path):
    response = _get(api, net, "gpkg", crs="EPSG:9209")
    path = tmp_path / "vn2000.gpkg"
    path.write_bytes(response.content)
    assert pyogrio.read_info(path)["crs"] == "EPSG:9209"


def test_filters_and_as_of_are_those_of_get_segments(api, session, net, tmp_path):
    """The same query string gives the same segments as GET /segments; before "a" went
    underground (2024-06-01) it is exported overhead."""
    for params in ({"operator": "VNPT", "as_of": "2024-05-31"}, {"placement": "underground"},
                   {"commune": "97002"}, {"compliance": "overdue"}, {"tidied": "true"},
                   {"bbox": "106.31,20.41,106.325,20.43"}, {"operator": ["VNPT", "VIETTEL"],
                                                            "lifecycle": "active"}):
        listed = api.get("/segments", params={**params, "limit": 5000}, headers=net.auth())
        expected = {f["id"] for f in listed.json()["features"]}
        assert expected, params
        assert _ids(api, net, tmp_path, "geojson", **params) == expected, params
        assert _ids(api, net, tmp_path, "gpkg", **params) == expected, params
    body = _get(api, net, "geojson", placement="overhead", as_of="2024-05-31").json()
    assert net.segs["a"].id in {f["id"] for f in body["features"]}
    assert _get(api, net, "geojson", as_of="2024-05-31").headers["content-disposition"] == \
        'attachment; filename="segments-2024-05-31.geojson"'


@pytest.mark.parametrize("fmt", ["geojson", "csv", "gpkg", "kml"])
def test_an_operator_exports_only_its_own_segments(api, net, tmp_path, fmt):
    """Streamed (own session) and file (request session) paths both apply row-level
    security."""
    own = {net.segs[n].id for n in ("a", "b", "c", "f")}
    assert _ids(api, net, tmp_path, fmt, who="vnpt") == own
    assert _ids(api, net, tmp_path, fmt, who="viettel").isdisjoint(own)
    assert _ids(api, net, tmp_path, fmt, who="inspector") >= own


def _problem(api, net, path: str, **params) -> dict:
    response = api.get(path, params=params, headers=net.auth())
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


@pytest.mark.parametrize(("path", "params", "field"), [
    ("/exports/segments.xlsx", {}, "path.format"),
    ("/exports/segments.geojson", {"crs": "EPSG:9209"}, "query.crs"),
    ("/exports/segments.kml", {"crs": "EPSG:3405"}, "query.crs"),
    ("/exports/segments.gpkg", {"crs": "+proj=longlat"}, "query.crs"),
    ("/exports/segments.gpkg", {"operator": "NOPE"}, "query.operator"),
    ("/exports/segments.geojson", {"route": "NOPE-1"}, "query.route"),
    ("/exports/segments.csv", {"commune": "99999"}, "query.commune"),
    ("/exports/segments.geojson", {"bbox": "106,20,107"}, "query.bbox"),
    ("/exports/segments.geojson", {"placement": "sky"}, "query.placement"),
    ("/exports/segments.shp.zip", {"as_of": "2024-13-01"}, "query.as_of"),
])
def test_bad_input_is_a_problem_naming_the_field(api, net, path, params, field):
    body = _problem(api, net, path, **params)
    assert [e["field"] for e in body["errors"]] == [field], body


def test_a_date_in_the_future_is_refused_before_streaming(api, net):
    tomorrow = (date.fromisoformat(TODAY) + timedelta(days=1)).isoformat()
    body = _problem(api, net, "/exports/segments.geojson", as_of=tomorrow)
    assert body["errors"][0]["field"] == "query.as_of" and "future" in body["detail"]


def test_needs_a_token(api, net):
    response = api.get("/exports/segments.geojson")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_the_page_cookie_is_enough_for_a_download(api, net):
    """A link in the app's pages downloads with the session cookie (GET)."""
    api.cookies.set("telecom_gis_session", net.tokens["planner"])
    try:
        response = api.get("/exports/segments.csv")
    finally:
        api.cookies.clear()
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")


# ---------------------------------------------------------------- the real streamed path

@pytest.fixture
def committed_net(committed_engine) -> dict:
    """Two operators with segments and an operator user each, committed for real (no
    administrative units: those are not emptied afterwards)."""
    with Session(committed_engine) as session, session.begin():
        vnpt, viettel = make_operator(session, "VNPT"), make_operator(session, "VIETTEL")
        ids = {"VNPT": {make_segment(session, vnpt).id,
                        make_segment(session, vnpt, [(106.34, 20.45), (106.341, 20.451)]).id},
               "VIETTEL": {make_segment(session, viettel, [(106.35, 20.46),
                                                           (106.351, 20.461)]).id}}
        tokens = {"VNPT": make_user(session, "operator", vnpt)[1],
                  "VIETTEL": make_user(session, "operator", viettel)[1],
                  "planner": make_user(session, "planner")[1]}
    return {"ids": ids, "tokens": tokens}


def test_streamed_export_on_its_own_connection(committed_client, committed_net):
    """Without the test's transaction: the streamed body opens its own connection from the
    app's engine, acts as the caller (row-level security) and is complete."""
    def ids(who: str) -> set[int]:
        response = committed_client.get("/exports/segments.geojson",
                                        headers=bearer(committed_net["tokens"][who]))
        assert response.status_code == 200, response.text
        assert "content-length" not in response.headers
        return {f["id"] for f in json.loads(response.content)["features"]}

    assert ids("VNPT") == committed_net["ids"]["VNPT"]
    assert ids("VIETTEL") == committed_net["ids"]["VIETTEL"]
    assert ids("planner") == committed_net["ids"]["VNPT"] | committed_net["ids"]["VIETTEL"]
