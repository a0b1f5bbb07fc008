"""Violations after they are found: listing them with their state at a date, one violation with
its history, and the operator's remediation report.

Violations are created, verified and closed by visits (:mod:`gis.compliance.visits`); this
module never re-states the lifecycle rules: states at a date come from
:mod:`gis.compliance.rules` (in Python, or as SQL for listings). Timestamps are timezone-aware;
dates are local calendar dates in Vietnam (Asia/Ho_Chi_Minh).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gis.choices import ViolationState
from gis.compliance.rules import (
    ViolationFacts,
    is_overdue,
    local_date,
    local_date_sql,
    violation_overdue_sql,
    violation_state,
    violation_state_sql,
)
from gis.errors import ConflictError, FieldIssue, NotFoundError, invalid_fields
from gis.models import Operator, PenaltyDecision, Violation, penalty_violations

#: A client clock may run this much ahead of ours (the same allowance as for visit times).
CLOCK_SKEW = timedelta(minutes=10)


class ViolationStateFilter(StrEnum):
    """A violation's state at a date, or ``overdue``: unresolved and past its due date."""

    OPEN = "open"
    REMEDIATION_REPORTED = "remediation_reported"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    OVERDUE = "overdue"


class RemediationConflictError(ConflictError):
    """The violation is already closed, withdrawn or reported as remediated (HTTP 409)."""


@dataclass(frozen=True)
class ViolationFilter:
    """Which violations to list, and their state as of ``as_of`` (a local date).

    Only violations found by ``as_of`` are listed. ``found_from``/``found_to`` bound the local
    date of finding (inclusive). Pages are ordered by id; ``after`` is the last id seen.
    """

    as_of: date
    segment_id: int | None = None
    operator_code: str | None = None
    item_code: str | None = None
    state: ViolationStateFilter | None = None
    found_from: date | None = None
    found_to: date | None = None
    after: int | None = None
    limit: int = 100


@dataclass(frozen=True)
class ViolationRow:
    """A violation: its checklist item, dates, and its state as of the date asked (None only
    when it had not been found yet by then)."""

    id: int
    segment_id: int
    operator_code: str
    inspection_id: int
    item_code: str
    item_text_vi: str
    item_text_en: str
    clause: str
    severity: str
    found_at: datetime
    due_on: date
    remediation_reported_at: datetime | None
    closed_at: datetime | None
    state: ViolationState | None
    overdue: bool


@dataclass(frozen=True)
class ViolationEvent:
    """One step of a violation's history: the state it entered, and when."""

    state: ViolationState
    at: datetime


@dataclass(frozen=True)
class ViolationDetail:
    """One violation with its state as of a date, its history (found, remediation reported,
    closed or withdrawn) and the numbers of the penalty decisions citing it."""

    row: ViolationRow
    as_of: date
    remediation_note: str | None
    remediation_reported_by: int | None
    closed_by_inspection_id: int | None
    history: list[ViolationEvent]
    penalty_decisions: list[str]


def violation_facts(violation: Violation) -> ViolationFacts:
    """The local dates of ``violation``'s lifecycle, for :mod:`gis.compliance.rules`."""
    return ViolationFacts(
        found_on=local_date(violation.found_at),
        due_on=violation.due_on,
        reported_on=(local_date(violation.remediation_reported_at)
                     if violation.remediation_reported_at else None),
        resolved_on=local_date(violation.closed_at) if violation.closed_at else None,
        withdrawn=violation.state == ViolationState.WITHDRAWN,
    )


def _listing_sql(conditions: list[str]) -> str:
    state = violation_state_sql("v")
    where = " AND ".join([f"{state} IS NOT NULL", *conditions])
    return f"""
        SELECT v.id, v.segment_id, o.code AS operator_code, v.inspection_id,
               ci.code AS item_code, ci.text_vi AS item_text_vi, ci.text_en AS item_text_en,
               ci.clause, ci.severity, v.found_at, v.due_on, v.remediation_reported_at,
               v.closed_at, {state} AS state, {violation_overdue_sql("v")} AS overdue
          FROM violations v
          JOIN operators o ON o.id = v.operator_id
          JOIN checklist_items ci ON ci.id = v.item_id
         WHERE {where}
         ORDER BY v.id
         LIMIT :limit
    """


def _row(mapping) -> ViolationRow:
    values = dict(mapping)
    values["state"] = ViolationState(values["state"])
    return ViolationRow(**values)


def list_violations(
    session: Session, flt: ViolationFilter
) -> tuple[list[ViolationRow], int | None]:
    """One page of violations visible to the session, with their state as of ``flt.as_of``.

    Returns ``(rows, next_after)``: ``next_after`` is the ``after`` of the next page, None on
    the last page. An operator's session sees only its own violations (row-level security).
    """
    conditions: list[str] = []
    params: dict[str, object] = {"as_of": flt.as_of, "limit": flt.limit + 1}
    if flt.segment_id is not None:
        conditions.append("v.segment_id = :segment_id")
        params["segment_id"] = flt.segment_id
    if flt.operator_code:
        conditions.append("o.code = upper(:operator_code)")
        params["operator_code"] = flt.operator_code
    if flt.item_code:
        conditions.append("ci.code = upper(:item_code)")
        params["item_code"] = flt.item_code
    if flt.state is ViolationStateFilter.OVERDUE:
        conditions.append(violation_overdue_sql("v"))
    elif flt.state is not None:
        conditions.append(f"{violation_state_sql('v')} = :state")
        params["state"] = flt.state.value
    if flt.found_from is not None:
        conditions.append(f"{local_date_sql('v.found_at')} >= :found_from")
        params["found_from"] = flt.found_from
    if flt.found_to is not None:
        conditions.append(f"{local_date_sql('v.found_at')} <= :found_to")
        params["found_to"] = flt.found_to
    if flt.after is not None:
        conditions.append("v.id > :after")
        params["after"] = flt.after
    rows = [_row(r) for r in session.execute(text(_listing_sql(conditions)), params).mappings()]
    if len(rows) > flt.limit:
        rows = rows[: flt.limit]
        return rows, rows[-1].id
    return rows, None


