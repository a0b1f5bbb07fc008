"""The data the progress and compliance maps draw, computed by PostgreSQL for a date and filters.

Three reads, each for an ``as_of`` date (default: today, Vietnam time) and a :class:`MapFilter`
(operator codes, a commune code):

- :func:`map_segments`: the segments **active** at the end of ``as_of`` as column arrays (one
  entry per segment, in id order): geometry as a Google encoded polyline (PostGIS
  ``ST_AsEncodedPolyline``, precision 5, i.e. 1e-5 degree, about 1 m, EPSG:4326 lat/lon), the
  operator and route ids (their codes and names once, in lookup tables), the placement class on
  ``as_of`` (:class:`gis.choices.PlacementClass`), the stored geodesic length in metres, the
  commune in force on ``as_of``, and on request the compact placement history up to ``as_of``
  and the compliance state on ``as_of`` (:func:`gis.compliance.rules.segment_states_sql`).
- :func:`map_communes`: the communes in force on ``as_of`` (polygons simplified for display)
  with km of active cable, km underground and the year's undergrounding plans for the commune
  (target and achieved km, :mod:`gis.queries.plans`).
- :func:`open_violations`: violations unresolved on ``as_of`` (open or remediation reported),
  each at the midpoint of its segment, with item, severity, due date and the overdue flag.

The state on a date is the rule of :func:`gis.history.state_row_sql`. A segment's commune on
``as_of`` is the commune in force then that contains the segment's midpoint (the rule the
database uses to store a segment's commune): the stored commune when it is in force on ``as_of``,
otherwise looked up. The commune filter uses the version of the code in force on ``as_of``, so
the segments, the polygons drawn and the figures agree on every date (before the 2025
reorganisation a map shows the former wards). Row-level security applies: an operator's user
sees its own network only.

Overlap: :mod:`gis.queries.segments` has its own query of the state on a date (for ``GET
/segments``, keyset pages of GeoJSON); this module needs all segments at once, compactly, so it
writes its own small query with the same shared pieces (``state_row_sql``,
``segment_states_sql``, ``lookups``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.choices import Lifecycle, Placement, PlacementClass, ViolationState
from gis.compliance.rules import (
    local_today,
    segment_states_sql,
    violation_overdue_sql,
    violation_state_sql,
)
from gis.errors import FieldIssue, invalid, invalid_fields
from gis.history import is_current, state_row_sql
from gis.queries import lookups
from gis.queries.plans import list_plans, plan_progress

#: Precision of the encoded polylines (decimal digits of a degree; 5 is about 1 m).
POLYLINE_PRECISION = 5
#: Tolerance of the commune outlines' simplification, in degrees (1e-4 is about 11 m).
COMMUNE_SIMPLIFY_DEG = 1e-4
#: Decimals of the commune outlines' GeoJSON coordinates (5 is about 1 m).
COMMUNE_DECIMALS = 5


@dataclass(frozen=True)
class MapFilter:
    """Which part of the network a map shows, on which date.

    ``as_of`` None means today (Vietnam time); ``operators`` are operator codes (any of them;
    empty: every operator the caller may see); ``commune`` is a commune code, taken in its
    version in force on ``as_of``."""

    as_of: date | None = None
    operators: tuple[str, ...] = ()
    commune: str | None = None


@dataclass(frozen=True)
class MapScope:
    """A :class:`MapFilter` checked and resolved: the date, operator ids (None: all) and the
    id of the commune version in force on the date (None: no commune filter)."""

    as_of: date
    operator_ids: list[int] | None
    commune_id: int | None
    operators: tuple[str, ...] = ()
    commune: str | None = None


@dataclass
class MapSegments:
    """Active segments on ``as_of`` as column arrays, in id order (all lists have one entry per
    segment). ``histories`` and ``compliance`` are empty lists unless asked for.

    - ``polylines``: encoded polylines (precision :data:`POLYLINE_PRECISION`, lat/lon, EPSG:4326);
    - ``operator_ids`` / ``route_ids``: keys of ``operators`` / ``routes`` (route None if none);
    - ``classes``: :class:`PlacementClass` values on ``as_of``;
    - ``lengths_m``: stored geodesic length, metres;
    - ``commune_ids``: the commune in force on ``as_of`` holding the midpoint (None: outside);
    - ``histories``: placement history up to ``as_of``, e.g. ``"2019-03-01 overhead_untidied →
      2023-06-30 underground"`` (dates ISO, classes as :class:`PlacementClass` values; a row
      that changes neither placement nor tidiness is left out);
    - ``compliance``: :class:`gis.choices.ComplianceState` values on ``as_of``.
    """

    as_of: date
    ids: list[int] = field(default_factory=list)
    polylines: list[str] = field(default_factory=list)
    operator_ids: list[int] = field(default_factory=list)
    route_ids: list[int | None] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    lengths_m: list[float] = field(default_factory=list)
    commune_ids: list[int | None] = field(default_factory=list)
    histories: list[str] = field(default_factory=list)
    compliance: list[str] = field(default_factory=list)
    #: operator id -> (code, name), every operator the caller may see.
    operators: dict[int, tuple[str, str]] = field(default_factory=dict)
    #: route id -> (code, name), the routes of these segments.
    routes: dict[int, tuple[str, str | None]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class CommunePlan:
    """One undergrounding plan of a commune for the year of ``as_of``: ``target_km`` (None when
    the plan lists routes only) and ``achieved_km`` moved underground in the year by ``as_of``."""

    name: str
    operator: str | None
    target_km: float | None
    achieved_km: float


@dataclass(frozen=True)
class CommuneFigures:
    """A commune in force on ``as_of``: outline (GeoJSON geometry text, simplified, EPSG:4326),
    a point inside it for a label (``label_at``, lon/lat) and km of active cable of the map's
    segments on that date, with the year's plans."""

    id: int
    code: str
    name: str
    geometry: str
    label_at: tuple[float, float]
    total_km: float
    underground_km: float
    plans: tuple[CommunePlan, ...] = ()

    @property
    def underground_share(self) -> float | None:
        """Share of the cable length that runs underground (0..1; None without cable)."""
        return self.underground_km / self.total_km if self.total_km else None


