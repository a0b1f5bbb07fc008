"""The small network the export tests read, and helpers that read exports back and compare
them with the database."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pyogrio
import shapely
from geoalchemy2.shape import to_shape
from pyproj import CRS
from sqlalchemy.orm import Session

from gis.crs import transform
from gis.history import record_state_change
from gis.models import CableSegment
from gis.queries.segments import SegmentFilter, list_segments
from tests.compliance_data import local, make_violation, make_visit
from tests.factories import bearer, make_operator, make_route, make_segment, make_unit, make_user

#: The properties every export carries after ``id``, in order.
PROPERTIES = ("route", "operator", "commune_code", "commune_name", "placement",
              "placement_kind", "tidied", "lifecycle", "state_since", "length_m", "compliance")


@dataclass
class ExportNet:
    """Two operators, two communes (one name with a comma and quotes), routes, seven segments
    (one goes underground on 2024-06-01, one has a violation, one was visited), a user of
    every role."""

    segs: dict[str, CableSegment]
    tokens: dict[str, str]
    users: dict

    def auth(self, who: str = "planner") -> dict[str, str]:
        """Authorization header of ``who`` (admin, inspector, planner, vnpt, viettel)."""
        return bearer(self.tokens[who])

    def name_of(self, segment_id: int) -> str:
        """The fixture's name of a segment id."""
        return next(name for name, seg in self.segs.items() if seg.id == segment_id)


def make_export_net(session: Session) -> ExportNet:
    """Build :class:`ExportNet` in ``session``."""
    vnpt = make_operator(session, "VNPT")
    viettel = make_operator(session, "VIETTEL")
    make_unit(session, "97001", (106.30, 20.40, 106.35, 20.50), name="Phường Một")
    make_unit(session, "97002", (106.35, 20.40, 106.40, 20.50), name='Xã Hai, "Đông"')
    r1 = make_route(session, vnpt, "VNPT-01", tier="trunk")
    r2 = make_route(session, vnpt, "VNPT-02")
    r3 = make_route(session, viettel, "VT-01")

    def line(lon: float, lat: float) -> list[tuple[float, float]]:
        return [(lon, lat), (lon + 0.002, lat + 0.0005)]

    segs = {
        "a": make_segment(session, vnpt, [(106.312345678912, 20.4123456789),
                                          (106.3131, 20.413), (106.3140, 20.4129)], route=r1),
        "b": make_segment(session, vnpt, line(106.32, 20.42), route=r1, tidied=True),
        "c": make_segment(session, vnpt, line(106.36, 20.43), placement="underground",
                          route=r2),
        "d": make_segment(session, viettel, line(106.37, 20.44), route=r3),
        "e": make_segment(session, viettel, line(106.38, 20.45), lifecycle="removed"),
        "f": make_segment(session, vnpt, line(106.33, 20.46), state_since=date(2024, 5, 1)),
        "g": make_segment(session, viettel, line(106.5, 20.6)),  # outside both communes
    }
    record_state_change(session, segs["a"].id, effective_date=date(2024, 6, 1), source="test",
                        placement="underground", placement_kind="tunnel")
    users, tokens = {}, {}
    for name, role, operator in (("admin", "admin", None), ("inspector", "inspector", None),
                                 ("planner", "planner", None), ("vnpt", "operator", vnpt),
                                 ("viettel", "operator", viettel)):
        users[name], tokens[name] = make_user(session, role, operator)
    visit_b = make_visit(session, segs["b"], users["inspector"], local(2024, 3, 1))
    visit_c = make_visit(session, segs["c"], users["inspector"], local(2024, 3, 1))
    make_violation(session, visit_c, "C11", due_on=date(2024, 3, 31))
    assert visit_b.id
    session.expire_all()
    return ExportNet(segs, tokens, users)


def reference(session: Session, flt: SegmentFilter | None = None,
              as_of: date | None = None) -> dict[int, dict]:
    """What ``GET /segments`` says of the segments passing ``flt`` on ``as_of``: id -> its
    Feature (dict)."""
    page = list_segments(session, flt or SegmentFilter(), as_of=as_of, stale_after_days=365,
                         limit=5000)
    assert page.next_after is None
    return {feature["id"]: feature for feature in map(json.loads, page.features)}


def stored_geometry(session: Session, segment_id: int) -> shapely.Geometry:
    """The segment's stored geometry (EPSG:4326, full precision)."""
    return to_shape(session.get(CableSegment, segment_id).geom)


def read_back(path: Path, **options) -> pd.DataFrame:
    """An exported file read with pyogrio (GDAL), as a GeoDataFrame."""
    return pyogrio.read_dataframe(path, **options)


def assert_same_geometry(actual: shapely.Geometry, expected: shapely.Geometry,
                         tolerance: float) -> None:
    """Same vertices, each within ``tolerance`` (degrees or metres) in x and y."""
    a, e = shapely.get_coordinates(actual), shapely.get_coordinates(expected)
    assert a.shape == e.shape, (actual.wkt, expected.wkt)
    assert abs(a - e).max() <= tolerance, (actual.wkt, expected.wkt)


def expected_geometry(session: Session, segment_id: int, crs: CRS) -> shapely.Geometry:
    """The stored geometry in ``crs`` (through the project's PROJ pipeline)."""
    geom = stored_geometry(session, segment_id)
    return transform([geom], CRS.from_epsg(4326), crs)[0]


def normalised(value):
    """A read-back cell as plain Python (numpy scalars, NaN/None, timestamps to dates)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value
