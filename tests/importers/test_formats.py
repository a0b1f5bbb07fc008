"""Every format round-trips: write the network to a real file, import it, read PostGIS back."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer

from gis.importers import ImportOptions, import_segments
from tests.importers.network import SEGMENTS, add_operators, network, stored_segments, write

EFFECTIVE = date(2025, 3, 1)
GEOD = Geod(ellps="WGS84")
FROM_9209 = Transformer.from_crs("EPSG:9209", "EPSG:4326", always_xy=True)


def _max_vertex_gap_m(a: shapely.LineString, b: shapely.LineString) -> float:
    """Largest geodesic distance in metres between corresponding vertices of two lon/lat lines."""
    ca, cb = np.array(a.coords), np.array(b.coords)
    assert ca.shape == cb.shape
    _, _, dist = GEOD.inv(ca[:, 0], ca[:, 1], cb[:, 0], cb[:, 1])
    return float(np.max(dist))


def _expected_lonlat(epsg: int) -> dict[str, shapely.LineString]:
    """What the stored geometry must be: the source coordinates through pyproj's own transform."""
    frame = network(epsg)
    expected = {}
    for fid, line in zip(frame["ma_doan"], frame.geometry, strict=True):
        coords = np.array(line.coords)
        if epsg != 4326:
            coords = np.column_stack(FROM_9209.transform(coords[:, 0], coords[:, 1]))
        expected[fid] = shapely.LineString(coords)
    return expected


FORMATS_4326 = ["geojson", "gpkg", "zip", "shp", "kml", "fgb", "csv"]
FORMATS_9209 = ["geojson", "gpkg", "zip", "fgb", "csv"]


@pytest.mark.parametrize(
    ("kind", "epsg"),
    [(k, 4326) for k in FORMATS_4326] + [(k, 9209) for k in FORMATS_9209],
)
def test_format_round_trips(session, tmp_path, kind, epsg):
    """Geometry within 5 cm of pyproj's transform, attributes, routes, states and lengths."""
    add_operators(session, "VNPT", "VIETTEL")
    path = write(network(epsg), tmp_path, kind)
    crs = f"EPSG:{epsg}" if kind == "csv" else None  # CSV has no CRS of its own

    report = import_segments(
        session, path, ImportOptions(crs=crs, source="net", effective_date=EFFECTIVE)
    )

    assert (report.rows_read, report.inserted, report.updated, report.unchanged) == (4, 4, 0, 0)
    assert report.source_crs == f"EPSG:{epsg}"
    stored = stored_segments(session, "net")
    assert sorted(stored.index) == ["S1", "S2", "S3", "S4"]
    for fid, line in _expected_lonlat(epsg).items():
        assert stored.loc[fid, "srid"] == 4326
        assert _max_vertex_gap_m(stored.loc[fid, "geom"], line) < 0.05
        assert stored.loc[fid, "length_m"] > 100
    for segment in SEGMENTS:
        row = stored.loc[segment["ma_doan"]]
        assert row["operator"] == segment["operator"]
        assert row["placement"] == segment["placement"]
        assert row["placement_kind"] == ("aerial" if segment["placement"] == "overhead" else "duct")
        assert bool(row["tidied"]) is (segment["tidied"] == "true")
        assert row["lifecycle"] == segment["lifecycle"]
        expected_date = (
            date.fromisoformat(segment["state_date"]) if segment["state_date"] else EFFECTIVE
        )
        assert row["state_since"] == expected_date
        stored_route = row["route_code"] if isinstance(row["route_code"], str) else ""
        assert stored_route == segment["route_code"]
    assert stored.loc["S1", "tier"] == "drop"


