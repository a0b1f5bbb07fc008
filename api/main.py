"""Application factory: composes routers, error handling and the database engine; no logic
lives here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import limits, openapi, problems, serving
from api.routers import (
    audit,
    campaigns,
    checklists,
    compliance,
    dashboard,
    exports,
    health,
    inspections,
    maps,
    network,
    ogc,
    pages,
    penalties,
    placement_reports,
    segment_states,
    segments,
    tiles,
    users,
    viewer,
    violations,
)
from api.security_headers import SecurityHeaders
from api.throttle import SignInThrottle
from gis.db import make_engine, session_factory
from gis.settings import Settings, get_settings

#: PostgreSQL settings for the serving connections: on a small machine, JIT compilation and
#: parallel workers double the latency of the short queries an API runs.
SERVING_OPTIONS = "-c jit=off -c max_parallel_workers_per_gather=0"

JSON_BODY_LIMIT = 1024 * 1024

TAGS = [
    {"name": "network", "description": "Segments, routes, operators, communes, structures, plans."},
    {"name": "checklists", "description": "The checklist catalogue, traced to QCVN 33:2019."},
    {"name": "campaigns", "description": "Inspection campaigns (cuộc kiểm tra)."},
    {"name": "inspections", "description": "Visits, their checklist results and photos."},
    {"name": "violations", "description": "Violations and their remediation lifecycle."},
    {"name": "penalties", "description": "Penalty decisions (quyết định xử phạt)."},
    {"name": "placement reports", "description": "Operators' undergrounding/tidying reports."},
    {"name": "compliance", "description": "Compliance state of segments at any date."},
    {"name": "reports", "description": "Dashboards and the annual report (page, JSON, .xlsx)."},
    {"name": "exports", "description": "Planning exports: GeoJSON, CSV, GPKG, Shapefile, KML."},
    {"name": "ogc", "description": "OGC API - Features (Core, CRS, CQL2) for GIS clients."},
    {"name": "tiles", "description": "Mapbox vector tiles of the segments for the maps."},
    {"name": "users", "description": "Who you are; users and tokens (admin)."},
    {"name": "audit", "description": "Every write: who, when, before and after."},
    {"name": "health", "description": "Liveness and readiness."},
    {"name": "pages", "description": "Login session (cookie) for the maps, viewer, dashboard."},
]


#: Router modules, in the order a request's path is matched against them: a linear walk, so
#: the busiest paths come first (tiles, OGC items, nearest, visits: reaching the tiles after
#: every other router took ~90 us a request). The API document groups routes by tag (TAGS).
ROUTERS = (
    tiles, ogc, segments, segment_states, inspections, pages, viewer, maps, network,
    checklists, campaigns, violations, penalties, placement_reports, compliance, dashboard,
    exports, users, audit, health,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API for ``settings`` (default: from the environment)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url, connect_args={"options": SERVING_OPTIONS})
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        read_engine = engine
        if settings.read_database_url:  # a streaming replica for the lag-tolerant reads
            read_engine = make_engine(settings.read_database_url,
                                      connect_args={"options": SERVING_OPTIONS})
        app.state.read_engine = read_engine
        app.state.read_sessions = session_factory(read_engine)
        serving.freeze_startup_objects()
        yield
        engine.dispose()
        if read_engine is not engine:
            read_engine.dispose()

    app = FastAPI(
        title="telecom-gis",
        summary="Telecom cable network, inspections and undergrounding progress for a province.",
        description=(
            "Every route except `/healthz` needs a bearer token (`telecom-gis users token`). "
            "Errors are RFC 9457 problem documents (`application/problem+json`) naming the "
            "field at fault. Operator users see only their own operator's data."
        ),
        version="0.2.0",
        lifespan=lifespan,
        openapi_tags=TAGS,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    problems.install(app)
    openapi.install(app)
    app.add_middleware(
        limits.RequestGuard,
        json_limit=JSON_BODY_LIMIT,
        upload_limit=settings.photo_max_bytes + 64 * 1024,
    )
    app.add_middleware(SignInThrottle)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
            allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-Match",
                           "If-None-Match"],
            expose_headers=["ETag", "Location", "Retry-After", "Idempotency-Replayed",
                            "Content-Crs"])
    app.add_middleware(SecurityHeaders, tile_url=settings.tile_url)  # outermost: on every answer
    pages.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
    return app
