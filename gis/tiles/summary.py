"""What a map drawn from vector tiles says beside the tiles: segments and km of active cable
per operator, commune and placement class on a date, and the network's extent, computed by
PostgreSQL without sending a single line.

The rules are the maps' (:mod:`gis.queries.map_data`): the state on ``as_of``
(:func:`gis.history.state_row_sql`), the class (``placement_class_sql``) and the commune in
force on ``as_of`` holding the segment's midpoint (``_COMMUNE_ON_DATE``, imported from there
so that the rule stays written once). Row-level security applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.choices import Lifecycle
from gis.history import is_current
from gis.queries import map_data
from gis.queries.map_data import MapScope, MapSegments, placement_class_sql
from gis.tiles.query import STATE_AS_OF, STATE_CURRENT


@dataclass(frozen=True)
class SummaryGroup:
    """Active segments of one operator, commune (None: outside every commune) and
    :class:`gis.choices.PlacementClass` on the date: how many and their geodesic length (m)."""

    operator_id: int
    commune_id: int | None
    cls: str
    segments: int
    length_m: float


@dataclass
class NetworkSummary:
    """The groups of :func:`network_summary`, the extent of their segments (west, south, east,
    north in EPSG:4326 degrees; None without segments) and the operators the caller may see
    (id -> (code, name))."""

    groups: list[SummaryGroup] = field(default_factory=list)
    extent: tuple[float, float, float, float] | None = None
    operators: dict[int, tuple[str, str]] = field(default_factory=dict)

    @property
    def segments(self) -> int:
        """How many segments in all."""
        return sum(g.segments for g in self.groups)

    def by_operator(self) -> dict[int, int]:
        """Segments per operator id."""
        counts: dict[int, int] = {}
        for g in self.groups:
            counts[g.operator_id] = counts.get(g.operator_id, 0) + g.segments
        return counts

    def as_map_segments(self, scope: MapScope) -> MapSegments:
        """The groups as :class:`MapSegments` column arrays of ONE ENTRY PER GROUP (commune,
        class, summed length; no geometry), for :func:`gis.queries.map_data.map_communes`,
        which sums lengths by commune and class and so gets the same km as from the segments.
        Not for counting segments."""
        result = MapSegments(scope.as_of, operators=self.operators)
        result.commune_ids = [g.commune_id for g in self.groups]
        result.classes = [g.cls for g in self.groups]
        result.lengths_m = [g.length_m for g in self.groups]
        return result


def _active(scope: MapScope, current: bool) -> str:
    """``FROM ... WHERE ...`` of the active segments of ``scope`` with their state ``st``."""
    where = [f"st.lifecycle = '{Lifecycle.ACTIVE}'"]
    if scope.operator_ids is not None:
        where.append("s.operator_id = ANY(:operator_ids)")
    return f"""FROM cable_segments s
      {STATE_CURRENT if current else STATE_AS_OF}
     WHERE {" AND ".join(where)}"""


_COLUMNS = (f"{placement_class_sql('st')} AS cls, count(*) AS segments,"
            " sum(s.length_m) AS length_m, ST_XMin(ST_Extent(s.geom)), ST_YMin(ST_Extent(s.geom)),"
            " ST_XMax(ST_Extent(s.geom)), ST_YMax(ST_Extent(s.geom))")


def _summary_sql(scope: MapScope, current: bool) -> str:
    """One pass, grouped by plain columns (a hash aggregate): the segments whose stored commune
    is in force on :as_of under that commune, the others under NULL with their ids, whose
    commune :func:`_looked_up_sql` then finds by midpoint (few, unless :as_of is before a
    reorganisation)."""
    in_force = map_data._IN_FORCE.format(u="cu")
    source = _active(scope, current).replace(
        "\n     WHERE", f"\n      LEFT JOIN admin_units cu ON cu.id = s.commune_id AND {in_force}"
                      "\n     WHERE", 1)
    return f"""
    SELECT s.operator_id, cu.id AS commune_id, {_COLUMNS},
           array_agg(s.id) FILTER (WHERE cu.id IS NULL) AS look_up
      {source}
     GROUP BY s.operator_id, cu.id, 3"""


def _looked_up_sql(scope: MapScope, current: bool) -> str:
    """The segments :ids grouped with the commune in force on :as_of holding their midpoint."""
    in_force = map_data._IN_FORCE.format(u="cu")
    source = _active(scope, current).replace(
        "\n     WHERE", f"\n      LEFT JOIN admin_units cu ON cu.id = s.commune_id AND {in_force}"
                      "\n     WHERE s.id = ANY(:ids) AND", 1)
    return f"""
    SELECT s.operator_id, {map_data._COMMUNE_ON_DATE} AS commune_id, {_COLUMNS}, NULL
      {source}
     GROUP BY 1, 2, 3"""


def network_summary(session: Session, scope: MapScope) -> NetworkSummary:
    """Segments and km of the active cable of ``scope`` (date, operators; the commune filter
    is not applied: tiles are not cut by commune) by operator x commune x class."""
    current = is_current(session, scope.as_of)
    params = {"as_of": scope.as_of, "operator_ids": scope.operator_ids}
    rows = session.execute(text(_summary_sql(scope, current)), params).all()
    look_up = [i for row in rows if row.look_up for i in row.look_up]
    if look_up:
        rows = [row for row in rows if not row.look_up] + session.execute(
            text(_looked_up_sql(scope, current)), {**params, "ids": look_up}).all()
    summary = NetworkSummary()
    for row in rows:
        summary.groups.append(SummaryGroup(*row[:5]))
        box = tuple(row[5:9])
        if summary.extent is None:
            summary.extent = box
        else:
            old = summary.extent
            summary.extent = (min(old[0], box[0]), min(old[1], box[1]),
                              max(old[2], box[2]), max(old[3], box[3]))
    summary.operators = {row.id: (row.code, row.name) for row in session.execute(
        text("SELECT id, code, name FROM operators ORDER BY code"))}
    return summary


def count_active(session: Session, scope: MapScope, limit: int) -> int:
    """How many segments of ``scope`` (date, operators) are active, counted up to ``limit + 1``
    (enough to tell whether a map holds more than ``limit``)."""
    source = _active(scope, is_current(session, scope.as_of))
    return session.scalar(text(f"SELECT count(*) FROM (SELECT 1 {source} LIMIT :n) c"),
                          {"as_of": scope.as_of, "operator_ids": scope.operator_ids,
                           "n": limit + 1})
