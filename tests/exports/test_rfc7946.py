"""The RFC 7946 checker: passes on what we export, fails on documents crafted to break each
rule it checks (each with the path of the fault)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest

from gis.exports import plan_export, stream_export
from gis.exports.rfc7946 import check_bytes, check_document, check_file, check_text
from gis.queries.segments import SegmentFilter

GOOD = {
    "type": "FeatureCollection",
    "bbox": [106.3, 20.4, 106.32, 20.42],
    "features": [
        {"type": "Feature", "id": 1, "properties": {"route": "VNPT-01"},
         "geometry": {"type": "LineString",
                      "coordinates": [[106.3123457, 20.4123457], [106.3131, 20.413]]}},
        {"type": "Feature", "id": "b", "properties": None, "bbox": [106.3, 20.4, 106.31, 20.41],
         "geometry": {"type": "Polygon", "coordinates": [[[106.3, 20.4], [106.31, 20.4],
                                                           [106.31, 20.41], [106.3, 20.4]]]}},
        {"type": "Feature", "properties": {}, "geometry": None},
        {"type": "Feature", "properties": {}, "geometry": {
            "type": "GeometryCollection", "geometries": [
                {"type": "Point", "coordinates": [106.31, 20.41, 5.5]},
                {"type": "MultiLineString", "coordinates": [[[106.3, 20.4], [106.31, 20.41]]]}]}},
    ],
}


def _messages(document) -> list[str]:
    return [str(p) for p in check_text(json.dumps(document))]


def _broken(change) -> dict:
    document = copy.deepcopy(GOOD)
    change(document)
    return document


def test_a_good_document_passes():
    assert check_document(GOOD) == []
    assert _messages(GOOD) == []


def test_our_export_passes(session, net, tmp_path):
    plan = plan_export(session, SegmentFilter(), fmt="geojson", stale_after_days=365)
    path = tmp_path / plan.filename
    path.write_bytes(b"".join(stream_export(session, plan)))
    assert check_file(path) == []


@pytest.mark.parametrize(("change", "where", "says"), [
    (lambda d: d.update(crs={"type": "name", "properties": {"name": "EPSG:4326"}}),
     "crs", "crs member"),
    (lambda d: d["features"][0]["geometry"].update(crs={"type": "name"}),
     "features[0].geometry.crs", "crs member"),
    (lambda d: d["features"][0]["geometry"]["coordinates"][0].__setitem__(0, 106.31234567),
     "features[0].geometry.coordinates[0]", "8 decimals"),
    (lambda d: d["features"][0]["geometry"].update(coordinates=[[20.41, 106.31],
                                                                [20.413, 106.3131]]),
     "features[0].geometry.coordinates[0]", "latitude 106.31 is outside"),
    (lambda d: d["features"][0]["geometry"]["coordinates"][1].__setitem__(0, 186.3),
     "features[0].geometry.coordinates[1]", "longitude 186.3 is outside"),
    (lambda d: d["features"][0]["geometry"].update(coordinates=[[106.31, 20.41]]),
     "features[0].geometry.coordinates", "2 positions or more"),
    (lambda d: d["features"][0]["geometry"].update(coordinates=[[106.31, 20.41, 1, 2],
                                                                [106.3, 20.4]]),
     "features[0].geometry.coordinates[0]", "2 or 3 numbers"),
    (lambda d: d["features"][0]["geometry"].update(type="Line"),
     "features[0].geometry", "not a GeoJSON geometry"),
    (lambda d: d["features"][1]["geometry"]["coordinates"][0].pop(),
     "features[1].geometry.coordinates[0]", "4 positions or more"),
    (lambda d: d["features"][1]["geometry"]["coordinates"][0].__setitem__(3, [106.3, 20.41]),
     "features[1].geometry.coordinates[0]", "end at its first position"),
    (lambda d: d["features"][0].pop("properties"), "features[0].properties", "needs properties"),
    (lambda d: d["features"][0].pop("geometry"), "features[0].geometry", "needs geometry"),
    (lambda d: d["features"][0].update(id=True), "features[0].id", "string or a number"),
    (lambda d: d["features"][1].update(id=1), "features[1].id", "duplicate id 1"),
    (lambda d: d.update(bbox=[106.3, 20.4, 106.31, 20.41]), "bbox", "does not contain"),
    (lambda d: d["features"][1].update(bbox=[106.3, 20.41, 106.31, 20.4]),
     "features[1].bbox", "south 20.41 is north"),
    (lambda d: d.update(bbox=[106.3, 20.4]), "bbox", "4 (or 6"),
    (lambda d: d["features"].append({"type": "Point", "coordinates": [106.3, 20.4]}),
     "features[4]", "must be a Feature"),
    (lambda d: d.update(type="Collection"), "", "not a GeoJSON object"),
    (lambda d: d.pop("features"), "features", "needs a features array"),
    (lambda d: d.update(geometry=None), "geometry", "must not have geometry"),
])
def test_a_broken_document_fails_at_the_fault(change, where, says):
    problems = check_document(json.loads(json.dumps(_broken(change)), parse_float=Decimal))
    assert problems, "the checker accepted a broken document"
    assert any(p.path == where and says in p.message for p in problems), problems


def test_decimals_are_counted_as_written():
    """7 decimals pass, 8 fail, also when trailing zeros make the 8th; the limit can change."""
    text = json.dumps(GOOD).replace("106.3131", "106.31310000")
    assert [p.path for p in check_text(text)] == ["features[0].geometry.coordinates[1]"]
    assert check_text(text, max_decimals=8) == []
    assert check_text(json.dumps(GOOD), max_decimals=6) != []


def test_text_level_rules():
    data = json.dumps(GOOD).encode()
    assert check_bytes(data) == []
    assert "byte order mark" in str(check_bytes(b"\xef\xbb\xbf" + data)[0])
    assert "not UTF-8" in check_bytes(data.replace(b"VNPT", b"\xff\xfe"))[0].message
    assert "not JSON" in check_text('{"type": "FeatureCollection", "features": [}')[0].message


def test_ids_may_repeat_when_asked():
    document = _broken(lambda d: d["features"][1].update(id=1))
    assert check_document(document, unique_ids=False) == []
