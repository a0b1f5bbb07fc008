"""GPKG, SHP, KML and CSV exports read back with pyogrio (GDAL) and compared with the database:
same ids, same attribute values as GET /segments, same geometries (1e-7 degree, or 1 cm
after reprojection to EPSG:9209)."""

from __future__ import annotations

import zipfile
from datetime import date

import pyarrow as pa
import pytest
import shapely
from pyproj import CRS

from gis.exports import plan_export, write_export
from gis.exports.batches import SCHEMA
from gis.exports.ogr import SHAPEFILE_FIELDS
from gis.queries.segments import SegmentFilter
from tests.exports.network import (
    PROPERTIES,
    assert_same_geometry,
    expected_geometry,
    normalised,
    read_back,
    reference,
)

VN2000_TM3 = CRS.from_epsg(9209)
WGS84 = CRS.from_epsg(4326)

#: Column names per format (Shapefile: 10 characters), and how GDAL reads the values back.
COLUMNS = {"gpkg": {}, "kml": {"id": "id2"}, "csv": {}, "shp.zip": SHAPEFILE_FIELDS}


def _write(session, tmp_path, fmt, flt=None, as_of=None, crs=None):
    plan = plan_export(session, flt or SegmentFilter(), fmt=fmt, as_of=as_of, crs=crs,
                       stale_after_days=365)
    path = write_export(session, plan, tmp_path / plan.filename)
    assert path.name == f"segments-{plan.as_of.isoformat()}.{fmt}"
    assert list(tmp_path.iterdir()) == [path]  # nothing left beside it
    options = {"GEOM_POSSIBLE_NAMES": "geometry", "KEEP_GEOM_COLUMNS": "NO"} if fmt == "csv" \
        else {}
    return read_back(path, **options), path


def _value(fmt: str, name: str, value):
    """A read-back value as the database gives it: CSV cells are text; KML has no booleans."""
    value = normalised(value)
    if fmt == "csv" and value == "":
        return None  # CSV has no null: an empty cell
    if fmt == "csv" and value is not None:
        value = {"true": True, "false": False}.get(value, value)
        if name == "id":
            return int(value)
        if name == "length_m":
            return float(value)
        if name == "state_since":
            return date.fromisoformat(value)
    if fmt == "kml" and name == "tidied":
        return bool(value)
    if fmt == "kml" and name == "id":
        return int(value)
    if fmt == "kml" and name == "state_since":
        return date.fromisoformat(value)
    return value


def _rows(frame, fmt) -> dict[int, dict]:
    names = {name: COLUMNS[fmt].get(name, name) for name in ("id", *PROPERTIES)}
    rows = {}
    for record in frame.to_dict("records"):
        row = {name: _value(fmt, name, record[column]) for name, column in names.items()}
        row["geometry"] = record["geometry"]
        rows[row.pop("id")] = row
    return rows


def _expected_properties(feature: dict) -> dict:
    props = dict(feature["properties"])
    props["state_since"] = date.fromisoformat(props["state_since"])
    return props


@pytest.mark.parametrize("fmt", ["gpkg", "shp.zip", "kml", "csv"])
def test_every_format_holds_what_the_database_says(session, net, tmp_path, fmt):
    """Every segment once, its properties equal to GET /segments', its geometry the stored one
    to 1e-7 degree, in WGS 84."""
    frame, _ = _write(session, tmp_path, fmt)
    rows = _rows(frame, fmt)
    expected = reference(session)
    assert len(frame) == len(rows) == len(expected) == 7
    assert set(rows) == set(expected)
    for segment_id, feature in expected.items():
        row = rows[segment_id]
        geometry = row.pop("geometry")
        assert row == _expected_properties(feature), net.name_of(segment_id)
        assert_same_geometry(geometry, expected_geometry(session, segment_id, WGS84), 1e-7)
    if fmt != "csv":
        assert CRS(frame.crs).equals(WGS84, ignore_axis_order=True)


@pytest.mark.parametrize("fmt", ["gpkg", "shp.zip", "csv"])
def test_reprojected_to_vn2000(session, net, tmp_path, fmt):
    """With crs=EPSG:9209 the file says so (GPKG, SHP) and every vertex is within 1 cm of the
    stored geometry transformed by the project's PROJ pipeline (EPSG:6960)."""
    frame, _ = _write(session, tmp_path, fmt, crs="EPSG:9209")
    rows = _rows(frame, fmt)
    for segment_id in reference(session):
        assert_same_geometry(rows[segment_id]["geometry"],
                             expected_geometry(session, segment_id, VN2000_TM3), 0.01)
    if fmt != "csv":
        assert CRS(frame.crs).to_epsg() == 9209


