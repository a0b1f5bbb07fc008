"""GET /maps/progress and GET /maps/compliance: HTML pages from the app's own assets, the
date and filters, bad input, the login redirect, and operator isolation."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from api.deps import SESSION_COOKIE
from gis.compliance.rules import local_today
from tests.compliance_data import make_world
from tests.factories import make_unit

URL = re.compile(r"https?://[^\s\"'<>()\\]+")


@pytest.fixture
def world(session, app):
    """Two operators with a segment each, users of every role, violations in every state, and
    the commune holding both segments."""
    world = make_world(session)
    make_unit(session, "98001", (106.30, 20.40, 106.40, 20.50), name="Phường Thái Bình")
    return world


def _payload(html: str, marker: str) -> dict:
    """The data (``var d = {...}``) of the map script that holds ``marker``."""
    start = html.rindex("var d = ", 0, html.index(marker)) + len("var d = ")
    return json.JSONDecoder().raw_decode(html[start:])[0]


def _segments(html: str) -> dict:
    return _payload(html, "function decode(str)")


def _violations(html: str) -> dict:
    return _payload(html, "var cluster = ")


def test_progress_map_is_html_from_our_assets(client, world):
    response = client.get("/maps/progress", headers=world.auth("admin"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<script src="/static/vendor/leaflet/leaflet.js"></script>' in html
    assert set(URL.findall(html)) == {client.app.state.settings.tile_url}
    data = _segments(html)
    assert data["operators"] == [["VIETTEL", "VIETTEL Thái Bình"], ["VNPT", "VNPT Thái Bình"]]
    assert len(data["lines"]) == 2 and data["histories"]
    assert "Phường Thái Bình" in html  # the commune, in the choropleth's tooltip


def test_static_assets_the_page_links_are_served(client, world):
    html = client.get("/maps/compliance", headers=world.auth("inspector")).text
    links = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in links
    for link in links:
        assert client.get(link).status_code == 200, link


@pytest.mark.parametrize(("as_of", "unresolved", "overdue"), [
    ("2024-03-15", 4, 0),  # open, reported, closed later, Viettel's; none due yet
    ("2024-04-15", 3, 2),  # the one closed on 1/4 is gone; two of VNPT's are past due
])
def test_compliance_map_on_a_date(client, world, as_of, unresolved, overdue):
    response = client.get("/maps/compliance", params={"as_of": as_of},
                          headers=world.auth("planner"))
    assert response.status_code == 200, response.text
    data = _violations(response.text)
    assert len(data["lat"]) == unresolved and sum(data["overdue"]) == overdue
    segments = _segments(response.text)
    states = [segments["classes"][c]["key"] for c in segments["cls"]]
    assert sorted(states) == (["non_compliant", "non_compliant"] if overdue == 0
                              else ["non_compliant", "overdue"])


def test_operator_sees_only_its_own_network(client, world):
    for path in ("/maps/progress", "/maps/compliance"):
        response = client.get(path, params={"as_of": "2024-03-15"}, headers=world.auth("vnpt"))
        assert response.status_code == 200, response.text
        assert _segments(response.text)["operators"] == [["VNPT", "VNPT Thái Bình"]]
    assert set(_violations(response.text)["operator"]) == {"VNPT"}


def test_filters(client, world):
    headers = world.auth("admin")
    html = client.get("/maps/progress", params={"operator": "viettel", "lang": "en"},
                      headers=headers).text
    assert _segments(html)["operators"] == [["VIETTEL", "VIETTEL Thái Bình"]]
    assert "Telecom cable undergrounding and tidying progress" in html
    html = client.get("/maps/progress", params=[("operator", "VNPT"), ("operator", "VIETTEL"),
                                                 ("commune", "98001")], headers=headers).text
    assert len(_segments(html)["lines"]) == 2
    html = client.get("/maps/progress", params={"as_of": "2018-12-31"}, headers=headers).text
    assert _segments(html)["lines"] == []  # built in 2019


@pytest.mark.parametrize(("params", "field"), [
    ({"as_of": "2024-13-01"}, "query.as_of"),
    ({"as_of": (local_today().replace(year=local_today().year + 1)).isoformat()},
     "query.as_of"),
    ({"operator": "NOPE"}, "query.operator"),
    ({"commune": "97002"}, "query.commune"),
    ({"lang": "fr"}, "query.lang"),
])
@pytest.mark.parametrize("path", ["/maps/progress", "/maps/compliance"])
def test_bad_input_is_422_naming_the_parameter(client, world, path, params, field):
    response = client.get(path, params=params, headers=world.auth("admin"))
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


def test_without_a_session_the_browser_goes_to_login(client, world):
    response = client.get("/maps/progress", params={"as_of": "2024-12-31"},
                          follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/maps/progress%3Fas_of%3D2024-12-31"


def test_the_page_cookie_opens_the_map(client, world):
    client.cookies.set(SESSION_COOKIE, world.tokens["inspector"])
    response = client.get("/maps/compliance", params={"as_of": date(2024, 4, 15).isoformat()})
    assert response.status_code == 200, response.text
    assert "Tuân thủ QCVN 33:2019/BTTTT" in response.text


def test_names_from_the_database_cannot_inject_html_or_templates(client, world, session):
    """Leaflet's layer control writes layer names with innerHTML and branca renders folium's
    script again as a Jinja template: an operator named with markup and ``{{ }}`` must not
    run in the browser nor on the server."""
    world.vnpt.name = "<img src=x onerror=alert(1)> {{ 7*7 }}"
    session.flush()
    for path in ("/maps/progress", "/maps/compliance"):
        html = client.get(path, headers=world.auth("admin")).text
        names = [json.loads(f'"{n}"') for n in re.findall(
            r'"((?:[^"\\]|\\.)*)"\s*:\s*feature_group_\w+', html)]
        vnpt = [n for n in names if "img" in n]
        assert len(vnpt) == 1, names
        assert "<" not in vnpt[0] and "{{" not in vnpt[0] and "49" not in vnpt[0]
        assert vnpt[0].startswith("&lt;img src=x onerror=alert(1)&gt; &#123;&#123; 7*7 }}")
        assert _segments(html)["operators"][1][1] == world.vnpt.name  # data, verbatim


def test_a_compliance_map_over_the_segment_limit_asks_for_a_narrower_filter(client, world,
                                                                            settings):
    """The world has two segments, one per operator: with a limit of one, the whole network
    is refused naming the filters that narrow it, and one operator's map is drawn."""
    client.app.state.settings = settings.model_copy(update={"map_max_segments": 1})
    headers = world.auth("admin")
    response = client.get("/maps/compliance", headers=headers)
    assert response.status_code == 422, response.text
    problems = response.json()["errors"]
    assert [p["field"] for p in problems] == ["query.operator", "query.commune"]
    assert "more than 1 segments match" in problems[0]["detail"]
    narrowed = client.get("/maps/compliance", params={"operator": "VNPT"}, headers=headers)
    assert narrowed.status_code == 200, narrowed.text


