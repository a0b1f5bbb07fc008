"""Penalty decisions (quyết định xử phạt) and the legal provisions they cite."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from sqlalchemy.orm import Session

from api.deps import Inspector, PrincipalDep, SessionDep
from api.problems import fields_at, problem_responses
from api.routers.violations import next_link
from api.schemas.common import INT4_MAX, id_path
from api.schemas.penalties import (
    PenaltyDecisionCreate,
    PenaltyDecisionDetail,
    PenaltyDecisionPage,
    PenaltyDecisionPublic,
    ProvisionList,
    ProvisionPublic,
)
from api.schemas.violations import ViolationPublic
from gis.compliance import penalties
from gis.compliance.penalties import DecisionFilter, provision_for
from gis.compliance.rules import local_today
from gis.compliance.violations import violations_by_id
from gis.models import PenaltyDecision

router = APIRouter(tags=["penalties"])


def _public(decision: PenaltyDecision, operator_code: str) -> PenaltyDecisionPublic:
    provision = provision_for(decision.decree, decision.article, decision.clause,
                              decision.decided_on)
    return PenaltyDecisionPublic(
        id=decision.id, number=decision.number, decided_on=decision.decided_on,
        operator=operator_code, decree=decision.decree, article=decision.article,
        clause=decision.clause, amount_vnd=decision.amount_vnd, note=decision.note,
        violation_ids=sorted(v.id for v in decision.violations),
        provision=provision.key if provision else None,
        created_at=decision.created_at, created_by=decision.created_by,
    )


def _detail(session: Session, decision: PenaltyDecision) -> PenaltyDecisionDetail:
    codes = penalties.operator_codes(session, {decision.operator_id})
    public = _public(decision, codes[decision.operator_id])
    rows = violations_by_id(session, public.violation_ids, local_today())
    return PenaltyDecisionDetail(**public.model_dump(),
                                 violations=[ViolationPublic.of(r) for r in rows])


@router.get(
    "/provisions",
    response_model=ProvisionList,
    summary="Legal provisions known to the system",
    responses=problem_responses(401),
)
def list_provisions(principal: PrincipalDep) -> ProvisionList:
    """The legal provisions penalty decisions may cite, with sources; a decision citing one
    with a known range must have its amount within the range."""
    return ProvisionList(items=[ProvisionPublic.of(p) for p in penalties.load_provisions()])


@router.post(
    "/penalty-decisions",
    response_model=PenaltyDecisionDetail,
    status_code=status.HTTP_201_CREATED,
    summary="Record a penalty decision (inspector, admin)",
    responses=problem_responses(401, 403, 409, 422),
)
def create_decision(
    body: PenaltyDecisionCreate, session: SessionDep, principal: Inspector
) -> PenaltyDecisionDetail:
    """Record a decision against an operator, citing decree / article / clause, with the
    violations it punishes. 409 when the number is taken; 422 naming the field for a future
    date, an unknown operator, an amount outside the cited provision's range, or a violation
    that does not exist or belongs to another operator."""
    with fields_at("body"):
        decision = penalties.record_decision(
            session, number=body.number, decided_on=body.decided_on, operator_code=body.operator,
            decree=body.decree, article=body.article, clause=body.clause,
            amount_vnd=body.amount_vnd, violation_ids=body.violation_ids, note=body.note,
        )
    session.refresh(decision)
    return _detail(session, decision)


@router.get(
    "/penalty-decisions",
    response_model=PenaltyDecisionPage,
    summary="List penalty decisions",
    responses=problem_responses(401, 422),
)
def list_decisions(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    operator: Annotated[str | None, Query(max_length=16, examples=["VNPT"])] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100, examples=[2023])] = None,
    after: Annotated[int | None, Query(ge=0, le=INT4_MAX,
                                       description="Last id of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> PenaltyDecisionPage:
    """Decisions visible to you (an operator sees only its own), ordered by id."""
    decisions, next_after = penalties.list_decisions(
        session, DecisionFilter(operator_code=operator, year=year, after=after, limit=limit)
    )
    codes = penalties.operator_codes(session, {d.operator_id for d in decisions})
    return PenaltyDecisionPage(
        items=[_public(d, codes[d.operator_id]) for d in decisions],
        total_vnd=sum(d.amount_vnd for d in decisions),
        links=next_link(request, next_after),
    )


@router.get(
    "/penalty-decisions/{decision_id}",
    response_model=PenaltyDecisionDetail,
    summary="One penalty decision with its violations",
    responses=problem_responses(401, 404, 422),
)
def get_decision(
    decision_id: id_path("decision", example=2), session: SessionDep, principal: PrincipalDep
) -> PenaltyDecisionDetail:
    """The decision and the violations it punishes (their state today). Another operator's
    decision is 404."""
    return _detail(session, penalties.get_decision(session, decision_id))
