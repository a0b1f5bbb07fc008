"""Geometry checks of a cable layer, vectorised with shapely 2, and the move to storage.

Every row's geometry must be one LineString (Z/M are dropped; a MultiLineString whose parts
join end to end is merged), valid, and inside Vietnam once transformed to EPSG:4326. When it is
not, the reason tries to say why: swapped latitude/longitude, projected metres read as degrees,
or degrees read as metres.
"""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import CRS

from gis.crs import EXAMPLE_DECLARATION, VIETNAM_BOUNDS, crs_label, to_storage
from gis.importers.report import ProblemLog

FIELD = "geometry"

_LINESTRING = shapely.GeometryType.LINESTRING.value
_MULTILINESTRING = shapely.GeometryType.MULTILINESTRING.value
_TYPE_NAMES = {
    0: "Point",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


def check_geometry(
    geometry: np.ndarray,
    source_crs: CRS,
    log: ProblemLog,
    read_errors: np.ndarray | None = None,
) -> np.ndarray:
    """Check every row's geometry (coordinates in ``source_crs``) and transform it to storage.

    Returns an object array of EPSG:4326 LineStrings, None where the row has a geometry problem
    (logged under field ``geometry``). ``read_errors`` holds reasons from the reader (e.g. WKT
    that cannot be parsed), None elsewhere.
    """
    n = len(geometry)
    unreadable = np.zeros(n, dtype=bool) if read_errors is None else ~np.equal(read_errors, None)
    if read_errors is not None:
        log.add(unreadable, FIELD, read_errors[unreadable])
    flat = _drop_z_and_m(np.asarray(geometry, dtype=object))
    missing = shapely.is_missing(flat) & ~unreadable
    log.add(missing, FIELD, "geometry is missing")
    empty = ~missing & ~unreadable & shapely.is_empty(flat)
    log.add(empty, FIELD, "geometry is empty")
    usable = ~(missing | unreadable | empty)

    kinds = shapely.get_type_id(flat)
    flat = _merge_multilines(flat, usable & (kinds == _MULTILINESTRING), log)
    other = usable & (kinds != _LINESTRING) & (kinds != _MULTILINESTRING)
    log.add(
        other,
        FIELD,
        [
            f"{_TYPE_NAMES.get(k, k)} is not a line; a segment must be a LineString"
            for k in kinds[other]
        ],
    )
    lines = usable & (shapely.get_type_id(flat) == _LINESTRING)
    invalid = lines.copy()
    invalid[lines] = ~shapely.is_valid(flat[lines])
    log.add(
        invalid, FIELD, [f"invalid geometry: {r}" for r in shapely.is_valid_reason(flat[invalid])]
    )

    candidates = lines & ~invalid
    stored = np.full(n, None, dtype=object)
    stored[candidates] = to_storage(flat[candidates], source_crs)
    outside = candidates.copy()
    outside[candidates] = ~_inside_vietnam(stored[candidates])
    log.add(outside, FIELD, _why_outside(flat[outside], source_crs))
    degenerate = candidates & ~outside
    degenerate[degenerate] = ~shapely.is_valid(stored[degenerate])
    log.add(
        degenerate,
        FIELD,
        [
            f"invalid after transforming to EPSG:4326: {r}"
            for r in shapely.is_valid_reason(stored[degenerate])
        ],
    )
    stored[~candidates | outside | degenerate] = None
    return stored


def _drop_z_and_m(geometry: np.ndarray) -> np.ndarray:
    """``geometry`` with Z and M dropped (rows without them are kept as they are, unchanged)."""
    extra = shapely.has_z(geometry) | shapely.has_m(geometry)
    if not extra.any():
        return geometry
    flat = geometry.copy()
    flat[extra] = shapely.force_2d(geometry[extra])
    return flat


def _merge_multilines(flat: np.ndarray, multi: np.ndarray, log: ProblemLog) -> np.ndarray:
    """Replace MultiLineStrings that join into one line by that line; log the others."""
    if not multi.any():
        return flat
    merged = shapely.line_merge(flat[multi])
    joined = shapely.get_type_id(merged) == _LINESTRING
    index = np.flatnonzero(multi)
    parts = shapely.get_num_geometries(flat[index[~joined]])
    result = flat.copy()
    result[index[joined]] = merged[joined]
    apart = np.zeros(len(flat), dtype=bool)
    apart[index[~joined]] = True
    log.add(
        apart,
        FIELD,
        [
            f"MultiLineString with {k} parts that do not join; split it into one feature per part"
            for k in parts
        ],
    )
    return result


def _inside_vietnam(stored: np.ndarray) -> np.ndarray:
    bounds = shapely.bounds(stored)
    lon_min, lat_min, lon_max, lat_max = VIETNAM_BOUNDS
    with np.errstate(invalid="ignore"):
        return (
            np.isfinite(bounds).all(axis=1)
            & (bounds[:, 0] >= lon_min)
            & (bounds[:, 2] <= lon_max)
            & (bounds[:, 1] >= lat_min)
            & (bounds[:, 3] <= lat_max)
        )


def _why_outside(original: np.ndarray, source_crs: CRS) -> list[str]:
    """A reason per geometry (coordinates in ``source_crs``) that lands outside Vietnam."""
    if len(original) == 0:
        return []
    label = crs_label(source_crs)
    bounds = shapely.bounds(original)
    largest = np.abs(bounds).max(axis=1)
    in_degree_range = (
        (bounds[:, 0] >= -180)
        & (bounds[:, 2] <= 180)
        & (bounds[:, 1] >= -90)
        & (bounds[:, 3] <= 90)
    )
    swapped = shapely.transform(original, lambda xy: xy[:, ::-1])
    swapped_inside = _inside_vietnam(to_storage(swapped, source_crs))
    stored_bounds = shapely.bounds(to_storage(original, source_crs))
    lon_min, lat_min, lon_max, lat_max = VIETNAM_BOUNDS
    axes = "latitude/longitude" if source_crs.is_geographic else "x/y (easting/northing)"
    reasons = np.select(
        [
            source_crs.is_geographic & (largest > 1000),
            source_crs.is_projected & in_degree_range & ~swapped_inside,
            swapped_inside,
            ~np.isfinite(stored_bounds).all(axis=1),
        ],
        [
            "coordinates look like projected metres, not degrees: declare the CRS, "
            f"e.g. {EXAMPLE_DECLARATION}",
            f"coordinates look like longitude/latitude degrees, not {label} metres: "
            "declare --crs EPSG:4326",
            f"looks like {axes} are swapped",
            f"coordinates cannot be transformed from {label}; are they in that CRS?",
        ],
        default="",
    ).astype(object)
    for k in np.flatnonzero(reasons == ""):
        reasons[k] = (
            f"lies outside Vietnam (longitude {lon_min}..{lon_max}, latitude {lat_min}..{lat_max}"
            f" after transforming from {label}): its south-west corner is at "
            f"{stored_bounds[k, 0]:.5f}, {stored_bounds[k, 1]:.5f}"
        )
    return list(reasons)
