"""Placement-change reports: an operator reports a segment undergrounded or tidied (date and
evidence); an inspector confirms it, which appends the segment's new state to its history
(:func:`gis.history.record_state_change`), or rejects it. Nothing here changes a segment's
state any other way.

Dates are local calendar dates in Vietnam (Asia/Ho_Chi_Minh); history must stay in date order, so
a report dated before the segment's latest recorded state is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis.choices import (
    DEFAULT_KIND,
    KINDS_BY_PLACEMENT,
    Lifecycle,
    Placement,
    PlacementKind,
    ReportStatus,
)
from gis.compliance.rules import local_today
from gis.errors import ConflictError, FieldIssue, GisError, NotFoundError, invalid_fields
from gis.history import record_state_change, state_as_of
from gis.models import CableSegment, Operator, PlacementReport, SegmentState

#: ``segment_states.source`` of a state written by confirming report ``id``.
SOURCE_PREFIX = "placement-report:"


class ReportDecidedError(ConflictError):
    """The report was already confirmed or rejected (HTTP 409)."""


class ReportOutOfOrderError(GisError):
    """The segment has a state dated after the report's date (HTTP 422)."""


@dataclass(frozen=True)
class ReportFilter:
    """Which reports to list (status, segment, operator code); pages ordered by id."""

    status: ReportStatus | None = None
    segment_id: int | None = None
    operator_code: str | None = None
    after: int | None = None
    limit: int = 100


def _latest_state_date(session: Session, segment_id: int) -> date | None:
    return session.scalar(
        select(func.max(SegmentState.effective_date)).where(SegmentState.segment_id == segment_id)
    )


def record_report(
    session: Session,
    *,
    segment_id: int,
    user_id: int,
    effective_on: date,
    placement: Placement,
    placement_kind: PlacementKind | None,
    tidied: bool,
    evidence: str,
    today: date | None = None,
) -> PlacementReport:
    """Record a pending report that ``segment_id`` is, from ``effective_on``, in ``placement``
    (kind default: :data:`gis.choices.DEFAULT_KIND`) and ``tidied`` state.

    Refused with the field at fault (ValidationFailed): a segment that does not exist or is not
    visible (another operator's), a future date or one before the segment's latest state, a kind
    that does not fit the placement, a removed segment, or a report that changes nothing.
    """
    segment = session.get(CableSegment, segment_id)
    if segment is None:
        raise invalid_fields([FieldIssue("segment_id", f"segment {segment_id} does not exist")])
    kind = placement_kind or DEFAULT_KIND[placement]
    issues: list[FieldIssue] = []
    if kind not in KINDS_BY_PLACEMENT[placement]:
        allowed = ", ".join(KINDS_BY_PLACEMENT[placement])
        issues.append(FieldIssue(
            "placement_kind", f"{kind.value!r} does not fit {placement.value!r} ({allowed})"
        ))
    if effective_on > (today or local_today()):
        issues.append(FieldIssue("effective_on", "is in the future"))
    latest = _latest_state_date(session, segment_id)
    if latest is not None and effective_on < latest:
        issues.append(FieldIssue(
            "effective_on",
            f"is before the segment's latest recorded state ({latest.isoformat()}); "
            "history must stay in date order",
        ))
    if issues:
        raise invalid_fields(issues)
    current = state_as_of(session, segment_id, effective_on)
    if current is not None and current.lifecycle == Lifecycle.REMOVED:
        raise invalid_fields([FieldIssue("segment_id", f"segment {segment_id} was removed")])
    if current is not None and (current.placement, current.placement_kind, current.tidied) == (
        placement.value, kind.value, tidied
    ):
        raise invalid_fields([FieldIssue(
            "placement", f"segment {segment_id} is already {placement.value} ({kind.value}), "
            f"tidied={tidied}: the report changes nothing",
        )])
    report = PlacementReport(
        segment_id=segment_id, operator_id=segment.operator_id, reported_by=user_id,
        effective_on=effective_on, placement=placement.value, placement_kind=kind.value,
        tidied=tidied, evidence=evidence.strip(),
    )
    session.add(report)
    session.flush()
    return report


def _pending(session: Session, report_id: int) -> PlacementReport:
    report = session.scalars(
        select(PlacementReport).where(PlacementReport.id == report_id).with_for_update()
    ).first()
    if report is None:
        raise NotFoundError(f"placement report {report_id} does not exist")
    if report.status != ReportStatus.PENDING:
        raise ReportDecidedError(
            f"placement report {report_id} was already {report.status} "
            f"at {report.decided_at.isoformat()}"
        )
    return report


def confirm_report(
    session: Session, *, report_id: int, user_id: int, note: str | None = None
) -> PlacementReport:
    """Confirm a pending report: append the segment's state row dated ``effective_on`` (source
    ``placement-report:<id>``, note = the evidence) and link it to the report."""
    report = _pending(session, report_id)
    latest = _latest_state_date(session, report.segment_id)
    if latest is not None and report.effective_on < latest:
        raise ReportOutOfOrderError(
            f"segment {report.segment_id} has a state dated {latest.isoformat()}, after this "
            f"report's {report.effective_on.isoformat()}; history must stay in date order, so "
            "reject this report and ask for a new one"
        )
    state = record_state_change(
        session, report.segment_id,
        effective_date=report.effective_on,
        source=f"{SOURCE_PREFIX}{report.id}",
        placement=report.placement,
        placement_kind=report.placement_kind,
        tidied=report.tidied,
        note=report.evidence,
    )
    report.status = ReportStatus.CONFIRMED.value
    report.state_id = state.id
    report.decided_by = user_id
    report.decided_at = datetime.now(UTC)
    report.decision_note = note
    session.flush()
    return report


def reject_report(session: Session, *, report_id: int, user_id: int, note: str) -> PlacementReport:
    """Reject a pending report, saying why; the segment's state is unchanged."""
    report = _pending(session, report_id)
    report.status = ReportStatus.REJECTED.value
    report.decided_by = user_id
    report.decided_at = datetime.now(UTC)
    report.decision_note = note.strip()
    session.flush()
    return report


def get_report(session: Session, report_id: int) -> PlacementReport:
    """A report visible to the session (an operator sees only its own), or NotFoundError."""
    report = session.get(PlacementReport, report_id)
    if report is None:
        raise NotFoundError(f"placement report {report_id} does not exist")
    return report


def list_reports(
    session: Session, flt: ReportFilter
) -> tuple[list[PlacementReport], int | None]:
    """One page of reports visible to the session; returns ``(reports, next_after)``."""
    stmt = select(PlacementReport).order_by(PlacementReport.id).limit(flt.limit + 1)
    if flt.status is not None:
        stmt = stmt.where(PlacementReport.status == flt.status.value)
    if flt.segment_id is not None:
        stmt = stmt.where(PlacementReport.segment_id == flt.segment_id)
    if flt.operator_code:
        stmt = stmt.join(Operator, Operator.id == PlacementReport.operator_id).where(
            Operator.code == flt.operator_code.strip().upper()
        )
    if flt.after is not None:
        stmt = stmt.where(PlacementReport.id > flt.after)
    reports = list(session.scalars(stmt))
    if len(reports) > flt.limit:
        reports = reports[: flt.limit]
        return reports, reports[-1].id
    return reports, None