def violations_by_id(session: Session, ids: list[int], as_of: date) -> list[ViolationRow]:
    """The visible violations among ``ids`` found by ``as_of``, with their state then."""
    if not ids:
        return []
    params = {"as_of": as_of, "limit": len(ids), "ids": list(ids)}
    sql = _listing_sql(["v.id = ANY(CAST(:ids AS bigint[]))"])
    return [_row(r) for r in session.execute(text(sql), params).mappings()]


def _history(violation: Violation) -> list[ViolationEvent]:
    events = [ViolationEvent(ViolationState.OPEN, violation.found_at)]
    if violation.remediation_reported_at is not None:
        events.append(
            ViolationEvent(ViolationState.REMEDIATION_REPORTED, violation.remediation_reported_at)
        )
    if violation.closed_at is not None:
        final = (ViolationState.WITHDRAWN if violation.state == ViolationState.WITHDRAWN
                 else ViolationState.CLOSED)
        events.append(ViolationEvent(final, violation.closed_at))
    return events


def get_violation(session: Session, violation_id: int, as_of: date) -> ViolationDetail:
    """One violation (NotFoundError when it does not exist or is not visible to the session),
    with its state as of ``as_of`` worked out by :func:`gis.compliance.rules.violation_state`."""
    violation = session.get(Violation, violation_id)
    if violation is None:
        raise NotFoundError(f"violation {violation_id} does not exist")
    item = violation.item
    facts = violation_facts(violation)
    row = ViolationRow(
        id=violation.id,
        segment_id=violation.segment_id,
        operator_code=session.scalar(
            select(Operator.code).where(Operator.id == violation.operator_id)
        ),
        inspection_id=violation.inspection_id,
        item_code=item.code,
        item_text_vi=item.text_vi,
        item_text_en=item.text_en,
        clause=item.clause,
        severity=item.severity,
        found_at=violation.found_at,
        due_on=violation.due_on,
        remediation_reported_at=violation.remediation_reported_at,
        closed_at=violation.closed_at,
        state=violation_state(facts, as_of),
        overdue=is_overdue(facts, as_of),
    )
    numbers = session.scalars(
        select(PenaltyDecision.number)
        .join(penalty_violations, penalty_violations.c.decision_id == PenaltyDecision.id)
        .where(penalty_violations.c.violation_id == violation_id)
        .order_by(PenaltyDecision.decided_on, PenaltyDecision.id)
    ).all()
    return ViolationDetail(
        row=row,
        as_of=as_of,
        remediation_note=violation.remediation_note,
        remediation_reported_by=violation.remediation_reported_by,
        closed_by_inspection_id=violation.closed_by_inspection_id,
        history=_history(violation),
        penalty_decisions=list(numbers),
    )


def remediation_note(note: str, evidence: str | None) -> str:
    """The stored remediation note: the operator's note, then its evidence on its own line."""
    note = note.strip()
    return f"{note}\nEvidence: {evidence.strip()}" if evidence and evidence.strip() else note


def report_remediation(
    session: Session,
    *,
    violation_id: int,
    user_id: int,
    note: str,
    reported_at: datetime | None = None,
    evidence: str | None = None,
    now: datetime | None = None,
) -> Violation:
    """Record the operator's report that ``violation_id`` is fixed: state remediation_reported.

    ``reported_at`` (aware; default now) may not be in the future nor before the violation was
    found. ``evidence`` (text or a URL) is kept in the note. Raises NotFoundError (missing or
    another operator's), RemediationConflictError (closed, withdrawn or already reported) or
    ValidationFailed. An operator's session may update only the remediation columns.
    """
    violation = session.scalars(
        select(Violation).where(Violation.id == violation_id).with_for_update()
    ).first()
    if violation is None:
        raise NotFoundError(f"violation {violation_id} does not exist")
    if violation.state in (ViolationState.CLOSED, ViolationState.WITHDRAWN):
        raise RemediationConflictError(
            f"violation {violation_id} is already {violation.state}; nothing to remediate"
        )
    if violation.state == ViolationState.REMEDIATION_REPORTED:
        raise RemediationConflictError(
            f"remediation of violation {violation_id} was already reported at "
            f"{violation.remediation_reported_at.isoformat()}; an inspector will verify it"
        )
    now = now or datetime.now(UTC)
    reported_at = reported_at or now
    if reported_at > now + CLOCK_SKEW:
        raise invalid_fields([FieldIssue("reported_at", "is in the future")])
    if reported_at < violation.found_at:
        raise invalid_fields([FieldIssue(
            "reported_at",
            f"is before the violation was found ({violation.found_at.isoformat()})",
        )])
    violation.state = ViolationState.REMEDIATION_REPORTED.value
    violation.remediation_reported_at = reported_at
    violation.remediation_reported_by = user_id
    violation.remediation_note = remediation_note(note, evidence)
    session.flush()
    return violation
