"""The compliance rules, pure (no database): a violation's state and a segment's compliance
state across dates, precedence, the stale threshold, and local dates in Vietnam."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from gis.choices import ComplianceState as C
from gis.choices import ViolationState as V
from gis.compliance.rules import (
    SegmentFacts,
    ViolationFacts,
    compliance_state,
    is_overdue,
    is_unresolved,
    last_visit,
    local_date,
    violation_state,
)

D1 = date(2024, 3, 1)  # found (visit)
D2 = date(2024, 3, 31)  # due
D3 = date(2024, 4, 10)  # remediation reported (after the due date)
D4 = date(2024, 4, 20)  # verified closed (visit)
STALE = 90

LIFECYCLE = ViolationFacts(found_on=D1, due_on=D2, reported_on=D3, resolved_on=D4)
SEGMENT = SegmentFacts(visit_dates=(D1, D4), violations=(LIFECYCLE,))


@pytest.mark.parametrize(
    ("on", "violation", "overdue", "segment"),
    [
        (D1 - timedelta(days=1), None, False, C.NOT_INSPECTED),
        (D1, V.OPEN, False, C.NON_COMPLIANT),
        (date(2024, 3, 15), V.OPEN, False, C.NON_COMPLIANT),
        (D2, V.OPEN, False, C.NON_COMPLIANT),  # due today: not yet overdue
        (D2 + timedelta(days=1), V.OPEN, True, C.OVERDUE),
        (D3 - timedelta(days=1), V.OPEN, True, C.OVERDUE),
        (D3, V.REMEDIATION_REPORTED, True, C.OVERDUE),  # a report does not resolve it
        (D4 - timedelta(days=1), V.REMEDIATION_REPORTED, True, C.OVERDUE),
        (D4, V.CLOSED, False, C.COMPLIANT),  # closed during D4 counts at the end of D4
        (D4 + timedelta(days=STALE), V.CLOSED, False, C.COMPLIANT),
        (D4 + timedelta(days=STALE + 1), V.CLOSED, False, C.STALE),
    ],
)
def test_lifecycle_across_dates(on, violation, overdue, segment):
    """Found D1, due D2, reported D3, closed D4: each rule at each date around those events."""
    assert violation_state(LIFECYCLE, on) == violation
    assert is_overdue(LIFECYCLE, on) is overdue
    assert compliance_state(SEGMENT, on, STALE) == segment


def test_reported_before_due_is_non_compliant_not_overdue():
    """A violation reported as fixed before its due date stays non-compliant until verified,
    and becomes overdue after the due date if nobody verifies it."""
    v = ViolationFacts(found_on=D1, due_on=D2, reported_on=date(2024, 3, 20))
    facts = SegmentFacts(visit_dates=(D1,), violations=(v,))
    assert violation_state(v, date(2024, 3, 20)) is V.REMEDIATION_REPORTED
    assert compliance_state(facts, date(2024, 3, 20), STALE) is C.NON_COMPLIANT
    assert compliance_state(facts, D2 + timedelta(days=1), STALE) is C.OVERDUE


def test_due_on_the_day_found():
    """A violation due the day it is found is overdue from the next day."""
    v = ViolationFacts(found_on=D1, due_on=D1)
    assert not is_overdue(v, D1)
    assert is_overdue(v, D1 + timedelta(days=1))


def test_withdrawn():
    """A violation withdrawn by a correction is resolved from that day, as ``withdrawn``."""
    v = ViolationFacts(found_on=D1, due_on=D1 + timedelta(days=5),
                       resolved_on=D1 + timedelta(days=2), withdrawn=True)
    facts = SegmentFacts(visit_dates=(D1, D1 + timedelta(days=2)), violations=(v,))
    assert violation_state(v, D1 + timedelta(days=1)) is V.OPEN
    assert compliance_state(facts, D1 + timedelta(days=1), STALE) is C.NON_COMPLIANT
    assert violation_state(v, D1 + timedelta(days=2)) is V.WITHDRAWN
    assert not is_unresolved(v, D1 + timedelta(days=2))
    assert compliance_state(facts, D1 + timedelta(days=2), STALE) is C.COMPLIANT
    # Long after the due date it is still withdrawn, never overdue.
    assert violation_state(v, D1 + timedelta(days=60)) is V.WITHDRAWN
    assert not is_overdue(v, D1 + timedelta(days=60))


def test_not_inspected_before_first_visit_then_compliant():
    """No visit on or before the date: not inspected; the visit day itself counts."""
    facts = SegmentFacts(visit_dates=(D1,))
    assert compliance_state(facts, D1 - timedelta(days=1), STALE) is C.NOT_INSPECTED
    assert compliance_state(facts, D1, STALE) is C.COMPLIANT
    assert compliance_state(SegmentFacts(), date(2030, 1, 1), STALE) is C.NOT_INSPECTED


@pytest.mark.parametrize("stale_after_days", [1, 30, 365])
def test_stale_threshold_boundary(stale_after_days):
    """Exactly ``stale_after_days`` after the last visit is still compliant; one more is stale."""
    facts = SegmentFacts(visit_dates=(D1,))
    assert compliance_state(facts, D1 + timedelta(days=stale_after_days),
                            stale_after_days) is C.COMPLIANT
    assert compliance_state(facts, D1 + timedelta(days=stale_after_days + 1),
                            stale_after_days) is C.STALE


def test_latest_visit_on_or_before_the_date_counts():
    """A later visit refreshes the segment; visits after the date are ignored."""
    visits = (date(2023, 1, 1), date(2024, 1, 1), date(2025, 1, 1))
    assert last_visit(visits, date(2024, 6, 1)) == date(2024, 1, 1)
    assert last_visit(visits, date(2022, 6, 1)) is None
    facts = SegmentFacts(visit_dates=visits)
    assert compliance_state(facts, date(2024, 6, 1), 365) is C.COMPLIANT
    assert compliance_state(facts, date(2024, 6, 1), 100) is C.STALE


def test_precedence_overdue_over_non_compliant_over_stale():
    """Overdue beats non-compliant; both beat stale and not inspected."""
    late = ViolationFacts(found_on=date(2023, 1, 1), due_on=date(2023, 2, 1))
    fresh = ViolationFacts(found_on=date(2024, 1, 1), due_on=date(2024, 12, 1))
    on = date(2024, 6, 1)
    old_visits = (date(2023, 1, 1),)
    assert compliance_state(SegmentFacts(old_visits, (late, fresh)), on, 30) is C.OVERDUE
    assert compliance_state(SegmentFacts(old_visits, (fresh,)), on, 30) is C.NON_COMPLIANT
    # Violations decide even without a recorded visit (facts from elsewhere).
    assert compliance_state(SegmentFacts((), (fresh,)), on, 30) is C.NON_COMPLIANT
    # A closed old violation no longer counts: the old visit makes the segment stale.
    closed = ViolationFacts(found_on=date(2023, 1, 1), due_on=date(2023, 2, 1),
                            resolved_on=date(2023, 1, 20))
    assert compliance_state(SegmentFacts(old_visits, (closed,)), on, 30) is C.STALE


def test_violation_found_later_does_not_count_yet():
    """A violation found after the date has no state then and does not affect compliance."""
    v = ViolationFacts(found_on=date(2024, 5, 1), due_on=date(2024, 5, 2))
    facts = SegmentFacts(visit_dates=(date(2024, 4, 1), date(2024, 5, 1)), violations=(v,))
    assert violation_state(v, date(2024, 4, 30)) is None
    assert compliance_state(facts, date(2024, 4, 30), STALE) is C.COMPLIANT
    assert compliance_state(facts, date(2024, 5, 3), STALE) is C.OVERDUE


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2024, 3, 1, 23, 30, tzinfo=timezone(timedelta(hours=7))), date(2024, 3, 1)),
        (datetime(2024, 3, 1, 16, 59, tzinfo=UTC), date(2024, 3, 1)),
        (datetime(2024, 3, 1, 17, 0, tzinfo=UTC), date(2024, 3, 2)),
        (datetime(2024, 3, 2, 0, 30, tzinfo=timezone(timedelta(hours=7))), date(2024, 3, 2)),
    ],
)
def test_local_date_is_vietnamese_calendar_date(moment, expected):
    """Events are dated in Asia/Ho_Chi_Minh (UTC+7), whatever zone the timestamp comes in."""
    assert local_date(moment) == expected
