"""CRS handling: parsing by EPSG code, the VN-2000 datum shift, and what files may claim."""

from __future__ import annotations

import re

import numpy as np
import pytest
import shapely
from pyproj import CRS, Transformer

from gis.crs import (
    geodesic_distance_m,
    identify_file_crs,
    parse_crs,
    resolve_source_crs,
    to_metric,
    to_storage,
    transformer,
)
from gis.errors import CRSError

# EPSG:6960 "VN-2000 to WGS 84 (2)", coordinate frame rotation (domain brief, section 5).
HELMERT_6960 = {
    "x": -191.90441429,
    "y": -39.30318279,
    "z": -111.45032835,
    "rx": -0.00928836,
    "ry": 0.01975479,
    "rz": -0.00427372,
    "s": 0.252906278,
}
A, F = 6378137.0, 1 / 298.257223563  # WGS 84 ellipsoid, also VN-2000's
E2 = F * (2 - F)
THAI_BINH = (106.34, 20.45)  # lon, lat


def _to_ecef(lon, lat):
    lon, lat = np.radians(lon), np.radians(lat)
    n = A / np.sqrt(1 - E2 * np.sin(lat) ** 2)
    return np.array(
        [n * np.cos(lat) * np.cos(lon), n * np.cos(lat) * np.sin(lon), n * (1 - E2) * np.sin(lat)]
    )


def _from_ecef(xyz):
    x, y, z = xyz
    lon = np.arctan2(y, x)
    p = np.hypot(x, y)
    lat = np.arctan2(z, p * (1 - E2))
    for _ in range(10):
        n = A / np.sqrt(1 - E2 * np.sin(lat) ** 2)
        lat = np.arctan2(z + E2 * n * np.sin(lat), p)
    return np.degrees(lon), np.degrees(lat)


def _helmert(xyz, rotation_sign: float):
    """7-parameter shift; rotation_sign +1 = coordinate frame (EPSG), -1 = position vector."""
    p = HELMERT_6960
    rx, ry, rz = (rotation_sign * np.radians(p[k] / 3600) for k in ("rx", "ry", "rz"))
    rotation = np.array([[1, rz, -ry], [-rz, 1, rx], [ry, -rx, 1]])
    return np.array([p["x"], p["y"], p["z"]]) + (1 + p["s"] * 1e-6) * rotation @ xyz


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("EPSG:9209", 9209),
        ("epsg:9209", 9209),
        ("9209", 9209),
        ("EPSG::3405", 3405),
        ("VN-2000", 4756),
        ("wgs84", 4326),
    ],
)
def test_parse_crs_accepts_epsg_codes_and_aliases(text, code):
    assert parse_crs(text).to_epsg() == code


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("+proj=tmerc +lon_0=105.5 +k=0.9996", "give an EPSG code"),
        ("EPSG:99999", "not a known coordinate reference system"),
        ("EPSG:5773", "a horizontal CRS"),
    ],
)
def test_parse_crs_refuses_proj_strings_unknown_and_vertical(text, message):
    with pytest.raises(CRSError, match=message):
        parse_crs(text)


def test_epsg9209_goes_through_epsg6960_coordinate_frame_helmert():
    """PROJ's pipeline carries the domain brief's seven parameters with their EPSG signs."""
    pipeline = transformer(parse_crs("EPSG:9209"))
    assert "VN-2000 to WGS 84 (2)" in pipeline.description
    helmert = re.search(r"proj=helmert (.*?) step", pipeline.definition).group(1)
    params = dict(item.split("=") for item in helmert.split())
    assert params.pop("convention") == "coordinate_frame"
    assert {k: float(v) for k, v in params.items()} == HELMERT_6960
    assert "k=0.9999" in pipeline.definition and "lon_0=105.5" in pipeline.definition


def test_vn2000_shift_matches_an_independent_helmert_and_not_the_sign_trap():
    """Our own 7-parameter Helmert agrees with PROJ (< 1 mm); flipped rotations are 0.74 m off."""
    vn2000 = np.array(THAI_BINH)
    geod_xyz = _to_ecef(*vn2000)
    expected = _from_ecef(_helmert(geod_xyz, +1.0))
    wrong = _from_ecef(_helmert(geod_xyz, -1.0))
    got = to_storage(np.array([shapely.Point(*vn2000)]), parse_crs("EPSG:4756"))[0]
    assert geodesic_distance_m(got.x, got.y, *expected) < 0.001
    assert 0.6 < geodesic_distance_m(got.x, got.y, *wrong) < 0.9


def test_epsg9209_round_trip_is_below_a_millimetre():
    """4326 -> 9209 -> 4326 returns to the same place (< 1 mm) and 9209 is in metres."""
    line = shapely.LineString([THAI_BINH, (106.36, 20.47)])
    metric = to_metric(np.array([line]))[0]
    assert 500_000 < metric.coords[0][0] < 600_000 and 2_200_000 < metric.coords[0][1] < 2_300_000
    back = to_storage(np.array([metric]), parse_crs("EPSG:9209"))[0]
    before, after = np.array(line.coords), np.array(back.coords)
    gaps = geodesic_distance_m(before[:, 0], before[:, 1], after[:, 0], after[:, 1])
    assert gaps.max() < 0.001


def test_storage_transform_agrees_with_pyproj_default_transformer():
    """Our cached pipeline and pyproj's own from_crs agree within a centimetre near Thái Bình."""
    xy = (575_000.0, 2_262_000.0)
    ours = to_storage(np.array([shapely.Point(xy)]), parse_crs("EPSG:9209"))[0]
    ref = Transformer.from_crs("EPSG:9209", "EPSG:4326", always_xy=True).transform(*xy)
    assert geodesic_distance_m(ours.x, ours.y, *ref) < 0.01


def test_a_file_without_crs_must_be_declared():
    with pytest.raises(CRSError, match="--crs EPSG:9209"):
        resolve_source_crs(None, None, file_name="doan_cap.csv")
    assert resolve_source_crs(None, "9209", file_name="x.csv").to_epsg() == 9209


def test_declared_crs_must_agree_with_the_file_unless_forced():
    file_crs = CRS.from_epsg(4326)
    with pytest.raises(CRSError, match="--force-crs"):
        resolve_source_crs(file_crs, "EPSG:9209", file_name="x.gpkg")
    assert (
        resolve_source_crs(file_crs, "EPSG:9209", file_name="x.gpkg", force=True).to_epsg() == 9209
    )
    assert resolve_source_crs(file_crs, "EPSG:4326", file_name="x.gpkg").to_epsg() == 4326
    implied = resolve_source_crs(
        file_crs, "EPSG:9209", file_name="x.geojson", file_crs_implied=True
    )
    assert implied.to_epsg() == 9209


def test_hand_made_towgs84_definitions_are_refused():
    """The popular QGIS recipe (unflipped signs in +towgs84) is refused with the EPSG to use."""
    hand_made = CRS.from_wkt(
        CRS.from_epsg(9209).to_wkt().replace("VN-2000 / TM-3 105-30", "VN2000 hand made")
    )
    assert identify_file_crs(hand_made, "a.shp").to_epsg() == 9209  # plain WKT: identified
    bound = CRS.from_user_input(
        "+proj=tmerc +lat_0=0 +lon_0=105.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 "
        "+towgs84=-191.90441429,-39.30318279,-111.45032835,-0.00928836,0.01975479,-0.00427372,"
        "0.252906278 +units=m +no_defs"
    )
    with pytest.raises(CRSError, match="EPSG:9209 --force-crs"):
        identify_file_crs(bound, "a.shp")
