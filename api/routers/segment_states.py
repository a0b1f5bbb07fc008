"""Editing a segment's state with optimistic concurrency: ``POST /segments/{id}/states`` with
``If-Match`` (the ETag of ``GET /segments/{id}``). A stale version is 412, a missing one 428:
two inspectors editing from the same version never overwrite each other unseen. The rules
are in :mod:`gis.segment_edits`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Response, status

from api.deps import Inspector, SessionDep
from api.etags import etag, if_match_versions
from api.problems import FieldProblem, ProblemError, fields_at, problem_responses
from api.schemas.network import StateRow
from api.schemas.segment_states import SegmentStateCreate
from gis.segment_edits import StateEdit, VersionMismatch, VersionMissing, edit_state

router = APIRouter(tags=["network"])


@router.post(
    "/segments/{segment_id}/states", status_code=status.HTTP_201_CREATED,
    response_model=StateRow,
    summary="Record a segment's new state (If-Match required: no lost update)",
    responses={201: {"description": "Recorded; `ETag` is the segment's new version."},
               **problem_responses(401, 403, 404, 412, 422, 428)},
)
def edit_segment_state(
    body: SegmentStateCreate,
    session: SessionDep,
    _: Inspector,
    segment_id: Annotated[int, Path(description="The segment's id.", examples=[1234])],
    if_match: Annotated[str | None, Header(
        alias="If-Match", description="The ETag of `GET /segments/{id}` this edit was made "
        "from.", examples=['"1234567.89"'])] = None,
) -> Response:
    """Append a dated state (placement, kind, tidied, lifecycle from `effective_on`, with a
    note saying why) to the segment's history; its current state follows. Inspectors and
    admins. 428 without `If-Match`; 412 when the segment changed since that version (read it
    again: the answer's `ETag` header is its version now)."""
    edit = StateEdit(effective_on=body.effective_on, note=body.note, placement=body.placement,
                     placement_kind=body.placement_kind, tidied=body.tidied,
                     lifecycle=body.lifecycle)
    try:
        with fields_at("body"):
            row, version = edit_state(session, segment_id, if_match_versions(if_match), edit)
    except VersionMissing as exc:
        raise ProblemError(428, str(exc), kind="precondition-required", errors=[
            FieldProblem(field="header.If-Match", detail="required")]) from exc
    except VersionMismatch as exc:
        raise ProblemError(412, str(exc), kind="precondition-failed",
                           errors=[FieldProblem(field="header.If-Match", detail="stale")],
                           headers={"ETag": etag(exc.current)}) from exc
    content = StateRow.model_validate(row, from_attributes=True).model_dump_json()
    session.commit()
    return Response(content, status_code=201, media_type="application/json",
                    headers={"ETag": etag(version), "Location": f"/segments/{segment_id}"})
