"""Compliance state of the network at a date: a summary per state, and one segment's state with
the facts behind it. Operators see only their own segments."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import PrincipalDep, SessionDep, SettingsDep
from api.problems import problem_responses
from api.schemas.common import id_path
from api.schemas.compliance import (
    ComplianceRow,
    ComplianceSummary,
    SegmentCompliancePublic,
    SummaryGroupBy,
)
from gis.compliance import state
from gis.compliance.rules import local_today

router = APIRouter(prefix="/compliance", tags=["compliance"])

AsOf = Annotated[date | None, Query(description="Local date (default today)")]


@router.get(
    "/summary",
    response_model=ComplianceSummary,
    summary="Segments and km per compliance state at a date",
    responses=problem_responses(401, 422),
)
def summary(
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    as_of: AsOf = None,
    group_by: Annotated[SummaryGroupBy | None, Query(
        description="operator, or commune (the segment's current commune)")] = None,
) -> ComplianceSummary:
    """Counts and km of segments active on ``as_of``, per compliance state (compliant,
    non-compliant, overdue, not inspected, stale after ``stale_after_days``), optionally per
    operator or commune."""
    as_of = as_of or local_today()
    rows = state.compliance_summary(session, as_of, settings.stale_after_days,
                                   group_by.value if group_by else None)
    return ComplianceSummary(
        as_of=as_of, stale_after_days=settings.stale_after_days, group_by=group_by,
        rows=[ComplianceRow.of(r, grouped=group_by is not None) for r in rows],
    )


@router.get(
    "/segments/{segment_id}",
    response_model=SegmentCompliancePublic,
    summary="One segment's compliance state at a date, with the facts behind it",
    responses=problem_responses(401, 404, 422),
)
def segment(
    segment_id: id_path("segment", bigint=True, example=1234),
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    as_of: AsOf = None,
) -> SegmentCompliancePublic:
    """The state on ``as_of``, the last visit, and the violations unresolved then with their
    due dates. Another operator's segment is 404."""
    facts = state.explain_segment(session, segment_id, as_of or local_today(),
                                  settings.stale_after_days)
    return SegmentCompliancePublic.of(facts)
