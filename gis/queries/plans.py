"""Undergrounding plans: read them with their progress, and write them (planners).

A plan is a year's target for a commune and/or an operator, in km (``target_km``) and/or as a
list of routes. Its *scope* is the cable that matches everything the plan names: the listed
routes, the operator, and the commune (segments whose midpoint lies in the plan's version of the
commune, the same rule the database uses to give a segment its commune).

Progress is measured from the state history at the end of the plan year (or today, for the
current year): ``underground_km`` is the active cable of the scope that is underground then, and
``achieved_km`` the part of it that was still overhead at the end of the year before, i.e. what
the year moved underground (the figure to compare with ``target_km``). Lengths are the stored
geodesic metres, reported in km.

Writes go through the audit trigger (``audit_log`` names the acting user).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session

from gis.compliance.rules import local_today
from gis.errors import ConflictError, FieldIssue, NotFoundError, ValidationFailed, invalid_fields
from gis.history import state_row_sql
from gis.models import CableRoute, Operator, UndergroundingPlan, plan_routes
from gis.queries import lookups


@dataclass(frozen=True)
class PlanInput:
    """A plan as a planner writes it: codes, not ids. ``routes`` are route codes."""

    year: int
    name: str
    commune: str | None = None
    operator: str | None = None
    target_km: Decimal | None = None
    legal_basis: str | None = None
    note: str | None = None
    routes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlanInfo:
    """A stored plan with its commune (code and name), operator code and route codes."""

    id: int
    year: int
    name: str
    commune_code: str | None
    commune_name: str | None
    operator: str | None
    target_km: Decimal | None
    legal_basis: str | None
    note: str | None
    routes: list[str]


@dataclass(frozen=True)
class PlanProgress:
    """Km of the plan's scope on ``as_of`` (end of the plan year, or today if earlier)."""

    as_of: date
    scope_km: float
    underground_km: float
    achieved_km: float


_PLANS_SQL = """
    SELECT p.id, p.year, p.name, u.code AS commune_code, u.name AS commune_name,
           o.code AS operator, p.target_km, p.legal_basis, p.note,
           ARRAY(SELECT r.code FROM plan_routes pr JOIN cable_routes r ON r.id = pr.route_id
                  WHERE pr.plan_id = p.id ORDER BY r.code) AS routes
      FROM undergrounding_plans p
      LEFT JOIN admin_units u ON u.id = p.commune_id
      LEFT JOIN operators o ON o.id = p.operator_id
     WHERE {condition}
     ORDER BY p.year, p.name, p.id"""


def list_plans(
    session: Session, *, year: int | None = None, commune: str | None = None,
    operator: str | None = None,
) -> list[PlanInfo]:
    """Plans by year and name: of ``year``, for the commune code ``commune`` (any version), of
    the operator code ``operator``. ValidationFailed (``commune``, ``operator``) for unknown
    codes."""
    where = ["true"]
    params: dict[str, Any] = {}
    if year is not None:
        where.append("p.year = :year")
        params["year"] = year
    if commune is not None:
        where.append("p.commune_id = ANY(:commune_ids)")
        params["commune_ids"] = lookups.commune_ids(session, commune)
    if operator is not None:
        where.append("p.operator_id = :operator_id")
        params["operator_id"] = lookups.operator_id(session, operator)
    rows = session.execute(text(_PLANS_SQL.format(condition=" AND ".join(where))), params)
    return [PlanInfo(**row._mapping) for row in rows]


def get_plan(session: Session, plan_id: int) -> PlanInfo:
    """The plan ``plan_id``; NotFoundError if unknown or invisible."""
    row = session.execute(text(_PLANS_SQL.format(condition="p.id = :id")), {"id": plan_id}).first()
    if row is None:
        raise NotFoundError(f"plan {plan_id} does not exist or is not visible to you")
    return PlanInfo(**row._mapping)



_PROGRESS_SQL = f"""
    SELECT coalesce(sum(s.length_m) FILTER (WHERE e.lifecycle = 'active'), 0) / 1000.0
             AS scope_km,
           coalesce(sum(s.length_m) FILTER (WHERE e.lifecycle = 'active'
                                              AND e.placement = 'underground'), 0) / 1000.0
             AS underground_km,
           coalesce(sum(s.length_m) FILTER (WHERE e.lifecycle = 'active'
                                              AND e.placement = 'underground'
                                              AND b.placement = 'overhead'), 0) / 1000.0
             AS achieved_km
      FROM cable_segments s
      {{commune_join}}
     CROSS JOIN LATERAL ({state_row_sql("s.id", ":as_of", "h.placement, h.lifecycle")}) e
      LEFT JOIN LATERAL ({state_row_sql("s.id", ":year_before", "h.placement")}) b ON true
     WHERE {{condition}}"""


