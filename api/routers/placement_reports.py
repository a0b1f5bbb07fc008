"""Placement-change reports: operators report segments undergrounded or tidied; inspectors
confirm them (the segment's state history gets the new row) or reject them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from sqlalchemy.orm import Session

from api.deps import Inspector, OperatorOrAdmin, PrincipalDep, SessionDep
from api.problems import fields_at, problem_responses
from api.routers.violations import next_link
from api.schemas.common import INT8_MAX, id_path, labelled
from api.schemas.placement_reports import (
    PlacementReportCreate,
    PlacementReportPage,
    PlacementReportPublic,
    ReportConfirm,
    ReportReject,
)
from gis.choices import ReportStatus
from gis.compliance import placement_reports as reports
from gis.compliance.penalties import operator_codes
from gis.compliance.placement_reports import ReportFilter
from gis.models import PlacementReport

ReportId = id_path("report", bigint=True, example=3)

router = APIRouter(prefix="/placement-reports", tags=["placement reports"])


def _public(session: Session, report: PlacementReport) -> PlacementReportPublic:
    codes = operator_codes(session, {report.operator_id})
    return PlacementReportPublic.of(report, codes[report.operator_id])


@router.post(
    "",
    response_model=PlacementReportPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Report a segment undergrounded or tidied (operator)",
    responses=problem_responses(401, 403, 422),
)
def create_report(
    body: PlacementReportCreate, session: SessionDep, principal: OperatorOrAdmin
) -> PlacementReportPublic:
    """An operator (for its own segment) or an admin reports the segment's new placement and
    tidy state from ``effective_on``, with evidence. The report is pending until an inspector
    confirms it; until then the segment's state does not change."""
    with fields_at("body"):
        report = reports.record_report(
            session, segment_id=body.segment_id, user_id=principal.user_id,
            effective_on=body.effective_on, placement=body.placement,
            placement_kind=body.placement_kind, tidied=body.tidied, evidence=body.evidence,
        )
    return _public(session, report)


@router.post(
    "/{report_id}/confirm",
    response_model=PlacementReportPublic,
    summary="Confirm a report: the segment's history gets the new state (inspector, admin)",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def confirm_report(
    report_id: ReportId, session: SessionDep, principal: Inspector,
    body: ReportConfirm | None = None,
) -> PlacementReportPublic:
    """Append the reported state to the segment's history, dated ``effective_on`` (source
    ``placement-report:<id>``, note = the evidence). 409 when already decided; 422 when the
    segment has since got a later-dated state."""
    report = reports.confirm_report(session, report_id=report_id, user_id=principal.user_id,
                                    note=body.note if body else None)
    return _public(session, report)


@router.post(
    "/{report_id}/reject",
    response_model=PlacementReportPublic,
    summary="Reject a report, saying why (inspector, admin)",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def reject_report(
    report_id: ReportId, body: ReportReject, session: SessionDep, principal: Inspector
) -> PlacementReportPublic:
    """Mark the report rejected with the inspector's note; the segment is unchanged. 409 when
    already decided."""
    report = reports.reject_report(session, report_id=report_id, user_id=principal.user_id,
                                   note=body.note)
    return _public(session, report)


@router.get(
    "",
    response_model=PlacementReportPage,
    summary="List placement-change reports",
    responses=problem_responses(401, 422),
)
def list_reports(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    status_: Annotated[labelled(ReportStatus) | None, Query(alias="status")] = None,
    segment_id: Annotated[int | None, Query(ge=1, le=INT8_MAX)] = None,
    operator: Annotated[str | None, Query(max_length=16, examples=["VNPT"])] = None,
    after: Annotated[int | None, Query(ge=0, le=INT8_MAX,
                                       description="Last id of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> PlacementReportPage:
    """Reports visible to you (an operator sees only its own), ordered by id."""
    items, next_after = reports.list_reports(session, ReportFilter(
        status=status_, segment_id=segment_id, operator_code=operator, after=after, limit=limit,
    ))
    codes = operator_codes(session, {r.operator_id for r in items})
    return PlacementReportPage(
        items=[PlacementReportPublic.of(r, codes[r.operator_id]) for r in items],
        links=next_link(request, next_after),
    )


@router.get(
    "/{report_id}",
    response_model=PlacementReportPublic,
    summary="One placement-change report",
    responses=problem_responses(401, 404, 422),
)
def get_report(
    report_id: ReportId, session: SessionDep, principal: PrincipalDep
) -> PlacementReportPublic:
    """The report and its decision. Another operator's report is 404."""
    return _public(session, reports.get_report(session, report_id))
