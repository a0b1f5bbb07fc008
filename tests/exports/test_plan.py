"""Formats, output CRS and the checks made before an export writes anything: each bad input is
a ValidationFailed naming its field."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gis.compliance.rules import local_today
from gis.errors import ValidationFailed
from gis.exports import FORMATS, FormatName, format_of_path, get_format, plan_export
from gis.exports.formats import export_filename, output_crs
from gis.queries.segments import SegmentFilter


def _field(exc: ValidationFailed) -> str:
    return exc.problems[0].field


def test_the_registry():
    assert {f.value for f in FORMATS} == {"geojson", "gpkg", "shp.zip", "kml", "csv"}
    assert {f.name.value for f in FORMATS.values() if f.streamed} == {"geojson", "csv"}
    assert {f.name.value for f in FORMATS.values() if f.wgs84_only} == {"geojson", "kml"}
    assert get_format("GeoJSON").media_type == "application/geo+json"
    assert get_format("shp.zip").extension == ".shp.zip"
    assert export_filename(get_format("gpkg"), date(2026, 11, 27)) == "segments-2026-11-27.gpkg"


@pytest.mark.parametrize(("name", "fmt"), [
    ("roads.geojson", FormatName.GEOJSON), ("a/b/NET.GPKG", FormatName.GPKG),
    ("x.shp.zip", FormatName.SHP_ZIP), ("x.kml", FormatName.KML), ("x.csv", FormatName.CSV)])
def test_format_from_a_file_name(name, fmt):
    assert format_of_path(name).name is fmt


@pytest.mark.parametrize("call", [lambda: get_format("xlsx"), lambda: format_of_path("x.zip"),
                                  lambda: format_of_path("segments")])
def test_an_unknown_format_names_the_field(call):
    with pytest.raises(ValidationFailed) as caught:
        call()
    assert _field(caught.value) == "format"
    assert "geojson" in str(caught.value)


def test_output_crs():
    assert output_crs(get_format("gpkg"), None).to_epsg() == 4326
    assert output_crs(get_format("gpkg"), "EPSG:9209").to_epsg() == 9209
    assert output_crs(get_format("csv"), "9209").to_epsg() == 9209
    assert output_crs(get_format("geojson"), "EPSG:4326").to_epsg() == 4326
    assert output_crs(get_format("kml"), "WGS84").to_epsg() == 4326


@pytest.mark.parametrize(("fmt", "crs", "says"), [
    ("geojson", "EPSG:9209", "WGS 84 longitude/latitude (EPSG:4326) by its specification"),
    ("kml", "EPSG:3405", "by its specification"),
    ("gpkg", "+proj=utm +zone=48", "give an EPSG code"),
    ("shp.zip", "EPSG:99999", "not a known"),
    ("csv", "EPSG:4978", "horizontal CRS"),
])
def test_a_bad_crs_names_the_field(fmt, crs, says):
    with pytest.raises(ValidationFailed) as caught:
        output_crs(get_format(fmt), crs)
    assert _field(caught.value) == "crs" and says in str(caught.value)


@pytest.mark.parametrize(("flt", "kwargs", "field"), [
    (SegmentFilter(operators=("NOPE",)), {}, "operator"),
    (SegmentFilter(route="NOPE-1"), {}, "route"),
    (SegmentFilter(commune="99999"), {}, "commune"),
    (SegmentFilter(), {"as_of": local_today() + timedelta(days=1)}, "as_of"),
    (SegmentFilter(), {"fmt": "xlsx"}, "format"),
    (SegmentFilter(), {"fmt": "geojson", "crs": "EPSG:9209"}, "crs"),
])
def test_plan_checks_everything_first(session, net, flt, kwargs, field):
    with pytest.raises(ValidationFailed) as caught:
        plan_export(session, flt, **{"fmt": "gpkg", **kwargs}, stale_after_days=365)
    assert _field(caught.value) == field


def test_plan_counts_and_names_the_file(session, net):
    plan = plan_export(session, SegmentFilter(operators=("VIETTEL",)), fmt="csv",
                       as_of=date(2025, 1, 2), crs="EPSG:9209", stale_after_days=365)
    assert plan.count(session) == 3
    assert plan.filename == "segments-2025-01-02.csv"
    assert plan.crs.to_epsg() == 9209
    assert plan_export(session, SegmentFilter(), fmt="kml", stale_after_days=365).as_of == \
        local_today()
