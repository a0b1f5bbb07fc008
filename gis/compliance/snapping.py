"""Snap an inspector's GPS fix to the cable segment it was taken at.

The position is WGS 84 longitude/latitude (EPSG:4326); distances are geodesic metres (PostGIS
``geography``). The candidates are :func:`gis.queries.nearest_segments` (exact geodesic order)
restricted to the segments active on the visit date (from the state history).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from gis.compliance.visit_errors import AmbiguousPositionError, FieldIssue, InvalidVisitError
from gis.crs import VIETNAM_BOUNDS
from gis.queries.nearest import nearest_segments

#: How many nearest segments are fetched to tell the nearest from close runners-up.
CANDIDATES = 5


@dataclass(frozen=True)
class Snap:
    """The segment a position was snapped to, and the geodesic distance to it (metres)."""

    segment_id: int
    distance_m: float


def check_position(lon: float, lat: float, field: str = "position") -> None:
    """Raise :class:`InvalidVisitError` unless lon/lat (EPSG:4326) lie in Vietnam's envelope."""
    min_lon, min_lat, max_lon, max_lat = VIETNAM_BOUNDS
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InvalidVisitError.one(field, "longitude and latitude must be finite numbers")
    if not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
        hint = ""
        if min_lon <= lat <= max_lon and min_lat <= lon <= max_lat:
            hint = " (longitude and latitude look swapped)"
        raise InvalidVisitError.one(
            field,
            f"position lon={lon}, lat={lat} is outside Vietnam (lon {min_lon}..{max_lon}, "
            f"lat {min_lat}..{max_lat}){hint}",
        )


def snap_position(
    session: Session,
    lon: float,
    lat: float,
    *,
    on: date,
    radius_m: float,
    ambiguity_m: float,
    field: str = "position",
) -> Snap:
    """Return the nearest segment active on ``on`` within ``radius_m`` metres of lon/lat.

    Raises :class:`InvalidVisitError` when no segment is that close, and
    :class:`AmbiguousPositionError` when a second segment is within ``ambiguity_m`` metres of
    the nearest one's distance (the message lists the candidates with their distances).
    """
    check_position(lon, lat, field)
    rows = nearest_segments(session, lon, lat, radius_m, CANDIDATES, active_on=on)
    if not rows:
        raise InvalidVisitError.one(
            field,
            f"no active segment within {radius_m:g} m of lon={lon}, lat={lat}; "
            "give segment_id, or a larger radius",
        )
    nearest = rows[0]
    close = [(int(r.id), float(r.distance_m)) for r in rows
             if r.distance_m - nearest.distance_m <= ambiguity_m]
    if len(close) > 1:
        listed = ", ".join(f"segment {sid} at {dist:.1f} m" for sid, dist in close)
        message = (
            f"position lon={lon}, lat={lat} is ambiguous: {len(close)} segments lie within "
            f"{ambiguity_m:g} m of the nearest ({listed}); give segment_id"
        )
        raise AmbiguousPositionError(message, [FieldIssue(field, message)], close)
    return Snap(nearest.id, nearest.distance_m)
