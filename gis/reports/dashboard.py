"""The dashboard's figures for one scope (operator, commune) up to the end of a chosen year.

Series: km underground / overhead / tidied at every year end since the scope's history began
and at the last :data:`~gis.reports.periods.MONTHS_SHOWN` month ends, in total, per operator and
per commune; the plans up to that year with their targets and what was achieved; visits per
month; the compliance rate and the unresolved and overdue violations at each month end; penalty
decisions and their VND per month and per year. The period ends on 31 December of the year, or
today for the current year. Lengths are km of the stored geodesic ``length_m``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from gis.compliance.rules import local_today
from gis.reports.compliance_rate import CompliancePoint, compliance_series
from gis.reports.enforcement import (
    PenaltyPeriod,
    ViolationPoint,
    penalties_by_period,
    violation_series,
)
from gis.reports.inspections import VisitMonth, visits_by_month
from gis.reports.network import NetworkProgress, first_history_year, network_progress
from gis.reports.periods import check_year, month_ends, month_start, period_end, year_ends
from gis.reports.plans import PlanFigure, PlanYear, plan_figures, plan_years
from gis.reports.scope import ReportScope

_EXAMPLE_POINT = {"on": "2024-12-31", "total_km": 140.959, "underground_km": 32.641,
                  "overhead_km": 108.318, "overhead_tidied_km": 75.503,
                  "underground_share": 0.2316, "tidied_share": 0.6971}


@dataclass(frozen=True)
class DashboardFigures:
    """Everything the dashboard draws, for ``operator`` / ``commune`` (None = all) up to
    ``as_of`` (the end of ``year``, or today)."""

    __pydantic_config__ = {"json_schema_extra": {"examples": [{
        "year": 2024, "as_of": "2024-12-31", "operator": None, "commune": None,
        "commune_name": None, "stale_after_days": 365,
        "network": {"total": {"code": None, "name": None, "years": [_EXAMPLE_POINT],
                              "months": [_EXAMPLE_POINT]},
                    "by_operator": [], "by_commune": []},
        "plans": [], "plan_years": [{"year": 2024, "plans": 3, "target_km": 3.9,
                                     "achieved_km": 0.0, "target_level_km": 36.541}],
        "visits": [{"month": "2024-05-01", "visits": 31, "segments": 30}],
        "compliance": [{"on": "2024-12-31", "inspected": 450, "compliant": 310,
                        "non_compliant": 20, "overdue": 45, "stale": 75, "rate": 0.6889}],
        "violations": [{"on": "2024-12-31", "unresolved": 70, "open": 49,
                        "remediation_reported": 21, "overdue": 60}],
        "penalties_by_month": [{"start": "2023-06-01", "decisions": 1,
                                "amount_vnd": 4000000}],
        "penalties_by_year": [{"start": "2023-01-01", "decisions": 7,
                               "amount_vnd": 28250000}],
    }]}}

    year: int
    as_of: date
    operator: str | None
    commune: str | None
    commune_name: str | None
    stale_after_days: int
    network: NetworkProgress
    plans: list[PlanFigure]
    plan_years: list[PlanYear]
    visits: list[VisitMonth]
    compliance: list[CompliancePoint]
    violations: list[ViolationPoint]
    penalties_by_month: list[PenaltyPeriod]
    penalties_by_year: list[PenaltyPeriod]


def build_dashboard(session: Session, scope: ReportScope, *, year: int | None = None,
                    stale_after_days: int, today: date | None = None) -> DashboardFigures:
    """The dashboard of ``scope`` up to the end of ``year`` (default: this year; today's local
    date is ``today``). ValidationFailed naming ``year`` when it is before
    :data:`~gis.reports.periods.FIRST_YEAR` or in the future."""
    today = today or local_today()
    year = check_year(year if year is not None else today.year, today)
    end = period_end(year, today)
    first_year = min(first_history_year(session, scope) or end.year, end.year)
    years = year_ends(first_year, end)
    months = month_ends(end)
    network = network_progress(session, scope, years, months)
    plans = plan_figures(session, scope, last_year=year, today=today)
    underground = {point.on.year: point.underground_km for point in network.total.years}
    return DashboardFigures(
        year=year, as_of=end, operator=scope.operator, commune=scope.commune,
        commune_name=scope.commune_name, stale_after_days=stale_after_days,
        network=network, plans=plans, plan_years=plan_years(plans, underground),
        visits=visits_by_month(session, scope, months),
        compliance=compliance_series(session, scope, months, stale_after_days),
        violations=violation_series(session, scope, months),
        penalties_by_month=penalties_by_period(
            session, scope, [month_start(m) for m in months], "month"),
        penalties_by_year=penalties_by_period(
            session, scope, [date(y.year, 1, 1) for y in years], "year"),
    )

