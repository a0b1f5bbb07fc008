"""Visits, compliance, violations and penalties over time, and the dashboard that gathers
them, on the demo province: each figure against the service or rule it must agree with."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text

from gis.choices import ComplianceState
from gis.compliance.rules import is_overdue, is_unresolved
from gis.compliance.state import compliance_summary
from gis.compliance.violations import violation_facts
from gis.errors import ValidationFailed
from gis.models import Violation
from gis.reports.compliance_rate import compliance_series
from gis.reports.dashboard import build_dashboard
from gis.reports.enforcement import penalties_by_period, violation_series
from gis.reports.inspections import visits_by_month
from gis.reports.periods import month_ends
from gis.reports.scope import WHOLE_NETWORK, resolve_scope

TODAY = date(2026, 11, 27)
STALE = 365


def test_visits_per_month_add_up_to_the_year(session):
    months = month_ends(date(2023, 12, 31), 12)
    visits = visits_by_month(session, WHOLE_NETWORK, months)
    assert [v.month for v in visits] == [date(2023, m, 1) for m in range(1, 13)]
    assert sum(v.visits for v in visits) == 570
    by_month = dict(session.execute(text("""
        SELECT date_trunc('month', visited_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, count(*)
          FROM inspections GROUP BY 1""")).all())
    assert {v.month: v.visits for v in visits if v.visits} == {
        m: n for m, n in by_month.items() if m.year == 2023}
    assert visits[0].visits == 0 and all(v.segments <= v.visits for v in visits)


@pytest.mark.parametrize("on", [date(2023, 3, 31), date(2023, 12, 31), date(2025, 6, 30)])
def test_compliance_matches_the_summary_service(session, on):
    [point] = compliance_series(session, WHOLE_NETWORK, [on], STALE)
    summary = {row.state: row.segments for row in compliance_summary(session, on, STALE)}
    assert point.compliant == summary.get(ComplianceState.COMPLIANT, 0)
    assert point.non_compliant == summary.get(ComplianceState.NON_COMPLIANT, 0)
    assert point.overdue == summary.get(ComplianceState.OVERDUE, 0)
    assert point.stale == summary.get(ComplianceState.STALE, 0)
    assert point.inspected == sum(n for s, n in summary.items()
                                  if s is not ComplianceState.NOT_INSPECTED) > 0
    assert point.rate == pytest.approx(point.compliant / point.inspected, abs=1e-4)


def test_a_series_over_lifecycle_changes_matches_the_summary_at_each_date(session):
    dates = month_ends(date(2025, 12, 31), 30)  # the demo removes cable during 2024-2025
    removed = session.execute(text(
        "SELECT count(*) FROM segment_states WHERE lifecycle = 'removed'"
        " AND effective_date BETWEEN :a AND :b AND segment_id IN"
        " (SELECT segment_id FROM inspections)"), {"a": dates[0], "b": dates[-1]}).scalar_one()
    assert removed > 0
    for point in compliance_series(session, WHOLE_NETWORK, dates, STALE):
        summary = {row.state: row.segments
                   for row in compliance_summary(session, point.on, STALE)}
        assert (point.compliant, point.non_compliant, point.overdue, point.stale) == (
            summary.get(ComplianceState.COMPLIANT, 0),
            summary.get(ComplianceState.NON_COMPLIANT, 0),
            summary.get(ComplianceState.OVERDUE, 0), summary.get(ComplianceState.STALE, 0)
        ), point.on


def test_an_operator_scope_matches_the_summary_per_operator(session):
    on = date(2024, 6, 30)
    [point] = compliance_series(session, resolve_scope(session, operator="VNPT"), [on], STALE)
    summary = {row.state: row.segments
               for row in compliance_summary(session, on, STALE, group_by="operator")
               if row.code == "VNPT"}
    assert point.inspected == sum(n for s, n in summary.items()
                                  if s is not ComplianceState.NOT_INSPECTED) > 0
    assert point.compliant == summary.get(ComplianceState.COMPLIANT, 0)


def test_no_inspection_yet_has_no_rate(session):
    [point] = compliance_series(session, WHOLE_NETWORK, [date(2022, 12, 31)], STALE)
    assert point.inspected == 0 and point.rate is None


@pytest.mark.parametrize("on", [date(2023, 4, 30), date(2023, 12, 31), date(2026, 10, 31)])
def test_unresolved_and_overdue_violations_follow_the_rules(session, on):
    [point] = violation_series(session, WHOLE_NETWORK, [on])
    facts = [violation_facts(v) for v in session.scalars(select(Violation))]
    assert point.unresolved == sum(is_unresolved(f, on) for f in facts) > 0
    assert point.overdue == sum(is_overdue(f, on) for f in facts)
    assert point.open + point.remediation_reported == point.unresolved


def test_penalties_per_month_and_per_year(session):
    years = penalties_by_period(session, WHOLE_NETWORK,
                                [date(y, 1, 1) for y in range(2022, 2025)], "year")
    assert [(p.start.year, p.decisions, p.amount_vnd) for p in years] == [
        (2022, 0, 0), (2023, 7, 28_250_000), (2024, 0, 0)]
    months = penalties_by_period(session, WHOLE_NETWORK,
                                 [date(2023, m, 1) for m in range(1, 13)], "month")
    assert sum(p.decisions for p in months) == 7
    assert sum(p.amount_vnd for p in months) == 28_250_000
    vnpt = resolve_scope(session, operator="VNPT")
    expected = session.execute(text(
        "SELECT count(*), sum(amount_vnd) FROM penalty_decisions d JOIN operators o"
        " ON o.id = d.operator_id WHERE o.code = 'VNPT'")).one()
    [own] = penalties_by_period(session, vnpt, [date(2023, 1, 1)], "year")
    assert (own.decisions, own.amount_vnd) == (expected[0], expected[1]) != (7, 28_250_000)
    with pytest.raises(ValueError):
        penalties_by_period(session, WHOLE_NETWORK, [date(2023, 1, 1)], "week")


def test_a_commune_scope_keeps_decisions_citing_its_violations(session):
    scope = resolve_scope(session, commune="98001")
    [own] = penalties_by_period(session, scope, [date(2023, 1, 1)], "year")
    expected = session.execute(text("""
        SELECT count(*), coalesce(sum(amount_vnd), 0) FROM penalty_decisions d
         WHERE EXISTS (SELECT 1 FROM penalty_violations pv
                        JOIN violations v ON v.id = pv.violation_id
                        JOIN cable_segments s ON s.id = v.segment_id
                        JOIN admin_units u ON u.id = s.commune_id
                       WHERE pv.decision_id = d.id AND u.code = '98001')""")).one()
    assert (own.decisions, own.amount_vnd) == tuple(expected)


def test_the_dashboard_of_2023(session):
    figures = build_dashboard(session, WHOLE_NETWORK, year=2023, stale_after_days=STALE,
                              today=TODAY)
    assert figures.as_of == date(2023, 12, 31)
    assert [p.on.year for p in figures.network.total.years] == list(range(2015, 2024))
    assert figures.network.total.months[-1].on == date(2023, 12, 31)
    assert [v.month for v in figures.visits] == [m.replace(day=1) for m in
                                                 month_ends(date(2023, 12, 31))]
    assert len(figures.compliance) == len(figures.violations) == 24
    assert figures.penalties_by_year[-1].amount_vnd == 28_250_000
    assert figures.plans == [] and figures.plan_years == []  # the demo plans start in 2024


def test_the_dashboard_puts_plan_targets_on_the_underground_level(session):
    figures = build_dashboard(session, WHOLE_NETWORK, stale_after_days=STALE, today=TODAY)
    assert figures.year == 2026 and figures.as_of == TODAY
    assert [p.year for p in figures.plan_years] == [2024, 2025, 2026]
    underground = {p.on.year: p.underground_km for p in figures.network.total.years}
    for year in figures.plan_years:
        plans = [p for p in figures.plans if p.year == year.year]
        assert year.plans == len(plans)
        assert year.target_km == pytest.approx(sum(p.target_km for p in plans), abs=0.001)
        assert year.target_level_km == pytest.approx(underground[year.year - 1] + year.target_km,
                                                     abs=0.001)


def test_the_dashboard_refuses_a_future_year(session):
    with pytest.raises(ValidationFailed) as caught:
        build_dashboard(session, WHOLE_NETWORK, year=2027, stale_after_days=STALE, today=TODAY)
    assert caught.value.problems[0].field == "year"


def test_unknown_filter_codes_name_their_field(session):
    for kwargs, field in (({"operator": "NOPE"}, "operator"), ({"commune": "971"}, "commune")):
        with pytest.raises(ValidationFailed) as caught:
            resolve_scope(session, **kwargs)
        assert caught.value.problems[0].field == field