@dataclass(frozen=True)
class OpenViolation:
    """A violation unresolved on ``as_of``, at the midpoint of its segment (lon/lat, EPSG:4326)."""

    id: int
    segment_id: int
    lon: float
    lat: float
    operator: str
    item: str
    text_vi: str
    text_en: str
    severity: str
    state: str
    due_on: date
    overdue: bool


# ---------------------------------------------------------------- filter

def resolve_filter(session: Session, flt: MapFilter) -> MapScope:
    """Check ``flt``: ValidationFailed naming ``as_of`` (in the future), ``operator`` (unknown
    code; ``operator[i]`` among several) or ``commune`` (unknown, or not in force on the date)."""
    today = local_today()
    as_of = flt.as_of or today
    if as_of > today:
        raise invalid("as_of", f"as_of {as_of} is in the future (today is {today}); the "
                               "history holds facts up to today")
    operator_ids = lookups.operator_ids(session, flt.operators) if flt.operators else None
    commune_id = None
    if flt.commune is not None:
        versions = lookups.commune_ids(session, flt.commune)
        commune_id = session.scalar(text("""
            SELECT id FROM admin_units
             WHERE id = ANY(:ids) AND valid_from <= :as_of
               AND (valid_to IS NULL OR valid_to > :as_of)"""),
            {"ids": versions, "as_of": as_of})
        if commune_id is None:
            spans = ", ".join(
                f"{start} to {end or 'today'}" for start, end in session.execute(text(
                    "SELECT valid_from, valid_to FROM admin_units WHERE id = ANY(:ids)"
                    " ORDER BY valid_from"), {"ids": versions}))
            raise invalid("commune", f"commune {flt.commune!r} was not in force on {as_of} "
                                     f"(in force: {spans})")
    operators = tuple(code.strip().upper() for code in flt.operators)
    return MapScope(as_of, operator_ids, commune_id, operators, flt.commune)