def test_a_control_point_lands_where_proj_puts_it(session, net, tmp_path):
    """Independent of the code under test: PROJ's cs2cs (``cs2cs EPSG:4326 EPSG:9209``, PROJ
    9.1.1, operation "Inverse of VN-2000 to WGS 84 (2)") puts the first vertex of "a"
    (106.312345678912, 20.4123456789) at E 584583.6317, N 2258108.6048."""
    frame, _ = _write(session, tmp_path, "gpkg", crs="EPSG:9209")
    a = frame[frame["id"] == net.segs["a"].id].geometry.iloc[0]
    x, y = shapely.get_coordinates(a)[0]
    assert abs(x - 584583.6317) < 0.01 and abs(y - 2258108.6048) < 0.01, (x, y)


def test_filters_and_as_of_apply_to_files(session, net, tmp_path):
    """A file holds what GET /segments holds for the same filters and date."""
    flt = SegmentFilter(operators=("VNPT",))
    frame, _ = _write(session, tmp_path, "gpkg", flt, as_of=date(2024, 5, 31))
    rows = _rows(frame, "gpkg")
    assert set(rows) == set(reference(session, flt, as_of=date(2024, 5, 31)))
    assert rows[net.segs["a"].id]["placement"] == "overhead"
    assert net.segs["d"].id not in rows


def test_the_shapefile_zip(session, net, tmp_path):
    """The zip holds .shp .shx .dbf .prj .cpg (UTF-8) of one layer; DBF names have at most 10
    characters; Vietnamese names survive."""
    frame, path = _write(session, tmp_path, "shp.zip")
    with zipfile.ZipFile(path) as archive:
        names = sorted(archive.namelist())
        cpg = archive.read("segments.cpg").decode()
    assert names == sorted(f"segments.{ext}" for ext in ("shp", "shx", "dbf", "prj", "cpg"))
    assert cpg.strip().upper() in ("UTF-8", "UTF8")
    assert all(len(column) <= 10 for column in frame.columns)
    assert {"commune_cd", "commune_nm", "plc_kind", "state_date"} <= set(frame.columns)
    assert "Phường Một" in set(frame["commune_nm"])


def test_the_csv_text(session, net, tmp_path):
    """UTF-8 with a byte order mark, CRLF, a header, quotes where needed, WKT last."""
    _, path = _write(session, tmp_path, "csv")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf\"id\",\"route\",")
    lines = data[3:].decode("utf-8").split("\r\n")
    assert lines[0].split(",")[-1] == '"geometry"' and lines[-1] == ""
    assert len(lines) == 1 + 7 + 1
    row_a = next(line for line in lines if line.startswith(f"{net.segs['a'].id},"))
    assert row_a.endswith('"LINESTRING (106.3123457 20.4123457, 106.3131 20.413, '
                          '106.314 20.4129)"')
    row_c = next(line for line in lines if line.startswith(f"{net.segs['c'].id},"))
    assert '"Xã Hai, ""Đông"""' in row_c
    row_g = next(line for line in lines if line.startswith(f"{net.segs['g'].id},"))
    assert ",,," in row_g  # no commune: empty cells


def test_the_kml(session, net, tmp_path):
    """KML 2.2 in WGS 84: one Placemark per segment, the properties as ExtendedData."""
    _, path = _write(session, tmp_path, "kml")
    text = path.read_text("utf-8")
    assert '<kml xmlns="http://www.opengis.net/kml/2.2">' in text
    assert text.count("<Placemark") == 7
    assert '<SimpleData name="commune_name">Xã Hai, &quot;Đông&quot;</SimpleData>' in text
    assert '<SimpleData name="state_since">2024-06-01</SimpleData>' in text


@pytest.mark.parametrize("fmt", ["gpkg", "shp.zip", "kml", "csv"])
def test_an_empty_export_is_a_valid_empty_file(session, net, tmp_path, fmt):
    """No segment passes: the file is still written, with no rows."""
    frame, _ = _write(session, tmp_path, fmt, SegmentFilter(route="VT-01", operators=("VNPT",)))
    assert len(frame) == 0


def _failing_batches(*args, **kwargs):
    yield pa.RecordBatch.from_pylist([], schema=SCHEMA)
    raise RuntimeError("the database went away")


@pytest.mark.parametrize("fmt", ["gpkg", "shp.zip", "kml", "csv"])
def test_a_failure_while_reading_leaves_no_file(session, net, tmp_path, monkeypatch, fmt):
    """The reading error comes out as it was (not as GDAL's complaint about its stream), and
    neither the file nor a partial one is left."""
    monkeypatch.setattr("gis.exports.batches.record_batches", _failing_batches)
    plan = plan_export(session, SegmentFilter(), fmt=fmt, stale_after_days=365)
    with pytest.raises(RuntimeError, match="the database went away"):
        write_export(session, plan, tmp_path / plan.filename)
    assert list(tmp_path.iterdir()) == []
