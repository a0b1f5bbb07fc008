"""The compliance rules in SQL agree with the pure rules, on PostGIS, for a grid of segments with
visits and violations at various dates (some around midnight in Asia/Ho_Chi_Minh); and the
state queries built on them (per segment, summary per operator / commune, one segment's facts).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, text

from gis.choices import ComplianceState as C
from gis.choices import Lifecycle, ViolationState
from gis.compliance.rules import (
    SegmentFacts,
    compliance_state,
    is_overdue,
    local_date,
    segment_states_sql,
    violation_overdue_sql,
    violation_state,
    violation_state_sql,
)
from gis.compliance.state import compliance_summary, explain_segment, segment_compliance
from gis.compliance.violations import violation_facts
from gis.errors import NotFoundError
from gis.history import record_state_change
from gis.models import Inspection, Violation
from tests.compliance_data import local, make_violation, make_visit
from tests.factories import make_operator, make_segment, make_unit, make_user

STALE = 30
DATES = [
    date(2024, 1, 9), date(2024, 1, 10), date(2024, 2, 9), date(2024, 2, 10), date(2024, 2, 29),
    date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3), date(2024, 3, 10), date(2024, 3, 11),
    date(2024, 3, 16), date(2024, 3, 20), date(2024, 3, 21), date(2024, 3, 25), date(2024, 6, 2),
]


def _line(i: int) -> list[tuple[float, float]]:
    lat = 20.40 + 0.002 * i
    return [(106.30, lat), (106.301, lat)]


@pytest.fixture
def grid(session):
    """Segments with visits and violations at chosen times; returns {name: segment}."""
    vnpt = make_operator(session, "TSTA")
    viettel = make_operator(session, "TSTB")
    inspector, _ = make_user(session, "inspector", username="grid-inspector")
    segs = {name: make_segment(session, vnpt if i % 2 == 0 else viettel, _line(i))
            for i, name in enumerate(["never", "once", "late_evening", "after_midnight",
                                      "lifecycle", "withdrawn", "two", "old"])}

    make_visit(session, segs["once"], inspector, local(2024, 1, 10))

    v = make_visit(session, segs["late_evening"], inspector, local(2024, 3, 1, 23, 30))
    make_violation(session, v, due_on=date(2024, 3, 10))

    # 17:30 UTC on 1 March is 00:30 on 2 March in Vietnam.
    v = make_visit(session, segs["after_midnight"], inspector,
                   datetime(2024, 3, 1, 17, 30, tzinfo=UTC))
    make_violation(session, v, due_on=date(2024, 3, 2))

    v = make_visit(session, segs["lifecycle"], inspector, local(2024, 3, 1))
    closing = make_visit(session, segs["lifecycle"], inspector, local(2024, 3, 25, 0, 1))
    make_violation(session, v, due_on=date(2024, 3, 15), reported_at=local(2024, 3, 20, 23, 59),
                   closed_at=closing.visited_at, closed_by=closing)

    v = make_visit(session, segs["withdrawn"], inspector, local(2024, 3, 5))
    correction = make_visit(session, segs["withdrawn"], inspector, local(2024, 3, 6))
    make_violation(session, v, due_on=date(2024, 3, 5), closed_at=correction.visited_at,
                   withdrawn=True)

    v = make_visit(session, segs["two"], inspector, local(2024, 2, 20))
    # Closed at 00:30 local on 11 March = 17:30 UTC on 10 March: still unresolved on 10 March.
    closing = make_visit(session, segs["two"], inspector, local(2024, 3, 11, 0, 30))
    make_violation(session, v, "C1", due_on=date(2024, 3, 5), closed_at=closing.visited_at,
                   closed_by=closing)
    make_violation(session, v, "C3", due_on=date(2024, 6, 1))

    v = make_visit(session, segs["old"], inspector, local(2023, 6, 1))
    make_violation(session, v, due_on=date(2023, 6, 30), closed_at=local(2023, 6, 15))
    return segs


def _python_states(session, segment_ids, on):
    states = {}
    for segment_id in segment_ids:
        visits = session.scalars(
            select(Inspection.visited_at).where(Inspection.segment_id == segment_id)).all()
        violations = session.scalars(
            select(Violation).where(Violation.segment_id == segment_id)).all()
        facts = SegmentFacts(tuple(local_date(t) for t in visits),
                             tuple(violation_facts(v) for v in violations))
        states[segment_id] = compliance_state(facts, on, STALE)
    return states


def _sql_states(session, segment_ids, on):
    sql = segment_states_sql("SELECT unnest(CAST(:ids AS bigint[]))")
    rows = session.execute(text(sql), {"ids": segment_ids, "as_of": on, "stale_after_days": STALE})
    return {r.segment_id: C(r.state) for r in rows}


def test_sql_agrees_with_pure_rules_on_every_date(session, grid):
    """segment_states_sql() gives exactly compliance_state() for each segment on each date."""
    ids = [s.id for s in grid.values()]
    seen = set()
    for on in DATES:
        sql = _sql_states(session, ids, on)
        assert sql == _python_states(session, ids, on), on
        seen.update(sql.values())
    assert seen == set(C), "the grid should exercise every compliance state"


def test_violation_state_sql_agrees_with_pure_rules(session, grid):
    """violation_state_sql() / violation_overdue_sql() match violation_state() / is_overdue()."""
    sql = text(f"SELECT v.id, {violation_state_sql('v')} AS state, "
               f"{violation_overdue_sql('v')} AS overdue FROM violations v")
    violations = {v.id: v for v in session.scalars(select(Violation))}
    assert len(violations) == 7
    seen = set()
    for on in DATES:
        for row in session.execute(sql, {"as_of": on}):
            facts = violation_facts(violations[row.id])
            expected = violation_state(facts, on)
            assert (row.state, row.overdue) == (expected, is_overdue(facts, on)), (row.id, on)
            seen.add(expected)
    assert seen == set(ViolationState) | {None}


MIDNIGHT_CASES = [
    ("late_evening", date(2024, 2, 29), C.NOT_INSPECTED),
    ("late_evening", date(2024, 3, 1), C.NON_COMPLIANT),  # found 23:30 local on 1 March
    ("after_midnight", date(2024, 3, 1), C.NOT_INSPECTED),  # 17:30 UTC is 2 March local
    ("after_midnight", date(2024, 3, 2), C.NON_COMPLIANT),
    ("after_midnight", date(2024, 3, 3), C.OVERDUE),
    ("two", date(2024, 3, 10), C.OVERDUE),  # closed 00:30 local on 11 March
    ("two", date(2024, 3, 11), C.NON_COMPLIANT),  # the other item is not yet due
    ("lifecycle", date(2024, 3, 21), C.OVERDUE),  # reported, not verified
    ("lifecycle", date(2024, 3, 25), C.COMPLIANT),
    ("withdrawn", date(2024, 3, 6), C.COMPLIANT),
    ("once", date(2024, 2, 9), C.COMPLIANT),  # 30 days after the visit
    ("once", date(2024, 2, 10), C.STALE),
    ("old", date(2024, 1, 9), C.STALE),
    ("never", date(2024, 6, 2), C.NOT_INSPECTED),
]


def test_states_around_local_midnight(session, grid):
    """Hand-checked states where the Vietnamese calendar date differs from the UTC one."""
    for name, on, expected in MIDNIGHT_CASES:
        got = segment_compliance(session, [grid[name].id], on, STALE)
        assert got == {grid[name].id: expected}, (name, on)


def test_segment_compliance_leaves_out_unknown_ids(session, grid):
    """Ids that do not exist are simply absent; an empty list asks nothing."""
    result = segment_compliance(session, [grid["once"].id, 987654321], date(2024, 1, 10), STALE)
    assert result == {grid["once"].id: C.COMPLIANT}
    assert segment_compliance(session, [], date(2024, 1, 10), STALE) == {}


def test_summary_per_operator_counts_and_km(session, grid):
    """Per operator: segments and km per state (km = sum of geodesic length_m / 1000)."""
    on = date(2024, 3, 3)
    expected_states = _sql_states(session, [s.id for s in grid.values()], on)
    rows = compliance_summary(session, on, STALE, "operator")
    for code, parity in (("TSTA", 0), ("TSTB", 1)):
        mine = [s for i, s in enumerate(grid.values()) if i % 2 == parity]
        want: dict[C, list] = {}
        for s in mine:
            want.setdefault(expected_states[s.id], []).append(s)
        got = {r.state: r for r in rows if r.code == code}
        assert {state: r.segments for state, r in got.items()} == {
            state: len(segs) for state, segs in want.items()}
        for state, segs in want.items():
            assert got[state].km == pytest.approx(sum(s.length_m for s in segs) / 1000)
            assert got[state].name == f"{code} Thái Bình"


def test_summary_counts_only_segments_active_on_the_date(session, grid):
    """A segment removed before the date, or not yet existing then, is left out."""
    on = date(2024, 3, 3)
    before = {r.state: r.segments for r in compliance_summary(session, on, STALE)}
    assert sum(before.values()) == len(grid)
    record_state_change(session, grid["never"].id, effective_date=date(2024, 3, 1),
                        source="test", lifecycle=Lifecycle.REMOVED)
    later = make_segment(session, make_operator(session, "TSTC"), _line(20),
                         state_since=date(2024, 4, 1))
    after = {r.state: r.segments for r in compliance_summary(session, on, STALE)}
    assert after[C.NOT_INSPECTED] == before[C.NOT_INSPECTED] - 1
    assert sum(after.values()) == len(grid) - 1
    # On 1 April the new segment counts (not inspected).
    on_april = {r.state: r.segments for r in compliance_summary(session, date(2024, 4, 1), STALE)}
    assert sum(on_april.values()) == len(grid)  # +later -never
    assert later.id in segment_compliance(session, [later.id], date(2024, 4, 1), STALE)


def test_summary_per_commune(session, grid):
    """Grouped by the commune stored on the segment; segments outside every commune group
    under None."""
    unit = make_unit(session, "99001", (106.2995, 20.3995, 106.3015, 20.4045), name="Xã Thử")
    inside = make_segment(session, make_operator(session, "TSTC"), [(106.30, 20.401),
                                                                     (106.301, 20.401)])
    assert inside.commune_id == unit.id
    rows = compliance_summary(session, date(2024, 3, 3), STALE, "commune")
    in_unit = [r for r in rows if r.code == "99001"]
    assert in_unit and all(r.name == "Xã Thử" for r in in_unit)
    counted = {s.id for s in [*grid.values(), inside] if s.commune_id == unit.id}
    assert sum(r.segments for r in in_unit) == len(counted)
    assert sum(r.segments for r in rows) == len(grid) + 1


def test_explain_segment_gives_the_facts(session, grid):
    """One segment: its state, last visit, unresolved violations with due dates and states."""
    seg = grid["two"]
    facts = explain_segment(session, seg.id, date(2024, 3, 10), STALE)
    assert facts.state is C.OVERDUE
    assert facts.operator_code == "TSTA"
    assert facts.lifecycle is Lifecycle.ACTIVE
    assert facts.last_visit_on == date(2024, 2, 20)
    assert facts.visits == 1
    assert [(u.item_code, u.due_on, u.overdue, u.state) for u in facts.unresolved] == [
        ("C1", date(2024, 3, 5), True, ViolationState.OPEN),
        ("C3", date(2024, 6, 1), False, ViolationState.OPEN),
    ]
    after = explain_segment(session, seg.id, date(2024, 3, 11), STALE)
    assert after.state is C.NON_COMPLIANT
    assert after.last_visit_on == date(2024, 3, 11)
    assert [u.item_code for u in after.unresolved] == ["C3"]
    early = explain_segment(session, seg.id, date(2018, 1, 1), STALE)
    assert early.lifecycle is None and early.state is C.NOT_INSPECTED


def test_explain_segment_missing(session):
    """An unknown segment is NotFoundError."""
    with pytest.raises(NotFoundError):
        explain_segment(session, 987654321, date(2024, 1, 1), STALE)