# ---------------------------------------------------------------- segments

def placement_class_sql(alias: str) -> str:
    """SQL for the :class:`PlacementClass` of the state row ``alias`` (same rule as
    :func:`gis.choices.placement_class`)."""
    return (f"CASE WHEN {alias}.placement = '{Placement.UNDERGROUND}'"
            f" THEN '{PlacementClass.UNDERGROUND}'"
            f" WHEN {alias}.tidied THEN '{PlacementClass.OVERHEAD_TIDIED}'"
            f" ELSE '{PlacementClass.OVERHEAD_UNTIDIED}' END")


_IN_FORCE = "{u}.valid_from <= :as_of AND ({u}.valid_to IS NULL OR {u}.valid_to > :as_of)"

#: The commune in force on :as_of holding the segment's midpoint (stored one when in force).
#: (COALESCE evaluates the lookup only when the stored commune is not in force.)
_COMMUNE_ON_DATE = f"""coalesce(cu.id, (
        SELECT u.id FROM admin_units u
         WHERE u.level = 'commune' AND {_IN_FORCE.format(u="u")}
           AND ST_Intersects(u.geom, ST_LineInterpolatePoint(s.geom, 0.5))
         ORDER BY u.id LIMIT 1))"""

#: Each segment's state row in force at the end of :as_of.
_STATE_AS_OF = f"""CROSS JOIN LATERAL ({state_row_sql(
    "s.id", ":as_of", "h.placement, h.tidied, h.lifecycle")}) st"""
#: The same when no state row is dated after :as_of: the segments' own columns, which the
#: history trigger keeps equal to their latest row.
_STATE_CURRENT = "CROSS JOIN LATERAL (SELECT s.placement, s.tidied, s.lifecycle) st"

#: Placement history up to :as_of of every segment, one token per change of class (one pass
#: over the history table: cheaper than a lookup per segment).
_HISTORY = f"""
    SELECT x.segment_id,
           string_agg(to_char(x.effective_date, 'YYYY-MM-DD') || ' ' || x.cls, ' → '
                      ORDER BY x.effective_date, x.id) AS text
      FROM (SELECT h.segment_id, h.effective_date, h.id, {placement_class_sql("h")} AS cls,
                   lag({placement_class_sql("h")}) OVER (
                     PARTITION BY h.segment_id ORDER BY h.effective_date, h.id) AS previous
              FROM segment_states h
             WHERE h.effective_date <= :as_of) x
     WHERE x.previous IS DISTINCT FROM x.cls
     GROUP BY x.segment_id"""


def _segments_sql(scope: MapScope, current: bool, history: bool, compliance: bool) -> str:
    """The SQL of :func:`map_segments`: rows ``(id, encoded polyline (lat/lon, EPSG:4326),
    operator id, route id, class, length_m (geodesic metres), commune id, history, compliance
    state)`` in id order; ``current``: no state row is dated after ``:as_of``."""
    where = [f"st.lifecycle = '{Lifecycle.ACTIVE}'"]
    outer = "true"
    if scope.operator_ids is not None:
        where.append("s.operator_id = ANY(:operator_ids)")
    if scope.commune_id is not None:
        where.append("s.geom && (SELECT geom FROM admin_units WHERE id = :commune_id)")
        outer = "seg.commune_id = :commune_id"
    ctes = [f"""seg AS (
      SELECT s.id, s.geom, s.operator_id, s.route_id, s.length_m,
             {placement_class_sql("st")} AS cls, {_COMMUNE_ON_DATE} AS commune_id
        FROM cable_segments s
        {_STATE_CURRENT if current else _STATE_AS_OF}
        LEFT JOIN admin_units cu ON cu.id = s.commune_id AND {_IN_FORCE.format(u="cu")}
       WHERE {" AND ".join(where)})"""]
    joins = []
    if history:
        ctes.append(f"history AS ({_HISTORY})")
        joins.append("LEFT JOIN history hi ON hi.segment_id = seg.id")
    if compliance:
        ctes.append(f"compliance AS ({segment_states_sql()})")
        joins.append("LEFT JOIN compliance c ON c.segment_id = seg.id")
    return f"""
    WITH {", ".join(ctes)}
    SELECT seg.id, ST_AsEncodedPolyline(seg.geom, {POLYLINE_PRECISION}), seg.operator_id,
           seg.route_id, seg.cls, seg.length_m, seg.commune_id,
           {"hi.text" if history else "NULL"}, {"c.state" if compliance else "NULL"}
      FROM seg {" ".join(joins)}
     WHERE {outer}
     ORDER BY seg.id"""


