"""Cable segments: GeoJSON lists with filters and keyset pagination, one segment with its
history, visits and open violations, and the segments nearest a point. Any authenticated role;
an operator's users see only their own operator's segments (row-level security)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from api.deps import PrincipalDep, SessionDep, SettingsDep
from api.etags import etag
from api.problems import fields_at, problem_responses
from api.schemas.network import (
    GEOJSON,
    AfterQuery,
    GeoJSONResponse,
    LimitQuery,
    NearSegment,
    NearSegments,
    SegmentCollection,
    SegmentDetail,
    geojson_page,
)
from api.segment_params import AsOfQuery, SegmentFilterDep
from gis.queries import nearest, segments
from gis.queries.common import DEFAULT_LIMIT
from gis.segment_edits import segment_version

router = APIRouter(tags=["network"])


@router.get(
    "/segments", response_model=SegmentCollection, summary="Cable segments (GeoJSON)",
    response_class=GeoJSONResponse,
    responses=problem_responses(401, 422),
)
def list_segments(
    _: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
    flt: SegmentFilterDep,
    as_of: AsOfQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    after: AfterQuery = 0,
) -> Response:
    """Segments by id as a GeoJSON FeatureCollection (`application/geo+json`), with their state
    and compliance on `as_of`. Filters combine with AND. Keyset pagination: follow the `next`
    link (absent on the last page); the total is not counted. Unknown codes are 422."""
    with fields_at("query"):
        page = segments.list_segments(
            session, flt, as_of=as_of, stale_after_days=settings.stale_after_days,
            limit=limit, after=after)
    return geojson_page(request, page)


@router.get(
    "/segments/nearest", response_model=NearSegments,
    summary="Segments nearest a point, with distances in metres",
    responses=problem_responses(401, 422),
)
def nearest_segments(
    principal: PrincipalDep,
    session: SessionDep,
    lon: Annotated[float, Query(ge=-180, le=180, description="Longitude (EPSG:4326).",
                                examples=[106.3402])],
    lat: Annotated[float, Query(ge=-90, le=90, description="Latitude (EPSG:4326).",
                                examples=[20.4501])],
    radius_m: Annotated[float, Query(gt=0, le=nearest.MAX_RADIUS_M, examples=[50],
                                     description="Search radius, geodesic metres.")]
    = nearest.DEFAULT_RADIUS_M,
    limit: Annotated[int, Query(ge=1, le=nearest.MAX_LIMIT, description="At most this many.",
                                examples=[5])] = nearest.DEFAULT_LIMIT,
    include_removed: Annotated[bool, Query(description="Also removed segments.",
                                           examples=[False])] = False,
) -> Response:
    """The segments within `radius_m` of the point, nearest first (geodesic distance on the
    WGS 84 ellipsoid), in their current state: what an inspector standing at a pole needs."""
    with fields_at("query"):
        found = nearest.nearest_segments(session, lon, lat, radius_m, limit,
                                         include_removed=include_removed,
                                         confined=principal.is_operator)
    items = [
        NearSegment(id=s.id, route=s.route_code, operator=s.operator_code, placement=s.placement,
                    placement_kind=s.placement_kind, tidied=s.tidied, lifecycle=s.lifecycle,
                    distance_m=round(s.distance_m, 2), length_m=round(s.length_m, 2),
                    geometry=s.geometry)
        for s in found
    ]
    # Serialised and the transaction ended here, in this thread: FastAPI would validate the
    # model again, and the session dependency commit, each in another thread-pool hop.
    content = NearSegments(lon=lon, lat=lat, radius_m=radius_m, items=items).model_dump_json()
    session.commit()
    return Response(content, media_type="application/json")


@router.get(
    "/segments/{segment_id}", response_model=SegmentDetail,
    summary="One segment with its history, visits and open violations",
    response_class=GeoJSONResponse,
    responses=problem_responses(401, 404, 422),
)
def get_segment(
    _: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    segment_id: Annotated[int, Path(
        description="The segment's id (any integer: one that cannot exist is a 404).",
        examples=[1234])],
) -> Response:
    """The segment as a GeoJSON Feature, today: its state and compliance, every dated state
    (oldest first), its visits with result counts and photo completeness, and its violations
    that are not closed or withdrawn. 404 when it does not exist or belongs to another operator
    than yours. The `ETag` header is the segment's version, for `If-Match` on an edit."""
    # The version an edit must name in If-Match (POST /segments/{id}/states), read BEFORE the
    # body: each statement has its own snapshot, so an edit committed in between leaves an
    # older version with a newer body (a needless 412 later), never the reverse (an edit
    # accepted over a change its author never saw).
    headers = {"ETag": etag(segment_version(session, segment_id))}
    feature = segments.get_segment(session, segment_id, stale_after_days=settings.stale_after_days)
    detail = SegmentDetail.of(feature)
    return Response(content=detail.model_dump_json(by_alias=True), media_type=GEOJSON,
                    headers=headers)