def test_epsg9209_control_point_lands_within_5_cm_of_pyproj(session, tmp_path):
    """A vertex given in VN-2000 / TM-3 105-30 is stored where pyproj puts it (< 0.05 m)."""
    add_operators(session, "VNPT")
    easting, northing = 575_000.0, 2_262_000.0  # near Thái Bình city
    frame = network(9209).iloc[:1].copy()
    frame.geometry = [shapely.LineString([(easting, northing), (easting + 120.0, northing + 80.0)])]
    path = write(frame, tmp_path, "gpkg")

    import_segments(session, path, ImportOptions(source="control"))

    stored = stored_segments(session, "control").loc["S1", "geom"]
    lon, lat = stored.coords[0]
    ref_lon, ref_lat = FROM_9209.transform(easting, northing)
    _, _, gap = GEOD.inv(lon, lat, ref_lon, ref_lat)
    assert gap < 0.05
    # and the transform is a real datum shift, not a projection-only ballpark (~hundreds of m)
    no_shift = Transformer.from_crs("EPSG:9209", "EPSG:4756", always_xy=True)
    _, _, shift = GEOD.inv(lon, lat, *no_shift.transform(easting, northing))
    assert shift > 100


def test_multilinestring_that_joins_is_merged(session, tmp_path):
    """Two parts meeting end to end become one LineString; Z is dropped."""
    add_operators(session, "VNPT")
    frame = network().iloc[:1].copy()
    frame.geometry = [
        shapely.MultiLineString(
            [
                [(106.33, 20.44, 5.0), (106.34, 20.45, 5.0)],
                [(106.34, 20.45, 5.0), (106.35, 20.44, 6.0)],
            ]
        )
    ]
    path = write(frame, tmp_path, "geojson")

    import_segments(session, path, ImportOptions(source="merged"))

    line = stored_segments(session, "merged").loc["S1", "geom"]
    assert line.geom_type == "LineString" and not line.has_z
    assert list(line.coords) == [(106.33, 20.44), (106.34, 20.45), (106.35, 20.44)]


def test_gpkg_feature_id_serves_as_source_fid(session, tmp_path):
    """A GeoPackage's own fid column (its primary key) is the default source_fid."""
    add_operators(session, "VNPT")
    frame = network().drop(columns="ma_doan")
    frame.insert(0, "fid", [101, 102, 103, 104])
    frame["operator"] = "VNPT"
    frame["route_code"] = ""
    path = write(frame, tmp_path, "gpkg")

    import_segments(session, path, ImportOptions(source="fids"))

    assert sorted(stored_segments(session, "fids").index) == ["101", "102", "103", "104"]


def test_kml_placemark_id_is_the_source_fid(session, tmp_path):
    """Without an id attribute, a KML Placemark is known by its id (or name)."""
    add_operators(session, "VNPT")
    path = tmp_path / "placemarks.kml"
    path.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
  <Placemark id="pm-7"><name>Cáp Lý Thường Kiệt</name>
    <ExtendedData><Data name="hinh_thuc"><value>Treo</value></Data></ExtendedData>
    <LineString><coordinates>106.33,20.44,0 106.34,20.45,0</coordinates></LineString></Placemark>
  <Placemark><name>doan-8</name>
    <ExtendedData><Data name="hinh_thuc"><value>Ngầm</value></Data></ExtendedData>
    <LineString><coordinates>106.34,20.45,0 106.35,20.46,0</coordinates></LineString></Placemark>
</Document></kml>""",
        encoding="utf-8",
    )

    report = import_segments(session, path, ImportOptions(operator="vnpt", source="kml"))

    stored = stored_segments(session, "kml")
    assert report.inserted == 2
    assert stored.loc["pm-7", "placement"] == "overhead"
    assert stored.loc["doan-8", "placement"] == "underground"
    assert set(stored["operator"]) == {"VNPT"}


def test_reading_a_broken_geometry_warns_nothing_on_the_terminal(tmp_path):
    """The libraries' own warnings (here shapely's, for a NaN coordinate) are not shown to the
    user: validation names the row instead (tests/bad_inputs checks that)."""
    geometry = {"type": "LineString", "coordinates": [[106.33, 20.44], [float("nan"), 20.45]]}
    import json
    import warnings

    from gis.importers.mapping import read_mapping
    from gis.importers.reading import read_layer

    path = tmp_path / "broken.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": 1, "properties": {"operator": "VNPT"},
         "geometry": geometry}]}, allow_nan=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer = read_layer(path, read_mapping())
    assert len(layer.attributes) == 1
