"""The query parameters of ``/items``, parsed and checked: ``bbox`` (+ ``bbox-crs``), ``limit``,
``datetime``, ``after`` (the keyset cursor of the ``next`` link). Each problem raises
:func:`gis.errors.invalid` naming the parameter."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from gis.compliance.rules import LOCAL_TZ
from gis.errors import invalid
from gis.ogc.crs import CRS84, OgcCrs
from gis.queries.common import BBox

DEFAULT_LIMIT = 10
MAX_LIMIT = 10000


def parse_limit(value: str | None) -> int:
    """``limit``: ``DEFAULT_LIMIT`` when absent; above ``MAX_LIMIT`` it is ``MAX_LIMIT`` (Part 1
    permission: not an error); not a positive integer: ValidationFailed."""
    if value is None:
        return DEFAULT_LIMIT
    try:
        limit = int(value)
    except ValueError:
        raise invalid("limit", f"limit must be an integer from 1 to {MAX_LIMIT}") from None
    if limit < 1:
        raise invalid("limit", f"limit must be an integer from 1 to {MAX_LIMIT}")
    return min(limit, MAX_LIMIT)


def parse_cursor(value: str | None, parameter: str) -> int | None:
    """``after`` / ``before``: the keyset cursor of a ``next`` / ``prev`` link (an id)."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise invalid(parameter, f"{parameter} must be an integer (the cursor of a "
                                 f"{'next' if parameter == 'after' else 'prev'} link)") from None


@dataclass(frozen=True)
class BoxParam:
    """A ``bbox`` in the order of its CRS axes: ``x1, y1, x2, y2`` (lon/lat for CRS84,
    lat/lon for EPSG:4326, easting/northing in metres for EPSG:9209)."""

    values: tuple[float, float, float, float]
    crs: OgcCrs

    def __post_init__(self) -> None:
        if len(self.values) != 4 or not all(
                isinstance(v, float) and math.isfinite(v) for v in self.values):
            raise ValueError("a box is four finite floats")

    def envelope_sql(self, prefix: str = "bbox") -> tuple[str, dict[str, Any]]:
        """SQL of the box as an EPSG:4326 geometry, and its bound parameters. A box in a
        projected CRS becomes the polygon of its outline (16 points a side) in EPSG:4326."""
        x1, y1, x2, y2 = self.values
        if self.crs.epsg is None:
            west, south, east, north = (y1, x1, y2, x2) if self.crs.lat_first else self.values
            names = [f"{prefix}_{i}" for i in range(4)]
            sql = "ST_MakeEnvelope({}, 4326)".format(", ".join(f":{n}" for n in names))
            return sql, dict(zip(names, (west, south, east, north), strict=True))
        steps = np.linspace(0.0, 1.0, 16, endpoint=False)
        xs = np.concatenate([x1 + (x2 - x1) * steps, np.full(16, x2),
                             x2 - (x2 - x1) * steps, np.full(16, x1), [x1]])
        ys = np.concatenate([np.full(16, y1), y1 + (y2 - y1) * steps,
                             np.full(16, y2), y2 - (y2 - y1) * steps, [y1]])
        ring = {"type": "Polygon", "coordinates": [np.column_stack([xs, ys]).tolist()]}
        geometry = json.dumps(self.crs.storage_geometry(ring))
        return f"ST_SetSRID(ST_GeomFromGeoJSON(:{prefix}), 4326)", {prefix: geometry}


def parse_bbox(value: str | None, crs: OgcCrs = CRS84) -> BoxParam | None:
    """``bbox``: 4 numbers (or 6, with heights, which are ignored) in the order of ``crs``'s
    axes; lower corner first. None when absent."""
    if value is None:
        return None
    parts = value.split(",")
    if len(parts) not in (4, 6):
        raise invalid("bbox", f"bbox needs 4 (or 6) comma-separated numbers, got {len(parts)}")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise invalid("bbox", "bbox values must be numbers") from None
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if not all(math.isfinite(n) for n in numbers):
        raise invalid("bbox", "bbox values must be finite numbers")
    if crs.epsg is None:  # degrees: check the ranges in lon/lat order
        lonlat = [numbers[1], numbers[0], numbers[3], numbers[2]] if crs.lat_first else numbers
        try:
            BBox(*lonlat)
        except ValueError as exc:
            raise invalid("bbox", str(exc)) from None
    elif not (numbers[0] < numbers[2] and numbers[1] < numbers[3]):
        raise invalid("bbox", "bbox needs the lower corner first (minX < maxX, minY < maxY)")
    return BoxParam((numbers[0], numbers[1], numbers[2], numbers[3]), crs)


@dataclass(frozen=True)
class When:
    """A ``datetime``: from ``start`` to ``end`` inclusive (None: open); an instant has
    ``start == end``. ``day`` is set when the value was one calendar date (no time)."""

    start: datetime | None
    end: datetime | None
    day: date | None = None

    @property
    def is_instant(self) -> bool:
        return self.start is not None and self.start == self.end


_LOCAL = ZoneInfo(LOCAL_TZ)


def _moment(text: str, *, end: bool) -> datetime | None:
    """One end of an interval: ``..`` or empty is open; a date is its first instant (start) or
    last (end), Vietnam time; a date-time without offset is Vietnam time."""
    if text in ("", ".."):
        return None
    if "T" not in text.upper():
        day = date.fromisoformat(text)
        moment = datetime.combine(day, time.min, _LOCAL)
        try:  # the first and last instants of the day, also in UTC
            moment = moment + timedelta(days=1, microseconds=-1) if end else moment
            moment.astimezone(UTC)
        except OverflowError:
            raise ValueError("out of range") from None
        return moment
    moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    moment = moment if moment.tzinfo else moment.replace(tzinfo=_LOCAL)
    try:  # every moment must be expressible in UTC and in Vietnam time (year 1..9999)
        moment.astimezone(UTC), moment.astimezone(_LOCAL)
    except OverflowError:
        raise ValueError("out of range") from None
    return moment


def parse_datetime(value: str | None) -> When | None:
    """``datetime``: an RFC 3339 date or date-time, or an interval ``start/end`` with ``..``
    (or nothing) for an open end. None when absent."""
    if value is None:
        return None
    text = value.strip()
    try:
        if "/" in text:
            first, _, last = text.partition("/")
            start, end = _moment(first, end=False), _moment(last, end=True)
            if start is None and end is None:
                raise ValueError("both ends open")
            if start is not None and end is not None and start > end:
                raise invalid("datetime", "the interval ends before it starts")
            return When(start, end)
        if "T" not in text.upper():
            day = date.fromisoformat(text)
            return When(_moment(text, end=False), _moment(text, end=True), day)
        moment = _moment(text, end=False)
        return When(moment, moment)
    except ValueError:
        raise invalid("datetime", "datetime must be an RFC 3339 date or date-time, or an "
                                  "interval start/end with '..' for an open end, e.g. "
                                  "2024-12-31 or 2024-01-01T00:00:00Z/..") from None


def as_of_date(when: When | None) -> date | None:
    """The date a segment's state is asked on: the Vietnam date of an instant (None: today).
    An interval is refused: a segment has one state on a date."""
    if when is None:
        return None
    if when.day is not None:
        return when.day
    if not when.is_instant:
        raise invalid("datetime", "segments take one date or instant (their state on that "
                                  "day), not an interval")
    return when.start.astimezone(_LOCAL).date()


def utc(moment: datetime | None) -> datetime | None:
    """``moment`` in UTC (None stays None)."""
    return moment.astimezone(UTC) if moment is not None else None
