"""Operators, routes, communes and structures: lists, filters, pagination, details with km,
versions on a date, bad input, and operator isolation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from geoalchemy2.shape import from_shape
from pyproj import Geod
from shapely import Point

from api.schemas.network import (
    OperatorDetail,
    OperatorList,
    RouteDetail,
    RoutePage,
    StructureCollection,
    StructureDetail,
    UnitCollection,
    UnitFeature,
)
from gis.models import CableSegment, Structure
from tests.factories import bearer, make_operator, make_route, make_segment, make_unit, make_user

GEOD = Geod(ellps="WGS84")
BOX = (106.30, 20.40, 106.40, 20.50)


def _km(line: list[tuple[float, float]]) -> float:
    (lon1, lat1), (lon2, lat2) = line
    return GEOD.inv(lon1, lat1, lon2, lat2)[2] / 1000.0


LINES = {
    "a": [(106.31, 20.41), (106.32, 20.41)],
    "b": [(106.32, 20.41), (106.33, 20.41)],
    "c": [(106.33, 20.41), (106.335, 20.41)],
    "d": [(106.34, 20.41), (106.345, 20.41)],
    "e": [(106.36, 20.45), (106.37, 20.45)],
}


@dataclass
class World:
    """Three operators, units old and new, routes, segments and structures, users."""

    segs: dict[str, CableSegment]
    structures: dict[str, Structure]
    tokens: dict[str, str]

    def auth(self, who: str = "planner") -> dict[str, str]:
        """Authorization header of ``who`` (planner, vnpt, viettel)."""
        return bearer(self.tokens[who])


def _structure(session, kind: str, owner, lon: float, lat: float, code: str, sharers=()):
    structure = Structure(kind=kind, code=code, owner_id=owner.id,
                          geom=from_shape(Point(lon, lat), srid=4326))
    structure.shared_by = list(sharers)
    session.add(structure)
    session.flush()
    return structure


@pytest.fixture
def world(session) -> World:
    """The network the tests read."""
    vnpt = make_operator(session, "VNPT")
    viettel = make_operator(session, "VIETTEL")
    evn = make_operator(session, "EVN", name="Điện lực Thái Bình")
    evn.kind = "power"
    province = make_unit(session, "33", BOX, level="province", name="Tỉnh Hưng Yên",
                         valid_from=date(2000, 1, 1))
    district = make_unit(session, "336", BOX, level="district", name="Thành phố Thái Bình",
                         valid_from=date(2000, 1, 1), valid_to=date(2025, 7, 1),
                         parent=province)
    make_unit(session, "12345", BOX, name="Phường Cũ", valid_from=date(2000, 1, 1),
              valid_to=date(2025, 7, 1), parent=district)
    make_unit(session, "97001", BOX, name="Phường Mới", parent=province)
    r1 = make_route(session, vnpt, "VNPT-01", tier="trunk")
    make_route(session, vnpt, "VNPT-02", tier="drop")
    r3 = make_route(session, viettel, "VT-01", tier="intermediate")
    segs = {
        "a": make_segment(session, vnpt, LINES["a"], route=r1),
        "b": make_segment(session, vnpt, LINES["b"], route=r1, tidied=True),
        "c": make_segment(session, vnpt, LINES["c"], route=r1, placement="underground"),
        "d": make_segment(session, vnpt, LINES["d"], route=r1, lifecycle="removed"),
        "e": make_segment(session, viettel, LINES["e"], route=r3),
    }
    structures = {
        "pole": _structure(session, "pole", evn, 106.32, 20.41, "EVN-P-1", sharers=[vnpt]),
        "manhole": _structure(session, "manhole", vnpt, 106.33, 20.41, "VNPT-M-1"),
        "cabinet": _structure(session, "cabinet", viettel, 106.37, 20.45, "VT-C-1"),
        "lone": _structure(session, "pole", evn, 106.39, 20.49, "EVN-P-2"),
    }
    segs["a"].end_structure_id = structures["pole"].id
    segs["b"].start_structure_id = structures["pole"].id
    segs["b"].end_structure_id = structures["manhole"].id
    session.flush()
    tokens = {}
    for name, role, operator in (("planner", "planner", None), ("vnpt", "operator", vnpt),
                                 ("viettel", "operator", viettel)):
        tokens[name] = make_user(session, role, operator)[1]
    return World(segs, structures, tokens)


# ---------------------------------------------------------------- operators

def test_operators_list_and_detail(client, world):
    """Staff see every operator; the detail counts routes and km of active cable by placement."""
    body = client.get("/operators", headers=world.auth()).json()
    OperatorList.model_validate(body)
    assert [(o["code"], o["kind"]) for o in body["items"]] == [
        ("EVN", "power"), ("VIETTEL", "telecom"), ("VNPT", "telecom")]
    response = client.get("/operators/vnpt", headers=world.auth())
    assert response.status_code == 200
    detail = OperatorDetail.model_validate(response.json())
    assert (detail.code, detail.routes) == ("VNPT", 2)
    net = detail.network
    assert (net.segments, net.active_segments) == (4, 3)
    assert net.overhead_km == pytest.approx(_km(LINES["a"]) + _km(LINES["b"]), abs=1e-5)
    assert net.overhead_tidied_km == pytest.approx(_km(LINES["b"]), abs=1e-5)
    assert net.underground_km == pytest.approx(_km(LINES["c"]), abs=1e-5)
    assert net.total_km == pytest.approx(net.overhead_km + net.underground_km, abs=1e-9)


def test_operator_user_sees_only_itself(client, world):
    """An operator user lists only its operator; another operator is 404, like an unknown one."""
    body = client.get("/operators", headers=world.auth("vnpt")).json()
    assert [o["code"] for o in body["items"]] == ["VNPT"]
    assert client.get("/operators/VIETTEL", headers=world.auth("vnpt")).status_code == 404
    missing = client.get("/operators/MOBIFONE", headers=world.auth())
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert client.get("/operators").status_code == 401


# ---------------------------------------------------------------- routes

def test_routes_filters_and_detail(client, world):
    """Routes by code, filtered by operator and tier; the detail has segments and km."""
    def codes(**params) -> list[str]:
        response = client.get("/routes", params=params, headers=world.auth())
        assert response.status_code == 200, response.text
        RoutePage.model_validate(response.json())
        return [r["code"] for r in response.json()["items"]]

    assert codes() == ["VNPT-01", "VNPT-02", "VT-01"]
    assert codes(operator="VIETTEL") == ["VT-01"]
    assert codes(operator=["VIETTEL", "VNPT"]) == ["VNPT-01", "VNPT-02", "VT-01"]
    assert codes(tier="drop") == ["VNPT-02"]
    assert codes(tier="trunk", operator="VIETTEL") == []
    detail = RouteDetail.model_validate(
        client.get("/routes/VNPT-01", headers=world.auth()).json())
    assert (detail.operator, detail.tier, detail.network.segments,
            detail.network.active_segments) == ("VNPT", "trunk", 4, 3)
    assert detail.network.underground_km == pytest.approx(_km(LINES["c"]), abs=1e-5)
    empty = client.get("/routes/VNPT-02", headers=world.auth()).json()
    assert empty["network"]["segments"] == 0 and empty["network"]["total_km"] == 0


def test_routes_pagination(client, world):
    """limit=1 walks the three routes through `next` links that keep the filters."""
    seen, url, params = [], "/routes", {"limit": 1}
    while url:
        body = client.get(url, params=params, headers=world.auth()).json()
        seen += [r["code"] for r in body["items"]]
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url, params = (nxt[0] if nxt else None), None
    assert seen == ["VNPT-01", "VNPT-02", "VT-01"]
    body = client.get("/routes", params={"limit": 1, "operator": "VNPT"},
                      headers=world.auth()).json()
    query = parse_qs(urlsplit(body["links"][-1]["href"]).query)
    assert query == {"limit": ["1"], "operator": ["VNPT"], "after": ["VNPT-01"]}


def test_routes_isolation_and_bad_input(client, world):
    """An operator user sees only its routes; another's route is 404; bad input is 422."""
    body = client.get("/routes", headers=world.auth("viettel")).json()
    assert [r["code"] for r in body["items"]] == ["VT-01"]
    assert client.get("/routes/VNPT-01", headers=world.auth("viettel")).status_code == 404
    assert client.get("/routes/NOPE", headers=world.auth()).status_code == 404
    for params, field in (({"tier": "backbone"}, "query.tier"), ({"limit": 0}, "query.limit"),
                          ({"operator": "MOBIFONE"}, "query.operator")):
        response = client.get("/routes", params=params, headers=world.auth())
        assert response.status_code == 422, params
        assert [e["field"] for e in response.json()["errors"]] == [field]


