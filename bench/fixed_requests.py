"""The fixed, seeded requests every implementation answers: bbox boxes, tiles and points.

All are placed where the network is: centred on segments drawn by a seeded random generator
from the loaded ``cable_segments`` (by id, so the same data and seed give the same requests).
Coordinates are EPSG:4326 longitude/latitude; tiles are WebMercatorQuad ``(z, x, y)``.
"""

from __future__ import annotations

import math
import random

#: Metres per degree of latitude (mean), for sizing boxes and offsets in degrees.
METRES_PER_DEGREE = 111_320.0


def segment_midpoints(conn, count: int, seed: int) -> list[tuple[float, float]]:
    """Midpoints (lon, lat) of ``count`` segments drawn at random (seeded) among the ids of
    ``cable_segments``; ``conn`` is a psycopg connection."""
    low, high = conn.execute("SELECT min(id), max(id) FROM cable_segments").fetchone()
    if low is None:
        raise SystemExit("cable_segments is empty: nothing to benchmark")
    rng = random.Random(seed)
    wanted = [rng.randint(low, high) for _ in range(count * 2)]
    rows = dict(conn.execute(
        "SELECT id, ARRAY[ST_X(p), ST_Y(p)] FROM (SELECT id, ST_LineInterpolatePoint(geom, 0.5)"
        " AS p FROM cable_segments WHERE id = ANY(%s)) s", (wanted,)).fetchall())
    points = [tuple(rows[i]) for i in wanted if i in rows]
    return points[:count]


def boxes(points: list[tuple[float, float]], size_m: float = 1000.0
          ) -> list[tuple[float, float, float, float]]:
    """A ``size_m`` x ``size_m`` box (minlon, minlat, maxlon, maxlat) centred on each point."""
    result = []
    for lon, lat in points:
        half_lat = size_m / 2 / METRES_PER_DEGREE
        half_lon = half_lat / math.cos(math.radians(lat))
        result.append(tuple(round(v, 6) for v in (lon - half_lon, lat - half_lat,
                                                  lon + half_lon, lat + half_lat)))
    return result


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The WebMercatorQuad (XYZ) tile holding a point at zoom ``z``."""
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return z, min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tiles(points: list[tuple[float, float]], z: int, count: int) -> list[tuple[int, int, int]]:
    """Up to ``count`` distinct tiles at zoom ``z`` holding the points, in the points' order."""
    found: dict[tuple[int, int, int], None] = {}
    for lon, lat in points:
        found.setdefault(tile_of(lon, lat, z))
        if len(found) == count:
            break
    return list(found)


def near(points: list[tuple[float, float]], seed: int, within_m: float = 30.0
         ) -> list[tuple[float, float]]:
    """Each point moved by a seeded random offset of up to ``within_m`` metres (a GPS fix
    near a cable)."""
    rng = random.Random(seed)
    result = []
    for lon, lat in points:
        dx, dy = (rng.uniform(-within_m, within_m) / METRES_PER_DEGREE for _ in range(2))
        result.append((round(lon + dx / math.cos(math.radians(lat)), 7), round(lat + dy, 7)))
    return result
