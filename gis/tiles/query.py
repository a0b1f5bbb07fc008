"""The SQL of a segment tile (see :mod:`gis.tiles` for what each zoom band holds).

PostgreSQL builds the whole tile (``ST_AsMVT``); Python only passes the bytes on. The tile
area is found through the GiST index of ``cable_segments.geom`` (``&&``); the state on
``as_of`` is the segment's own columns when no state row is dated after ``as_of`` (the
history trigger keeps them equal to the latest row), else one index probe per segment
(:func:`gis.history.state_row_sql`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.choices import Lifecycle
from gis.history import is_current, state_row_sql
from gis.queries.map_data import MapFilter, MapScope, placement_class_sql, resolve_filter
from gis.tiles.grid import Band, TileCoord

#: Name of the tiles' one layer.
LAYER = "segments"

#: The tile's EPSG:4326 bounds (``bounds``, a box: where the tile's grid is laid) and the
#: area read (``area``: the tile with its buffer, EPSG:4326, for the GiST index).
_TILE = """tile AS (
    SELECT ST_Transform(ST_TileEnvelope(:z, :x, :y), 4326)::box2d AS bounds,
           ST_TileEnvelope(:z, :x, :y) AS bounds_3857,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326) AS area)"""

#: The state when no state row is dated after :as_of: the segment's own columns.
STATE_CURRENT = ("CROSS JOIN LATERAL (SELECT s.placement, s.placement_kind, s.tidied,"
                  " s.lifecycle, s.state_since AS since) st")
#: The state row in force at the end of :as_of.
STATE_AS_OF = f"""CROSS JOIN LATERAL ({state_row_sql(
    "s.id", ":as_of",
    "h.placement, h.placement_kind, h.tidied, h.lifecycle, h.effective_date AS since")}) st"""


@dataclass(frozen=True)
class TileRequest:
    """A checked tile request: the tile, the date and operators (:class:`MapScope`), and
    whether the caller is confined to its operator by row-level security (``confined``: read
    through ``tile_segments()``, which can use the GiST index, see migration 0004)."""

    tile: TileCoord
    scope: MapScope
    confined: bool = False


def tile_request(session: Session, tile: TileCoord, *, as_of: date | None = None,
                 operators: tuple[str, ...] = (), confined: bool = False) -> TileRequest:
    """Check the filters of a request for ``tile`` (see :meth:`TileCoord.checked`):
    ValidationFailed naming ``as_of`` (in the future) or ``operator`` (unknown code).
    ``confined``: the session is an operator's user's (:func:`gis.auth.bind_principal`)."""
    scope = resolve_filter(session, MapFilter(as_of=as_of, operators=operators))
    return TileRequest(tile, scope, confined)


def _where(scope: MapScope) -> str:
    where = ["s.geom && tile.area", f"st.lifecycle = '{Lifecycle.ACTIVE}'"]
    if scope.operator_ids is not None:
        where.append("s.operator_id = ANY(:operator_ids)")
    return " AND ".join(where)


def _segments(request: TileRequest) -> str:
    """Where the segments come from: the table, or for a confined caller the function that
    reads the same rows (its operator's) through the GiST index."""
    return "tile_segments(tile.area) s" if request.confined else "cable_segments s"


def _features_sql(band: Band, source: str, state: str, where: str) -> str:
    """One feature per segment (feature id = segment id). The route code is a lateral lookup
    that PostgreSQL memoizes (a tile's segments share a few hundred routes: ~90 % cache hits);
    a plain join would hash every route of the province for a few thousand segments, a
    scalar subquery probes the index once per segment. ``length_m`` is rounded in double
    precision: through ``numeric`` it cost a fifth of a z14 tile."""
    return f"""
    WITH {_TILE}
    SELECT ST_AsMVT(f, '{LAYER}', {band.extent}, 'geom', 'id') FROM (
      SELECT s.id, o.code AS operator, r.code AS route,
             {placement_class_sql("st")} AS class,
             st.placement_kind AS kind, round(s.length_m * 10) / 10 AS length_m,
             st.since::text AS since,
             ST_AsMVTGeom(s.geom, tile.bounds, {band.extent}, {band.buffer}, true) AS geom
        FROM tile CROSS JOIN {source}
        {state}
        JOIN operators o ON o.id = s.operator_id
        LEFT JOIN LATERAL (SELECT code FROM cable_routes WHERE id = s.route_id OFFSET 0) r
          ON true
       WHERE {where}) f"""


#: A segment's line cut to the tile's area when it reaches beyond (few do): clipping each
#: line here, not the collected lines in ``ST_AsMVTGeom``, saves a sixth of a z12 tile's time.
_CLIPPED = ("CASE WHEN s.geom @ tile.area THEN s.geom"
            " ELSE ST_ClipByBox2D(s.geom, tile.area) END")


def _aggregates_sql(band: Band, source: str, state: str, where: str) -> str:
    """One feature per operator x class: the segments' lines collected, their count and
    total length; a point on them when every line is smaller than a unit."""
    if band.exact:
        lines, bounds = "ST_Transform(g.geom, 3857)", "tile.bounds_3857"
    else:
        lines, bounds = "g.geom", "tile.bounds"

    def mvt(geom: str) -> str:
        return f"ST_AsMVTGeom({geom}, {bounds}, {band.extent}, {band.buffer}, false)"

    point = lines.replace("g.geom", "ST_PointOnSurface(g.geom)")
    return f"""
    WITH {_TILE}
    SELECT ST_AsMVT(a, '{LAYER}', {band.extent}, 'geom') FROM (
      SELECT o.code AS operator, g.class, g.segments, g.length_m,
             coalesce({mvt(lines)}, {mvt(point)}) AS geom
        FROM (SELECT s.operator_id, {placement_class_sql("st")} AS class,
                     count(*) AS segments, round(sum(s.length_m))::bigint AS length_m,
                     ST_Collect({_CLIPPED}) AS geom
                FROM tile CROSS JOIN {source}
                {state}
               WHERE {where}
               GROUP BY 1, 2) g
        CROSS JOIN tile
        JOIN operators o ON o.id = g.operator_id
       ORDER BY o.code, g.class) a"""


def tile_sql(request: TileRequest, current: bool) -> str:
    """The SQL of :func:`segment_tile` (``current``: the state is the segments' columns)."""
    band = request.tile.band
    state = STATE_CURRENT if current else STATE_AS_OF
    build = _aggregates_sql if band.aggregate else _features_sql
    return build(band, _segments(request), state, _where(request.scope))


def segment_tile(session: Session, request: TileRequest) -> bytes | None:
    """The Mapbox vector tile (bytes) of ``request``; None when it holds no feature."""
    scope = request.scope
    sql = tile_sql(request, is_current(session, scope.as_of))
    data = session.scalar(text(sql), {**request.tile.params(), "as_of": scope.as_of,
                                      "operator_ids": scope.operator_ids})
    return bytes(data) if data else None
