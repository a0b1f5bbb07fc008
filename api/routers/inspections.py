"""Visits (inspections): record one (retry-safe with an idempotency key), list and read them,
upload and fetch their photos. The rules live in :mod:`gis.compliance.visits` and
:mod:`gis.compliance.photos`."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Header, Path, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse

from api.deps import Inspector, PrincipalDep, SessionDep, SettingsDep
from api.problems import problem_responses
from api.schemas.common import INT8_MAX, Link, id_path
from api.schemas.inspections import (
    InspectionCreate,
    InspectionPage,
    InspectionPublic,
    InspectionSummary,
    PhotoPublic,
    PhotoSlot,
)
from api.visit_problems import photo_field, visit_problems
from gis.compliance.photos import photo_file, store_photo, visit_complete
from gis.compliance.visit_queries import VisitFilter, get_visit, list_visits
from gis.compliance.visits import ResultInput, VisitInput, record_visit

InspectionId = id_path("visit", bigint=True, example=57)

router = APIRouter(prefix="/inspections", tags=["inspections"])

REPLAYED_HEADER = "Idempotency-Replayed"
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")


def _visit_input(key: uuid.UUID, body: InspectionCreate) -> VisitInput:
    position = body.position
    return VisitInput(
        idempotency_key=key,
        visited_at=body.visited_at,
        results=tuple(ResultInput(r.item, r.result, r.measured_value, r.note)
                      for r in body.results),
        segment_id=body.segment_id,
        lon=position.lon if position else None,
        lat=position.lat if position else None,
        accuracy_m=position.accuracy_m if position else None,
        snap_radius_m=body.snap_radius_m,
        campaign_id=body.campaign_id,
        note=body.note,
        photos_expected=body.photos,
        corrects_id=body.corrects.inspection_id if body.corrects else None,
        correction_reason=body.corrects.reason if body.corrects else None,
    )


@router.post(
    "",
    status_code=201,
    response_model=InspectionPublic,
    summary="Record a visit (retry-safe with Idempotency-Key)",
    responses={
        201: {"description": "Recorded; or, with `Idempotency-Replayed: true`, the visit this "
                             "key recorded before (same body)"},
        **problem_responses(400, 401, 403, 404, 409, 413, 415, 422),
    },
)
def create_inspection(
    body: InspectionCreate,
    session: SessionDep,
    principal: Inspector,
    settings: SettingsDep,
    idempotency_key: Annotated[uuid.UUID, Header(
        alias="Idempotency-Key",
        description="A UUID the client makes once per visit and sends again on every retry.",
        examples=["0b6f1f5e-3c1e-4c55-9b8e-6a3f7e1d2c4b"])],
) -> Response:
    """Record a visit to one segment with one result per applicable checklist item, in one
    transaction with the violations it opens (failed items) and verifies closed (passed
    items). Inspectors and admins only.

    * The segment is `segment_id`, or the segment nearest to `position` (WGS 84) within
      `snap_radius_m` metres; when a second segment is nearly as close the visit is refused
      (422, `ambiguous-position`, listing the candidates) and the client should send
      `segment_id`.
    * A retry with the same `Idempotency-Key` and the same body answers 201 with the visit
      recorded the first time and the header `Idempotency-Replayed: true`; the same key with a
      different body is 409. The body reflects the current state (e.g. photos received since).
    * A correction (`corrects`) is a new visit of the same segment; the corrected visit's
      unresolved violations are withdrawn.
    """
    with visit_problems():
        # No savepoint: any error ends the request's transaction with a rollback.
        outcome = record_visit(session, principal, _visit_input(idempotency_key, body),
                               settings, savepoint=False)
    inspection_id = outcome.inspection.id
    view = outcome.view or get_visit(session, inspection_id)
    headers = {"Location": f"/inspections/{inspection_id}"}
    if outcome.replayed:
        headers[REPLAYED_HEADER] = "true"
    # Serialised and committed here, in this thread: FastAPI would validate the model again,
    # and the session dependency commit, each in another thread-pool hop.
    content = InspectionPublic.of(view).model_dump_json()
    session.commit()
    return Response(content, status_code=201, media_type="application/json", headers=headers)


@router.get(
    "",
    response_model=InspectionPage,
    summary="List visits",
    responses=problem_responses(401, 422),
)
def list_inspections(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    segment_id: Annotated[int | None, Query(ge=1, le=INT8_MAX)] = None,
    campaign: Annotated[str | None, Query(max_length=32, examples=["KT-2024-03"],
                                          description="Campaign code")] = None,
    inspector: Annotated[str | None, Query(max_length=64, examples=["thanh.tra"],
                                           description="Inspector's username")] = None,
    visited_from: Annotated[date | None, Query(
        alias="from", description="Visited on or after this local date")] = None,
    visited_to: Annotated[date | None, Query(
        alias="to", description="Visited on or before this local date")] = None,
    complete: Annotated[bool | None, Query(
        description="Only visits with (true) or without (false) every announced photo")] = None,
    after: Annotated[int | None, Query(ge=0, le=INT8_MAX,
                                       description="Last id of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> InspectionPage:
    """Visits in id order. Staff see every visit; an operator's user sees only the visits of
    its own segments."""
    filters = VisitFilter(segment_id=segment_id, campaign=campaign, inspector=inspector,
                          visited_from=visited_from, visited_to=visited_to, complete=complete)
    rows = list_visits(session, filters, after=after, limit=limit + 1)
    page = rows[:limit]
    links = [Link(rel="self", href=str(request.url), type="application/json")]
    if len(rows) > limit:
        links.append(Link(rel="next", type="application/json",
                          href=str(request.url.include_query_params(after=page[-1].id))))
    return InspectionPage(items=[InspectionSummary.of(r) for r in page], links=links,
                          number_returned=len(page))


@router.get(
    "/{inspection_id}",
    response_model=InspectionPublic,
    summary="One visit with results, photos and violations",
    responses=problem_responses(401, 404, 422),
)
def read_inspection(inspection_id: InspectionId, session: SessionDep,
                    principal: PrincipalDep) -> InspectionPublic:
    """The visit as `POST /inspections` returned it, with the photos received so far. An
    operator's user gets 404 for visits of other operators' segments."""
    return InspectionPublic.of(get_visit(session, inspection_id))


@router.put(
    "/{inspection_id}/photos/{slot}",
    status_code=201,
    response_model=PhotoPublic,
    summary="Upload an announced photo of a visit",
    responses={
        200: {"model": PhotoPublic, "description": "These bytes were already in this slot"},
        **problem_responses(401, 403, 404, 409, 413, 415, 422),
    },
)
def put_photo(
    inspection_id: InspectionId,
    slot: Annotated[int, Path(ge=1, le=50, description="1 .. the number of photos announced")],
    file: Annotated[UploadFile, File(description="A JPEG, PNG or WebP photo")],
    response: Response,
    session: SessionDep,
    principal: Inspector,
    settings: SettingsDep,
) -> PhotoPublic:
    """Store photo `slot` of a visit (the visit's inspector or an admin). The type is checked
    by content (JPEG, PNG, WebP; the file name and declared type are ignored); EXIF time and GPS
    are kept. Uploading the same bytes again answers 200; other bytes in a filled slot, 409."""
    data = file.file.read(settings.photo_max_bytes + 1)
    with visit_problems(photo_field):
        stored = store_photo(session, principal, inspection_id, slot, data, settings)
    if not stored.created:
        response.status_code = 200
    return PhotoPublic(inspection_id=inspection_id,
                       slot=PhotoSlot.of(inspection_id, slot, stored.photo),
                       created=stored.created,
                       complete=visit_complete(session, inspection_id))


@router.get(
    "/{inspection_id}/photos/{slot}",
    response_class=FileResponse,
    summary="Download a photo of a visit",
    responses={
        200: {"content": {t: {} for t in IMAGE_TYPES},
              "description": "The photo, with the media type found when it was stored"},
        **problem_responses(401, 404, 422),
    },
)
def get_photo(
    inspection_id: InspectionId,
    slot: Annotated[int, Path(ge=1, le=50)],
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> FileResponse:
    """The photo's bytes with the media type detected at upload (never the client's), served
    with `X-Content-Type-Options: nosniff`."""
    with visit_problems(photo_field):
        photo, path = photo_file(session, inspection_id, slot, settings)
    ext = path.suffix.lstrip(".")
    return FileResponse(path, media_type=photo.media_type, headers={
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'inline; filename="inspection-{inspection_id}-photo-{slot}.{ext}"',
        "Cache-Control": "private, max-age=86400, immutable",
        "ETag": f'"{photo.sha256}"',
    })
