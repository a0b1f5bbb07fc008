"""Km underground / overhead / tidied over time from the state history, cross-checked against
queries written here from scratch (the state row in force is the latest dated on or before)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text

from gis.history import record_state_change
from gis.models import CableSegment
from gis.reports.network import first_history_year, network_progress
from gis.reports.periods import month_ends, year_ends
from gis.reports.scope import WHOLE_NETWORK, resolve_scope

TODAY = date(2026, 11, 27)

#: Km per (operator, commune code) of active cable at the end of :d, by placement and tidy.
KM_SQL = """
    SELECT o.code AS operator, u.code AS commune,
           coalesce(sum(c.length_m) FILTER (WHERE s.placement = 'underground'), 0) / 1000
             AS under_km,
           coalesce(sum(c.length_m) FILTER (WHERE s.placement = 'overhead'), 0) / 1000 AS over_km,
           coalesce(sum(c.length_m) FILTER (WHERE s.placement = 'overhead' AND s.tidied), 0)
             / 1000 AS tidy_km
      FROM (SELECT DISTINCT ON (segment_id) segment_id, placement, tidied, lifecycle
              FROM segment_states WHERE effective_date <= :d
             ORDER BY segment_id, effective_date DESC, id DESC) s
      JOIN cable_segments c ON c.id = s.segment_id
      JOIN operators o ON o.id = c.operator_id
      LEFT JOIN admin_units u ON u.id = c.commune_id
     WHERE s.lifecycle = 'active'
     GROUP BY o.code, u.code"""


def _expected(session, on: date, key: str | None = None) -> dict:
    """{group: (underground, overhead, tidied)} at the end of ``on``, grouped by ``key``
    ('operator', 'commune') or in total (group None)."""
    sums: dict = {}
    for row in session.execute(text(KM_SQL), {"d": on}):
        group = getattr(row, key) if key else None
        u, o, t = sums.get(group, (0.0, 0.0, 0.0))
        sums[group] = (u + float(row.under_km), o + float(row.over_km),
                        t + float(row.tidy_km))
    return sums


def _km(point) -> tuple[float, float, float]:
    return (point.underground_km, point.overhead_km, point.overhead_tidied_km)


@pytest.fixture
def progress(session):
    years = year_ends(first_history_year(session, WHOLE_NETWORK), TODAY)
    return network_progress(session, WHOLE_NETWORK, years, month_ends(TODAY))


def test_history_starts_in_2015_and_points_are_period_ends(session, progress):
    assert first_history_year(session, WHOLE_NETWORK) == 2015
    assert [p.on for p in progress.total.years][:2] == [date(2015, 12, 31), date(2016, 12, 31)]
    assert progress.total.years[-1].on == TODAY
    assert len(progress.total.months) == 24
    assert progress.total.months[0].on == date(2024, 12, 31)


def test_every_year_end_matches_the_history_in_total(session, progress):
    for point in progress.total.years:
        expected = _expected(session, point.on)[None]
        assert _km(point) == pytest.approx(expected, abs=0.0006), point.on
        assert point.total_km == pytest.approx(expected[0] + expected[1], abs=0.001)
    # The demo moved cable underground until 2021 and tidied overhead cable from 2020.
    by_year = {p.on.year: p for p in progress.total.years}
    assert (by_year[2021].underground_km > by_year[2020].underground_km
            > by_year[2015].underground_km)
    assert by_year[2019].overhead_tidied_km == 0 < by_year[2020].overhead_tidied_km


def test_month_ends_match_the_history(session, progress):
    for point in progress.total.months[::5] + [progress.total.months[-1]]:
        assert _km(point) == pytest.approx(_expected(session, point.on)[None], abs=0.0006)


@pytest.mark.parametrize("key", ["operator", "commune"])
def test_groups_match_the_history(session, progress, key):
    series = progress.by_operator if key == "operator" else progress.by_commune
    for on_index in (4, 8, -1):
        on = progress.total.years[on_index].on
        expected = _expected(session, on, key)
        got = {s.code: _km(s.years[on_index]) for s in series}
        assert set(got) >= {k for k, v in expected.items() if any(v)}
        for code, km in got.items():
            assert km == pytest.approx(expected.get(code, (0.0, 0.0, 0.0)), abs=0.0006), (code, on)
    assert len(series) >= 4


def test_shares_are_of_the_total_and_of_the_overhead(progress):
    point = progress.total.years[-1]
    assert point.underground_share == pytest.approx(point.underground_km / point.total_km,
                                                    abs=1e-4)
    assert point.tidied_share == pytest.approx(point.overhead_tidied_km / point.overhead_km,
                                               abs=1e-4)


def test_a_scope_keeps_its_operator_and_commune(session, progress):
    scope = resolve_scope(session, operator="vnpt", commune="98001")
    assert scope.operator == "VNPT" and scope.commune_name == "Phường Thái Bình"
    years = [p.on for p in progress.total.years]
    scoped = network_progress(session, scope, years, month_ends(TODAY))
    assert [s.code for s in scoped.by_operator] == ["VNPT"]
    assert [s.code for s in scoped.by_commune] == ["98001"]
    for point in scoped.total.years[::3]:
        expected = session.execute(text(f"SELECT under_km, over_km, tidy_km FROM ({KM_SQL}) k"
                                        " WHERE operator = 'VNPT' AND commune = '98001'"),
                                   {"d": point.on}).one()
        assert _km(point) == pytest.approx(tuple(map(float, expected)), abs=0.0006)
    assert 0 < scoped.total.years[-1].total_km < progress.total.years[-1].total_km


def test_a_new_state_row_moves_the_figures_from_its_month_on(session):
    segment = session.scalars(select(CableSegment).where(
        CableSegment.placement == "overhead", CableSegment.lifecycle == "active")
        .order_by(CableSegment.id)).first()
    before = network_progress(session, WHOLE_NETWORK, [date(2026, 6, 30)],
                              [date(2026, 5, 31), date(2026, 6, 30)])
    record_state_change(session, segment.id, effective_date=date(2026, 6, 15),
                        source="test", placement="underground")
    after = network_progress(session, WHOLE_NETWORK, [date(2026, 6, 30)],
                             [date(2026, 5, 31), date(2026, 6, 30)])
    km = segment.length_m / 1000
    assert after.total.months[0] == before.total.months[0]
    assert after.total.months[1].underground_km == pytest.approx(
        before.total.months[1].underground_km + km, abs=0.0011)
    assert after.total.months[1].overhead_km == pytest.approx(
        before.total.months[1].overhead_km - km, abs=0.0011)
