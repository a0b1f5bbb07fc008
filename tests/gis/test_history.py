"""History: state changes are dated rows, and figures can be asked as of any date."""

from __future__ import annotations

from datetime import date

import pytest

from gis.errors import NotFoundError
from gis.history import network_figures_as_of, record_state_change, state_as_of
from tests.factories import make_operator, make_segment, make_unit

EAST = [(106.36, 20.45), (106.37, 20.45)]  # ~1.04 km, in commune 33333 (east)
WEST = [(106.31, 20.45), (106.32, 20.45)]  # ~1.04 km, in commune 22222 (west)


@pytest.fixture
def network(session):
    """Two operators, old and new communes, three segments built in 2019."""
    vnpt = make_operator(session, "VNPT")
    viettel = make_operator(session, "VIETTEL")
    make_unit(session, "11111", (106.30, 20.40, 106.40, 20.50), name="Old ward",
              valid_from=date(2004, 1, 1), valid_to=date(2025, 7, 1))
    make_unit(session, "22222", (106.30, 20.40, 106.35, 20.50), name="West")
    make_unit(session, "33333", (106.35, 20.40, 106.40, 20.50), name="East")
    segments = {
        "vnpt_east": make_segment(session, vnpt, EAST),
        "vnpt_west": make_segment(session, vnpt, WEST),
        "viettel_east": make_segment(session, viettel, EAST),
    }
    return segments


def _km(rows, commune, operator, field="underground_km"):
    match = [r for r in rows if r.commune_code == commune and r.operator_code == operator]
    return getattr(match[0], field) if match else 0.0


def test_underground_km_across_a_change(session, network):
    """Km underground per commune and operator before, on and after the change date."""
    seg = network["vnpt_east"]
    record_state_change(session, seg.id, effective_date=date(2023, 6, 15),
                        placement="underground", source="QĐ 12/2023 hạ ngầm")
    before = network_figures_as_of(session, date(2023, 6, 14))
    on_day = network_figures_as_of(session, date(2023, 6, 15))
    assert _km(before, "33333", "VNPT") == 0.0
    assert _km(on_day, "33333", "VNPT") == pytest.approx(seg.length_m / 1000)
    assert _km(on_day, "33333", "VNPT", "overhead_km") == 0.0
    assert _km(on_day, "33333", "VIETTEL") == 0.0
    assert _km(on_day, "22222", "VNPT", "overhead_km") == pytest.approx(
        network["vnpt_west"].length_m / 1000)
    session.refresh(seg)
    assert (seg.placement, seg.placement_kind, seg.state_since) == (
        "underground", "duct", date(2023, 6, 15))


def test_figures_before_a_segment_existed(session, network):
    """A segment recorded from 2019 is not counted in 2018."""
    assert network_figures_as_of(session, date(2018, 12, 31)) == []
    assert sum(r.segments for r in network_figures_as_of(session, date(2019, 1, 1))) == 3


def test_removed_cable_stops_counting(session, network):
    """Removed (thu hồi) cable leaves the totals from its removal date."""
    seg = network["viettel_east"]
    record_state_change(session, seg.id, effective_date=date(2024, 3, 1), lifecycle="removed",
                        source="thu hồi cáp không sử dụng")
    totals = network_figures_as_of(session, date(2024, 3, 1), group_by="operator")
    assert [r.operator_code for r in totals] == ["VNPT"]
    earlier = network_figures_as_of(session, date(2024, 2, 29), group_by="operator")
    assert [r.operator_code for r in earlier] == ["VIETTEL", "VNPT"]


def test_tidied_overhead_km(session, network):
    """Tidying (chỉnh trang) is counted on overhead cable."""
    seg = network["vnpt_west"]
    record_state_change(session, seg.id, effective_date=date(2021, 9, 1), tidied=True,
                        source="chỉnh trang 2021")
    rows = network_figures_as_of(session, date(2022, 1, 1), group_by="total")
    assert len(rows) == 1
    assert rows[0].overhead_tidied_km == pytest.approx(seg.length_m / 1000)
    assert rows[0].total_km == pytest.approx(sum(s.length_m for s in network.values()) / 1000)


def test_backdated_correction_keeps_current_state(session, network):
    """A row dated before the latest one changes the past, not the present."""
    seg = network["vnpt_east"]
    record_state_change(session, seg.id, effective_date=date(2024, 1, 1), placement="underground",
                        source="a")
    record_state_change(session, seg.id, effective_date=date(2022, 1, 1), tidied=True, source="b")
    session.refresh(seg)
    assert (seg.placement, seg.state_since) == ("underground", date(2024, 1, 1))
    assert state_as_of(session, seg.id, date(2023, 1, 1)).tidied is True
    assert state_as_of(session, seg.id, date(2021, 12, 31)).tidied is False


def test_communes_as_of_date_use_old_units(session, network):
    """Grouped by the communes in force on the date, a 2024 report uses the pre-2025 ward."""
    rows = network_figures_as_of(session, date(2024, 12, 31), group_by="commune",
                                 communes="as_of")
    assert [(r.commune_code, r.segments) for r in rows] == [("11111", 3)]
    rows = network_figures_as_of(session, date(2025, 7, 1), group_by="commune", communes="as_of")
    assert [(r.commune_code, r.segments) for r in rows] == [("22222", 1), ("33333", 2)]


def test_underground_share(session, network):
    """The share is underground length over total length."""
    record_state_change(session, network["vnpt_east"].id, effective_date=date(2020, 1, 1),
                        placement="underground", placement_kind="direct_buried", source="x")
    (row,) = network_figures_as_of(session, date(2020, 1, 1), group_by="total")
    assert row.underground_share == pytest.approx(row.underground_km / row.total_km)
    assert 0.3 < row.underground_share < 0.35


def test_inconsistent_change_is_refused(session, network):
    """An overhead segment cannot be in a duct; unknown segments are not found."""
    with pytest.raises(ValueError, match="does not fit"):
        record_state_change(session, network["vnpt_east"].id, effective_date=date(2020, 1, 1),
                            placement_kind="duct", source="x")
    with pytest.raises(NotFoundError):
        record_state_change(session, 10**9, effective_date=date(2020, 1, 1), tidied=True,
                            source="x")
