"""Segment state history: record changes and ask any figure "as of" a date.

A segment's placement, tidy state and lifecycle are the latest ``segment_states`` row whose
``effective_date`` is on or before the date asked. Lengths are geodesic metres (``length_m``);
figures are returned in kilometres.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from geoalchemy2 import functions as gf
from sqlalchemy import Select, and_, case, func, literal, or_, select, text
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session, aliased

from gis.choices import DEFAULT_KIND, KINDS_BY_PLACEMENT, Lifecycle, Placement, PlacementKind
from gis.compliance.rules import local_today
from gis.errors import NotFoundError
from gis.models import AdminUnit, CableSegment, Operator, SegmentState


def is_current(session: Session, as_of: date) -> bool:
    """True when no state row is dated after ``as_of``: each segment's state on ``as_of`` is
    then its own current columns (the history trigger keeps them equal to its latest row), and
    the history need not be scanned. From today on there is nothing to look up: the database
    refuses state rows dated in the future."""
    if as_of >= local_today():
        return True
    latest = session.scalar(text("SELECT max(effective_date) FROM segment_states"))
    return latest is None or latest <= as_of


def latest_states(as_of: date) -> Select:
    """Select each segment's state row in force at the end of ``as_of`` (one row per segment)."""
    return (
        select(SegmentState)
        .where(SegmentState.effective_date <= as_of)
        .order_by(
            SegmentState.segment_id, SegmentState.effective_date.desc(), SegmentState.id.desc()
        )
        .ext(distinct_on(SegmentState.segment_id))
    )


def state_row_sql(segment_id: str, on: str, columns: str) -> str:
    """SQL subquery for raw-SQL callers: ``columns`` of the state row of segment ``segment_id``
    (an SQL expression, e.g. ``s.id``) in force at the end of ``on`` (an SQL expression, e.g.
    ``:as_of``), the rule :func:`latest_states` applies. Columns are qualified with ``h.``.
    The lookup uses the index ``segment_states_latest_idx``."""
    return (f"SELECT {columns} FROM segment_states h"
            f" WHERE h.segment_id = {segment_id} AND h.effective_date <= {on}"
            " ORDER BY h.effective_date DESC, h.id DESC LIMIT 1")


def state_as_of(session: Session, segment_id: int, as_of: date) -> SegmentState | None:
    """Return the state of one segment at the end of ``as_of``; None if it had none yet."""
    stmt = latest_states(as_of).where(SegmentState.segment_id == segment_id)
    return session.scalars(stmt).first()


def record_state_change(
    session: Session,
    segment_id: int,
    *,
    effective_date: date,
    source: str,
    placement: Placement | str | None = None,
    placement_kind: PlacementKind | str | None = None,
    tidied: bool | None = None,
    lifecycle: Lifecycle | str | None = None,
    note: str | None = None,
) -> SegmentState:
    """Append a state row for ``segment_id``; fields left None keep their value on that date.

    The database then updates the segment's current columns when this row is the latest.
    When the placement changes and no kind is given, the default kind is used (overhead ->
    aerial, underground -> duct). Raises NotFoundError, or ValueError for an inconsistent state.
    """
    segment = session.get(CableSegment, segment_id)
    if segment is None:
        raise NotFoundError(f"segment {segment_id} does not exist")
    before = state_as_of(session, segment_id, effective_date)
    base = before or segment
    new_placement = Placement(placement or base.placement)
    if placement_kind is not None:
        new_kind = PlacementKind(placement_kind)
    elif new_placement == base.placement:
        new_kind = PlacementKind(base.placement_kind)
    else:
        new_kind = DEFAULT_KIND[new_placement]
    if new_kind not in KINDS_BY_PLACEMENT[new_placement]:
        allowed = ", ".join(KINDS_BY_PLACEMENT[new_placement])
        raise ValueError(
            f"placement_kind {new_kind.value!r} does not fit placement {new_placement.value!r} "
            f"(allowed: {allowed})"
        )
    row = SegmentState(
        segment_id=segment_id,
        effective_date=effective_date,
        placement=new_placement.value,
        placement_kind=new_kind.value,
        tidied=base.tidied if tidied is None else tidied,
        lifecycle=Lifecycle(lifecycle or base.lifecycle).value,
        source=source,
        note=note,
    )
    session.add(row)
    session.flush()
    session.expire(segment)
    return row


