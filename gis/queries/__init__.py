"""Read queries of the network for the API and the maps: segments as GeoJSON with filters and
keyset pagination (:mod:`~gis.queries.segments`), the segments nearest a point
(:mod:`~gis.queries.nearest`), operators, routes, communes and structures
(:mod:`~gis.queries.network`), and undergrounding plans with their progress
(:mod:`~gis.queries.plans`).

Geometry is EPSG:4326 (longitude/latitude); GeoJSON is built by PostgreSQL with coordinates
rounded to 7 decimals (about 1 cm). Lengths and distances are geodesic metres (``::geography``
on the WGS 84 ellipsoid). Nothing here filters by operator for isolation: row-level security does
that for operator users (see ``gis/migrations/sql/0003_inspections.sql``).

Bad input raises :class:`~gis.errors.ValidationFailed` whose problems are
:class:`~gis.errors.FieldIssue` naming the input (``operator``, ``routes[2]``).
"""

from gis.errors import FieldIssue
from gis.queries.common import BBox, FeaturePage
from gis.queries.nearest import NearSegment, nearest_segments

__all__ = ["BBox", "FeaturePage", "FieldIssue", "NearSegment", "nearest_segments"]
