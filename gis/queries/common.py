"""Pieces shared by the read queries: a bounding box, a page of GeoJSON features built by
PostgreSQL, and the collection around it. Field-named input problems are
:func:`gis.errors.invalid` / :func:`gis.errors.invalid_fields`."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

#: Page sizes of the keyset-paginated lists.
DEFAULT_LIMIT = 100
MAX_LIMIT = 5000


@dataclass(frozen=True)
class BBox:
    """A longitude/latitude box in EPSG:4326 degrees (west < east, south < north)."""

    west: float
    south: float
    east: float
    north: float

    def __post_init__(self) -> None:
        values = (self.west, self.south, self.east, self.north)
        if not all(math.isfinite(v) for v in values):
            raise ValueError("bbox values must be finite numbers")
        if not (-180 <= self.west <= 180 and -180 <= self.east <= 180):
            raise ValueError("bbox longitudes must lie in -180..180")
        if not (-90 <= self.south <= 90 and -90 <= self.north <= 90):
            raise ValueError("bbox latitudes must lie in -90..90")
        if not (self.west < self.east and self.south < self.north):
            raise ValueError("bbox needs minLon < maxLon and minLat < maxLat")

    @classmethod
    def parse(cls, text: str) -> BBox:
        """``"minLon,minLat,maxLon,maxLat"`` (EPSG:4326) -> BBox; ValueError naming the fault."""
        parts = [p.strip() for p in text.split(",")]
        if len(parts) != 4:
            raise ValueError(f"bbox needs 4 comma-separated numbers "
                             f"(minLon,minLat,maxLon,maxLat), got {len(parts)}")
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            raise ValueError("bbox values must be numbers (minLon,minLat,maxLon,maxLat)") from None
        return cls(*numbers)

    def params(self) -> dict[str, float]:
        """Bound parameters ``west, south, east, north`` for ``ST_MakeEnvelope``."""
        return {"west": self.west, "south": self.south, "east": self.east, "north": self.north}


@dataclass(frozen=True)
class FeaturePage:
    """One page of a keyset-paginated GeoJSON list.

    ``features`` are GeoJSON Feature texts serialised by PostgreSQL (RFC 7946, lon/lat);
    ``next_after`` is the cursor of the next page (the last id returned), None on the last page.
    """

    features: list[str]
    next_after: int | None


def feature_collection_json(features: list[str], **members: Any) -> str:
    """A GeoJSON FeatureCollection text around ``features`` (already serialised), followed by
    the foreign ``members`` (``numberReturned``, ``links`` ...). No ``crs`` member (RFC 7946)."""
    extra = "".join(
        f",{json.dumps(name)}:{json.dumps(value, ensure_ascii=False, default=str)}"
        for name, value in members.items()
    )
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]" + extra + "}"


def page_of(rows: list[tuple[int, str]], limit: int) -> FeaturePage:
    """Cut ``rows`` (id, feature text; fetched ``limit + 1``) into a page and its cursor."""
    more = len(rows) > limit
    rows = rows[:limit]
    return FeaturePage([feature for _, feature in rows], rows[-1][0] if more else None)