@dataclass(frozen=True)
class NetworkFigures:
    """Kilometres of active cable in one group (commune and/or operator) on a date."""

    commune_code: str | None
    commune_name: str | None
    operator_code: str | None
    total_km: float
    underground_km: float
    overhead_km: float
    overhead_tidied_km: float
    segments: int

    @property
    def underground_share(self) -> float:
        """Share of the total length that runs underground (0..1; 0 when there is no cable)."""
        return self.underground_km / self.total_km if self.total_km else 0.0


GroupBy = Literal["commune", "operator", "commune+operator", "total"]


def network_figures_as_of(
    session: Session,
    as_of: date,
    *,
    group_by: GroupBy = "commune+operator",
    communes: Literal["current", "as_of"] = "current",
    operator_codes: list[str] | None = None,
) -> list[NetworkFigures]:
    """Km underground / overhead / overhead-tidied of cable active at the end of ``as_of``.

    ``communes="current"`` groups by the commune stored on the segment (today's units);
    ``"as_of"`` joins the segment midpoint to the commune units in force on ``as_of``, so a
    report for 2024 comes out in the pre-2025 communes. Rows are sorted by commune, operator.
    """
    state = latest_states(as_of).subquery("state")
    length = CableSegment.length_m
    underground = state.c.placement == Placement.UNDERGROUND.value
    overhead = state.c.placement == Placement.OVERHEAD.value

    if communes == "current":
        commune_join = AdminUnit.id == CableSegment.commune_id
    else:
        unit = aliased(AdminUnit)
        # One commune per segment even when the midpoint lies on a shared boundary.
        commune_at_date = (
            select(unit.id)
            .where(
                unit.level == "commune",
                unit.valid_from <= as_of,
                or_(unit.valid_to.is_(None), unit.valid_to > as_of),
                gf.ST_Intersects(unit.geom, gf.ST_LineInterpolatePoint(CableSegment.geom, 0.5)),
            )
            .order_by(unit.id)
            .limit(1)
            .correlate(CableSegment)
            .scalar_subquery()
        )
        commune_join = AdminUnit.id == commune_at_date
    by_commune = group_by in ("commune", "commune+operator")
    by_operator = group_by in ("operator", "commune+operator")
    commune_cols = (
        [AdminUnit.code.label("commune_code"), AdminUnit.name.label("commune_name")]
        if by_commune
        else [literal(None).label("commune_code"), literal(None).label("commune_name")]
    )
    operator_cols = (
        [Operator.code.label("operator_code")]
        if by_operator
        else [literal(None).label("operator_code")]
    )

    def km(condition) -> object:
        return func.coalesce(func.sum(case((condition, length), else_=0.0)), 0.0) / 1000.0

    stmt = (
        select(
            *commune_cols,
            *operator_cols,
            (func.coalesce(func.sum(length), 0.0) / 1000.0).label("total_km"),
            km(underground).label("underground_km"),
            km(overhead).label("overhead_km"),
            km(and_(overhead, state.c.tidied)).label("overhead_tidied_km"),
            func.count().label("segments"),
        )
        .select_from(state)
        .join(CableSegment, CableSegment.id == state.c.segment_id)
        .join(Operator, Operator.id == CableSegment.operator_id)
        .outerjoin(AdminUnit, commune_join)
        .where(state.c.lifecycle == Lifecycle.ACTIVE.value)
    )
    if operator_codes:
        stmt = stmt.where(Operator.code.in_([code.upper() for code in operator_codes]))
    group_cols = []
    if by_commune:
        group_cols += [AdminUnit.code, AdminUnit.name]
    if by_operator:
        group_cols.append(Operator.code)
    if group_cols:
        stmt = stmt.group_by(*group_cols).order_by(*group_cols)
    return [NetworkFigures(**row._mapping) for row in session.execute(stmt)]
