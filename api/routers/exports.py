"""Planning exports: the segments of ``GET /segments`` (same filters, plus ``as_of``) as a file
for QGIS and planners' tools. Any authenticated role; an operator's users get only their own
operator's segments (row-level security, applied to the export's own connection too)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from api.deps import ReadPrincipalDep, ReadSessionDep, SettingsDep
from api.problems import fields_at, problem_responses
from api.segment_params import AsOfQuery, SegmentFilterDep
from gis import exports
from gis.auth import Principal, bind_principal
from gis.exports import FORMATS, ExportPlan, FormatName

router = APIRouter(prefix="/exports", tags=["exports"])

SessionOpener = Callable[[], AbstractContextManager[Session]]


def export_sessions(request: Request) -> SessionOpener:
    """How a streamed export reads: a session on its own connection from the app's read engine
    (the replica when one is configured; serving options set at connect), in its own
    transaction. The request's session is closed before a streamed body runs, so the body
    cannot use it."""
    sessions = request.app.state.read_sessions

    @contextmanager
    def open_session() -> Iterator[Session]:
        with sessions() as session, session.begin():
            yield session

    return open_session


ExportSessionsDep = Annotated[SessionOpener, Depends(export_sessions)]

FormatPath = Annotated[FormatName, Path(
    alias="format", description="`geojson` (RFC 7946, streamed), `csv` (UTF-8 with BOM, WKT "
                                "`geometry`, streamed), `gpkg`, `shp.zip` (zipped Shapefile, "
                                "10-character field names), `kml`.", examples=["geojson"])]
CrsQuery = Annotated[str | None, Query(
    description="Output CRS as an EPSG code for gpkg, shp.zip and csv, e.g. `EPSG:9209` "
                "(VN-2000 / TM-3 105-30). Default and only choice for geojson and kml: "
                "WGS 84 (`EPSG:4326`).", examples=["EPSG:9209"])]

_BINARY = {"schema": {"type": "string", "format": "binary"}}
#: A GeoJSON export is one FeatureCollection whose features are those of ``GET /segments``.
_FEATURE_COLLECTION = {"schema": {
    "type": "object", "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": {"$ref": "#/components/schemas/SegmentFeature"}},
    },
}}


def _documented_content(media_type: str) -> dict:
    return _FEATURE_COLLECTION if media_type == FORMATS["geojson"].media_type else _BINARY


@router.get(
    "/segments.{format}", response_class=Response,
    summary="Export segments (GeoJSON, CSV, GeoPackage, Shapefile, KML)",
    responses={
        200: {"content": {f.media_type: _documented_content(f.media_type)
                          for f in FORMATS.values()},
              "description": "The file, offered as `segments-<as_of>.<format>`."},
        **problem_responses(401, 422),
    },
)
def export_segments(
    principal: ReadPrincipalDep,
    session: ReadSessionDep,
    settings: SettingsDep,
    open_session: ExportSessionsDep,
    flt: SegmentFilterDep,
    fmt: FormatPath,
    as_of: AsOfQuery = None,
    crs: CrsQuery = None,
) -> Response:
    """The segments passing the filters of `GET /segments` on `as_of`, every one of them, with
    the properties of `GET /segments`. GeoJSON and CSV are streamed as they are read (no
    `Content-Length`); GPKG, SHP and KML are written to a temporary file first. Rows come in
    storage order. Bad filters, an unknown format (`path.format`) or a CRS that does not fit
    the format (`query.crs`) are 422 before anything is sent."""
    with fields_at("query"):
        plan = exports.plan_export(session, flt, fmt=fmt.value, as_of=as_of, crs=crs,
                                   stale_after_days=settings.stale_after_days)
    if plan.fmt.streamed:
        return StreamingResponse(
            _closing(_stream(open_session, principal, plan)), media_type=plan.fmt.media_type,
            headers={"Content-Disposition": f'attachment; filename="{plan.filename}"'})
    directory = FilePath(tempfile.mkdtemp(prefix="telecom-gis-export-"))
    try:
        path = exports.write_export(session, plan, directory / plan.filename)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return FileResponse(path, media_type=plan.fmt.media_type, filename=plan.filename,
                        background=BackgroundTask(shutil.rmtree, directory, ignore_errors=True))


def _stream(open_session: SessionOpener, principal: Principal,
            plan: ExportPlan) -> Generator[bytes, None, None]:
    """The streamed body: its own session, acting as the caller (row-level security)."""
    with open_session() as session:
        bind_principal(session, principal)
        yield from exports.stream_export(session, plan)


async def _closing(chunks: Generator[bytes, None, None]) -> AsyncIterator[bytes]:
    """``chunks`` pulled in the thread pool; closed there too when the client goes away, which
    cancels the query and returns the connection at once."""
    try:
        async for chunk in iterate_in_threadpool(chunks):
            yield chunk
    finally:
        await run_in_threadpool(chunks.close)
