"""The maps' data (gis.queries.map_data) against the database, on two dates and with filters:
a small network built by the factories, whose answer is known segment by segment."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from gis.choices import PlacementClass
from gis.compliance.rules import local_today
from gis.errors import ValidationFailed
from gis.history import record_state_change
from gis.queries.map_data import MapFilter, map_communes, map_segments, resolve_filter
from gis.queries.plans import PlanInput, create_plan
from tests.factories import make_operator, make_route, make_segment, make_unit
from tests.maps.conftest import decode_polyline

EAST = [(106.36, 20.45), (106.365, 20.452), (106.37, 20.45)]  # in commune 33333 (east)
WEST = [(106.31, 20.45), (106.32, 20.45)]  # in commune 22222 (west)
BEFORE_2025 = date(2024, 6, 30)


@pytest.fixture
def network(session):
    """Two operators; one ward until 1/7/2025 split into West and East since; four segments:
    ``a`` overhead 2019, tidied 2021, underground 2023; ``b`` overhead; ``c`` removed in 2022;
    ``d`` built in 2024 (another operator)."""
    vnpt = make_operator(session, "VNPT")
    viettel = make_operator(session, "VIETTEL")
    units = {
        "old": make_unit(session, "11111", (106.30, 20.40, 106.40, 20.50), name="Old ward",
                         valid_from=date(2004, 1, 1), valid_to=date(2025, 7, 1)),
        "west": make_unit(session, "22222", (106.30, 20.40, 106.35, 20.50), name="West"),
        "east": make_unit(session, "33333", (106.35, 20.40, 106.40, 20.50), name="East"),
    }
    route = make_route(session, vnpt, "VNPT-R1")
    route.name = "Lý Thường Kiệt"
    a = make_segment(session, vnpt, EAST, route=route)
    record_state_change(session, a.id, effective_date=date(2021, 3, 1), tidied=True,
                        source="test")
    record_state_change(session, a.id, effective_date=date(2021, 9, 1), lifecycle="active",
                        placement_kind="aerial", source="test: no change of class")
    record_state_change(session, a.id, effective_date=date(2023, 6, 30),
                        placement="underground", source="test")
    b = make_segment(session, vnpt, WEST)
    c = make_segment(session, viettel, EAST)
    record_state_change(session, c.id, effective_date=date(2022, 1, 1), lifecycle="removed",
                        source="test")
    d = make_segment(session, viettel, WEST, state_since=date(2024, 1, 1))
    for segment in (a, b, c, d):
        session.refresh(segment)
    return {"a": a, "b": b, "c": c, "d": d, "units": units, "route": route,
            "vnpt": vnpt, "viettel": viettel}


def _segments(session, **flt):
    scope = resolve_filter(session, MapFilter(**flt))
    return scope, map_segments(session, scope, history=True, compliance=True,
                               stale_after_days=365)


def _by_id(result) -> dict[int, dict]:
    columns = ("polylines", "operator_ids", "route_ids", "classes", "lengths_m", "commune_ids",
               "histories", "compliance")
    return {sid: {c: getattr(result, c)[i] for c in columns}
            for i, sid in enumerate(result.ids)}


def test_segments_before_the_reorganisation(session, network):
    """On 30/6/2024: the removed segment is gone, the new one is there, ``a`` is underground
    with its whole history, every segment lies in the former ward."""
    _, result = _segments(session, as_of=BEFORE_2025)
    n = network
    assert result.ids == sorted([n["a"].id, n["b"].id, n["d"].id])
    rows = _by_id(result)
    assert rows[n["a"].id]["classes"] == PlacementClass.UNDERGROUND
    assert rows[n["b"].id]["classes"] == PlacementClass.OVERHEAD_UNTIDIED
    assert rows[n["a"].id]["histories"] == (
        "2019-01-01 overhead_untidied → 2021-03-01 overhead_tidied → 2023-06-30 underground")
    assert rows[n["d"].id]["histories"] == "2024-01-01 overhead_untidied"
    assert {r["commune_ids"] for r in rows.values()} == {n["units"]["old"].id}
    assert rows[n["a"].id]["route_ids"] == n["route"].id
    assert result.routes == {n["route"].id: ("VNPT-R1", "Lý Thường Kiệt")}
    assert rows[n["b"].id]["route_ids"] is None
    assert {r["compliance"] for r in rows.values()} == {"not_inspected"}
    assert result.operators[n["vnpt"].id] == ("VNPT", "VNPT Thái Bình")


def test_segments_on_an_earlier_date(session, network):
    """On 30/6/2020: ``c`` is still active and ``d`` not built; ``a`` overhead, not tidied,
    and its history stops at that date."""
    _, result = _segments(session, as_of=date(2020, 6, 30))
    n = network
    assert result.ids == sorted([n["a"].id, n["b"].id, n["c"].id])
    rows = _by_id(result)
    assert rows[n["a"].id]["classes"] == PlacementClass.OVERHEAD_UNTIDIED
    assert rows[n["a"].id]["histories"] == "2019-01-01 overhead_untidied"


def test_segments_today_lie_in_the_new_communes(session, network):
    _, result = _segments(session)
    rows = _by_id(result)
    n = network
    assert rows[n["a"].id]["commune_ids"] == n["units"]["east"].id
    assert rows[n["b"].id]["commune_ids"] == n["units"]["west"].id


def test_geometry_and_length(session, network):
    """The encoded polyline decodes to the stored line within 1e-5 degree; the length is the
    stored geodesic length in metres."""
    _, result = _segments(session)
    row = _by_id(result)[network["a"].id]
    points = decode_polyline(row["polylines"])
    assert len(points) == len(EAST)
    for (lon, lat), (x, y) in zip(points, EAST, strict=True):
        assert lon == pytest.approx(x, abs=6e-6) and lat == pytest.approx(y, abs=6e-6)
    assert row["lengths_m"] == pytest.approx(network["a"].length_m, abs=0.05)
    assert 1100 < row["lengths_m"] < 1200  # two legs of about 0.57 km


def test_operator_and_commune_filters(session, network):
    n = network
    _, viettel = _segments(session, as_of=date(2020, 6, 30), operators=("viettel",))
    assert viettel.ids == [n["c"].id]
    _, west = _segments(session, commune="22222")
    assert west.ids == sorted([n["b"].id, n["d"].id])
    _, old = _segments(session, as_of=BEFORE_2025, commune="11111")
    assert old.ids == sorted([n["a"].id, n["b"].id, n["d"].id])
    _, both = _segments(session, operators=("VNPT", "VIETTEL"), commune="33333")
    assert both.ids == [n["a"].id]


@pytest.mark.parametrize(("flt", "field", "words"), [
    ({"as_of": local_today() + timedelta(days=1)}, "as_of", "in the future"),
    ({"operators": ("NOPE",)}, "operator", "unknown operator"),
    ({"operators": ("VNPT", "NOPE")}, "operator[1]", "unknown operator"),
    ({"commune": "99999"}, "commune", "unknown commune"),
    ({"commune": "22222", "as_of": BEFORE_2025}, "commune", "was not in force on 2024-06-30"),
])
def test_bad_filters_name_the_field(session, network, flt, field, words):
    with pytest.raises(ValidationFailed) as caught:
        resolve_filter(session, MapFilter(**flt))
    assert caught.value.problems[0].field == field
    assert words in caught.value.problems[0].reason


def test_commune_figures_and_plan_targets(session, network):
    """Km of active cable per commune in force on the date, and the year's plan with its
    target and the km it moved underground by then."""
    n = network
    create_plan(session, PlanInput(year=2023, name="Ngầm hóa 2023", commune="11111",
                                   target_km=Decimal("1.5")))
    scope, result = _segments(session, as_of=date(2023, 12, 31))
    communes = map_communes(session, scope, result)
    assert [c.code for c in communes] == ["11111"]
    old = communes[0]
    total = (n["a"].length_m + n["b"].length_m) / 1000
    assert old.total_km == pytest.approx(total, abs=1e-3)
    assert old.underground_km == pytest.approx(n["a"].length_m / 1000, abs=1e-3)
    assert old.underground_share == pytest.approx(n["a"].length_m / 1000 / total, abs=1e-3)
    [plan] = old.plans
    assert (plan.name, plan.target_km) == ("Ngầm hóa 2023", 1.5)
    assert plan.achieved_km == pytest.approx(n["a"].length_m / 1000, abs=1e-3)
    assert '"type":"Polygon"' in old.geometry
    west, south = 106.30, 20.40
    assert west < old.label_at[0] < 106.40 and south < old.label_at[1] < 20.50

    scope, today = _segments(session)
    figures = {c.code: c for c in map_communes(session, scope, today)}
    assert set(figures) == {"22222", "33333"}
    assert figures["33333"].underground_share == pytest.approx(1.0)
    assert figures["22222"].underground_km == 0.0
    assert figures["33333"].plans == ()

    scope, filtered = _segments(session, commune="22222")
    assert [c.code for c in map_communes(session, scope, filtered)] == ["22222"]


def test_a_commune_without_cable_has_no_share(session, network):
    scope, result = _segments(session, operators=("VIETTEL",), as_of=date(2023, 1, 1))
    [old] = map_communes(session, scope, result)
    assert result.ids == [] and old.total_km == 0.0 and old.underground_share is None


@pytest.mark.parametrize(("placement", "tidied"), [
    ("overhead", False), ("overhead", True), ("underground", False), ("underground", True)])
def test_sql_and_python_classify_alike(session, placement, tidied):
    """The map's SQL class of a state row is gis.choices.placement_class of it."""
    from sqlalchemy import text

    from gis.choices import placement_class
    from gis.queries.map_data import placement_class_sql

    found = session.scalar(text(f"SELECT {placement_class_sql('h')} FROM (SELECT CAST(:p AS text)"
                                " AS placement, CAST(:t AS boolean) AS tidied) h"),
                           {"p": placement, "t": tidied})
    assert found == placement_class(placement, tidied)


def test_underground_class_shares_the_placement_label():
    from gis.choices import LABELS, Placement, label

    assert LABELS[PlacementClass.UNDERGROUND] == LABELS[Placement.UNDERGROUND]
    assert label(PlacementClass.OVERHEAD_TIDIED, "en") == "Overhead, tidied"
