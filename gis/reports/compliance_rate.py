"""The compliance rate over time: at each date asked, the inspected segments per compliance
state, and the share of them that are compliant.

A segment counts on D when it is active on D (the state row in force then) and was visited on or
before D; its state is :func:`gis.compliance.rules.compliance_state` of its visits and
violations, the rules ``/compliance/summary`` applies (there as SQL, which a test keeps equal to
the Python rules). Dates are local (Asia/Ho_Chi_Minh).

The facts are read once for every date (the visits, violations and lifecycle changes of the
inspected segments of the scope) and the rules run once per distinct set of facts, not once per
segment: most segments share theirs (one visit on the same day, no violation). Running the SQL
rendering once per date instead takes 0.4 s per date at 1,000,000 segments and 100,000 visits.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.choices import ComplianceState, Lifecycle
from gis.compliance.rules import SegmentFacts, ViolationFacts, compliance_state, local_date_sql
from gis.compliance.violations import violation_facts
from gis.reports.enforcement import VIOLATIONS_SQL
from gis.reports.periods import local_before_sql
from gis.reports.scope import ReportScope


@dataclass(frozen=True)
class CompliancePoint:
    """Inspected segments per compliance state at the end of ``on``; ``rate`` is compliant /
    inspected (0..1, None when none was inspected)."""

    on: date
    inspected: int
    compliant: int
    non_compliant: int
    overdue: int
    stale: int
    rate: float | None


_INSPECTED = f"SELECT segment_id FROM inspections WHERE {local_before_sql('visited_at')}"
_VISITS_SQL = f"""
    SELECT DISTINCT i.segment_id, {local_date_sql("i.visited_at")} AS visited_on
      FROM inspections i JOIN cable_segments s ON s.id = i.segment_id
     WHERE {local_before_sql("i.visited_at")} AND {{condition}}"""
#: The current lifecycle, and since when; the history only of segments that changed since the
#: first date asked (before it, the state row in force is the current one).
_LIFECYCLE_SQL = f"""
    SELECT s.id, s.state_since, s.lifecycle FROM cable_segments s
     WHERE s.id IN ({_INSPECTED}) AND {{condition}}"""
_HISTORY_SQL = f"""
    SELECT h.segment_id, h.effective_date, h.lifecycle
      FROM segment_states h JOIN cable_segments s ON s.id = h.segment_id
     WHERE s.state_since > :first AND s.id IN ({_INSPECTED}) AND {{condition}}
     ORDER BY h.segment_id, h.effective_date, h.id"""

_ACTIVE = Lifecycle.ACTIVE.value


def _order(facts: ViolationFacts) -> tuple:
    """A sort key making equal sets of violations equal tuples."""
    return (facts.found_on, facts.due_on, facts.reported_on or date.min,
            facts.resolved_on or date.min, facts.withdrawn)


def compliance_series(session: Session, scope: ReportScope, dates: list[date],
                      stale_after_days: int) -> list[CompliancePoint]:
    """The compliance of ``scope``'s inspected segments at the end of each of ``dates``
    (ascending; a visit older than ``stale_after_days`` days makes a segment stale)."""
    if not dates:
        return []
    condition = scope.segment_condition()
    params = {"first": dates[0], "after": dates[-1] + timedelta(days=1), **scope.params()}
    visits: dict[int, set[date]] = defaultdict(set)
    for row in session.execute(text(_VISITS_SQL.format(condition=condition)), params):
        visits[row.segment_id].add(row.visited_on)
    violations: dict[int, list[ViolationFacts]] = defaultdict(list)
    for row in session.execute(text(VIOLATIONS_SQL.format(condition=condition)), params):
        violations[row.segment_id].append(violation_facts(row))
    history: dict[int, tuple[list[date], list[str]]] = defaultdict(lambda: ([], []))
    for row in session.execute(text(_HISTORY_SQL.format(condition=condition)), params):
        history[row.segment_id][0].append(row.effective_date)
        history[row.segment_id][1].append(row.lifecycle)

    # Segments active on every date share a count per set of facts; the others go one by one.
    steady: Counter[SegmentFacts] = Counter()
    changing: list[tuple[SegmentFacts, list[bool]]] = []
    for row in session.execute(text(_LIFECYCLE_SQL.format(condition=condition)), params):
        facts = SegmentFacts(visit_dates=tuple(sorted(visits.get(row.id, ()))),
                             violations=tuple(sorted(violations.get(row.id, ()), key=_order)))
        if row.state_since <= dates[0]:
            if row.lifecycle == _ACTIVE:
                steady[facts] += 1
            continue
        days, lifecycles = history[row.id]
        active = [bool(i) and lifecycles[i - 1] == _ACTIVE
                  for i in (bisect_right(days, on) for on in dates)]
        changing.append((facts, active))

    counts = [Counter() for _ in dates]
    states: dict[SegmentFacts, list[ComplianceState]] = {}

    def states_of(facts: SegmentFacts) -> list[ComplianceState]:
        if facts not in states:
            states[facts] = [compliance_state(facts, on, stale_after_days) for on in dates]
        return states[facts]

    for facts, number in steady.items():
        for k, state in enumerate(states_of(facts)):
            counts[k][state] += number
    for facts, active in changing:
        for k, state in enumerate(states_of(facts)):
            if active[k]:
                counts[k][state] += 1
    return [_point(on, count) for on, count in zip(dates, counts, strict=True)]


def _point(on: date, counts: Counter) -> CompliancePoint:
    compliant = counts[ComplianceState.COMPLIANT]
    inspected = compliant + sum(counts[s] for s in (
        ComplianceState.NON_COMPLIANT, ComplianceState.OVERDUE, ComplianceState.STALE))
    return CompliancePoint(
        on=on, inspected=inspected, compliant=compliant,
        non_compliant=counts[ComplianceState.NON_COMPLIANT],
        overdue=counts[ComplianceState.OVERDUE], stale=counts[ComplianceState.STALE],
        rate=round(compliant / inspected, 4) if inspected else None,
    )
