"""Fixtures of the tile tests: the API's (``client`` in the test's rolled-back transaction)
and the demo province loaded once per module (``demo_session``); helpers that decode a tile
and find the tiles over the demo."""

from __future__ import annotations

import math

import mapbox_vector_tile

from tests.api.conftest import app, client, settings  # noqa: F401 (fixtures)
from tests.sample.conftest import demo_loaded, demo_session  # noqa: F401 (fixtures)

#: The demo province's extent (lon/lat, EPSG:4326): sample_data/README.md.
DEMO_BOUNDS = (106.29, 20.40, 106.40, 20.50)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ tile (x, y) holding a point at zoom ``z`` (Web Mercator, row 0 at the north)."""
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    rad = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(rad)) / math.pi) / 2.0 * n)
    return x, y


def demo_tiles(z: int) -> list[tuple[int, int, int]]:
    """Every tile of zoom ``z`` over the demo's extent."""
    west, south, east, north = DEMO_BOUNDS
    x0, y0 = tile_of(west, north, z)
    x1, y1 = tile_of(east, south, z)
    return [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def decode(data: bytes | None) -> dict:
    """The tile's one layer ``segments`` as mapbox_vector_tile gives it (y grows downwards, as
    in the tile's own grid); an empty dict for no tile."""
    if data is None:
        return {}
    layers = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
    assert set(layers) == {"segments"}
    return layers["segments"]


def points(geometry: dict) -> list[tuple[float, float]]:
    """Every vertex of a decoded (Multi)LineString or Point geometry."""
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        return [tuple(coords)]
    if kind == "LineString":
        return [tuple(c) for c in coords]
    if kind == "MultiLineString":
        return [tuple(c) for line in coords for c in line]
    raise AssertionError(f"unexpected geometry type {kind}")
