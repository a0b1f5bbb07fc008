"""Fixtures of the map tests, shared with the sample and browser tests: the demo province
loaded once per module in a rolled-back transaction (``demo_session``), and a committed copy of
it for the module (``live_database_url`` of :mod:`tests.live`, for the command line, which
connects by itself); and a helper that decodes the maps' encoded polylines."""

from __future__ import annotations

from tests.sample.conftest import demo_loaded, demo_session  # noqa: F401 (fixtures)


def decode_polyline(text: str, precision: int = 5) -> list[tuple[float, float]]:
    """The (lon, lat) points of a Google encoded polyline (lat/lon pairs, 10^-precision deg)."""
    values, number, shift = [], 0, 0
    for char in text:
        chunk = ord(char) - 63
        number |= (chunk & 0x1F) << shift
        shift += 5
        if chunk < 0x20:
            values.append(~(number >> 1) if number & 1 else number >> 1)
            number, shift = 0, 0
    points, lat, lon = [], 0, 0
    for i in range(0, len(values), 2):
        lat += values[i]
        lon += values[i + 1]
        points.append((lon / 10**precision, lat / 10**precision))
    return points
