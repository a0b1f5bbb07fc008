"""Operators, routes, administrative units and structures, for reading.

Kilometres are sums of the stored geodesic ``length_m`` of active segments, in their current
state (the cache the history trigger keeps equal to the latest ``segment_states`` row). Units and
structures come out as GeoJSON built by PostgreSQL (EPSG:4326, 7 decimals).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.choices import AdminLevel, StructureKind
from gis.errors import NotFoundError
from gis.queries import lookups
from gis.queries.common import DEFAULT_LIMIT, BBox, FeaturePage, page_of


@dataclass(frozen=True)
class NetworkKm:
    """How much cable: segment counts, and km of active cable overhead (of which tidied),
    underground and in total."""

    segments: int
    active_segments: int
    total_km: float
    overhead_km: float
    overhead_tidied_km: float
    underground_km: float


_KM_SQL = """
    SELECT count(*) AS segments,
           count(*) FILTER (WHERE s.lifecycle = 'active') AS active_segments,
           coalesce(sum(s.length_m) FILTER (WHERE s.lifecycle = 'active'), 0) / 1000.0
             AS total_km,
           coalesce(sum(s.length_m) FILTER (WHERE s.lifecycle = 'active'
                                              AND s.placement = 'overhead'), 0) / 1000.0
             AS overhead_km,
           coalesce(sum(s.length_m) FILTER (WHERE s.lifecycle = 'active'
                                              AND s.placement = 'overhead' AND s.tidied), 0)
             / 1000.0 AS overhead_tidied_km,
           coalesce(sum(s.length_m) FILTER (WHERE s.lifecycle = 'active'
                                              AND s.placement = 'underground'), 0) / 1000.0
             AS underground_km
      FROM cable_segments s
     WHERE {condition}"""


def _network_km(session: Session, condition: str, params: dict[str, Any]) -> NetworkKm:
    row = session.execute(text(_KM_SQL.format(condition=condition)), params).one()
    return NetworkKm(**row._mapping)


# ---------------------------------------------------------------- operators

@dataclass(frozen=True)
class OperatorInfo:
    """An operator: code, name, kind (telecom, cable_tv, power, other)."""

    code: str
    name: str
    kind: str


@dataclass(frozen=True)
class OperatorDetail:
    """An operator with its number of routes and its cable today."""

    operator: OperatorInfo
    routes: int
    network: NetworkKm


def list_operators(session: Session) -> list[OperatorInfo]:
    """Every operator the caller may see, by code."""
    rows = session.execute(text("SELECT code, name, kind FROM operators ORDER BY code"))
    return [OperatorInfo(**row._mapping) for row in rows]


def get_operator(session: Session, code: str) -> OperatorDetail:
    """The operator ``code`` (case-insensitive) with its routes and km; NotFoundError if unknown
    or invisible."""
    row = session.execute(
        text("SELECT id, code, name, kind FROM operators WHERE code = :code"),
        {"code": code.strip().upper()},
    ).first()
    if row is None:
        raise NotFoundError(f"operator {code!r} does not exist or is not visible to you")
    routes = session.execute(
        text("SELECT count(*) FROM cable_routes WHERE operator_id = :id"), {"id": row.id}
    ).scalar_one()
    network = _network_km(session, "s.operator_id = :id", {"id": row.id})
    return OperatorDetail(OperatorInfo(row.code, row.name, row.kind), routes, network)


# ---------------------------------------------------------------- routes

@dataclass(frozen=True)
class RouteInfo:
    """A cable route: code, name, operator code, street, tier."""

    code: str
    name: str | None
    operator: str | None
    street: str | None
    tier: str


@dataclass(frozen=True)
class RoutePage:
    """One page of routes by code; ``next_after`` is the last code when more follow."""

    routes: list[RouteInfo]
    next_after: str | None


_ROUTE_COLUMNS = """r.code, r.name, o.code AS operator, r.street, r.tier
      FROM cable_routes r
      LEFT JOIN operators o ON o.id = r.operator_id"""


def list_routes(
    session: Session,
    *,
    operators: tuple[str, ...] = (),
    tier: str | None = None,
    limit: int = DEFAULT_LIMIT,
    after: str | None = None,
) -> RoutePage:
    """Routes by code after the code ``after``, of any of ``operators`` (codes) and of ``tier``.

    Raises ValidationFailed (field ``operator``) for an unknown operator code."""
    where = ["r.code > :after"]
    params: dict[str, Any] = {"after": after or "", "fetch": limit + 1}
    if operators:
        where.append("r.operator_id = ANY(:operator_ids)")
        params["operator_ids"] = lookups.operator_ids(session, operators)
    if tier is not None:
        where.append("r.tier = :tier")
        params["tier"] = str(tier)
    rows = session.execute(text(
        f"SELECT {_ROUTE_COLUMNS} WHERE {' AND '.join(where)} ORDER BY r.code LIMIT :fetch"
    ), params)
    routes = [RouteInfo(**row._mapping) for row in rows]
    more = len(routes) > limit
    routes = routes[:limit]
    return RoutePage(routes, routes[-1].code if more else None)


@dataclass(frozen=True)
class RouteDetail:
    """A route with its segments and km today."""

    route: RouteInfo
    network: NetworkKm


def get_route(session: Session, code: str) -> RouteDetail:
    """The route ``code`` with its cable; NotFoundError if unknown or invisible."""
    row = session.execute(
        text(f"SELECT r.id, {_ROUTE_COLUMNS} WHERE r.code = :code"), {"code": code}
    ).first()
    if row is None:
        raise NotFoundError(f"route {code!r} does not exist or is not visible to you")
    info = RouteInfo(**{k: v for k, v in row._mapping.items() if k != "id"})
    return RouteDetail(info, _network_km(session, "s.route_id = :id", {"id": row.id}))


# ---------------------------------------------------------------- administrative units

_UNIT_FEATURE = """json_build_object(
      'type', 'Feature',
      'id', u.code,
      'geometry', ST_AsGeoJSON(u.geom, 7, 0)::json,
      'properties', json_build_object(
        'code', u.code, 'name', u.name, 'level', u.level,
        'valid_from', u.valid_from, 'valid_to', u.valid_to, 'parent_code', parent.code))::text"""

_UNITS_SQL = f"""
    SELECT {_UNIT_FEATURE}
      FROM admin_units u
      LEFT JOIN admin_units parent ON parent.id = u.parent_id
     WHERE u.valid_from <= :as_of AND (u.valid_to IS NULL OR u.valid_to > :as_of)
       {{condition}}
     ORDER BY u.code"""


def list_units(session: Session, *, as_of: date, level: AdminLevel | None = None) -> list[str]:
    """GeoJSON Feature texts of the administrative units in force on ``as_of`` (``valid_to`` is
    exclusive), of one ``level`` if given, by code."""
    condition = "AND u.level = :level" if level is not None else ""
    sql = _UNITS_SQL.format(condition=condition)
    params = {"as_of": as_of, "level": level.value if level else None}
    return list(session.scalars(text(sql), params))


def get_unit(session: Session, code: str, *, as_of: date) -> dict[str, Any]:
    """The version of unit ``code`` in force on ``as_of`` as a GeoJSON Feature; NotFoundError
    when none was."""
    sql = _UNITS_SQL.format(condition="AND u.code = :code")
    feature = session.scalars(text(sql), {"as_of": as_of, "code": code}).first()
    if feature is None:
        raise NotFoundError(f"no administrative unit {code!r} was in force on {as_of}")
    return json.loads(feature)


# ---------------------------------------------------------------- structures

@dataclass(frozen=True)
class StructureFilter:
    """What ``GET /structures`` can ask for: a box, a kind, operators (owner or sharer)."""

    bbox: BBox | None = None
    kind: StructureKind | None = None
    operators: tuple[str, ...] = ()


_STRUCTURE_FEATURE = """json_build_object(
      'type', 'Feature',
      'id', s.id,
      'geometry', ST_AsGeoJSON(s.geom, 7, 0)::json,
      'properties', json_build_object(
        'code', s.code, 'kind', s.kind, 'owner', o.code,
        'shared_by', ARRAY(SELECT so.code FROM structure_sharers ss
                             JOIN operators so ON so.id = ss.operator_id
                            WHERE ss.structure_id = s.id ORDER BY so.code),
        'note', s.note{extra}))::text"""

_STRUCTURES_SQL = """
    SELECT s.id, {feature}
      FROM structures s
      LEFT JOIN operators o ON o.id = s.owner_id
     WHERE {condition}
     ORDER BY s.id
     LIMIT :fetch"""


def list_structures(
    session: Session, flt: StructureFilter, *, limit: int = DEFAULT_LIMIT, after: int = 0
) -> FeaturePage:
    """One page of poles, manholes and cabinets by id after ``after``: in ``flt.bbox``, of
    ``flt.kind``, owned or shared by any of ``flt.operators``.

    Raises ValidationFailed (field ``operator``) for an unknown operator code."""
    where = ["s.id > :after"]
    params: dict[str, Any] = {"after": after, "fetch": limit + 1}
    if flt.bbox is not None:
        where.append("s.geom && ST_MakeEnvelope(:west, :south, :east, :north, 4326)")
        params.update(flt.bbox.params())
    if flt.kind is not None:
        where.append("s.kind = :kind")
        params["kind"] = flt.kind.value
    if flt.operators:
        where.append("(s.owner_id = ANY(:operator_ids) OR EXISTS (SELECT 1 FROM structure_sharers"
                     " x WHERE x.structure_id = s.id AND x.operator_id = ANY(:operator_ids)))")
        params["operator_ids"] = lookups.operator_ids(session, flt.operators)
    sql = _STRUCTURES_SQL.format(feature=_STRUCTURE_FEATURE.format(extra=""),
                                 condition=" AND ".join(where))
    return page_of([tuple(row) for row in session.execute(text(sql), params)], limit)


#: Segments linked to a structure have an end within 1 m of it (gis.sample.load links them so);
#: the GiST index finds the candidates within this many degrees (about 11 m) first.
_LINK_SEARCH_DEG = 0.0001


def get_structure(session: Session, structure_id: int) -> dict[str, Any]:
    """The structure as a GeoJSON Feature whose properties add ``segments``: the ids of the
    segments that start or end at it. NotFoundError if unknown or invisible."""
    segments = f""", 'segments', ARRAY(
        SELECT c.id FROM cable_segments c
         WHERE c.geom && ST_Expand(s.geom, {_LINK_SEARCH_DEG})
           AND (c.start_structure_id = s.id OR c.end_structure_id = s.id)
         ORDER BY c.id)"""
    sql = _STRUCTURES_SQL.format(feature=_STRUCTURE_FEATURE.format(extra=segments),
                                 condition="s.id = :id")
    row = session.execute(text(sql), {"id": structure_id, "fetch": 1}).first()
    if row is None:
        raise NotFoundError(f"structure {structure_id} does not exist or is not visible to you")
    return json.loads(row[1])
