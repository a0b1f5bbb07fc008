"""Queries on the live server's database that several browser tests need."""

from __future__ import annotations

from sqlalchemy import text

#: An active overhead segment with no other segment within 25 m of its midpoint (a tap on its
#: middle cannot hit a neighbour), with that midpoint (WGS 84).
ISOLATED = """
    SELECT s.id, ST_X(m.p) AS lon, ST_Y(m.p) AS lat
      FROM cable_segments s
      CROSS JOIN LATERAL (SELECT ST_LineInterpolatePoint(s.geom, 0.5) AS p) m
     WHERE s.lifecycle = 'active' AND s.placement = 'overhead' AND s.id > :after
       AND NOT EXISTS (SELECT 1 FROM cable_segments o WHERE o.id <> s.id
                         AND ST_DWithin(o.geom::geography, m.p::geography, 25))
     ORDER BY s.id LIMIT 1"""


def isolated_segment(live_server, after: int = 0) -> tuple[int, float, float]:
    """(id, lon, lat) of an isolated overhead segment with an id above ``after``."""
    with live_server.engine.connect() as conn:
        row = conn.execute(text(ISOLATED), {"after": after}).one()
    return row.id, row.lon, row.lat
