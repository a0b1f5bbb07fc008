"""The compliance rules, in one place: a violation's state and a segment's compliance state at a
date. Pure functions (no database); :func:`segment_states_sql` renders the same rules as SQL for
filtering millions of segments in PostGIS, and a test checks that both agree.

Dates are local calendar dates in Vietnam (Asia/Ho_Chi_Minh, UTC+7). "As of D" means at the end
of day D: an event on D counts. A violation is overdue on D when it is still unresolved on D and
its due date is before D.

Precedence, first match wins:
  1. overdue         - some violation unresolved on D and past its due date;
  2. non_compliant   - some violation unresolved on D (not yet due);
  3. not_inspected   - no visit on or before D;
  4. stale           - the last visit on or before D is more than ``stale_after_days`` days old;
  5. compliant       - otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from gis.choices import ComplianceState, ViolationState

#: Dates of events are taken in this time zone.
LOCAL_TZ = "Asia/Ho_Chi_Minh"


def local_date(moment: datetime) -> date:
    """The local calendar date (Asia/Ho_Chi_Minh) of an aware timestamp."""
    return moment.astimezone(ZoneInfo(LOCAL_TZ)).date()


def local_today() -> date:
    """Today's local calendar date (Asia/Ho_Chi_Minh)."""
    return local_date(datetime.now(UTC))


@dataclass(frozen=True)
class ViolationFacts:
    """The dates of one violation's lifecycle (local dates; None = has not happened)."""

    found_on: date
    due_on: date
    reported_on: date | None = None
    resolved_on: date | None = None  # verified closed, or withdrawn by a correction
    withdrawn: bool = False


@dataclass(frozen=True)
class SegmentFacts:
    """What is known of a segment: the dates of its visits and its violations."""

    visit_dates: tuple[date, ...] = ()
    violations: tuple[ViolationFacts, ...] = ()


def is_unresolved(violation: ViolationFacts, on: date) -> bool:
    """True when ``violation`` had been found by ``on`` and was not yet closed or withdrawn."""
    return violation.found_on <= on and (
        violation.resolved_on is None or violation.resolved_on > on
    )


def is_overdue(violation: ViolationFacts, on: date) -> bool:
    """True when ``violation`` is unresolved on ``on`` and its due date has passed."""
    return is_unresolved(violation, on) and violation.due_on < on


def violation_state(violation: ViolationFacts, on: date) -> ViolationState | None:
    """The lifecycle state of ``violation`` on ``on`` (None when not yet found then)."""
    if violation.found_on > on:
        return None
    if not is_unresolved(violation, on):
        return ViolationState.WITHDRAWN if violation.withdrawn else ViolationState.CLOSED
    if violation.reported_on is not None and violation.reported_on <= on:
        return ViolationState.REMEDIATION_REPORTED
    return ViolationState.OPEN


def last_visit(visit_dates: Iterable[date], on: date) -> date | None:
    """The latest visit date on or before ``on``."""
    return max((d for d in visit_dates if d <= on), default=None)


def compliance_state(facts: SegmentFacts, on: date, stale_after_days: int) -> ComplianceState:
    """The compliance state of a segment on ``on`` (see the module docstring for the rules)."""
    if any(is_overdue(v, on) for v in facts.violations):
        return ComplianceState.OVERDUE
    if any(is_unresolved(v, on) for v in facts.violations):
        return ComplianceState.NON_COMPLIANT
    latest = last_visit(facts.visit_dates, on)
    if latest is None:
        return ComplianceState.NOT_INSPECTED
    if (on - latest).days > stale_after_days:
        return ComplianceState.STALE
    return ComplianceState.COMPLIANT


def local_date_sql(column: str) -> str:
    """SQL for the local calendar date of a ``timestamptz`` column."""
    return f"(({column}) AT TIME ZONE '{LOCAL_TZ}')::date"


def violation_state_sql(alias: str = "v") -> str:
    """SQL for the state of violation ``alias`` as of ``:as_of`` (a date), NULL when it was not
    yet found then: the same rules as :func:`violation_state`."""
    found = local_date_sql(f"{alias}.found_at")
    resolved = local_date_sql(f"{alias}.closed_at")
    reported = local_date_sql(f"{alias}.remediation_reported_at")
    return f"""(CASE
          WHEN {found} > :as_of THEN NULL
          WHEN {alias}.closed_at IS NOT NULL AND {resolved} <= :as_of THEN
            CASE WHEN {alias}.state = '{ViolationState.WITHDRAWN}'
                 THEN '{ViolationState.WITHDRAWN}' ELSE '{ViolationState.CLOSED}' END
          WHEN {alias}.remediation_reported_at IS NOT NULL AND {reported} <= :as_of
            THEN '{ViolationState.REMEDIATION_REPORTED}'
          ELSE '{ViolationState.OPEN}'
        END)"""


def violation_overdue_sql(alias: str = "v") -> str:
    """SQL that is true when violation ``alias`` is overdue on ``:as_of``: the same rule as
    :func:`is_overdue`."""
    found = local_date_sql(f"{alias}.found_at")
    resolved = local_date_sql(f"{alias}.closed_at")
    return (
        f"({found} <= :as_of AND ({alias}.closed_at IS NULL OR {resolved} > :as_of)"
        f" AND {alias}.due_on < :as_of)"
    )


def segment_states_sql(segment_ids_sql: str | None = None) -> str:
    """SQL returning ``(segment_id, state)`` for every segment, as of ``:as_of`` (a date), with
    ``:stale_after_days`` (an integer): the same rules as :func:`compliance_state`.

    ``segment_ids_sql``, when given, is a subquery restricting the segments considered (its
    rows are segment ids); otherwise every segment visible to the session is classified.
    """
    found = local_date_sql("v.found_at")
    resolved = local_date_sql("v.closed_at")
    visited = local_date_sql("i.visited_at")
    restrict_v = f" AND v.segment_id IN ({segment_ids_sql})" if segment_ids_sql else ""
    restrict_i = f" AND i.segment_id IN ({segment_ids_sql})" if segment_ids_sql else ""
    restrict_s = f" WHERE s.id IN ({segment_ids_sql})" if segment_ids_sql else ""
    return f"""
        WITH unresolved AS (
          SELECT v.segment_id, bool_or(v.due_on < :as_of) AS any_overdue
            FROM violations v
           WHERE {found} <= :as_of
             AND (v.closed_at IS NULL OR {resolved} > :as_of){restrict_v}
           GROUP BY v.segment_id
        ), visited AS (
          SELECT i.segment_id, max({visited}) AS last_on
            FROM inspections i
           WHERE {visited} <= :as_of{restrict_i}
           GROUP BY i.segment_id
        )
        SELECT s.id AS segment_id,
               CASE
                 WHEN u.any_overdue THEN '{ComplianceState.OVERDUE}'
                 WHEN u.segment_id IS NOT NULL THEN '{ComplianceState.NON_COMPLIANT}'
                 WHEN vi.last_on IS NULL THEN '{ComplianceState.NOT_INSPECTED}'
                 WHEN :as_of - vi.last_on > :stale_after_days THEN '{ComplianceState.STALE}'
                 ELSE '{ComplianceState.COMPLIANT}'
               END AS state
          FROM cable_segments s
          LEFT JOIN unresolved u ON u.segment_id = s.id
          LEFT JOIN visited vi ON vi.segment_id = s.id{restrict_s}
    """
