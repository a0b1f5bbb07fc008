"""Mapbox vector tiles of the segments: ``GET /tiles/{z}/{x}/{y}.pbf`` (XYZ, WebMercatorQuad),
one layer ``segments``; what each zoom holds is in :mod:`gis.tiles`. Any authenticated role
(bearer token, or the page cookie for GET); an operator's users get only their own operator's
segments (row-level security). An empty tile is 204 No Content."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from api.deps import ReadSessionDep, TokenDep
from api.problems import fields_at, problem_responses
from gis.auth import sign_in
from gis.tiles import TileCoord, segment_tile, tile_request

router = APIRouter(tags=["tiles"])

MVT = "application/vnd.mapbox-vector-tile"
#: Tiles are the caller's (row-level security) and change with the network: kept a minute by
#: the browser only.
CACHE_CONTROL = "private, max-age=60"


@router.get(
    "/tiles/{z}/{x}/{y}.pbf", summary="Vector tile of the segments (Mapbox Vector Tile)",
    response_class=Response, responses={
        200: {"content": {MVT: {}}, "description": "The tile (one layer, `segments`)."},
        204: {"description": "Nothing visible in this tile."},
        304: {"description": "Unchanged since the `ETag` given in `If-None-Match`."},
        **problem_responses(401, 422)},
)
def segment_tile_route(
    token: TokenDep,
    session: ReadSessionDep,
    request: Request,
    z: Annotated[int, Path(description="Zoom level (0..22).", examples=[14])],
    x: Annotated[int, Path(description="Column, 0 at the west (0..2^z - 1).",
                           examples=[13029])],
    y: Annotated[int, Path(description="Row, 0 at the north (0..2^z - 1).", examples=[7242])],
    as_of: Annotated[date | None, Query(
        description="The date the tile shows (default: today, Vietnam time).",
        examples=["2024-12-31"])] = None,
    operator: Annotated[list[str] | None, Query(
        description="Operator code; repeat for several.", examples=[["VNPT"]])] = None,
) -> Response:
    """The segments active on `as_of` in tile `z/x/y`: one feature per segment from zoom 14
    (id, operator, route, class, kind, length_m, since), one aggregate per operator and
    placement class below (operator, class, segments, length_m). Bad `z`, `x`, `y`, `as_of`
    or `operator` is 422 naming it."""
    principal = sign_in(session, token)  # here, in the route's thread (see TokenDep)
    with fields_at("path"):
        tile = TileCoord.checked(z, x, y)
    with fields_at("query"):
        checked = tile_request(session, tile, as_of=as_of, operators=tuple(operator or ()),
                               confined=principal.is_operator)
    data = segment_tile(session, checked)
    session.commit()  # here, in this thread: one thread-pool hop less than the dependency's
    etag = '"' + hashlib.blake2b(data or b"", digest_size=12).hexdigest() + '"'
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag, "Vary": "Authorization, Cookie"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if data is None:
        return Response(status_code=204, headers=headers)
    return Response(data, media_type=MVT, headers=headers)
