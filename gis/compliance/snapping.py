"""Snap an inspector's GPS fix to the cable segment it was taken at.

The position is WGS 84 longitude/latitude (EPSG:4326); distances are geodesic metres (PostGIS
``geography``). Candidates come from a KNN scan of the segments' GiST index (``<->``, planar
degrees) restricted by ``ST_DWithin`` on geography to the radius, and are then ranked by their
geodesic distance. Only segments active on the visit date (from the state history) count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.compliance.visit_errors import AmbiguousPositionError, FieldIssue, InvalidVisitError
from gis.crs import VIETNAM_BOUNDS
from gis.history import state_row_sql

#: How many nearest segments (by index order) are ranked geodesically.
KNN_CANDIDATES = 16

_SNAP_SQL = text(f"""
    WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g),
    near AS (
      SELECT s.id, s.geom
        FROM cable_segments s, p
       WHERE s.geom && ST_Expand(p.g, :deg)
         AND ST_DWithin(s.geom::geography, p.g::geography, :radius_m)
         AND ({state_row_sql("s.id", ":on", "h.lifecycle")}) = 'active'
       ORDER BY s.geom <-> p.g
       LIMIT :k
    )
    SELECT near.id, ST_Distance(near.geom::geography, p.g::geography) AS distance_m
      FROM near, p
     ORDER BY distance_m, near.id
""")


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
    # Degrees that surely cover radius_m: a degree of latitude is >= 110.5 km, of longitude
    # 111.3 km * cos(lat).
    deg = radius_m / (110_000.0 * max(math.cos(math.radians(lat)), 0.01))
    rows = session.execute(
        _SNAP_SQL,
        {"lon": lon, "lat": lat, "deg": deg, "radius_m": radius_m, "on": on,
         "k": KNN_CANDIDATES},
    ).all()
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
    return Snap(int(nearest.id), float(nearest.distance_m))
