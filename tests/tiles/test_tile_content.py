"""Tiles of the demo province against PostGIS: at every zoom band each segment of a tile is
there (one feature per segment from z14, counted in its operator x class aggregate below),
with the right attributes, inside the tile's grid, on any date, for any operators."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import text

from gis.choices import Lifecycle, PlacementClass, placement_class
from gis.history import latest_states
from gis.tiles import BANDS, TileCoord, segment_tile, tile_request
from tests.tiles.conftest import decode, demo_tiles, points

#: Active segments on :as_of meeting the tile (``touch``: the line crosses the tile itself;
#: ``near``: its bounding box meets the tile with its buffer), with their state on the date.
SEGMENTS_SQL = """
    SELECT s.id, o.code AS operator, r.code AS route, st.placement, st.placement_kind,
           st.tidied, st.effective_date, s.length_m,
           ST_Intersects(s.geom, ST_Transform(ST_TileEnvelope(:z, :x, :y), 4326)) AS touch
      FROM cable_segments s
      JOIN operators o ON o.id = s.operator_id
      LEFT JOIN cable_routes r ON r.id = s.route_id
      JOIN ({states}) st ON st.segment_id = s.id
     WHERE st.lifecycle = 'active'
       AND s.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326)"""


def expected(session, tile: TileCoord, as_of: date) -> list:
    """The segments of ``tile`` on ``as_of`` by an independent query (:func:`latest_states`)."""
    states = latest_states(as_of).subquery()
    compiled = states.element.compile(session.bind, compile_kwargs={"literal_binds": True})
    sql = SEGMENTS_SQL.format(states=compiled)
    return session.execute(text(sql), tile.params()).all()


def tile_of_demo(session, z, x, y, as_of=None, operators=()):
    tile = TileCoord.checked(z, x, y)
    request = tile_request(session, tile, as_of=as_of, operators=operators)
    return tile, decode(segment_tile(session, request))


def assert_inside_grid(layer: dict, tile: TileCoord) -> None:
    band = tile.band
    assert layer["extent"] == band.extent
    for feature in layer["features"]:
        for px, py in points(feature["geometry"]):
            assert -band.buffer <= px <= band.extent + band.buffer
            assert -band.buffer <= py <= band.extent + band.buffer


def test_bands_cover_every_zoom_once():
    zooms = [z for band in BANDS for z in range(band.min_zoom, band.max_zoom + 1)]
    assert zooms == list(range(0, BANDS[-1].max_zoom + 1))


@pytest.mark.parametrize("z", [14, 16])
def test_detailed_tiles_hold_every_segment_with_its_attributes(demo_session, z):
    tiles = demo_tiles(z)[:: max(1, len(demo_tiles(z)) // 12)]
    seen = 0
    for z_, x, y in tiles:
        tile, layer = tile_of_demo(demo_session, z_, x, y)
        rows = {row.id: row for row in expected(demo_session, tile, date.today())}
        features = {f["id"]: f for f in layer.get("features", [])}
        touching = {i for i, row in rows.items() if row.touch}
        assert touching <= set(features) <= set(rows)
        for segment_id, feature in features.items():
            row, props = rows[segment_id], feature["properties"]
            assert props["operator"] == row.operator
            assert props.get("route") == row.route
            assert props["class"] == placement_class(row.placement, row.tidied)
            assert props["kind"] == row.placement_kind
            assert props["length_m"] == pytest.approx(row.length_m, abs=0.05)
            assert props["since"] == row.effective_date.isoformat()
            assert feature["geometry"]["type"] in ("LineString", "MultiLineString")
        if layer:
            assert_inside_grid(layer, tile)
        seen += len(touching)
    assert seen > 100


@pytest.mark.parametrize("z", [8, 10, 12, 13])
def test_zoomed_out_tiles_count_every_segment_in_an_aggregate(demo_session, z):
    total = 0
    for z_, x, y in demo_tiles(z):
        tile, layer = tile_of_demo(demo_session, z_, x, y)
        rows = expected(demo_session, tile, date.today())
        want_n = Counter((r.operator, placement_class(r.placement, r.tidied)) for r in rows)
        want_m = Counter()
        for r in rows:
            want_m[(r.operator, placement_class(r.placement, r.tidied))] += r.length_m
        got = {(f["properties"]["operator"], f["properties"]["class"]): f
               for f in layer.get("features", [])}
        assert set(got) == set(want_n)
        for key, feature in got.items():
            assert feature["properties"]["segments"] == want_n[key]
            assert feature["properties"]["length_m"] == round(want_m[key])
            assert "id" not in feature or feature["id"] == 0
        if layer:
            assert len(layer["features"]) <= len(PlacementClass) * 5
            assert_inside_grid(layer, tile)
        total += sum(want_n.values())
    assert total >= 2500  # the tiles over the demo hold all of it


def test_as_of_shows_the_state_then(demo_session):
    """On 2021-12-31 fewer segments are underground than today, and each feature's class is
    its state on that date."""
    as_of = date(2021, 12, 31)
    changed = 0
    for z, x, y in demo_tiles(14):
        tile, layer = tile_of_demo(demo_session, z, x, y, as_of=as_of)
        rows = {row.id: row for row in expected(demo_session, tile, as_of)}
        features = {f["id"]: f for f in layer.get("features", [])}
        assert {i for i, r in rows.items() if r.touch} <= set(features) <= set(rows)
        _, today = tile_of_demo(demo_session, z, x, y)
        now = {f["id"]: f["properties"]["class"] for f in today.get("features", [])}
        for segment_id, feature in features.items():
            row = rows[segment_id]
            assert feature["properties"]["class"] == placement_class(row.placement, row.tidied)
            changed += now.get(segment_id) != feature["properties"]["class"]
    assert changed > 10


def test_a_segment_removed_or_not_yet_built_is_not_drawn(demo_session):
    segment_id, lon, lat = demo_session.execute(text(
        "SELECT id, ST_X(ST_StartPoint(geom)), ST_Y(ST_StartPoint(geom)) FROM cable_segments"
        " WHERE lifecycle = 'active' ORDER BY id LIMIT 1")).one()
    from gis.history import record_state_change
    from tests.tiles.conftest import tile_of

    record_state_change(demo_session, segment_id, effective_date=date.today(), source="test",
                        lifecycle=Lifecycle.REMOVED)
    x, y = tile_of(lon, lat, 16)
    _, layer = tile_of_demo(demo_session, 16, x, y)
    assert segment_id not in {f["id"] for f in layer.get("features", [])}
    _, before = tile_of_demo(demo_session, 16, x, y, as_of=date(2024, 12, 31))
    assert segment_id in {f["id"] for f in before["features"]}


def test_operator_filter_keeps_those_operators(demo_session):
    everyone, chosen = set(), set()
    for z, x, y in demo_tiles(12):
        _, layer = tile_of_demo(demo_session, z, x, y)
        everyone |= {f["properties"]["operator"] for f in layer.get("features", [])}
        _, layer = tile_of_demo(demo_session, z, x, y, operators=("vnpt", "FPT"))
        chosen |= {f["properties"]["operator"] for f in layer.get("features", [])}
    assert chosen == {"VNPT", "FPT"} and len(everyone) == 4


def test_a_tile_with_nothing_is_none(demo_session):
    tile = TileCoord.checked(14, 0, 0)
    assert segment_tile(demo_session, tile_request(demo_session, tile)) is None