# ---------------------------------------------------------------- communes

def test_communes_in_force_on_a_date(client, world):
    """Today: the province and the new commune; before 1/7/2025: district and old commune too.
    GeoJSON with code, name, level, validity and parent code."""
    def units(**params) -> dict[str, dict]:
        response = client.get("/communes", params=params, headers=world.auth("vnpt"))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/geo+json"
        UnitCollection.model_validate(response.json())
        return {f["id"]: f["properties"] for f in response.json()["features"]}

    assert set(units()) == {"33", "97001"}
    old = units(as_of="2024-12-31")
    assert set(old) == {"33", "336", "12345"}
    assert old["12345"] == {"code": "12345", "name": "Phường Cũ", "level": "commune",
                            "valid_from": "2000-01-01", "valid_to": "2025-07-01",
                            "parent_code": "336"}
    assert set(units(as_of="2025-07-01", level="commune")) == {"97001"}
    assert set(units(as_of="2025-06-30", level="district")) == {"336"}


def test_commune_detail(client, world):
    """One unit: the version in force today or on `as_of`; 404 when none was."""
    response = client.get("/communes/97001", headers=world.auth())
    assert response.status_code == 200
    feature = UnitFeature.model_validate(response.json())
    assert feature.geometry.type == "MultiPolygon"
    assert feature.properties.parent_code == "33"
    assert client.get("/communes/12345", headers=world.auth()).status_code == 404
    old = client.get("/communes/12345", params={"as_of": "2025-06-30"}, headers=world.auth())
    assert old.status_code == 200 and old.json()["properties"]["valid_to"] == "2025-07-01"
    bad = client.get("/communes", params={"level": "hamlet"}, headers=world.auth())
    assert [e["field"] for e in bad.json()["errors"]] == ["query.level"]
    bad = client.get("/communes/33", params={"as_of": "soon"}, headers=world.auth())
    assert [e["field"] for e in bad.json()["errors"]] == ["query.as_of"]


