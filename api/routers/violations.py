"""Violations: list them with their state at a date, read one with its history, and let the
operator report remediation. Creating, verifying and closing violations happens in visits."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.deps import OperatorOrAdmin, PrincipalDep, SessionDep
from api.problems import fields_at, problem_responses
from api.schemas.common import Link, id_path, labelled
from api.schemas.violations import (
    RemediationCreate,
    ViolationDetailPublic,
    ViolationPage,
    ViolationPublic,
)
from gis.compliance import violations
from gis.compliance.rules import local_today
from gis.compliance.violations import ViolationFilter, ViolationStateFilter

ViolationId = id_path("violation", bigint=True, example=41)

router = APIRouter(prefix="/violations", tags=["violations"])


def next_link(request: Request, after: int | None) -> list[Link]:
    """The ``next`` link of a keyset-paginated listing (none on the last page)."""
    if after is None:
        return []
    return [Link(rel="next", href=str(request.url.include_query_params(after=after)),
                 type="application/json")]


@router.get(
    "",
    response_model=ViolationPage,
    summary="List violations with their state at a date",
    responses=problem_responses(401, 422),
)
def list_violations(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    segment_id: Annotated[int | None, Query(ge=1)] = None,
    operator: Annotated[str | None, Query(max_length=16, examples=["VNPT"])] = None,
    item: Annotated[str | None, Query(max_length=8, examples=["C2"],
                                      description="Checklist item code")] = None,
    state: Annotated[labelled(ViolationStateFilter) | None, Query(
        description="open, remediation_reported, closed, withdrawn (the state on as_of), or "
        "overdue (unresolved on as_of and past its due date)")] = None,
    as_of: Annotated[date | None, Query(description="Local date (default today)")] = None,
    found_from: Annotated[date | None, Query(description="Found on or after (local date)")] = None,
    found_to: Annotated[date | None, Query(description="Found on or before (local date)")] = None,
    after: Annotated[int | None, Query(ge=0, description="Last id of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ViolationPage:
    """Violations visible to you (an operator sees only its own), found by ``as_of``, ordered
    by id. States are worked out as of the end of ``as_of`` from the stored timestamps."""
    as_of = as_of or local_today()
    rows, next_after = violations.list_violations(session, ViolationFilter(
        as_of=as_of, segment_id=segment_id, operator_code=operator, item_code=item, state=state,
        found_from=found_from, found_to=found_to, after=after, limit=limit,
    ))
    return ViolationPage(as_of=as_of, items=[ViolationPublic.of(r) for r in rows],
                         links=next_link(request, next_after))


@router.get(
    "/{violation_id}",
    response_model=ViolationDetailPublic,
    summary="One violation with its history and penalty decisions",
    responses=problem_responses(401, 404, 422),
)
def get_violation(
    violation_id: ViolationId,
    session: SessionDep,
    principal: PrincipalDep,
    as_of: Annotated[date | None, Query(description="Local date (default today)")] = None,
) -> ViolationDetailPublic:
    """The violation's checklist item, segment, visit, due date, state and overdue flag as of
    ``as_of``, the times it was found / reported / closed or withdrawn, and the numbers of the
    penalty decisions citing it. Another operator's violation is 404."""
    detail = violations.get_violation(session, violation_id, as_of or local_today())
    return ViolationDetailPublic.of_detail(detail)


@router.post(
    "/{violation_id}/remediation",
    response_model=ViolationDetailPublic,
    summary="Report a violation remediated (operator)",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def report_remediation(
    violation_id: ViolationId,
    body: RemediationCreate,
    session: SessionDep,
    principal: OperatorOrAdmin,
) -> ViolationDetailPublic:
    """The operator (or an admin) reports the violation fixed: its state becomes
    ``remediation_reported`` until an inspector verifies it by a new visit. 409 when it is
    already closed, withdrawn or reported; 404 for another operator's violation."""
    with fields_at("body"):
        violations.report_remediation(
            session, violation_id=violation_id, user_id=principal.user_id, note=body.note,
            reported_at=body.reported_at, evidence=body.evidence,
        )
    detail = violations.get_violation(session, violation_id, local_today())
    return ViolationDetailPublic.of_detail(detail)
