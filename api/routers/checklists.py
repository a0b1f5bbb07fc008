"""The checklist catalogue: versions, their items, and the items in force for a placement."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import PrincipalDep, SessionDep
from api.problems import problem_responses
from api.schemas.checklists import (
    ChecklistInForce,
    ChecklistItemPublic,
    ChecklistVersionDetail,
    ChecklistVersionPublic,
)
from api.schemas.common import labelled
from gis.choices import Placement
from gis.compliance.checklist_queries import (
    get_version,
    is_in_force,
    items_in_force,
    list_versions,
)
from gis.compliance.rules import local_today

router = APIRouter(prefix="/checklists", tags=["checklists"])


@router.get(
    "",
    response_model=list[ChecklistVersionPublic],
    summary="List checklist catalogue versions",
    responses=problem_responses(401),
)
def list_(session: SessionDep, principal: PrincipalDep) -> list[ChecklistVersionPublic]:
    """Every loaded catalogue version, oldest first, with the one in force today flagged."""
    return [ChecklistVersionPublic.of(s.version, s.items, s.in_force)
            for s in list_versions(session, local_today())]


@router.get(
    "/in-force",
    response_model=ChecklistInForce,
    summary="Checklist items to fill for a placement on a date",
    responses=problem_responses(401, 404, 422),
)
def in_force(
    session: SessionDep,
    principal: PrincipalDep,
    on: Annotated[date | None, Query(description="Local date (default today)")] = None,
    placement: Annotated[labelled(Placement) | None, Query(  # type: ignore[valid-type]
        description="Only the items for this placement (default: all)")] = None,
) -> ChecklistInForce:
    """The version in force on `on` and the items an inspector must give a result for on a
    segment of `placement` (404 when no version was in force yet)."""
    on = on or local_today()
    version, items = items_in_force(session, on, placement.value if placement else None)
    return ChecklistInForce(on=on, placement=placement, version=version.code,
                            items=[ChecklistItemPublic.of(i) for i in items])


@router.get(
    "/{code:path}",
    response_model=ChecklistVersionDetail,
    summary="One checklist version with its items",
    responses=problem_responses(401, 404, 422),
)
def read(
    code: Annotated[str, Path(description="Version code; may contain '/'",
                              examples=["QCVN33-2019/v1"])],
    session: SessionDep,
    principal: PrincipalDep,
) -> ChecklistVersionDetail:
    """A version's items with their texts, clause, sources, severity, placements, remediation
    period and limit, each flagged as sourced or a local choice."""
    version = get_version(session, code)
    items = list(version.items)
    summary = ChecklistVersionPublic.of(version, len(items), is_in_force(session, version))
    return ChecklistVersionDetail(**summary.model_dump(),
                                  checklist=[ChecklistItemPublic.of(i) for i in items])