def plan_progress(session: Session, plan_id: int, today: date | None = None) -> PlanProgress:
    """Progress of plan ``plan_id`` at the end of its year (or ``today``, default the local
    date, when that comes first). NotFoundError if unknown or invisible."""
    plan = session.execute(
        text("SELECT year, commune_id, operator_id, EXISTS (SELECT 1 FROM plan_routes pr"
             " WHERE pr.plan_id = p.id) AS has_routes FROM undergrounding_plans p"
             " WHERE p.id = :id"), {"id": plan_id}
    ).first()
    if plan is None:
        raise NotFoundError(f"plan {plan_id} does not exist or is not visible to you")
    as_of = min(date(plan.year, 12, 31), today or local_today())
    where = ["true"]
    commune_join = ""
    if plan.has_routes:
        where.append("s.route_id IN (SELECT route_id FROM plan_routes WHERE plan_id = :id)")
    if plan.operator_id is not None:
        where.append("s.operator_id = :operator_id")
    if plan.commune_id is not None:
        commune_join = ("JOIN admin_units u ON u.id = :commune_id AND s.geom && u.geom"
                        " AND ST_Intersects(u.geom, ST_LineInterpolatePoint(s.geom, 0.5))")
    sql = _PROGRESS_SQL.format(commune_join=commune_join, condition=" AND ".join(where))
    params = {"id": plan_id, "operator_id": plan.operator_id, "commune_id": plan.commune_id,
              "as_of": as_of, "year_before": date(plan.year - 1, 12, 31)}
    row = session.execute(text(sql), params).one()
    return PlanProgress(as_of=as_of, **row._mapping)


# ---------------------------------------------------------------- writes

def _resolve(session: Session, data: PlanInput) -> dict[str, Any]:
    """Column values of ``data`` (and ``route_ids``); ValidationFailed naming every bad field."""
    issues: list[FieldIssue] = []

    def collect(resolve: Callable[[], Any]) -> Any:
        try:
            return resolve()
        except ValidationFailed as exc:
            issues.extend(exc.problems)
            return None

    name = data.name.strip()
    if not name:
        issues.append(FieldIssue("name", "a plan needs a name"))
    if data.commune is None and data.operator is None:
        issues.append(FieldIssue("commune", "a plan needs a commune or an operator (or both)"))
    values: dict[str, Any] = {
        "year": data.year, "name": name, "target_km": data.target_km,
        "legal_basis": data.legal_basis, "note": data.note,
        "commune_id": collect(lambda: lookups.commune_in_year(session, data.commune, data.year))
        if data.commune is not None else None,
        "operator_id": collect(lambda: lookups.operator_id(session, data.operator))
        if data.operator is not None else None,
        "route_ids": collect(lambda: lookups.route_ids(session, list(data.routes))) or [],
    }
    if not issues and values["operator_id"] is not None and data.routes:
        issues.extend(_foreign_routes(session, data, values["operator_id"]))
    if issues:
        raise invalid_fields(issues)
    return values


def _foreign_routes(session: Session, data: PlanInput, operator_id: int) -> list[FieldIssue]:
    """Routes of ``data`` that belong to another operator than the plan's."""
    owners = dict(session.execute(
        select(CableRoute.code, Operator.code).join(Operator, Operator.id == CableRoute.operator_id)
        .where(CableRoute.code.in_(data.routes))
    ).all())
    plan_operator = session.get(Operator, operator_id).code
    return [
        FieldIssue(f"routes[{i}]",
                   f"route {code!r} belongs to {owners[code]}, not to the plan's operator "
                   f"{plan_operator}")
        for i, code in enumerate(data.routes) if owners.get(code) != plan_operator
    ]


def _check_unique_name(session: Session, year: int, name: str, plan_id: int | None) -> None:
    clash = session.scalar(
        select(UndergroundingPlan.id).where(
            UndergroundingPlan.year == year, UndergroundingPlan.name == name,
            UndergroundingPlan.id != (plan_id or 0))
    )
    if clash is not None:
        raise ConflictError(f"plan {clash} of {year} already has the name {name!r}")


def create_plan(session: Session, data: PlanInput) -> int:
    """Store a new plan and its routes; return its id. ValidationFailed naming the bad fields
    (``name``, ``commune``, ``operator``, ``routes[i]``); ConflictError when the year already has
    a plan of that name."""
    values = _resolve(session, data)
    _check_unique_name(session, values["year"], values["name"], None)
    route_ids = values.pop("route_ids")
    plan = UndergroundingPlan(**values)
    session.add(plan)
    session.flush()
    _set_routes(session, plan.id, route_ids)
    return plan.id


def replace_plan(session: Session, plan_id: int, data: PlanInput) -> None:
    """Replace every field and the route list of plan ``plan_id``. NotFoundError, then the
    errors of :func:`create_plan`."""
    plan = session.get(UndergroundingPlan, plan_id)
    if plan is None:
        raise NotFoundError(f"plan {plan_id} does not exist or is not visible to you")
    values = _resolve(session, data)
    _check_unique_name(session, values["year"], values["name"], plan_id)
    route_ids = values.pop("route_ids")
    for column, value in values.items():
        setattr(plan, column, value)
    session.flush()
    _set_routes(session, plan_id, route_ids)


def delete_plan(session: Session, plan_id: int) -> None:
    """Delete plan ``plan_id`` (its route links go with it). NotFoundError if unknown."""
    plan = session.get(UndergroundingPlan, plan_id)
    if plan is None:
        raise NotFoundError(f"plan {plan_id} does not exist or is not visible to you")
    session.delete(plan)
    session.flush()


def _set_routes(session: Session, plan_id: int, route_ids: list[int]) -> None:
    """Make the plan's route links exactly ``route_ids`` (only the differences are written)."""
    current = set(session.scalars(
        select(plan_routes.c.route_id).where(plan_routes.c.plan_id == plan_id)))
    wanted = set(route_ids)
    if current - wanted:
        session.execute(delete(plan_routes).where(
            plan_routes.c.plan_id == plan_id, plan_routes.c.route_id.in_(current - wanted)))
    if wanted - current:
        session.execute(insert(plan_routes), [
            {"plan_id": plan_id, "route_id": route_id} for route_id in sorted(wanted - current)])
