"""Mapbox vector tiles of the cable segments (``GET /tiles/{z}/{x}/{y}.pbf``).

Tiles follow the XYZ scheme of WebMercatorQuad (EPSG:3857, tile (0, 0) at the north-west
corner, as Leaflet, QGIS and tipg address them), zoom 0 to :data:`~gis.tiles.grid.MAX_ZOOM`.
Each tile has ONE layer, ``segments``, of the segments **active** at the end of ``as_of``
(default: today, Vietnam time) that the caller may see (row-level security: an operator's
user gets its own operator's segments only), optionally only some operators'. The state on a
date is the rule of :func:`gis.history.state_row_sql`; the class is
:func:`gis.queries.map_data.placement_class_sql` (= :func:`gis.choices.placement_class`).

Zoom bands (:data:`~gis.tiles.grid.BANDS`; a tile is never cut at a feature count, what does
not fit a pixel is merged into an aggregate instead):

- **z 14 and above, one feature per segment** (extent 4096, buffer 64; a unit is 0.6 m at z14,
  0.15 m at z16): feature id = segment id; attributes ``operator`` (code), ``route`` (code,
  absent for a segment outside any route), ``class`` (:class:`gis.choices.PlacementClass`),
  ``kind`` (:class:`gis.choices.PlacementKind`), ``length_m`` (geodesic metres, 0.1 m) and
  ``since`` (ISO date of the state in force). A z14 tile of the densest part of the
  1,000,000-segment province holds about 3,000 segments.
- **z 12 and 13, aggregates** (extent 1024, buffer 16; a unit is 9.6 m at z12): one feature
  per operator x placement class, a MultiLineString of all its segments in the tile, with
  ``operator``, ``class``, ``segments`` (how many) and ``length_m`` (their total length,
  whole metres); no feature id. A z12 tile of the densest part holds about 40,000 segments:
  drawn one by one (1-2 pixels each) they would cost 170 ms and 2 MB; merged they cost a
  third of that and 0.3 MB.
- **z 10 and 11, aggregates** as above on a coarser grid (extent 512, buffer 8), and
- **z 0 to 9, aggregates** on a grid of 256 (buffer 4). These tiles read every segment in
  them: about 0.4 s for a z11 tile and 1 s for a z9 tile of the 1,000,000-segment province
  (precomputed generalised lines would be the next step if they matter).

Simplification: geometry is snapped to the tile's grid of units and repeated and collinear
points are dropped (``ST_AsMVTGeom``); in the aggregate bands a segment shorter than a unit
vanishes from the drawing but stays in ``segments`` and ``length_m``. When every segment of
an aggregate vanishes, the feature is a point on its network. An aggregate counts the
segments whose bounding box meets the tile with its buffer.

Projection: from zoom 10 the geometry stays in EPSG:4326 and is mapped linearly onto the
tile's EPSG:4326 bounds; longitude maps exactly, latitude within 0.14 unit of Web Mercator
at z10 and 0.07 unit at z12 and z14 (its curvature across one tile, at 20.5 N). Below zoom 10
geometry is transformed to EPSG:3857.

An operator's user's tile reads its segments through ``tile_segments(area)`` (migration
0004_tiles): under row-level security PostgreSQL cannot use the GiST index for ``&&``
(PostGIS operators are not LEAKPROOF) and such a tile took 150 ms at any zoom; the function
applies the policy's rule itself and takes as long as a staff tile.

An empty tile (nothing visible there) is ``None`` here and a 204 answer over HTTP.
:mod:`gis.tiles.summary` gives the figures a map drawn from tiles shows beside them.
"""

from gis.tiles.grid import BANDS, MAX_ZOOM, Band, TileCoord
from gis.tiles.query import TileRequest, segment_tile, tile_request

__all__ = ["BANDS", "MAX_ZOOM", "Band", "TileCoord", "TileRequest", "segment_tile", "tile_request"]
