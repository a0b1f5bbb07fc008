"""Undergrounding plan targets beside what was achieved, for the reports.

Targets and progress are :mod:`gis.queries.plans`' own (:func:`~gis.queries.plans.list_plans`
and :func:`~gis.queries.plans.plan_progress`): ``achieved_km`` is the plan scope's active cable
underground at the end of the plan year (or today) that was still overhead at the end of the
year before. Kilometres from the stored geodesic ``length_m``.

A year's totals add the plans of that year up. Plans may overlap (a commune plan and an
operator plan can name the same cable), so a total can count some kilometres twice; the list of
plans gives each one on its own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from gis.queries.plans import list_plans, plan_progress
from gis.reports.scope import ReportScope


@dataclass(frozen=True)
class PlanFigure:
    """One plan: what it targets (``target_km``, None for a route list without km) and, on
    ``as_of``, its scope's km, km underground and km achieved in the plan year."""

    id: int
    year: int
    name: str
    commune_code: str | None
    commune_name: str | None
    operator: str | None
    routes: int
    target_km: float | None
    as_of: date
    scope_km: float
    underground_km: float
    achieved_km: float


@dataclass(frozen=True)
class PlanYear:
    """The plans of one ``year`` added up: how many, the km targeted (plans with a km target)
    and achieved, and ``target_level_km``: the scope's km underground at the end of the year
    before plus the year's target (the level the plans aim at; None without a km target)."""

    year: int
    plans: int
    target_km: float
    achieved_km: float
    target_level_km: float | None


def plan_figures(session: Session, scope: ReportScope, *, year: int | None = None,
                 last_year: int | None = None, today: date | None = None) -> list[PlanFigure]:
    """The plans of ``scope`` (its operator's and its commune's; every plan for the whole
    network), of ``year`` or of every year up to ``last_year``, with their progress on the
    end of their year or ``today``."""
    plans = list_plans(session, year=year, commune=scope.commune, operator=scope.operator)
    figures = []
    for plan in plans:
        if last_year is not None and plan.year > last_year:
            continue
        progress = plan_progress(session, plan.id, today)
        figures.append(PlanFigure(
            id=plan.id, year=plan.year, name=plan.name, commune_code=plan.commune_code,
            commune_name=plan.commune_name, operator=plan.operator, routes=len(plan.routes),
            target_km=float(plan.target_km) if plan.target_km is not None else None,
            as_of=progress.as_of, scope_km=round(progress.scope_km, 3),
            underground_km=round(progress.underground_km, 3),
            achieved_km=round(progress.achieved_km, 3),
        ))
    return figures


def plan_years(figures: list[PlanFigure],
               underground_at_year_end: dict[int, float]) -> list[PlanYear]:
    """Per plan year, the totals of ``figures``; ``underground_at_year_end`` maps a year to
    the scope's km underground at its end (a year missing counts 0 km)."""
    by_year: dict[int, list[PlanFigure]] = defaultdict(list)
    for figure in figures:
        by_year[figure.year].append(figure)
    years = []
    for year, plans in sorted(by_year.items()):
        targeted = [p.target_km for p in plans if p.target_km is not None]
        target = round(sum(targeted), 3)
        level = (round(underground_at_year_end.get(year - 1, 0.0) + target, 3)
                 if targeted else None)
        years.append(PlanYear(year=year, plans=len(plans), target_km=target,
                              achieved_km=round(sum(p.achieved_km for p in plans), 3),
                              target_level_km=level))
    return years
