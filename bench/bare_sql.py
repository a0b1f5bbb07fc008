"""The bare-SQL baselines: the query a bbox request or a tile needs, run with psycopg alone.

These are the lower bounds the HTTP servers are compared with: no web framework, no JSON
building in Python, the rows or the tile straight from PostGIS. Every connection uses the
serving settings of our API (``jit=off``, ``max_parallel_workers_per_gather=0``).
Geometries are EPSG:4326 (``cable_segments.geom``); tiles are WebMercatorQuad (EPSG:3857).
"""

from __future__ import annotations

import psycopg
from sqlalchemy.engine import make_url

from api.main import SERVING_OPTIONS

#: The properties of a segment that the bare queries return (as our API's feature properties).
PROPERTIES = "id, operator_id, route_id, commune_id, placement, placement_kind, tidied, " \
             "lifecycle, state_since, length_m"

#: ~1 km box, limit 1000: the segments intersecting the box (the rows tipg and our API
#: return), in id order (as tipg pages them), geometry as GeoJSON text.
ITEMS_SQL = f"""
SELECT {PROPERTIES}, ST_AsGeoJSON(geom) AS geometry
FROM cable_segments
WHERE ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))
ORDER BY id
LIMIT %s
"""

#: Every segment touching the tile (no cap, no simplification) as one 'segments' MVT layer,
#: extent 4096 with a 256-unit buffer (the defaults of ST_AsMVTGeom and of tipg).
TILE_SQL = f"""
WITH bounds AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS env,
                       ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s,
                                                    margin => 256.0 / 4096), 4326) AS wgs),
t AS (
  SELECT {PROPERTIES},
         ST_AsMVTGeom(ST_Transform(s.geom, 3857), bounds.env, 4096, 256, true) AS geom
  FROM cable_segments s, bounds
  WHERE s.geom && bounds.wgs
)
SELECT ST_AsMVT(t.*, 'segments') FROM t WHERE geom IS NOT NULL
"""

#: Segments whose geometry intersects the tile itself (no buffer): what a complete tile holds,
#: all of them (as tipg and the bare query show them) and those active now (as ours does).
TILE_COUNT_SQL = """
SELECT count(*), count(*) FILTER (WHERE lifecycle = 'active') FROM cable_segments
WHERE ST_Intersects(geom, ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4326))
"""


def conninfo(url: str) -> str:
    """The libpq connection string (``host=... dbname=...``) of a SQLAlchemy URL; also what
    GDAL's ``PG:`` datasource takes."""
    parsed = make_url(url)
    parts = {"host": parsed.host, "port": parsed.port, "dbname": parsed.database,
             "user": parsed.username, "password": parsed.password}
    return " ".join(f"{key}={value}" for key, value in parts.items() if value is not None)


def libpq_url(url: str) -> str:
    """The ``postgresql://`` URL (no SQLAlchemy driver name) of a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def connect(url: str) -> psycopg.Connection:
    """An autocommit psycopg connection with the serving settings."""
    return psycopg.connect(conninfo(url), options=SERVING_OPTIONS, autocommit=True)


def items_call(url: str, limit: int = 1000):
    """A callable (own connection) answering a bbox ``(minlon, minlat, maxlon, maxlat)`` with
    the rows of :data:`ITEMS_SQL`."""
    conn = connect(url)

    def call(bbox: tuple[float, float, float, float]) -> list:
        return conn.execute(ITEMS_SQL, (*bbox, limit)).fetchall()

    return call


def tile_call(url: str):
    """A callable (own connection) answering a tile ``(z, x, y)`` with the MVT bytes of
    :data:`TILE_SQL`."""
    conn = connect(url)

    def call(tile: tuple[int, int, int]) -> bytes:
        z, x, y = tile
        return bytes(conn.execute(TILE_SQL, {"z": z, "x": x, "y": y}).fetchone()[0])

    return call


def tile_segment_counts(url: str, tiles: list[tuple[int, int, int]]
                        ) -> list[tuple[int, int]]:
    """How many segments intersect each tile, all and active ones (what a complete tile
    holds)."""
    with connect(url) as conn:
        return [tuple(conn.execute(TILE_COUNT_SQL, {"z": z, "x": x, "y": y}).fetchone())
                for z, x, y in tiles]
