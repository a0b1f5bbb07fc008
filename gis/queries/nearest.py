"""The cable segments nearest a point: what an inspector standing at a pole needs.

The point is WGS 84 longitude/latitude (EPSG:4326); distances are geodesic metres on the WGS 84
ellipsoid (``ST_Distance`` / ``ST_DWithin`` on ``geography``).

The search uses the segments' GiST index twice. A KNN scan (``geom <-> point``, planar degrees,
inside a box that covers the radius) finds the ``limit`` segments nearest in degrees. Planar
degrees are not metres (a degree of longitude is shorter than one of latitude away from the
equator), so that order can differ slightly from the geodesic one; but the ``limit`` nearest
segments can be no farther than the farthest of those. That distance (capped by the radius) is
the reach: every segment within it (``ST_DWithin`` on geography) is ranked by its geodesic
distance. The result is exact, and only segments close to the point are ever measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.choices import Lifecycle
from gis.errors import invalid
from gis.history import state_row_sql

DEFAULT_RADIUS_M = 50.0
MAX_RADIUS_M = 1000.0
DEFAULT_LIMIT = 5
MAX_LIMIT = 50

#: Fewest metres in a degree of latitude (at the equator) and in a degree of longitude at the
#: equator (WGS 84 semi-major axis x pi / 180); a degree of longitude at latitude phi spans at
#: least the latter x cos(phi). Dividing by them gives boxes that always cover the distance.
_M_PER_DEG_LAT_MIN = 110_574.0
_M_PER_DEG_LON_EQUATOR = 111_319.49

#: ST_DWithin and ST_Distance may disagree in the last digits: the reach is widened by this many
#: metres so that the farthest KNN segment itself is never lost (extra candidates are harmless).
_SLACK_M = 0.01

#: The point, as geometry and as geography. Spelled out (not a CTE) so that the planner sees
#: constants and can estimate how many segments the first box holds.
_PT = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
_GPT = f"{_PT}::geography"

#: A box around the point that covers ``{reach}`` metres.
_BOX = (f"ST_Expand({_PT}, {{reach}} / (:m_lon * greatest(cos(radians(:lat)), 1e-6)) * 1.001,"
        " {reach} / :m_lat * 1.001)")

_NEAREST_SQL = f"""
    WITH knn AS (
      SELECT ST_Distance(s.geom::geography, {_GPT}) AS d
        FROM {{radius_source}}
       WHERE {{radius_condition}}{{live}}
       ORDER BY s.geom <-> {_PT}
       LIMIT :limit
    ), reach AS (
      SELECT CASE WHEN count(*) < :limit THEN CAST(:radius_m AS float8)
                  ELSE least(max(d) + :slack_m, :radius_m) END AS m
        FROM knn
    )
    SELECT s.id, r.code AS route_code, o.code AS operator_code, s.placement, s.placement_kind,
           s.tidied, s.lifecycle, ST_Distance(s.geom::geography, {_GPT}) AS distance_m,
           s.length_m, ST_AsGeoJSON(s.geom, 7, 0)::json AS geometry
      FROM reach
      JOIN {{reach_source}} ON {{reach_condition}}
      LEFT JOIN cable_routes r ON r.id = s.route_id
      LEFT JOIN operators o ON o.id = s.operator_id
     WHERE ST_DWithin(s.geom::geography, {_GPT}, reach.m){{live}}
     ORDER BY distance_m, s.id
     LIMIT :limit
"""


def _source(box: str, confined: bool) -> tuple[str, str]:
    """The segments whose bounding box meets ``box`` (an SQL geometry): a FROM item ``s`` and
    its condition. A session confined to its operator by row-level
    security may not use the GiST index on ``cable_segments`` (PostGIS operators are not
    LEAKPROOF: a nearest search would scan the operator's whole network, ~1.2 s at 1,000,000
    segments); it reads ``tile_segments(area)`` (migration 0004_tiles), which finds the
    operator's own segments through the index."""
    if confined:
        return f"tile_segments({box}) s", "true"
    return "cable_segments s", f"s.geom && {box}"


@dataclass(frozen=True)
class NearSegment:
    """A segment near the point: its current state, geodesic ``distance_m`` from the point and
    ``length_m`` (metres), and its ``geometry`` as a GeoJSON LineString (lon/lat, 7 decimals)."""

    id: int
    route_code: str | None
    operator_code: str | None
    placement: str
    placement_kind: str
    tidied: bool
    lifecycle: str
    distance_m: float
    length_m: float
    geometry: dict[str, Any]


def nearest_query(
    lon: float, lat: float, radius_m: float, limit: int, *, include_removed: bool = False,
    active_on: date | None = None, confined: bool = False,
) -> tuple[str, dict[str, Any]]:
    """The SQL and parameters of :func:`nearest_segments` (e.g. for EXPLAIN)."""
    _check(lon, lat, radius_m, limit)
    if active_on is not None:
        live = (f" AND ({state_row_sql('s.id', ':active_on', 'h.lifecycle')})"
                f" = '{Lifecycle.ACTIVE.value}'")
    elif include_removed:
        live = ""
    else:
        live = f" AND s.lifecycle <> '{Lifecycle.REMOVED.value}'"
    radius_source, radius_condition = _source(_BOX.format(reach=":radius_m"), confined)
    reach_source, reach_condition = _source(_BOX.format(reach="reach.m"), confined)
    sql = _NEAREST_SQL.format(radius_source=radius_source, radius_condition=radius_condition,
                              reach_source=reach_source, reach_condition=reach_condition,
                              live=live)
    params = {"lon": lon, "lat": lat, "radius_m": radius_m, "limit": limit, "slack_m": _SLACK_M,
              "m_lon": _M_PER_DEG_LON_EQUATOR, "m_lat": _M_PER_DEG_LAT_MIN,
              "active_on": active_on}
    return sql, params


def nearest_segments(
    session: Session,
    lon: float,
    lat: float,
    radius_m: float = DEFAULT_RADIUS_M,
    limit: int = DEFAULT_LIMIT,
    *,
    include_removed: bool = False,
    active_on: date | None = None,
    confined: bool = False,
) -> list[NearSegment]:
    """The ``limit`` segments nearest (lon, lat) within ``radius_m`` metres, nearest first (ties
    by id), in their current state; removed segments only with ``include_removed``. With
    ``active_on``, only segments active on that date (from the history) are considered.
    ``confined``: the session is an operator user's (:func:`gis.auth.bind_principal`), whose
    row-level security keeps the spatial index out of reach of a plain query.

    Raises ValidationFailed (field ``lon``, ``lat``, ``radius_m`` or ``limit``) for bad input.
    """
    sql, params = nearest_query(lon, lat, radius_m, limit, include_removed=include_removed,
                                active_on=active_on, confined=confined)
    return [NearSegment(**row._mapping) for row in session.execute(text(sql), params)]


def _check(lon: float, lat: float, radius_m: float, limit: int) -> None:
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        raise invalid("lon", "longitude must lie in -180..180 (EPSG:4326 degrees)")
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        raise invalid("lat", "latitude must lie in -90..90 (EPSG:4326 degrees)")
    if not (math.isfinite(radius_m) and 0 < radius_m <= MAX_RADIUS_M):
        raise invalid("radius_m", f"radius_m must be more than 0 and at most {MAX_RADIUS_M:g}")
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid("limit", f"limit must lie in 1..{MAX_LIMIT}")
