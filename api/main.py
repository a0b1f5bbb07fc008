"""Application factory: composes routers and the database engine; no logic lives here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.routers import health
from gis.db import make_engine, session_factory
from gis.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API for ``settings`` (default: from the environment)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        yield
        engine.dispose()

    app = FastAPI(
        title="telecom-gis",
        summary="Telecom cable network, inspections and undergrounding progress for a province.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.include_router(health.router)
    return app