def test_a_served_progress_map_is_never_refused_for_its_size(client, world, settings):
    client.app.state.settings = settings.model_copy(update={"map_max_segments": 1})
    response = client.get("/maps/progress", headers=world.auth("admin"))
    assert response.status_code == 200, response.text
    assert len(_segments(response.text)["lines"]) == 2


def _tile_payload(html: str) -> dict:
    return _payload(html, "L.segmentTiles(d.url")


def test_above_the_tile_threshold_the_progress_map_draws_from_tiles(client, world, settings):
    """With the threshold under the network's size, the page carries no segment but a tile
    layer (tiles of the map's date and operators, from our own /tiles route), a layer per
    operator in the layer control, and the legend's figures; the tiles it asks for answer."""
    client.app.state.settings = settings.model_copy(update={"map_tiles_above": 1})
    headers = world.auth("planner")
    response = client.get("/maps/progress", params={"as_of": "2024-12-31"}, headers=headers)
    assert response.status_code == 200, response.text
    html = response.text
    assert "function decode(str)" not in html
    assert '<script src="/static/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js">' \
        in html
    assert set(URL.findall(html)) == {client.app.state.settings.tile_url}
    data = _tile_payload(html)
    assert data["url"] == "/tiles/{z}/{x}/{y}.pbf?as_of=2024-12-31"
    assert data["operators"] == [["VIETTEL", "VIETTEL Thái Bình"], ["VNPT", "VNPT Thái Bình"]]
    assert data["total"] == 2 and [c["key"] for c in data["classes"]] == [
        "underground", "overhead_tidied", "overhead_untidied"]
    tile = client.get("/tiles/12/3257/1810.pbf", params={"operator": "VNPT",
                                                        "as_of": "2024-12-31"}, headers=headers)
    assert tile.status_code == 200, tile.text
    chosen = _tile_payload(client.get(
        "/maps/progress", params={"operator": ["vnpt", "VIETTEL"]}, headers=headers).text)
    assert chosen["url"].startswith(
        "/tiles/{z}/{x}/{y}.pbf?operator=VNPT&operator=VIETTEL&as_of=")
    one = client.get("/maps/progress", params={"commune": "98001"}, headers=headers)
    assert "function decode(str)" in one.text  # a commune's network comes with the page