# ---------------------------------------------------------------- structures

def _structure_names(client, world, who="planner", **params) -> list[str]:
    response = client.get("/structures", params=params, headers=world.auth(who))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    StructureCollection.model_validate(response.json())
    names = {s.id: n for n, s in world.structures.items()}
    return [names[f["id"]] for f in response.json()["features"]]


def test_structures_filters(client, world):
    """bbox, kind and operator (owner or sharer) each filter."""
    assert _structure_names(client, world) == ["pole", "manhole", "cabinet", "lone"]
    assert _structure_names(client, world, bbox="106.31,20.40,106.35,20.42") == [
        "pole", "manhole"]
    assert _structure_names(client, world, kind="pole") == ["pole", "lone"]
    assert _structure_names(client, world, operator="VNPT") == ["pole", "manhole"]
    assert _structure_names(client, world, operator="EVN", kind="pole",
                            bbox="106.38,20.48,106.40,20.50") == ["lone"]
    body = client.get("/structures", params={"kind": "pole"}, headers=world.auth()).json()
    pole = body["features"][0]
    assert pole["geometry"] == {"type": "Point", "coordinates": [106.32, 20.41]}
    assert pole["properties"] == {"code": "EVN-P-1", "kind": "pole", "owner": "EVN",
                                  "shared_by": ["VNPT"], "note": None}


def test_structures_pagination_and_detail(client, world):
    """Pages of 3 then 1 through `next`; the detail lists the segments at the structure."""
    first = client.get("/structures", params={"limit": 3}, headers=world.auth()).json()
    assert first["numberReturned"] == 3
    nxt = [link["href"] for link in first["links"] if link["rel"] == "next"][0]
    second = client.get(nxt, headers=world.auth()).json()
    assert [f["id"] for f in second["features"]] == [world.structures["lone"].id]
    assert [link["rel"] for link in second["links"]] == ["self"]
    response = client.get(f"/structures/{world.structures['pole'].id}", headers=world.auth())
    assert response.status_code == 200
    detail = StructureDetail.model_validate(response.json())
    assert detail.properties.segments == sorted([world.segs["a"].id, world.segs["b"].id])
    manhole = client.get(f"/structures/{world.structures['manhole'].id}",
                         headers=world.auth()).json()
    assert manhole["properties"]["segments"] == [world.segs["b"].id]
    assert client.get("/structures/0", headers=world.auth()).status_code == 404
    bad = client.get("/structures/pole", headers=world.auth())
    assert [e["field"] for e in bad.json()["errors"]] == ["path.structure_id"]
    bad = client.get("/structures", params={"bbox": "1,2,3"}, headers=world.auth())
    assert [e["field"] for e in bad.json()["errors"]] == ["query.bbox"]


def test_structures_isolation(client, world):
    """An operator user sees what it owns or shares, nothing else: the EVN pole it shares
    (whose owner it cannot see), its manhole; not Viettel's cabinet nor the other EVN pole."""
    assert _structure_names(client, world, "vnpt") == ["pole", "manhole"]
    assert _structure_names(client, world, "viettel") == ["cabinet"]
    pole = client.get(f"/structures/{world.structures['pole'].id}",
                      headers=world.auth("vnpt")).json()
    assert pole["properties"]["owner"] is None and pole["properties"]["shared_by"] == ["VNPT"]
    other = client.get(f"/structures/{world.structures['cabinet'].id}",
                       headers=world.auth("vnpt"))
    assert other.status_code == 404
