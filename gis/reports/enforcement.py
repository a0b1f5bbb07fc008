"""Enforcement figures over time: violations unresolved and overdue at period ends, and penalty
decisions with their amounts (VND) per month and per year.

Violation states follow :mod:`gis.compliance.rules` (its Python functions; ``/violations`` uses
their SQL rendering, which a test keeps equal); a violation belongs to a scope by its segment.
A penalty decision belongs to an operator scope by its operator, and to a commune scope when
one of the violations it cites lies there. Dates are local (Asia/Ho_Chi_Minh).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.choices import ViolationState
from gis.compliance.rules import is_overdue, violation_state
from gis.compliance.violations import violation_facts
from gis.reports.periods import local_before_sql
from gis.reports.scope import ReportScope


@dataclass(frozen=True)
class ViolationPoint:
    """Violations unresolved at the end of ``on``: ``open``, ``remediation_reported`` (the two
    make ``unresolved``), and of those, ``overdue`` (past their due date)."""

    on: date
    unresolved: int
    open: int
    remediation_reported: int
    overdue: int


@dataclass(frozen=True)
class PenaltyPeriod:
    """Penalty decisions dated in the month or year starting on ``start``, and their total in
    VND."""

    start: date
    decisions: int
    amount_vnd: int


#: The violations of the scope found before ``:after`` (a date), with their segment.
VIOLATIONS_SQL = f"""
    SELECT v.segment_id, v.found_at, v.due_on, v.remediation_reported_at, v.closed_at, v.state
      FROM violations v JOIN cable_segments s ON s.id = v.segment_id
     WHERE {local_before_sql("v.found_at")} AND {{condition}}"""


def violation_series(session: Session, scope: ReportScope,
                     dates: list[date]) -> list[ViolationPoint]:
    """Unresolved and overdue violations of ``scope`` at the end of each of ``dates``
    (ascending). The violations are read once; the rules run on each distinct set of facts."""
    if not dates:
        return []
    rows = session.execute(text(VIOLATIONS_SQL.format(condition=scope.segment_condition())),
                           {"after": dates[-1] + timedelta(days=1), **scope.params()})
    facts = Counter(violation_facts(row) for row in rows)
    points = []
    for on in dates:
        counts: Counter[ViolationState | str] = Counter()
        for violation, number in facts.items():
            state = violation_state(violation, on)
            if state in (ViolationState.OPEN, ViolationState.REMEDIATION_REPORTED):
                counts[state] += number
                if is_overdue(violation, on):
                    counts["overdue"] += number
        points.append(ViolationPoint(
            on=on, unresolved=counts[ViolationState.OPEN]
            + counts[ViolationState.REMEDIATION_REPORTED],
            open=counts[ViolationState.OPEN],
            remediation_reported=counts[ViolationState.REMEDIATION_REPORTED],
            overdue=counts["overdue"]))
    return points


def decision_condition(scope: ReportScope, alias: str = "d") -> str:
    """SQL condition on the ``penalty_decisions`` row ``alias`` for ``scope`` (parameters from
    :meth:`ReportScope.params`)."""
    parts = ["true"]
    if scope.operator_id is not None:
        parts.append(f"{alias}.operator_id = :scope_operator_id")
    if scope.commune_ids:
        parts.append(
            "EXISTS (SELECT 1 FROM penalty_violations pv"
            " JOIN violations v ON v.id = pv.violation_id"
            " JOIN cable_segments s ON s.id = v.segment_id"
            f" WHERE pv.decision_id = {alias}.id AND s.commune_id = ANY(:scope_commune_ids))")
    return " AND ".join(parts)


_PENALTIES_SQL = """
    SELECT date_trunc(:unit, d.decided_on)::date AS start, count(*) AS decisions,
           coalesce(sum(d.amount_vnd), 0) AS amount_vnd
      FROM penalty_decisions d
     WHERE d.decided_on >= :first AND d.decided_on < :after AND {condition}
     GROUP BY 1"""


def penalties_by_period(session: Session, scope: ReportScope, starts: list[date],
                        unit: str) -> list[PenaltyPeriod]:
    """Decisions of ``scope`` per ``unit`` ('month' or 'year') for the periods starting on
    ``starts`` (ascending, consecutive), periods without decisions included."""
    if unit not in ("month", "year"):
        raise ValueError(f"unit must be 'month' or 'year', not {unit!r}")
    last = starts[-1]
    after = (date(last.year + 1, 1, 1) if unit == "year" else
             date(last.year + last.month // 12, last.month % 12 + 1, 1))
    rows = session.execute(text(_PENALTIES_SQL.format(condition=decision_condition(scope))),
                           {"unit": unit, "first": starts[0], "after": after,
                            **scope.params()})
    found = {row.start: row for row in rows}
    return [PenaltyPeriod(start, found[start].decisions if start in found else 0,
                          int(found[start].amount_vnd) if start in found else 0)
            for start in starts]