def _params(scope: MapScope, **extra: Any) -> dict[str, Any]:
    """The bound parameters of the maps' queries (``:as_of``, ``:operator_ids``,
    ``:commune_id``) and ``extra``."""
    return {"as_of": scope.as_of, "operator_ids": scope.operator_ids,
            "commune_id": scope.commune_id, **extra}


def _fast_queries(session: Session) -> None:
    """These reads run one short index probe per segment: JIT compilation costs more than it
    saves (about 0.2 s at 100,000 segments). Local to the caller's transaction."""
    session.execute(text("SET LOCAL jit = off"))


def map_segments(
    session: Session, scope: MapScope, *, history: bool = False, compliance: bool = False,
    stale_after_days: int = 365, max_segments: int | None = None,
) -> MapSegments:
    """The segments active at the end of ``scope.as_of`` (see :class:`MapSegments`), with their
    placement history (``history``) and compliance state (``compliance``, "stale" after
    ``stale_after_days`` days without a visit).

    More than ``max_segments`` segments is a ValidationFailed naming ``operator`` and
    ``commune``: a map of them would be too heavy to send and draw (about 40 bytes of HTML and
    10 µs of drawing per segment), so the caller must narrow it."""
    _fast_queries(session)
    sql = _segments_sql(scope, is_current(session, scope.as_of), history, compliance)
    params = _params(scope, stale_after_days=stale_after_days)
    if max_segments is not None:
        sql += "\n     LIMIT :fetch"
        params["fetch"] = max_segments + 1
    rows = session.execute(text(sql), params).all()
    if max_segments is not None and len(rows) > max_segments:
        reason = (f"more than {max_segments:,} segments match: too many for one map "
                  "(TELECOM_GIS_MAP_MAX_SEGMENTS); choose an operator or a commune")
        raise invalid_fields([FieldIssue("operator", reason), FieldIssue("commune", reason)])
    result = MapSegments(scope.as_of)
    if rows:
        columns = (list(column) for column in zip(*rows, strict=True))
        (result.ids, result.polylines, result.operator_ids, result.route_ids, result.classes,
         result.lengths_m, result.commune_ids, histories, states) = columns
        result.histories = histories if history else []
        result.compliance = states if compliance else []
    result.operators = {row.id: (row.code, row.name) for row in session.execute(
        text("SELECT id, code, name FROM operators ORDER BY code"))}
    route_ids = sorted({r for r in result.route_ids if r is not None})
    result.routes = {row.id: (row.code, row.name) for row in session.execute(
        text("SELECT id, code, name FROM cable_routes WHERE id = ANY(:ids)"), {"ids": route_ids})}
    return result


# ---------------------------------------------------------------- communes

_COMMUNES_SQL = f"""
    SELECT u.id, u.code, u.name,
           ST_AsGeoJSON(ST_SimplifyPreserveTopology(u.geom, {COMMUNE_SIMPLIFY_DEG}),
                        {COMMUNE_DECIMALS}) AS geometry,
           ST_X(p.at) AS label_lon, ST_Y(p.at) AS label_lat
      FROM admin_units u
      CROSS JOIN LATERAL (SELECT ST_PointOnSurface(u.geom) AS at) p
     WHERE u.level = 'commune' AND {_IN_FORCE.format(u="u")} {{condition}}
     ORDER BY u.code"""


