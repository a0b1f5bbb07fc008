"""GIS clients read the OGC API from a live server (uvicorn on a copy of the demo province):
GDAL's OAPIF driver (``ogrinfo``, ``ogr2ogr``) and OWSLib, with a bearer token."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess

import pytest

from tests.ogc.test_documents import COLLECTION_IDS

pytestmark = pytest.mark.slow

OGRINFO = shutil.which("ogrinfo")
OGR2OGR = shutil.which("ogr2ogr")


@pytest.fixture(scope="module")
def admin_token(live_server) -> str:
    return live_server.token("quantri")


def _gdal(tool: str | None, *args: str, token: str) -> str:
    if tool is None:
        pytest.fail("GDAL is missing: run `make gdal` (apt-get install gdal-bin)", pytrace=False)
    done = subprocess.run(
        [tool, *args, "--config", "GDAL_HTTP_HEADERS", f"Authorization: Bearer {token}"],
        capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_ogrinfo_lists_the_six_layers(live_server, admin_token):
    out = _gdal(OGRINFO, "-ro", "-so", "-al", f"OAPIF:{live_server.url}/ogc", token=admin_token)
    for cid in COLLECTION_IDS:
        assert f"Layer name: {cid}" in out
    assert "Geometry: Line String" in out
    assert "placement: String" in out


def test_ogr2ogr_reads_every_segment(live_server, admin_token, tmp_path):
    out = tmp_path / "segments.gpkg"
    _gdal(OGR2OGR, "-f", "GPKG", str(out), f"OAPIF:{live_server.url}/ogc", "segments",
          token=admin_token)
    with sqlite3.connect(out) as db:
        count, = db.execute("SELECT count(*) FROM segments").fetchone()
        sample = db.execute("SELECT fid, operator FROM segments ORDER BY fid LIMIT 3").fetchall()
    assert count == live_server.scalar("SELECT count(*) FROM cable_segments")
    for segment_id, operator in sample:
        assert operator == live_server.scalar(
            "SELECT o.code FROM cable_segments s JOIN operators o ON o.id = s.operator_id"
            " WHERE s.id = :id", id=int(segment_id))


#: The table (and condition) behind each collection, to count its features.
TABLES = {"segments": "cable_segments", "routes": "cable_routes", "structures": "structures",
          "visits": "inspections", "violations": "violations",
          "communes": "admin_units WHERE level = 'commune'"}


def test_ogr2ogr_reads_every_collection(live_server, admin_token, tmp_path):
    out = tmp_path / "all.gpkg"
    _gdal(OGR2OGR, "-f", "GPKG", str(out), f"OAPIF:{live_server.url}/ogc", "-oo",
          "PAGE_SIZE=1000", token=admin_token)
    with sqlite3.connect(out) as db:
        layers = {row[0] for row in db.execute("SELECT table_name FROM gpkg_contents")}
        counts = {cid: db.execute(f'SELECT count(*) FROM "{cid}"').fetchone()[0]
                  for cid in COLLECTION_IDS if cid in layers}
    assert layers == set(COLLECTION_IDS)
    for cid in COLLECTION_IDS:
        assert counts[cid] == live_server.scalar(f"SELECT count(*) FROM {TABLES[cid]}"), cid


def test_ogr2ogr_as_an_operator_reads_only_its_segments(live_server, tmp_path):
    token = live_server.token("vnpt.baocao")
    out = tmp_path / "vnpt.gpkg"
    _gdal(OGR2OGR, "-f", "GPKG", str(out), f"OAPIF:{live_server.url}/ogc", "segments",
          token=token)
    with sqlite3.connect(out) as db:
        operators = {row[0] for row in db.execute("SELECT DISTINCT operator FROM segments")}
        count, = db.execute("SELECT count(*) FROM segments").fetchone()
    assert operators == {"VNPT"}
    assert count == live_server.scalar(
        "SELECT count(*) FROM cable_segments s JOIN operators o ON o.id = s.operator_id"
        " WHERE o.code = 'VNPT'")


def test_owslib_reads_every_collection_with_paging(live_server, admin_token):
    from owslib.ogcapi.features import Features

    api = Features(f"{live_server.url}/ogc",
                   headers={"Authorization": f"Bearer {admin_token}"})
    assert len(api.conformance()["conformsTo"]) > 5
    listed = [c["id"] for c in api.collections()["collections"]]
    assert listed == COLLECTION_IDS
    for cid in COLLECTION_IDS:
        assert api.collection(cid)["id"] == cid
        first = api.collection_items(cid, limit=500)
        assert first["numberReturned"] == len(first["features"]) > 0
        seen = [f["id"] for f in first["features"]]
        after = next((link for link in first["links"] if link["rel"] == "next"), None)
        while after is not None:
            cursor = after["href"].split("after=")[1].split("&")[0]
            page = api.collection_items(cid, limit=500, after=cursor)
            seen += [f["id"] for f in page["features"]]
            after = next((link for link in page["links"] if link["rel"] == "next"), None)
        assert len(seen) == len(set(seen))
        assert len(seen) == live_server.scalar(f"SELECT count(*) FROM {TABLES[cid]}"), cid
    bbox = api.collection_items("segments", bbox=[106.33, 20.44, 106.34, 20.45], limit=10000)
    assert 0 < bbox["numberReturned"] < 3000
    queryables = api.collection_queryables("segments")
    assert "placement" in queryables["properties"]
