"""The coordinate reference systems of OGC API - Features Part 2 that the API offers.

Stored geometry is EPSG:4326 with longitude first, which is OGC's CRS84 (the default of every
response). ``http://www.opengis.net/def/crs/EPSG/0/4326`` is the same datum with the EPSG axis
order, latitude first, for the ``crs``, ``bbox-crs`` and ``filter-crs`` parameters alike: PostGIS
swaps the axes. EPSG:9209 (VN-2000 / TM-3 105-30, easting/northing in metres) is transformed in
Python by :func:`gis.crs.transformer` (PROJ's EPSG:6960 pipeline): PostGIS's ``spatial_ref_sys``
lacks it, and ``ST_Transform`` to a PROJ text builds the transformation again for every row
(1.2 ms to 50 ms a geometry).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import CRS

from gis.crs import transformer
from gis.errors import invalid


@dataclass(frozen=True)
class OgcCrs:
    """One CRS: its OGC URI, whether its first axis is latitude, its EPSG code when PROJ
    transforms to it in Python (None: the stored EPSG:4326 itself) and the decimals written
    out (7 for degrees: 1 cm; 3 for metres)."""

    uri: str
    lat_first: bool
    epsg: int | None
    decimals: int

    def output_sql(self, geom: str) -> str:
        """SQL of the GeoJSON geometry text of ``geom`` (stored EPSG:4326) in this CRS; for a
        CRS PROJ transforms to, in CRS84 at full precision for :meth:`reproject_features`."""
        if self.epsg is not None:
            return f"ST_AsGeoJSON({geom}, 9, 0)"
        if self.lat_first:
            geom = f"ST_FlipCoordinates({geom})"
        return f"ST_AsGeoJSON({geom}, {self.decimals}, 0)"

    def storage_geometry(self, geometry: dict[str, Any]) -> dict[str, Any]:
        """A GeoJSON geometry given in this CRS, in CRS84 (longitude, latitude)."""
        if self.epsg is not None:
            forward = transformer(CRS.from_epsg(self.epsg), CRS.from_epsg(4326))
            return _map_coordinates(geometry, lambda xy: forward.transform(*xy))
        if self.lat_first:
            return _map_coordinates(geometry, lambda xy: (xy[1], xy[0]))
        return geometry

    def reproject_features(self, features: str) -> str:
        """Feature texts (joined by commas, geometry in CRS84) with their geometry in this CRS
        (only for a CRS PROJ transforms to; the others are written by PostGIS). Every
        coordinate of the page goes through PROJ in one call."""
        if self.epsg is None or not features:
            return features
        parsed = json.loads(f"[{features}]")
        located = [f for f in parsed if f.get("geometry")]
        geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in located])
        coords = shapely.get_coordinates(geoms)
        forward = transformer(CRS.from_epsg(4326), CRS.from_epsg(self.epsg))
        xs, ys = forward.transform(coords[:, 0], coords[:, 1])
        moved = shapely.set_coordinates(geoms, np.round(np.column_stack([xs, ys]),
                                                        self.decimals))
        for feature, geometry in zip(located, shapely.to_geojson(moved), strict=True):
            feature["geometry"] = json.loads(geometry)
        return json.dumps(parsed, ensure_ascii=False, separators=(",", ":"))[1:-1]


def _map_coordinates(geometry: dict[str, Any], apply) -> dict[str, Any]:
    """``geometry`` with ``apply((xs, ys)) -> (xs, ys)`` run on each ring or line (arrays)."""

    def walk(coords: Any) -> Any:
        if coords and isinstance(coords[0], (int, float)):  # one position
            return walk([coords])[0]
        if coords and isinstance(coords[0][0], (int, float)):  # a line or ring
            array = np.asarray(coords, dtype=float)
            xs, ys = apply((array[:, 0], array[:, 1]))
            return np.column_stack([xs, ys]).tolist()
        return [walk(part) for part in coords]

    if geometry["type"] == "GeometryCollection":
        return {**geometry, "geometries": [_map_coordinates(g, apply)
                                           for g in geometry["geometries"]]}
    return {**geometry, "coordinates": walk(geometry["coordinates"])}


CRS84 = OgcCrs("http://www.opengis.net/def/crs/OGC/1.3/CRS84", False, None, 7)
EPSG_4326 = OgcCrs("http://www.opengis.net/def/crs/EPSG/0/4326", True, None, 7)
EPSG_9209 = OgcCrs("http://www.opengis.net/def/crs/EPSG/0/9209", False, 9209, 3)

SUPPORTED: tuple[OgcCrs, ...] = (CRS84, EPSG_4326, EPSG_9209)
BY_URI = {crs.uri: crs for crs in SUPPORTED}
#: Other spellings clients send for the same systems.
ALIASES = {
    "[OGC:CRS84]": CRS84, "OGC:CRS84": CRS84, "http://www.opengis.net/def/crs/OGC/0/CRS84": CRS84,
    "[EPSG:4326]": EPSG_4326, "EPSG:4326": EPSG_4326,
    "[EPSG:9209]": EPSG_9209, "EPSG:9209": EPSG_9209,
}


def parse_crs(value: str | None, parameter: str) -> OgcCrs:
    """The CRS named by the query ``parameter`` (default CRS84); ValidationFailed naming the
    parameter and listing the supported URIs otherwise."""
    if value is None or value == "":
        return CRS84
    found = BY_URI.get(value.strip()) or ALIASES.get(value.strip())
    if found is None:
        supported = ", ".join(crs.uri for crs in SUPPORTED)
        raise invalid(parameter, f"unsupported CRS {value!r}; supported: {supported}")
    return found