def map_communes(session: Session, scope: MapScope, segments: MapSegments, *,
                 plans: bool = True) -> list[CommuneFigures]:
    """The communes in force on ``scope.as_of`` (only the filtered one with a commune filter),
    with km of the active cable of ``segments`` whose midpoint they hold, and (``plans``)
    their plans of the year of ``as_of`` (with the operator filter, the plans of those
    operators and the commune-wide ones), progress measured on ``as_of``."""
    condition = "AND u.id = :commune_id" if scope.commune_id is not None else ""
    units = session.execute(text(_COMMUNES_SQL.format(condition=condition)),
                            _params(scope)).all()
    total: dict[int, float] = {}
    underground: dict[int, float] = {}
    for commune, cls, length in zip(segments.commune_ids, segments.classes, segments.lengths_m,
                                    strict=True):
        total[commune] = total.get(commune, 0.0) + length
        if cls == PlacementClass.UNDERGROUND:
            underground[commune] = underground.get(commune, 0.0) + length
    by_commune = _plans_by_commune(session, scope) if plans else {}
    return [
        CommuneFigures(
            id=unit.id, code=unit.code, name=unit.name, geometry=unit.geometry,
            label_at=(round(unit.label_lon, 6), round(unit.label_lat, 6)),
            total_km=total.get(unit.id, 0.0) / 1000, underground_km=underground.get(unit.id, 0.0)
            / 1000, plans=tuple(by_commune.get(unit.code, ())))
        for unit in units
    ]


def _plans_by_commune(session: Session, scope: MapScope) -> dict[str, list[CommunePlan]]:
    """The year's commune plans by commune code, progress on ``scope.as_of``."""
    found: dict[str, list[CommunePlan]] = {}
    for plan in list_plans(session, year=scope.as_of.year):
        if plan.commune_code is None:
            continue
        if scope.operators and plan.operator is not None and plan.operator not in scope.operators:
            continue
        progress = plan_progress(session, plan.id, today=scope.as_of)
        found.setdefault(plan.commune_code, []).append(CommunePlan(
            name=plan.name, operator=plan.operator,
            target_km=float(plan.target_km) if plan.target_km is not None else None,
            achieved_km=float(progress.achieved_km)))
    return found


# ---------------------------------------------------------------- violations

_VIOLATIONS_SQL = f"""
    SELECT v.id, v.segment_id, ST_X(m.p) AS lon, ST_Y(m.p) AS lat, o.code AS operator,
           ci.code AS item, ci.text_vi, ci.text_en, ci.severity,
           {violation_state_sql("v")} AS state, v.due_on, {violation_overdue_sql("v")} AS overdue
      FROM violations v
      JOIN cable_segments s ON s.id = v.segment_id
      JOIN operators o ON o.id = v.operator_id
      JOIN checklist_items ci ON ci.id = v.item_id
      CROSS JOIN LATERAL (SELECT ST_LineInterpolatePoint(s.geom, 0.5) AS p) m
     WHERE {violation_state_sql("v")} IN ('{ViolationState.OPEN}',
                                          '{ViolationState.REMEDIATION_REPORTED}') {{condition}}
     ORDER BY v.due_on, v.id"""


def open_violations(session: Session, scope: MapScope) -> list[OpenViolation]:
    """Violations unresolved at the end of ``scope.as_of`` (open or remediation reported) on
    the segments of the filter (operator; commune in force on the date holding the segment's
    midpoint), by due date; ``overdue`` when the due date has passed on ``as_of``."""
    condition = []
    if scope.operator_ids is not None:
        condition.append("AND v.operator_id = ANY(:operator_ids)")
    if scope.commune_id is not None:
        condition.append("AND EXISTS (SELECT 1 FROM admin_units u WHERE u.id = :commune_id"
                         " AND s.geom && u.geom AND ST_Intersects(u.geom, m.p))")
    sql = _VIOLATIONS_SQL.format(condition=" ".join(condition))
    return [OpenViolation(**row._mapping) for row in session.execute(text(sql), _params(scope))]
