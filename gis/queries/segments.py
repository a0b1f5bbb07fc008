"""Cable segments as GeoJSON (RFC 7946), built by PostgreSQL.

:func:`list_segments` returns one keyset page (``id > after ORDER BY id LIMIT n + 1``; no count of
the whole table) of the segments that pass a :class:`SegmentFilter` on a date ``as_of``. The
placement, kind, tidy state and lifecycle are each segment's latest ``segment_states`` row dated on
or before ``as_of`` (one index probe per segment; when no row is dated after ``as_of``, as for
today, the segment's own columns, which the history trigger keeps equal to its latest row);
segments with no state yet on that date are left out. The compliance state comes from
:func:`gis.compliance.rules.segment_states_sql`, for the page's ids only; the compliance filter
classifies only the segments that ever had a visit or a violation (any other is "not inspected"
by the same rules). :func:`get_segment` adds a segment's whole history, its visits and its open
violations.

Geometry is EPSG:4326 with coordinates rounded to 7 decimals; ``length_m`` is the stored geodesic
length in metres (rounded to the centimetre). The commune is the one the database stored for the
segment: the commune in force, when the segment was stored, that contains its midpoint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.choices import ComplianceState, Lifecycle, Placement
from gis.compliance.rules import (
    SegmentFacts,
    ViolationFacts,
    compliance_state,
    is_overdue,
    local_date,
    local_today,
    segment_states_sql,
)
from gis.errors import NotFoundError, invalid
from gis.history import is_current, state_row_sql
from gis.queries import lookups
from gis.queries.common import DEFAULT_LIMIT, BBox, FeaturePage, page_of


@dataclass(frozen=True)
class SegmentFilter:
    """What ``GET /segments`` can ask for; every field left None (or empty) does not filter.

    ``operators`` are operator codes (any of them), ``route`` a route code, ``commune`` the code of
    an administrative unit (the segment's stored commune, any version of that code); placement,
    tidy state, lifecycle and compliance are evaluated on the ``as_of`` date of the query.
    """

    bbox: BBox | None = None
    operators: tuple[str, ...] = ()
    route: str | None = None
    commune: str | None = None
    placement: Placement | None = None
    tidied: bool | None = None
    lifecycle: Lifecycle | None = None
    compliance: ComplianceState | None = None


#: Each segment's state row in force at the end of :as_of (index segment_states_latest_idx).
_STATE_AS_OF = f"""
    CROSS JOIN LATERAL ({state_row_sql(
        "s.id", ":as_of",
        "h.placement, h.placement_kind, h.tidied, h.lifecycle, h.effective_date")}) st"""

#: The same when no history row is dated after :as_of: then every segment's state on :as_of is
#: its latest row, which the history trigger keeps in the segment's own columns (the planner
#: flattens this, so filters on the state become plain column filters).
_STATE_CURRENT = """
    CROSS JOIN LATERAL (
      SELECT s.placement, s.placement_kind, s.tidied, s.lifecycle,
             s.state_since AS effective_date) st"""

#: Segments that have ever had a visit or a violation. Any other segment has no facts, so its
#: compliance state is that of ``SegmentFacts()`` (not inspected) on every date.
_TOUCHED_IDS = "SELECT segment_id FROM inspections UNION SELECT segment_id FROM violations"

#: WITH entry ``touched``: ``(segment_id, state)`` on :as_of of every segment that ever had a
#: visit or a violation (the compliance filter reads it; an export joins it).
TOUCHED_CTE = f"touched AS ({segment_states_sql(_TOUCHED_IDS)})"

#: Columns of a selected segment (``s``) with its state on :as_of (``st``): what
#: :func:`feature_sql` and :func:`property_sql` read as ``p``.
SELECTED_COLUMNS = """s.id, s.geom, s.route_id, s.operator_id, s.commune_id, s.length_m,
               st.placement, st.placement_kind, st.tidied, st.lifecycle,
               st.effective_date AS state_since"""

#: The route (``r``), operator (``o``) and commune (``u``) of the selected segment ``p``, by
#: primary key: the planner probes them for a page and hashes them for a whole export.
LOOKUPS = """
      LEFT JOIN cable_routes r ON r.id = p.route_id
      LEFT JOIN operators o ON o.id = p.operator_id
      LEFT JOIN admin_units u ON u.id = p.commune_id"""


def _json_text(value: str) -> str:
    return f"coalesce(to_json({value})::text, 'null')"


#: ``(SQL value, how it becomes JSON)``: ``text`` escaped by to_json (any character, or
#: null); ``code`` quoted as it is (a lower-case code: check constraints, gis.choices);
#: ``literal`` (a boolean, or a number that is never null) written as PostgreSQL prints it.
_PROPERTIES: dict[str, tuple[str, str]] = {
    "route": ("r.code", "text"),
    "operator": ("o.code", "text"),
    "commune_code": ("u.code", "text"),
    "commune_name": ("u.name", "text"),
    "placement": ("p.placement", "code"),
    "placement_kind": ("p.placement_kind", "code"),
    "tidied": ("p.tidied", "literal"),
    "lifecycle": ("p.lifecycle", "code"),
    "state_since": ("p.state_since", "text"),
    # The stored geodesic length (never null: generated from the geometry), to the centimetre.
    "length_m": ("round(p.length_m * 100) / 100", "literal"),
}


def property_sql(compliance: str = "c.state") -> dict[str, str]:
    """SQL value of each property of a segment feature, in order, over the selected segment
    ``p`` (:data:`SELECTED_COLUMNS`) and its lookups ``r``, ``o``, ``u`` (:data:`LOOKUPS`);
    ``compliance`` is the SQL of the compliance state. Lengths are metres."""
    values = {name: value for name, (value, _) in _PROPERTIES.items()}
    return {**values, "compliance": compliance}


def feature_sql(compliance: str = "c.state") -> str:
    """SQL text of the GeoJSON Feature of the selected segment ``p`` (RFC 7946: geometry in
    EPSG:4326 with 7 decimals; properties :func:`property_sql`).

    The JSON is concatenated rather than built by ``json_build_object``, whose per-row cost
    triples the database time of a whole export (1,000,000 features: 3 s more)."""
    # (is SQL, text): literal JSON pieces and SQL expressions, in order.
    parts: list[tuple[bool, str]] = [
        (False, '{"type":"Feature","id":'), (True, "p.id::text"), (False, ',"geometry":'),
        (True, "ST_AsGeoJSON(p.geom, 7, 0)"), (False, ',"properties":{')]
    kinds = {**{name: kind for name, (_, kind) in _PROPERTIES.items()}, "compliance": "code"}
    for index, (name, value) in enumerate(property_sql(compliance).items()):
        parts.append((False, ("," if index else "") + f'"{name}":'))
        if kinds[name] == "text":
            parts.append((True, _json_text(value)))
        elif kinds[name] == "code":
            parts += [(False, '"'), (True, value), (False, '"')]
        else:
            parts.append((True, f"({value})::text"))
    parts.append((False, "}}"))
    operands: list[str] = []
    for is_sql, group in groupby(parts, key=lambda part: part[0]):
        texts = [text for _, text in group]
        # Adjacent literals become one: fewer concatenations per row.
        operands += texts if is_sql else ["'" + "".join(texts) + "'"]
    return " || ".join(operands)


@dataclass(frozen=True)
class Selection:
    """The segments that pass a :class:`SegmentFilter` on the date ``as_of``, as SQL over
    ``cable_segments s`` and its state row ``st`` (``FROM {from_sql} WHERE {where_sql}``), with
    bound ``params`` (codes resolved, ``as_of`` and ``stale_after_days`` included).
    ``needs_touched``: the conditions read the WITH entry ``touched`` (:data:`TOUCHED_CTE`)."""

    conditions: tuple[str, ...]
    params: dict[str, Any]
    current: bool
    needs_touched: bool
    as_of: date

    @property
    def from_sql(self) -> str:
        """``cable_segments s`` with its state ``st`` on :as_of."""
        return "cable_segments s" + (_STATE_CURRENT if self.current else _STATE_AS_OF)

    def where_sql(self, *extra: str) -> str:
        """The conditions, after ``extra`` ones, joined by AND (``true`` when there are none)."""
        return " AND ".join((*extra, *self.conditions)) or "true"


def _segments_sql(selection: Selection) -> str:
    """The page query: the selected segments in id order, at most :fetch, with their state on
    :as_of and their compliance, each as a GeoJSON Feature text (rows ``(id, feature)``).
    Compliance is classified for the page's ids only."""
    ctes = [TOUCHED_CTE] if selection.needs_touched else []
    ctes.append(f"""page AS (
        SELECT {SELECTED_COLUMNS}
          FROM {selection.from_sql}
         WHERE {selection.where_sql("s.id > :after")}
         ORDER BY s.id
         LIMIT :fetch)""")
    ctes.append(f"compliance AS ({segment_states_sql('SELECT id FROM page')})")
    return "WITH " + ",\n".join(ctes) + f"""
    SELECT p.id, {feature_sql()}
      FROM page p{LOOKUPS}
      LEFT JOIN compliance c ON c.segment_id = p.id
     ORDER BY p.id"""


def _conditions(
    session: Session, flt: SegmentFilter, as_of: date, stale_after_days: int
) -> tuple[list[str], dict[str, Any]]:
    """SQL conditions and parameters of ``flt``; codes are resolved first (422 when unknown)."""
    where: list[str] = []
    params: dict[str, Any] = {}
    if flt.bbox is not None:
        # ST_Intersects brings its own index condition (geom && box); writing the && again
        # would make the planner count its selectivity twice and misjudge big boxes.
        where.append("ST_Intersects(s.geom, ST_MakeEnvelope(:west, :south, :east, :north, 4326))")
        params.update(flt.bbox.params())
    if flt.operators:
        where.append("s.operator_id = ANY(:operator_ids)")
        params["operator_ids"] = lookups.operator_ids(session, flt.operators)
    if flt.route is not None:
        where.append("s.route_id = :route_id")
        params["route_id"] = lookups.route_id(session, flt.route)
    if flt.commune is not None:
        where.append("s.commune_id = ANY(:commune_ids)")
        params["commune_ids"] = lookups.commune_ids(session, flt.commune)
    if flt.placement is not None:
        where.append("st.placement = :placement")
        params["placement"] = flt.placement.value
    if flt.tidied is not None:
        where.append("st.tidied = :tidied")
        params["tidied"] = flt.tidied
    if flt.lifecycle is not None:
        where.append("st.lifecycle = :lifecycle")
        params["lifecycle"] = flt.lifecycle.value
    if flt.compliance is not None:
        params["compliance"] = flt.compliance.value
        if flt.compliance == untouched_state(as_of, stale_after_days):
            where.append("NOT EXISTS (SELECT 1 FROM touched t"
                         " WHERE t.segment_id = s.id AND t.state <> :compliance)")
        else:
            where.append("s.id IN (SELECT t.segment_id FROM touched t WHERE t.state = :compliance)")
    return where, params


def untouched_state(as_of: date, stale_after_days: int) -> ComplianceState:
    """The compliance state on ``as_of`` of a segment that never had a visit or a violation."""
    return compliance_state(SegmentFacts(), as_of, stale_after_days)


def check_as_of(as_of: date | None) -> date:
    """``as_of``, by default the local date; ValidationFailed (field ``as_of``) in the future."""
    today = local_today()
    as_of = as_of or today
    if as_of > today:
        raise invalid("as_of", f"as_of {as_of} is in the future (today is {today}); the "
                               "history holds facts up to today")
    return as_of


def select_segments(
    session: Session, flt: SegmentFilter, *, as_of: date | None, stale_after_days: int
) -> Selection:
    """The segments passing ``flt`` on ``as_of`` (default: the local date) as a
    :class:`Selection`, for listing, counting or exporting them.

    Raises ValidationFailed (field ``operator``, ``route``, ``commune`` or ``as_of``) for an
    unknown code or a date in the future.
    """
    as_of = check_as_of(as_of)
    where, params = _conditions(session, flt, as_of, stale_after_days)
    params.update(as_of=as_of, stale_after_days=stale_after_days)
    return Selection(tuple(where), params, is_current(session, as_of),
                     flt.compliance is not None, as_of)


def segments_query(
    session: Session,
    flt: SegmentFilter,
    *,
    as_of: date | None,
    stale_after_days: int,
    limit: int = DEFAULT_LIMIT,
    after: int = 0,
) -> tuple[str, dict[str, Any]]:
    """The SQL and parameters of :func:`list_segments` (codes already resolved), e.g. for
    EXPLAIN. Rows are ``(id, feature_text)``, ``limit + 1`` at most."""
    selection = select_segments(session, flt, as_of=as_of, stale_after_days=stale_after_days)
    params = {**selection.params, "after": after, "fetch": limit + 1}
    return _segments_sql(selection), params


def list_segments(
    session: Session,
    flt: SegmentFilter,
    *,
    as_of: date | None,
    stale_after_days: int,
    limit: int = DEFAULT_LIMIT,
    after: int = 0,
) -> FeaturePage:
    """One page of the segments passing ``flt`` on ``as_of`` (default: the local date), by id,
    after the id ``after``.

    Raises ValidationFailed (field ``operator``, ``route``, ``commune`` or ``as_of``) for an
    unknown code or a date in the future.
    """
    sql, params = segments_query(session, flt, as_of=as_of, stale_after_days=stale_after_days,
                                 limit=limit, after=after)
    rows = [tuple(row) for row in session.execute(text(sql), params)]
    return page_of(rows, limit)


_HISTORY_SQL = text("""
    SELECT effective_date, placement, placement_kind, tidied, lifecycle, source, recorded_by,
           recorded_at, note
      FROM segment_states
     WHERE segment_id = :id
     ORDER BY effective_date, id""")

_VISITS_SQL = text("""
    SELECT i.id, i.visited_at, u.username AS inspector, c.code AS campaign,
           r.pass, r.fail, r.not_checked, i.photos_expected,
           (SELECT count(*) FROM photos ph WHERE ph.inspection_id = i.id) AS photos_received,
           i.corrects_id,
           (SELECT j.id FROM inspections j WHERE j.corrects_id = i.id) AS corrected_by_id
      FROM inspections i
      LEFT JOIN users u ON u.id = i.inspector_id
      LEFT JOIN campaigns c ON c.id = i.campaign_id
      CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE ir.result = 'pass') AS pass,
               count(*) FILTER (WHERE ir.result = 'fail') AS fail,
               count(*) FILTER (WHERE ir.result = 'not_checked') AS not_checked
          FROM inspection_results ir
         WHERE ir.inspection_id = i.id) r
     WHERE i.segment_id = :id
     ORDER BY i.visited_at, i.id""")

_OPEN_VIOLATIONS_SQL = text("""
    SELECT v.id, ci.code AS item, ci.text_vi, ci.text_en, ci.severity, v.found_at, v.due_on,
           v.state
      FROM violations v
      JOIN checklist_items ci ON ci.id = v.item_id
     WHERE v.segment_id = :id AND v.state IN ('open', 'remediation_reported')
     ORDER BY v.due_on, v.id""")


def get_segment(
    session: Session, segment_id: int, *, stale_after_days: int, today: date | None = None
) -> dict[str, Any]:
    """The segment ``segment_id`` as a GeoJSON Feature (its properties as in
    :func:`list_segments`, on ``today``, default the local date), whose properties add
    ``history`` (every state row, oldest first), ``visits`` (oldest first, with result counts and
    photo completeness) and ``open_violations`` (open or remediation reported, with ``overdue``).

    Raises NotFoundError when the segment does not exist or the caller may not see it.
    """
    today = today or local_today()
    one = Selection(("s.id = :segment_id",), {}, current=False, needs_touched=False, as_of=today)
    sql = _segments_sql(one)
    params = {"segment_id": segment_id, "as_of": today, "stale_after_days": stale_after_days,
              "after": 0, "fetch": 1}
    row = session.execute(text(sql), params).first()
    if row is None:
        raise NotFoundError(f"segment {segment_id} does not exist or is not visible to you")
    feature = json.loads(row[1])
    props = feature["properties"]
    props["history"] = [dict(r._mapping) for r in session.execute(_HISTORY_SQL, {"id": segment_id})]
    props["visits"] = [_visit(r._mapping) for r in session.execute(_VISITS_SQL, {"id": segment_id})]
    props["open_violations"] = [
        _open_violation(r._mapping, today)
        for r in session.execute(_OPEN_VIOLATIONS_SQL, {"id": segment_id})
    ]
    return feature


def _visit(row) -> dict[str, Any]:
    visit = dict(row)
    visit["complete"] = visit["photos_received"] >= visit["photos_expected"]
    return visit


def _open_violation(row, today: date) -> dict[str, Any]:
    violation = dict(row)
    facts = ViolationFacts(found_on=local_date(row["found_at"]), due_on=row["due_on"])
    violation["overdue"] = is_overdue(facts, today)
    return violation
