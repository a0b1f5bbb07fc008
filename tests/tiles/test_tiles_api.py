"""GET /tiles/{z}/{x}/{y}.pbf: the vector tile, its headers, the empty tile, bad input naming
the parameter, the page cookie, and operator isolation under row-level security."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from api.deps import SESSION_COOKIE
from tests.compliance_data import make_world
from tests.tiles.conftest import decode, tile_of

MVT = "application/vnd.mapbox-vector-tile"


@pytest.fixture
def world(session, app):
    """Two operators with a segment each (VNPT at 20.45 N, VIETTEL at 20.46 N) and users of
    every role."""
    return make_world(session, with_violations=False)


def url(z: int, lon: float = 106.332, lat: float = 20.455) -> str:
    x, y = tile_of(lon, lat, z)
    return f"/tiles/{z}/{x}/{y}.pbf"


@pytest.mark.parametrize("z", [12, 16])
def test_a_tile_is_mvt_with_cache_headers(client, world, z):
    path = url(z, lat=20.45)
    response = client.get(path, headers=world.auth("inspector"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MVT
    assert response.headers["cache-control"] == "private, max-age=60"
    layer = decode(response.content)
    assert {f["properties"]["operator"] for f in layer["features"]} >= {"VNPT"}
    again = client.get(path, headers={**world.auth("inspector"),
                                      "If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_features_and_aggregates(client, world):
    headers = world.auth("planner")
    feature = decode(client.get(url(16, lat=20.45), headers=headers).content)["features"]
    assert [f["id"] for f in feature] == [world.seg_a.id]
    assert feature[0]["properties"]["class"] == "overhead_untidied"
    [aggregate] = [f for f in decode(client.get(url(10), headers=headers).content)["features"]
                   if f["properties"]["operator"] == "VIETTEL"]
    assert aggregate["properties"]["segments"] == 1
    assert aggregate["properties"]["length_m"] == round(world.seg_b.length_m)


def test_an_empty_tile_is_204(client, world):
    response = client.get("/tiles/14/0/0.pbf", headers=world.auth("admin"))
    assert response.status_code == 204 and response.content == b""
    assert "etag" in response.headers


def test_the_page_cookie_is_enough_for_a_get(client, world):
    client.cookies.set(SESSION_COOKIE, world.tokens["inspector"])
    assert client.get(url(12, lat=20.45)).status_code == 200


def test_without_a_token_it_is_401(client, world):
    assert client.get(url(12)).status_code == 401


@pytest.mark.parametrize(("path", "fields"), [
    ("/tiles/23/0/0.pbf", ["path.z"]),
    ("/tiles/-1/0/0.pbf", ["path.z"]),
    ("/tiles/3/8/0.pbf", ["path.x"]),
    ("/tiles/3/0/8.pbf", ["path.y"]),
    ("/tiles/3/-1/9.pbf", ["path.x", "path.y"]),
    ("/tiles/3/a/0.pbf", ["path.x"]),
    ("/tiles/3/0/b.pbf", ["path.y"]),
])
def test_bad_z_x_y_are_422_naming_the_parameter(client, world, path, fields):
    response = client.get(path, headers=world.auth("admin"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == fields


@pytest.mark.parametrize(("params", "field"), [
    ({"as_of": "2024-02-30"}, "query.as_of"),
    ({"as_of": "2999-01-01"}, "query.as_of"),
    ({"operator": "NOPE"}, "query.operator"),
])
def test_bad_filters_are_422_naming_the_parameter(client, world, params, field):
    response = client.get(url(12), params=params, headers=world.auth("admin"))
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


def test_filters_by_operator_and_date(client, world):
    headers = world.auth("admin")
    both = decode(client.get(url(12), headers=headers).content)["features"]
    assert {f["properties"]["operator"] for f in both} == {"VNPT", "VIETTEL"}
    one = decode(client.get(url(12), params={"operator": "viettel"},
                            headers=headers).content)["features"]
    assert {f["properties"]["operator"] for f in one} == {"VIETTEL"}
    before = client.get(url(12), params={"as_of": "2018-12-31"}, headers=headers)
    assert before.status_code == 204  # built in 2019


def test_an_operator_sees_only_its_own_segments(client, world):
    headers = world.auth("vnpt")
    features = decode(client.get(url(12), headers=headers).content)["features"]
    assert {f["properties"]["operator"] for f in features} == {"VNPT"}
    assert client.get(url(16, lat=20.46), headers=headers).status_code == 204
    other = client.get(url(12), params={"operator": "VIETTEL"}, headers=headers)
    assert other.status_code == 422  # another operator is as unknown as none


def test_tile_segments_gives_only_the_scoped_operators_rows(session, world):
    """The function operator users' tiles read through (migration 0004) applies the policy's
    rule itself: the scoped operator's segments only, nothing without a scope."""
    area = "ST_MakeEnvelope(106, 20, 107, 21, 4326)"
    assert session.scalar(text(f"SELECT count(*) FROM tile_segments({area})")) == 0
    session.execute(text("SELECT set_config('telecom_gis.operator_scope', :id, true)"),
                    {"id": str(world.viettel.id)})
    ids = session.scalars(text(f"SELECT id FROM tile_segments({area})")).all()
    session.execute(text("SELECT set_config('telecom_gis.operator_scope', '', true)"))
    assert ids == [world.seg_b.id]
