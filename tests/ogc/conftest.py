"""OGC API fixtures: a small network (two operators, routes, structures, a commune, visits,
violations and a dated state history) inside the test's rolled-back transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from geoalchemy2.shape import from_shape
from shapely import Point

from gis.history import record_state_change
from gis.models import CableSegment, Structure
from tests.api.conftest import app, client, settings  # noqa: F401 (the API fixtures)
from tests.compliance_data import World, make_world
from tests.factories import make_route, make_segment, make_unit


@dataclass
class OgcWorld:
    """:class:`tests.compliance_data.World` plus a route per operator, a third VNPT segment
    (far east) with a history, a pole of each operator and one commune."""

    world: World
    seg_c: CableSegment
    structures: dict[str, Structure]

    def auth(self, who: str) -> dict[str, str]:
        return self.world.auth(who)


@pytest.fixture
def ogc(session) -> OgcWorld:
    world = make_world(session)
    make_unit(session, "97001", (106.3, 20.4, 106.4, 20.5), name="Phường Trần Lãm")
    route_a = make_route(session, world.vnpt, "VNPT-01", tier="trunk")
    route_b = make_route(session, world.viettel, "VT-01")
    world.seg_a.route_id = route_a.id
    world.seg_b.route_id = route_b.id
    seg_c = make_segment(session, world.vnpt, [(106.50, 20.55), (106.505, 20.55)],
                         state_since=date(2019, 1, 1), route=route_a)
    record_state_change(session, seg_c.id, effective_date=date(2023, 6, 1), source="test",
                        placement="underground")
    structures = {}
    for name, operator, lon in (("vnpt", world.vnpt, 106.33), ("viettel", world.viettel, 106.34)):
        pole = Structure(kind="pole", code=f"P-{name}", owner_id=operator.id,
                         geom=from_shape(Point(lon, 20.45), srid=4326))
        session.add(pole)
        structures[name] = pole
    session.flush()
    session.refresh(seg_c)
    return OgcWorld(world, seg_c, structures)
